# Shared helpers of the peer benchmark scripts (sourced, not run).
# Each script measures a peer tool installed from its Debian package; none installs anything.

# skip MESSAGE: say why the peer cannot be measured here and stop without failing.
skip() {
    echo "SKIPPED: $*" >&2
    exit 0
}

# need COMMAND PACKAGE: skip unless COMMAND is on PATH (or is an executable path).
need() {
    command -v "$1" >/dev/null 2>&1 || [ -x "$1" ] || skip "$1 is not installed (Debian package: $2)"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_until SECONDS COMMAND...: retry COMMAND every 0.2 s until it succeeds; fail after SECONDS.
wait_until() {
    local deadline=$(( $(date +%s) + $1 )); shift
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$deadline" ] || { echo "timed out waiting for: $*" >&2; return 1; }
        sleep 0.2
    done
}

# median: the median of the numbers on stdin, one per line.
median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# seconds_of COMMAND...: wall-clock seconds one run of COMMAND takes (its output discarded).
seconds_of() {
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null
    end=$(date +%s%N)
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.6f\n", (e - s) / 1e9 }'
}

# Processes a script starts; `stop_started` (an EXIT trap) stops each by its PID.
started=()
stop_started() {
    local pid
    for pid in "${started[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${started[@]}"; do
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
