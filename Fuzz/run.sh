#!/usr/bin/env bash
# Builds the libFuzzer targets (swiftc -sanitize=fuzzer) against RaftCore and RaftStorage and runs
# each for a short bounded time. Usage: Fuzz/run.sh [SECONDS per target, default 20] [target…]
# Targets: segment (record decoder and recovery scan), hardstate (hard-state decoder),
# message (message validation in the core). A crash leaves crash-* files in Fuzz/.out/TARGET/;
# turn each into a regression test (the input bytes) before fixing.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-20}; shift || true
TARGETS=${*:-segment hardstate message}
B=Fuzz/.out/build; mkdir -p "$B"
FLAGS=(-O -sanitize=fuzzer -parse-as-library -swift-version 6 -I "$B")
printf 'module CCRC32C {\n  header "%s/Sources/CCRC32C/include/ccrc32c.h"\n  export *\n}\n' "$PWD" > "$B/module.modulemap"
echo "building RaftCore, RaftStorage with coverage instrumentation…"
clang -O2 -fsanitize=fuzzer-no-link -msse4.2 -c Sources/CCRC32C/ccrc32c.c -I Sources/CCRC32C/include -o "$B/ccrc32c.o"
swiftc "${FLAGS[@]}" -module-name RaftCore -emit-module -emit-module-path "$B/RaftCore.swiftmodule" \
  -emit-library -static -o "$B/libRaftCore.a" Sources/RaftCore/*.swift
swiftc "${FLAGS[@]}" -module-name RaftStorage -emit-module -emit-module-path "$B/RaftStorage.swiftmodule" \
  -Xcc -fmodule-map-file="$B/module.modulemap" -I Sources/CCRC32C/include \
  -emit-library -static -o "$B/libRaftStorage.a" Sources/RaftStorage/*.swift
failed=()
for t in $TARGETS; do
  case $t in segment) src=FuzzSegment;; hardstate) src=FuzzHardState;; message) src=FuzzMessage;; *) echo "no target $t"; exit 2;; esac
  # The harness itself at -Onone: swiftc 6 crashes (signal 11 in ARCSequenceOpts) optimizing fuzzSegment.
  swiftc "${FLAGS[@]}" -Onone -Xcc -fmodule-map-file="$B/module.modulemap" -I Sources/CCRC32C/include \
    Fuzz/$src.swift "$B/libRaftStorage.a" "$B/libRaftCore.a" "$B/ccrc32c.o" -o "$B/fuzz-$t"
  mkdir -p "Fuzz/.out/$t/corpus"
  echo "fuzzing $t for ${SECONDS_EACH}s…"
  # SWIFT_BACKTRACE=enable=no: otherwise the Swift runtime's backtracer takes a trap's signal first
  # and exits, and libFuzzer never writes the crash-* input.
  if (cd "Fuzz/.out/$t" && SWIFT_BACKTRACE=enable=no "../build/fuzz-$t" -max_total_time="$SECONDS_EACH" -max_len=4096 -print_final_stats=1 \
        corpus > log 2>&1); then
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "Fuzz/.out/$t/log"
  else
    grep -E '^==[0-9]+==|Fatal error|Precondition failed|Assertion failed|SUMMARY|Test unit written' "Fuzz/.out/$t/log" | head -8 || true
    echo "fuzz-$t FAILED: the input is in Fuzz/.out/$t/ (crash-*, timeout-*, oom-*), the whole output in Fuzz/.out/$t/log"
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then echo "failed: ${failed[*]}"; exit 1; fi
