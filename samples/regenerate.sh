#!/bin/sh
# Regenerates the sample data directories in samples/ from `raftstep --script` (a deterministic
# cluster, so the same bytes every time) plus byte-level edits with POSIX tools (dd, od, printf,
# truncate). Run from anywhere:   samples/regenerate.sh
# Uses $RAFTSTEP when set, else builds and uses .build/debug/raftstep. samples/README.md says what
# `logdump verify` reports for each directory; Tests/DocsTests/SamplesTests.swift checks it.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT="$ROOT/samples"
if [ -z "${RAFTSTEP:-}" ]; then
    swift build --product raftstep >/dev/null
    RAFTSTEP="$ROOT/.build/debug/raftstep"
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/raftstep-samples.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# run NAME: runs the raftstep script on stdin (which exports disks under $WORK).
run() {
    cat > "$WORK/$1.txt"
    "$RAFTSTEP" --script "$WORK/$1.txt" --no-color > "$WORK/$1.log" || { cat "$WORK/$1.log"; exit 1; }
}

# flip FILE OFFSET BIT: flips one bit of one byte in place.
flip() {
    byte=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "\\$(printf %03o $((byte ^ (1 << $3))))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# zero FILE OFFSET COUNT: overwrites COUNT bytes with zeros (a sector that never reached the disk).
zero() {
    dd if=/dev/zero of="$1" bs=1 seek="$2" count="$3" conv=notrunc 2>/dev/null
}

# place NAME SRC: installs a sample directory.
place() {
    rm -rf "${OUT:?}/$1"
    cp -R "$2" "$OUT/$1"
}

# A 3-node cluster elects n1 and commits two commands: every node's log is 1 no-op + 2 entries.
run small <<SCRIPT
set prevote off
campaign n1
stabilize
propose set x 1
stabilize
propose set y 2
stabilize
expect commit all 3
disk export n1 $WORK/small-n1
disk export n2 $WORK/small-n2
# n1 appends a fourth entry; it is on n1's disk, not yet sent or committed.
propose set z 3
expect log n1 1 1 1 1
expect commit n1 3
disk export n1 $WORK/pending-n1
SCRIPT

# A log of three segments (the simulated disk starts a new segment after 64 KiB): 34 proposals
# of 4000 bytes each (the largest the REPL takes), one batch.
BIG=$(head -c 4000 /dev/zero | tr '\0' 'a')
{
    echo "set prevote off"; echo "campaign n1"; echo "stabilize"
    i=0; while [ $i -lt 34 ]; do echo "propose $BIG"; i=$((i + 1)); done
    echo "stabilize"; echo "expect commit all 35"
    echo "disk export n1 $WORK/multi-n1"
} | run multi

# n1 as in `small`, then one 4000-byte proposal that it has appended but not sent: its batch (the
# record and its marker) runs from offset 704 across the 4 KiB page boundary at 4096.
{
    echo "set prevote off"; echo "campaign n1"; echo "stabilize"
    echo "propose set x 1"; echo "stabilize"; echo "propose set y 2"; echo "stabilize"
    echo "propose $BIG"
    echo "disk export n1 $WORK/big-pending-n1"
} | run big-pending

SEG=log-0000000000000001.seg

# 1. healthy: as exported.
place healthy "$WORK/small-n1"

# 2. torn-tail: n1 was appending entry 4 ("set z 3": a 48-byte record at 704, then its batch
#    marker at 752) when it crashed: only the first 20 bytes of the record reached the disk.
place torn-tail "$WORK/pending-n1"
truncate -s 724 "$OUT/torn-tail/$SEG"

# 3. bit-flip: one bit of entry 2's payload ("set x 1", record at 320, payload at 352), a record
#    that a later synced batch marker vouches for.
place bit-flip "$WORK/small-n1"
flip "$OUT/bit-flip/$SEG" 354 0

# 4. torn-hardstate: a crash while the newest hard-state slot (slot 0, sequence 4) was being
#    written: its second half never reached the disk, and the batch marker that would have
#    vouched for it (the last 72 bytes of the segment) was never written.
place torn-hardstate "$WORK/small-n1"
zero "$OUT/torn-hardstate/hardstate" 48 48
truncate -s 632 "$OUT/torn-hardstate/$SEG"

# 5. missing-middle-segment: segment 2 of 3 deleted.
place missing-middle-segment "$WORK/multi-n1"
rm "$OUT/missing-middle-segment/log-0000000000000002.seg"

# 6. two-logs-mixed: n1's segment with n2's hard-state file (another log id).
place two-logs-mixed "$WORK/small-n1"
cp "$WORK/small-n2/hardstate" "$OUT/two-logs-mixed/hardstate"

# 7. torn-batch: n1 lost power while syncing that last batch; the disk wrote the batch's second
#    page (the record's end and the complete marker) but not its first: zeros from 704 to 4096.
place torn-batch "$WORK/big-pending-n1"
zero "$OUT/torn-batch/$SEG" 704 3392

echo "regenerated: healthy torn-tail bit-flip torn-hardstate missing-middle-segment two-logs-mixed torn-batch"
