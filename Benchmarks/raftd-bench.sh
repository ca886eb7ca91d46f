#!/usr/bin/env bash
# raftd under redis-benchmark, beside a durable single redis-server in the same run.
#
# Starts a 3-node raftd cluster on loopback (release build, every node fsyncing before it
# acknowledges), loads its leader with redis-benchmark (SET and GET, 1 and 50 clients, and 50
# clients pipelining 16 requests), then does the same to one redis-server with
# `appendfsync always` (durable, not replicated) as the yardstick. Prints requests/s and
# p50/p99 latency per run; with MEMORY=1 it also writes 1,000,000 SETs of 100-byte values over
# 10,000 keys and reports each node's resident memory (compaction on).
#
# Usage: Benchmarks/raftd-bench.sh            (make bench-raftd builds raftd first)
#   REQUESTS=100000 CLIENTS="1 50" PIPELINE=16 MEMORY=1 BASE_PORT=26000 Benchmarks/raftd-bench.sh
# Everything it starts listens on 127.0.0.1 and is stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
RAFTD=${RAFTD:-.build/release/raftd}
REQUESTS=${REQUESTS:-50000}
CLIENTS=${CLIENTS:-"1 50"}
PIPELINE=${PIPELINE:-16}
BASE=${BASE_PORT:-26000}
[ -x "$RAFTD" ] || { echo "no $RAFTD: run 'swift build -c release --product raftd' (or make bench-raftd)"; exit 2; }
need=()
command -v redis-benchmark >/dev/null || need+=(redis-tools)
command -v redis-server >/dev/null || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi
W=$(mktemp -d /tmp/raftd-bench.XXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$W"
}
trap cleanup EXIT

peers="1=127.0.0.1:$((BASE+11)),2=127.0.0.1:$((BASE+12)),3=127.0.0.1:$((BASE+13))"
for i in 1 2 3; do
  "$RAFTD" --id $i --peers "$peers" --listen 127.0.0.1:$((BASE+i)) --data-dir "$W/n$i" --log-level warn 2>"$W/n$i.log" &
  pids+=($!)
done
leader=""
for _ in $(seq 1 100); do
  for i in 1 2 3; do
    if redis-cli -p $((BASE+i)) RAFT STATUS 2>/dev/null | grep -q '^role:leader'; then leader=$((BASE+i)); fi
  done
  [ -n "$leader" ] && break
  sleep 0.1
done
[ -n "$leader" ] || { echo "no leader"; cat "$W"/n*.log; exit 1; }

redis-server --port $((BASE+79)) --bind 127.0.0.1 --save '' --appendonly yes --appendfsync always \
  --dir "$W" --daemonize no >"$W/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 40); do redis-cli -p $((BASE+79)) ping >/dev/null 2>&1 && break; sleep 0.25; done

# One redis-benchmark run: prints "NAME TEST rps p50 p99".
run() {
  local name=$1 port=$2 clients=$3 pipeline=$4 n=$5
  redis-benchmark -h 127.0.0.1 -p "$port" -c "$clients" -P "$pipeline" -n "$n" -r 10000 -t set,get --csv 2>/dev/null |
    tr -d '"' | awk -F, -v name="$name" -v c="$clients" -v p="$pipeline" \
      'NR > 1 { printf "%-28s %-4s %3d clients  P%-3d %10.0f req/s  p50 %7.3f ms  p99 %7.3f ms\n", name, $1, c, p, $2, $5, $7 }'
}
for c in $CLIENTS; do
  n=$(( c == 1 ? REQUESTS / 10 : REQUESTS ))
  run "raftd (3 nodes)" "$leader" "$c" 1 "$n"
  run "redis appendfsync always" $((BASE+79)) "$c" 1 "$n"
done
run "raftd (3 nodes)" "$leader" 50 "$PIPELINE" $((REQUESTS * 4))
run "redis appendfsync always" $((BASE+79)) 50 "$PIPELINE" $((REQUESTS * 4))

if [ "${MEMORY:-0}" = 1 ]; then
  redis-benchmark -h 127.0.0.1 -p "$leader" -c 50 -P 16 -n 1000000 -r 10000 -d 100 -t set -q >/dev/null 2>&1
  for i in 1 2 3; do
    pid=${pids[$((i-1))]}
    rss=$(awk '/VmRSS/ { print $2 }' /proc/$pid/status)
    size=$(du -sm "$W/n$i" | cut -f1)
    echo "raftd n$i after 1,000,000 SETs of 100 bytes over 10,000 keys: RSS $((rss / 1024)) MB, data directory ${size} MB"
  done
fi
