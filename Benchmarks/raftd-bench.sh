#!/usr/bin/env bash
# raftd under redis-benchmark, beside a durable single redis-server in the same run.
#
# Starts a 3-node raftd cluster on loopback (release build, every node fsyncing before it
# acknowledges), loads its leader with redis-benchmark (SET and GET, 1 and 50 clients, and 50
# clients pipelining 16 requests), then does the same to one redis-server with
# `appendfsync always` (durable, not replicated) as the yardstick. Prints requests/s and
# p50/p99 latency per run. With MEMORY=1 it also writes 1,000,000 SETs of 100-byte values over
# 10,000 keys (50 clients, pipelining 16; compaction on, every 100,000 entries by default) and reports
# each node's resident memory (VmRSS now, VmHWM the peak, from /proc/PID/status), its log on disk
# (segments, snapshot files) and its indexes; MEMORY=only does just that (issue 12 §5: ≤ 100 MB per node).
#
# Usage: Benchmarks/raftd-bench.sh            (make bench-raftd builds raftd first)
#   REQUESTS=100000 CLIENTS="1 50" PIPELINE=16 MEMORY=1|only SETS=1000000 BASE_PORT=26000 Benchmarks/raftd-bench.sh
#   RAFTD=path/to/raftd (another build, for a before/after in one session), RAFTD_ARGS="--threads 2"
#   (more options for every node), REDIS=0 (skip the
#   yardstick), PIPELINE=1 (skip the pipelined run), COST=1 (also CPU time and context switches
#   per request, summed over the servers' threads: the figure the machine's load does not move),
#   STATS=1 (also the leader's `RAFT STATS` per request: entries per fsync, the disk thread's time,
#   peer messages; builds without `RAFT STATS` print nothing), CEILING=1 (also what bounds the 50-client
#   figures on this machine, in the same run: PING with 50 clients on raftd's leader and on the redis,
#   the client path with no Raft in it; redis-benchmark's own CPU per request, since it shares the
#   cores; and the disk's fdatasync rate for 1 and 3 writers at once, `raftbench disk`, which three
#   nodes on one disk share)
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
  "$RAFTD" --id $i --peers "$peers" --listen 127.0.0.1:$((BASE+i)) --data-dir "$W/n$i" --log-level warn ${RAFTD_ARGS:-} 2>"$W/n$i.log" &
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

# CPU time (clock ticks) and context switches of every thread of the processes named, summed:
# what a run costs, whatever else the machine is doing (requests/s is hostage to the load).
cost() {
  local ticks=0 switches=0 p
  for p in "$@"; do
    ticks=$((ticks + $(awk '{ print $14 + $15 }' /proc/$p/stat)))
    switches=$((switches + $(cat /proc/$p/task/*/status | awk '/ctxt_switches/ { s += $2 } END { print s }')))
  done
  echo "$ticks $switches"
}
hz=$(getconf CLK_TCK)

# The leader's `RAFT STATS` counters (key:value lines), or nothing when the build has none.
raft_stats() { redis-cli -p "$1" RAFT STATS 2>/dev/null | tr -d '\r' | grep -E '^[a-z_]+:[0-9]+$' || true; }

# The CPU time (µs) this shell's finished children used, redis-benchmark among them: `times` runs in
# this shell (a command substitution would ask a subshell, whose children are none).
client_cpu_us() {
  times >"$W/times"
  CLIENT_US=$(awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/); printf "%d", (u[1] * 60 + u[2] + s[1] * 60 + s[2]) * 1000000 }' "$W/times")
}

# CPU ticks of each process named, in order, space-separated.
ticks_each() { local p; for p in "$@"; do awk '{ printf "%d ", $14 + $15 }' /proc/$p/stat; done; }

# One redis-benchmark run: prints "NAME TEST rps p50 p99". With COST=1 each test runs on its own
# and is followed by the CPU and context switches the servers spent per request — per process too
# (for raftd the leader first) — and redis-benchmark's own CPU per request, since it shares the cores.
run() {
  local name=$1 port=$2 clients=$3 pipeline=$4 n=$5; shift 5
  local tests="set,get" t requests
  [ "${COST:-0}" = 1 ] && tests="set get"
  for t in $tests; do
    requests=$n; [ "$t" = "set,get" ] && requests=$((2 * n))
    run_one "$name" "$port" "$clients" "$pipeline" "$n" "$t" "$requests" "$@"
  done
}
run_one() {
  local name=$1 port=$2 clients=$3 pipeline=$4 n=$5 tests=$6 requests=$7; shift 7
  local before after stats_before="" each_before each_after b_us a_us
  [ "${STATS:-0}" = 1 ] && [ "$port" != $((BASE+79)) ] && stats_before=$(raft_stats "$port")
  before=$(cost "$@"); each_before=$(ticks_each "$@"); client_cpu_us; b_us=$CLIENT_US
  redis-benchmark -h 127.0.0.1 -p "$port" -c "$clients" -P "$pipeline" -n "$n" -r 10000 -t "$tests" --csv 2>/dev/null |
    tr -d '"' | awk -F, -v name="$name" -v c="$clients" -v p="$pipeline" \
      'NR > 1 { printf "%-28s %-4s %3d clients  P%-3d %10.0f req/s  p50 %7.3f ms  p99 %7.3f ms\n", name, $1, c, p, $2, $5, $7 }'
  client_cpu_us; a_us=$CLIENT_US; after=$(cost "$@"); each_after=$(ticks_each "$@")
  if [ "${STATS:-0}" = 1 ] && [ -n "$stats_before" ]; then
    paste -d: <(echo "$stats_before") <(raft_stats "$port") | awk -F: -v name="$name" -v c="$clients" -v p="$pipeline" -v n="$requests" '
      { d[$1] = $4 - $2 }
      END { printf "%-28s stats %3d clients  P%-3d %5.1f entries/fsync  disk thread %6.1f us/request  %4.2f peer messages sent, %4.2f received/request (leader)\n",
              name, c, p, d["entries"] / (d["disk_writes"] > 0 ? d["disk_writes"] : 1), d["disk_write_us"] / n,
              (d["sent_appends"] + d["sent_empty_appends"] - d["notices_replaced"] + d["sent_heartbeats"] + d["sent_other"]) / n, d["received"] / n }'
  fi
  if [ "${COST:-0}" = 1 ]; then
    echo "$before $after | $each_before| $each_after| $((a_us - b_us))" | awk -F'|' -v name="$name" -v n="$requests" -v hz="$hz" -v c="$clients" \
      -v p="$pipeline" -v test="$(echo "$tests" | tr a-z A-Z)" -v leader="$((leader - BASE))" '{
        split($1, t, " "); nb = split($2, b, " "); split($3, a, " ")
        per = ""
        if (nb == 3) {
          per = sprintf(": leader %.1f, followers", (a[leader] - b[leader]) * 1e6 / hz / n)
          for (i = 1; i <= 3; i++) if (i != leader) per = per sprintf(" %.1f", (a[i] - b[i]) * 1e6 / hz / n)
        }
        printf "%-28s cost %-4s %3d clients  P%-3d %6.1f us CPU/request (servers%s), %.1f us (redis-benchmark)  %5.2f context switches/request\n",
          name, test, c, p, (t[3] - t[1]) * 1e6 / hz / n, per, $4 / n, (t[4] - t[2]) / n }'
  fi
}
echo "$(date -u +%H:%M:%S) load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
[ "${MEMORY:-0}" = only ] && CLIENTS="" PIPELINE=1
for c in $CLIENTS; do
  n=$(( c == 1 ? REQUESTS / 10 : REQUESTS ))
  run "raftd (3 nodes)" "$leader" "$c" 1 "$n" "${pids[@]:0:3}"
  [ "${REDIS:-1}" = 1 ] && run "redis appendfsync always" $((BASE+79)) "$c" 1 "$n" "${pids[3]}"
done
if [ "$PIPELINE" -gt 1 ]; then
  run "raftd (3 nodes)" "$leader" 50 "$PIPELINE" $((REQUESTS * 4)) "${pids[@]:0:3}"
  [ "${REDIS:-1}" = 1 ] && run "redis appendfsync always" $((BASE+79)) 50 "$PIPELINE" $((REQUESTS * 4)) "${pids[3]}"
fi

# CEILING=1: the bounds that no change to raftd's Raft path moves (docs/raftd.md, Performance).
ceiling() {
  local name port before after b_us a_us n=$((REQUESTS * 2)) spec
  for spec in "raftd (3 nodes):$leader" "redis appendfsync always:$((BASE+79))"; do
    name=${spec%%:*}; port=${spec##*:}
    [ "$port" = $((BASE+79)) ] && [ "${REDIS:-1}" != 1 ] && continue
    if [ "$port" = $((BASE+79)) ]; then before=$(cost "${pids[3]}"); else before=$(cost "${pids[@]:0:3}"); fi
    client_cpu_us; b_us=$CLIENT_US
    redis-benchmark -h 127.0.0.1 -p "$port" -c 50 -n "$n" -t ping_mbulk --csv 2>/dev/null | tr -d '"' |
      awk -F, -v name="$name" 'NR > 1 { printf "%-28s PING  50 clients  P1   %10.0f req/s  p50 %7.3f ms  (no Raft: the client path alone)\n", name, $2, $5 }'
    client_cpu_us; a_us=$CLIENT_US
    if [ "$port" = $((BASE+79)) ]; then after=$(cost "${pids[3]}"); else after=$(cost "${pids[@]:0:3}"); fi
    echo "$before $after" | awk -v name="$name" -v n="$n" -v hz="$hz" -v c=$(( (a_us - b_us) )) \
      '{ printf "%-28s cost  PING %6.1f us CPU/request (servers), %5.1f us (redis-benchmark itself)\n", name, ($3 - $1) * 1e6 / hz / n, c / n }'
  done
  local bench=${RAFTBENCH:-.build/release/raftbench}
  if [ -x "$bench" ]; then
    "$bench" disk --directory "$W/disk" --writers 1,3 --seconds 3
  else
    echo "no $bench: the disk's fdatasync rate is skipped (make bench-raftd builds it)"
  fi
}
[ "${CEILING:-0}" = 1 ] && ceiling

# One line per node: resident memory now and at its peak, the log on disk, and where the log stands.
memory_report() {
  local label=$1 i pid status
  for i in 1 2 3; do
    pid=${pids[$((i-1))]}
    status=$(redis-cli -p $((BASE+i)) RAFT STATUS 2>/dev/null | tr -d '\r')
    field() { echo "$status" | awk -F: -v k="$1" '$1 == k { print $2 }'; }
    awk -v n="$i" -v label="$label" '/VmRSS/ { rss = $2 } /VmHWM/ { hwm = $2 }
      END { printf "raftd n%s %-16s VmRSS %6.1f MB  VmHWM %6.1f MB", n, label, rss / 1024, hwm / 1024 }' /proc/$pid/status
    segments=$(find "$W/n$i" -name 'log-*.seg' -printf '%s\n' | awk '{ s += $1; n++ } END { printf "%d segment(s) %.1f MB", n, s / 1048576 }')
    snaps=$(find "$W/n$i" -name 'snap-*.snap' -printf '%s\n' | awk '{ s += $1; n++ } END { printf "%d snapshot(s) %.1f MB", n, s / 1048576 }')
    echo "  log: $segments, $snaps  role $(field role) applied $(field applied_index) snapshot_index $(field snapshot_index) last $(field last_index)"
  done
}

if [ "${MEMORY:-0}" != 0 ]; then
  SETS=${SETS:-1000000}
  memory_report "before"
  start=$(date +%s.%N)
  timeout 1200 redis-benchmark -h 127.0.0.1 -p "$leader" -c 50 -P 16 -n "$SETS" -r 10000 -d 100 -t set -q >/dev/null 2>&1 ||
    echo "redis-benchmark did not finish (exit $?)"
  end=$(date +%s.%N)
  echo "$SETS SETs of 100 bytes over 10,000 keys in $(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }') s"
  sleep 2  # followers apply the last entries and compact
  memory_report "after $SETS SETs"
fi
echo "$(date -u +%H:%M:%S) load average: $(cut -d' ' -f1-3 /proc/loadavg) (the figures above move with it)"
