#!/bin/bash
# Peer for `raftbench logdump`: PostgreSQL's pg_waldump reading a few hundred MB of write-ahead log,
# beside `cat` of the same files — the figure `logdump dump` and `logdump verify` are compared with.
# A private PostgreSQL server (unix socket only, no TCP; fsync off: only the WAL's content matters)
# writes the WAL with pgbench; each finished 16 MB segment is archived; then pg_waldump (full text
# dump, and --stats) and cat are timed RUNS times over the archive (warm cache); medians printed.
# Needs the postgresql package (server, pgbench, pg_waldump). As root it runs the server as the
# `postgres` user. Usage: SCALE=10 TRANSACTIONS=170000 RUNS=5 Benchmarks/peers/pg-waldump.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
[ -n "$bin" ] && [ -x "$bin/pg_waldump" ] && [ -x "$bin/pgbench" ] \
    || skip "PostgreSQL is not installed (Debian package: postgresql)"
scale=${SCALE:-10}
transactions=${TRANSACTIONS:-170000}
runs=${RUNS:-5}
if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || skip "running as root, but there is no postgres user to run the server"
    as_server() { su postgres -s /bin/bash -c "$(printf '%q ' "$@")"; }
else
    as_server() { "$@"; }
fi
work=$(mktemp -d /tmp/pg-waldump.XXXXXX)
chmod 755 "$work"
mkdir -p "$work/data" "$work/socket" "$work/archive"
[ "$(id -u)" = 0 ] && chown -R postgres "$work/data" "$work/socket" "$work/archive"
chmod 700 "$work/data"
stop_server() { as_server "$bin/pg_ctl" -D "$work/data" -w -m fast stop >/dev/null 2>&1 || true; }
trap 'stop_server; rm -rf "$work"' EXIT

as_server "$bin/initdb" -D "$work/data" -U postgres --auth=trust >"$work/initdb.log" 2>&1
cat >>"$work/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$work/socket'
port = 5432
fsync = off
synchronous_commit = off
wal_level = replica
max_wal_size = 4GB
checkpoint_timeout = 1h
archive_mode = on
archive_command = 'cp %p $work/archive/%f'
CONF
as_server "$bin/pg_ctl" -D "$work/data" -l "$work/data/server.log" -w start >/dev/null
connect=(-h "$work/socket" -p 5432 -U postgres)
"$bin/pgbench" "${connect[@]}" -i -q -s "$scale" postgres >/dev/null 2>&1
"$bin/pgbench" "${connect[@]}" -c 2 -j 2 -t $(( transactions / 2 )) postgres >/dev/null 2>&1
"$bin/psql" "${connect[@]}" -Atqc "select pg_switch_wal()" postgres >/dev/null
# The archiver copies the last finished segment shortly after the switch.
last=$("$bin/psql" "${connect[@]}" -Atqc "select pg_walfile_name(pg_current_wal_lsn() - 1)" postgres)
wait_until 30 test -f "$work/archive/$last" || true
stop_server

cd "$work/archive"
files=( $(ls | grep -E '^[0-9A-F]{24}$' | sort) )
[ ${#files[@]} -ge 2 ] || { echo "only ${#files[@]} WAL segment(s) were archived" >&2; exit 1; }
first=${files[0]}; last=${files[-1]}
bytes=$(cat "${files[@]}" | wc -c)
records=$("$bin/pg_waldump" --stats -p . "$first" "$last" 2>/dev/null | awk '$1 == "Total" { print $2; exit }')
echo "$("$bin/postgres" --version), ${#files[@]} WAL segments ($first..$last), $bytes bytes, ${records:-?} records, $(nproc) CPUs"

time_it() { # LABEL COMMAND...
    local label=$1; shift
    "$@" >/dev/null 2>&1 # warm the cache
    local s
    s=$(for _ in $(seq "$runs"); do seconds_of "$@" 2>/dev/null; done | median)
    awk -v l="$label" -v s="$s" -v b="$bytes" -v r="${records:-0}" -v n="$runs" \
        'BEGIN { printf "%-24s median of %d: %8.3f s  %8.0f MB/s", l, n, s, b / s / 1e6; if (r > 0) printf "  %6.2f M records/s", r / s / 1e6; printf "\n" }'
}
time_it "pg_waldump (text dump)" "$bin/pg_waldump" -p . "$first" "$last"
time_it "pg_waldump --stats" "$bin/pg_waldump" --stats -p . "$first" "$last"
time_it "cat" cat "${files[@]}"
