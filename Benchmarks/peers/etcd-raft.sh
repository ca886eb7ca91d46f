#!/bin/bash
# Peer for `raftbench core`: etcd's raft library (Go), timed by its own benchmarks on this machine.
#   BenchmarkOneNode         one voter; proposals through its Ready loop (etcd raft's package raft)
#   BenchmarkProposal3Nodes  three nodes on an in-memory network; ns per committed proposal
#                            (package rafttest) — the figure `raftbench core` is compared with
# Needs golang-go and golang-etcd-server-dev (the raft source and its tests, built in GOPATH mode,
# no network). Usage: COUNT=5 Benchmarks/peers/etcd-raft.sh   (COUNT runs of each; median printed)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

need go golang-go
gopath=/usr/share/gocode
[ -d "$gopath/src/go.etcd.io/etcd/raft/rafttest" ] \
    || skip "etcd's raft source is not installed (Debian package: golang-etcd-server-dev)"
count=${COUNT:-5}
export GO111MODULE=off GOFLAGS= GOPROXY=off GOPATH=$gopath GOCACHE=${GOCACHE:-/tmp/raftstep-peers-gocache}
out=$(mktemp -d /tmp/etcd-raft.XXXXXX)
trap 'rm -rf "$out"' EXIT

bench() { # PACKAGE NAME
    if ! go test -run '^$' -bench "^$2\$" -benchmem -count="$count" "$1" >"$out/$2.txt" 2>&1; then
        tail -5 "$out/$2.txt" >&2
        skip "etcd's raft benchmarks do not build here (its test dependencies come with golang-etcd-server-dev's recommends)"
    fi
    # Result lines end with: ITERATIONS  NS ns/op  BYTES B/op  ALLOCS allocs/op (etcd's log lines may split
    # the benchmark's name from its figures, so the figures are found by their units).
    local ns bytes allocs
    ns=$(awk '{ for (i = 1; i < NF; i++) if ($(i + 1) == "ns/op") print $i }' "$out/$2.txt" | median || true)
    bytes=$(awk '{ for (i = 1; i < NF; i++) if ($(i + 1) == "B/op") print $i }' "$out/$2.txt" | median || true)
    allocs=$(awk '{ for (i = 1; i < NF; i++) if ($(i + 1) == "allocs/op") print $i }' "$out/$2.txt" | median || true)
    [ -n "$ns" ] || { tail -5 "$out/$2.txt" >&2; echo "$2: no result in go test's output" >&2; exit 1; }
    printf '%-26s %d runs: median %8.0f ns/op  %6.0f B/op  %4.0f allocs/op\n' "$2" "$count" "$ns" "$bytes" "$allocs"
}

echo "etcd raft $(sed -n 's/^[[:space:]]*Version[[:space:]]*=[[:space:]]*"\([0-9.]*\)".*/\1/p' "$gopath/src/go.etcd.io/etcd/version/version.go" 2>/dev/null), $(go version | cut -d' ' -f3), $(nproc) CPUs"
bench go.etcd.io/etcd/raft BenchmarkOneNode
bench go.etcd.io/etcd/raft/rafttest BenchmarkProposal3Nodes
