#!/bin/bash
# Peer for `make bench-raftd`: a 3-member etcd cluster on loopback, loaded by etcdload (our own Go
# client on etcd's clientv3, in this folder): puts/s and p50/p99 latency per number of clients.
# Needs etcd-server, golang-go and golang-etcd-server-dev (clientv3's source, built in GOPATH mode,
# no network). Every process started here is stopped by its PID; data lives in a temporary folder.
# Usage: SECONDS_PER_RUN=10 CLIENTS="1 50" Benchmarks/peers/etcd-cluster.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

need etcd etcd-server
need go golang-go
need python3 python3
gopath=/usr/share/gocode
[ -d "$gopath/src/go.etcd.io/etcd/clientv3" ] \
    || skip "etcd's Go client source is not installed (Debian package: golang-etcd-server-dev)"
seconds=${SECONDS_PER_RUN:-10}
clients=${CLIENTS:-"1 50"}
work=$(mktemp -d /tmp/etcd-cluster.XXXXXX)
trap 'stop_started; rm -rf "$work"' EXIT

mkdir -p "$work/go/src/etcdload"
cp "$here/etcdload/main.go" "$work/go/src/etcdload/"
(cd "$work/go/src/etcdload" && GO111MODULE=off GOFLAGS= GOPROXY=off GOPATH="$work/go:$gopath" \
    GOCACHE=${GOCACHE:-/tmp/raftstep-peers-gocache} go build -o "$work/etcdload" .) \
    || skip "etcdload does not build against the installed clientv3"

initial=""
endpoints=""
for m in 1 2 3; do
    client[$m]=$(free_port); peer[$m]=$(free_port)
    initial+="${initial:+,}m$m=http://127.0.0.1:${peer[$m]}"
    endpoints+="${endpoints:+,}127.0.0.1:${client[$m]}"
done
for m in 1 2 3; do
    etcd --name "m$m" --data-dir "$work/m$m" --log-level error \
        --listen-client-urls "http://127.0.0.1:${client[$m]}" --advertise-client-urls "http://127.0.0.1:${client[$m]}" \
        --listen-peer-urls "http://127.0.0.1:${peer[$m]}" --initial-advertise-peer-urls "http://127.0.0.1:${peer[$m]}" \
        --initial-cluster-token raftstep-peers --initial-cluster-state new --initial-cluster "$initial" \
        >"$work/m$m.log" 2>&1 &
    started+=($!)
done
ETCDCTL_API=3 wait_until 30 etcdctl --endpoints="$endpoints" endpoint health

echo "$(etcd --version | head -1), 3 members on loopback, $(nproc) CPUs"
for c in $clients; do
    "$work/etcdload" -endpoints "$endpoints" -clients "$c" -duration "${seconds}s"
done
