#!/usr/bin/env bash
# Heap allocations per committed proposal in the core benchmark, counted by valgrind.
# Two runs that differ only in the number of proposals; the difference divided by the extra
# proposals removes the cost of start-up and the election.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "core-allocs: needs valgrind (apt-get install valgrind)" >&2; exit 1; }
swift build -c release --product raftbench ${SCRATCH:+--scratch-path "$SCRATCH"} >/dev/null
# valgrind cannot read the debug info of some toolchains' release binaries; a stripped copy
# counts the same allocations.
bin=$(mktemp /tmp/raftbench-allocs.XXXXXX)
trap 'rm -f "$bin"' EXIT
strip -o "$bin" "${SCRATCH:-.build}/release/raftbench"
allocs() { # MODE PROPOSALS DRIVER
    valgrind --tool=memcheck --leak-check=no "$bin" core --mode "$1" --proposals "$2" --driver "$3" --repeats 1 2>&1 \
        | sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' | tr -d ,
}
# The core driver is the figure of issue 16 §7; the host driver (NodeHost, as in the simulator
# and raftd) is shown beside it.
for driver in core host; do
    for mode in unbatched batched; do
        small=$(allocs "$mode" 640 "$driver")
        large=$(allocs "$mode" 1920 "$driver")
        python3 -c "print(f'$mode ($driver driver): {($large - $small) / 1280:.1f} allocations per committed proposal')"
    done
done
