#!/bin/bash
# Peer for `make bench-raftd`: one redis-server that syncs every write (appendonly, appendfsync
# always) — durable like a raftd node, but not replicated — loaded by redis-benchmark with the same
# commands raftd is loaded with: SET and GET requests/s per number of clients.
# Needs redis-server and redis-tools. The server listens on a free port of 127.0.0.1, writes into
# a temporary folder and is stopped by its PID.
# Usage: CLIENTS="1 50" REQUESTS=100000 Benchmarks/peers/redis-durable.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

need redis-server redis-server
need redis-benchmark redis-tools
need redis-cli redis-tools
need python3 python3
clients=${CLIENTS:-"1 50"}
requests=${REQUESTS:-100000}
work=$(mktemp -d /tmp/redis-durable.XXXXXX)
trap 'stop_started; rm -rf "$work"' EXIT

port=$(free_port)
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly yes --appendfsync always \
    --dir "$work" --daemonize no >"$work/redis.log" 2>&1 &
started+=($!)
wait_until 10 redis-cli -h 127.0.0.1 -p "$port" ping

echo "$(redis-server --version | cut -d' ' -f1-3), appendfsync always, $(nproc) CPUs"
for c in $clients; do
    # One client cannot reach many requests in reasonable time: every SET waits for an fsync.
    n=$(( c == 1 ? requests / 20 : requests ))
    redis-benchmark -h 127.0.0.1 -p "$port" -c "$c" -n "$n" -d 100 -r 10000 -t set,get -q 2>/dev/null \
        | tr '\r' '\n' | grep 'requests per second' | sed "s/^/$c client(s): /"
done
