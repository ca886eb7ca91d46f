#!/usr/bin/env bash
# Builds the libFuzzer targets (swiftc -sanitize=fuzzer) against RaftCore and RaftStorage (and, for
# command, RaftSim, LogdumpKit and RaftStepCLI without its readline files) and runs each for a short
# bounded time. Usage: Fuzz/run.sh [SECONDS per target, default 20] [target…]
# Targets: segment (record decoder and recovery scan), hardstate (hard-state decoder),
# message (message validation in the core), command (the REPL's command parser and dispatcher).
# A crash leaves crash-* files in Fuzz/.out/TARGET/; turn each into a regression test (the input
# bytes) before fixing.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-20}; shift || true
TARGETS=${*:-segment hardstate message command}
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
if [[ " $TARGETS " == *" command "* ]]; then
  echo "building RaftHost, RaftSim, LogdumpKit, RaftStepCLI (without LineEditor) with coverage instrumentation…"
  swiftc "${FLAGS[@]}" -module-name RaftHost -emit-module -emit-module-path "$B/RaftHost.swiftmodule" \
    -Xcc -fmodule-map-file="$B/module.modulemap" -I Sources/CCRC32C/include \
    -emit-library -static -o "$B/libRaftHost.a" Sources/RaftHost/*.swift
  swiftc "${FLAGS[@]}" -module-name RaftSim -emit-module -emit-module-path "$B/RaftSim.swiftmodule" \
    -Xcc -fmodule-map-file="$B/module.modulemap" -I Sources/CCRC32C/include \
    -emit-library -static -o "$B/libRaftSim.a" Sources/RaftSim/*.swift
  swiftc "${FLAGS[@]}" -module-name LogdumpKit -emit-module -emit-module-path "$B/LogdumpKit.swiftmodule" \
    -Xcc -fmodule-map-file="$B/module.modulemap" -I Sources/CCRC32C/include \
    -emit-library -static -o "$B/libLogdumpKit.a" Sources/LogdumpKit/*.swift
  # The REPL's files that do not import LineEditor (readline): Runner and LessonRunner stay out.
  # -enable-testing: the harness uses Session.tokenize, as the REPL's own runners do.
  CLI=(); for f in Sources/RaftStepCLI/*.swift; do grep -q '^import LineEditor' "$f" || CLI+=("$f"); done
  swiftc "${FLAGS[@]}" -enable-testing -module-name RaftStepCLI -emit-module -emit-module-path "$B/RaftStepCLI.swiftmodule" \
    -Xcc -fmodule-map-file="$B/module.modulemap" -I Sources/CCRC32C/include \
    -emit-library -static -o "$B/libRaftStepCLI.a" "${CLI[@]}"
  # Seeds: each command word of CommandTable.all, and each lesson's ```raftstep blocks 1…k (after a
  # reset to the lesson's cluster; the harness feeds the first 64 lines); a dictionary of the words.
  C=Fuzz/.out/command/corpus; mkdir -p "$C"
  for w in $(sed -n 's/.*CommandInfo(name: "\([a-z]*\)".*/\1/p' Sources/RaftSim/CommandTable.swift); do
    printf '%s\n' "$w" > "$C/seed-word-$w"
  done
  for f in lessons/*.md; do
    awk -v out="$C/seed-lesson-$(basename "$f" .md)" '
      /^nodes:/ { nodes = $2 } /^seed:/ { seed = $2 } /^voters:/ { voters = " voters=" $2 }
      /^```raftstep/ { if (!n) buf = "reset nodes=" nodes voters " seed=" seed "\n"; inside = 1; n++; next }
      /^```/ && inside { inside = 0; printf "%s", buf > (out "-" n); close(out "-" n); next }
      inside { buf = buf $0 "\n" }' "$f"
  done
  { for w in $(sed -n 's/.*CommandInfo(name: "\([a-z]*\)".*/\1/p' Sources/RaftSim/CommandTable.swift) \
        prevote checkquorum leader-noop unsafe sync compact-threshold election-ticks heartbeat-ticks on-violation color \
        leader role term commit applied kv msgs reads voted config snapshot up down exit invariants violation \
        all to from on off none ok learner follower candidate leader pre-candidate precandidate stop continue \
        n1 n2 n3 n4 n5 '->' '|' '#' term= voters= old= learners= nodes= seed= '@' 10000 99999999999; do
      printf '"%s"\n' "$w"; done; printf '"\\x0a"\n'; } | sort -u > Fuzz/.out/command/dict
fi
failed=()
for t in $TARGETS; do
  case $t in segment) src=FuzzSegment;; hardstate) src=FuzzHardState;; message) src=FuzzMessage;; command) src=FuzzCommand;; *) echo "no target $t"; exit 2;; esac
  LIBS=("$B/libRaftStorage.a" "$B/libRaftCore.a" "$B/ccrc32c.o"); EXTRA=()
  if [ "$t" = command ]; then LIBS=("$B/libRaftStepCLI.a" "$B/libLogdumpKit.a" "$B/libRaftSim.a" "$B/libRaftHost.a" "${LIBS[@]}"); EXTRA=(-dict=dict -timeout=10); fi
  # The harness itself at -Onone: swiftc 6 crashes (signal 11 in ARCSequenceOpts) optimizing fuzzSegment.
  swiftc "${FLAGS[@]}" -Onone -Xcc -fmodule-map-file="$B/module.modulemap" -I Sources/CCRC32C/include \
    Fuzz/$src.swift "${LIBS[@]}" -o "$B/fuzz-$t"
  mkdir -p "Fuzz/.out/$t/corpus"
  echo "fuzzing $t for ${SECONDS_EACH}s…"
  # SWIFT_BACKTRACE=enable=no: otherwise the Swift runtime's backtracer takes a trap's signal first
  # and exits, and libFuzzer never writes the crash-* input.
  if (cd "Fuzz/.out/$t" && SWIFT_BACKTRACE=enable=no "../build/fuzz-$t" -max_total_time="$SECONDS_EACH" -max_len=4096 -print_final_stats=1 \
        ${EXTRA[@]+"${EXTRA[@]}"} corpus > log 2>&1); then
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "Fuzz/.out/$t/log"
  else
    grep -E '^==[0-9]+==|Fatal error|Precondition failed|Assertion failed|SUMMARY|Test unit written' "Fuzz/.out/$t/log" | head -8 || true
    echo "fuzz-$t FAILED: the input is in Fuzz/.out/$t/ (crash-*, timeout-*, oom-*), the whole output in Fuzz/.out/$t/log"
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then echo "failed: ${failed[*]}"; exit 1; fi
