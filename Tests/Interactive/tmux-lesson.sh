#!/usr/bin/env bash
# Drives `raftstep lesson` in a real terminal (tmux, 80 columns, colour on) the way a newcomer
# would, from a copy of the binary installed in a directory on PATH and run from an empty
# directory (the lessons are built in): lesson 6 waits at step 3 until `drop all` is typed,
# an experiment that leaves the path is named and `undo` brings it back, and the lesson ends at a
# free prompt in its cluster. Usage: Tests/Interactive/tmux-lesson.sh [path/to/raftstep]
# Exits non-zero, naming the check, when something is off.
set -euo pipefail
BIN="${1:-.build/debug/raftstep}"
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"
command -v tmux >/dev/null || { echo "tmux-lesson: tmux is not installed"; exit 2; }
[ -x "$BIN" ] || { echo "tmux-lesson: no executable at $BIN (build first)"; exit 2; }

WORK="$(mktemp -d)"
SOCKET="raftstep-lesson-$$"
SESSION="lesson"
cleanup() { tmux -L "$SOCKET" kill-server 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
mkdir -p "$WORK/bin" "$WORK/home" "$WORK/elsewhere"
cp "$BIN" "$WORK/bin/raftstep"

failures=0
start() {
    tmux -L "$SOCKET" new-session -d -s "$SESSION" -x 80 -y 50 \
        "cd '$WORK/elsewhere' && env -u RAFTSTEP_LESSONS -u NO_COLOR HOME='$WORK/home' PATH='$WORK/bin:/usr/bin:/bin' TERM=xterm-256color raftstep lesson $1; sleep 30"
}
capture() { tmux -L "$SOCKET" capture-pane -p -t "$SESSION" -S -400 "$@" 2>/dev/null || echo "(the session has ended)"; }
keys() { tmux -L "$SOCKET" send-keys -t "$SESSION" "$@" 2>/dev/null || true; }
type_line() { keys "$1" Enter; sleep "${2:-0.4}"; }
wait_for() {
    for _ in $(seq 1 60); do
        if capture | grep -qF -- "$1"; then return 0; fi
        sleep 0.1
    done
    return 1
}
check() {
    local what="$1" needle="$2"
    if wait_for "$needle"; then echo "ok   $what"; else
        echo "FAIL $what (expected to see: $needle)"; capture | grep -v '^$' | tail -15; failures=$((failures + 1)); fi
}
refute() {
    local what="$1" needle="$2"
    if capture | grep -qF -- "$needle"; then echo "FAIL $what (saw: $needle)"; failures=$((failures + 1)); else echo "ok   $what"; fi
}

start 6
check "an installed copy runs the built-in lesson from an empty directory" "lesson 6 · step 1/10>"
if capture -e | grep -q $'\e\[1m'; then echo "ok   colour at a terminal (bold escapes)"; else
    echo "FAIL colour at a terminal"; failures=$((failures + 1)); fi
refute "Markdown markers are rendered, not shown" "**"
if capture | grep -q "^           · "; then echo "ok   long suggestions continue between commands at 80 columns"; else
    echo "FAIL long suggestions continue between commands"; failures=$((failures + 1)); fi
type_line "skip" 1.5
type_line "skip" 1.5
check "step 3 begins" "lesson 6 · step 3/10>"
type_line "propose set x 2"
type_line "deliver n1->n2"
type_line "status"
refute "step 3 does not end before drop all is typed" "── step 4 of 10 ──"
type_line "statu"
check "a typo suggests the closest command" "did you mean status?"
type_line "drop all"
check "drop all ends step 3" "── step 4 of 10 ──"
type_line "crash n1"
type_line "campaign n5"
type_line "stabilize" 1
check "step 4 works as written" "✓ leader n5; term n5 3"
type_line "propose set x 3"
type_line "stabilize" 1.5
check "an experiment off the path is named" "Your experiment took the cluster off this step's path"
type_line "undo" 1.5
check "undo brings the lesson back on track" "Back on track"
type_line "quit"
check "quit leaves mid-lesson" "Left lesson 6 at step 5"
tmux -L "$SOCKET" kill-server 2>/dev/null || true
sleep 0.5

start 1
check "lesson 1 starts" "lesson 1 · step 1/6>"
for _ in 1 2 3 4 5 6; do type_line "skip" 0.8; done
check "after the last step the cluster stays at a free prompt" "lesson 1 · free>"
type_line "kv"
check "commands run in the lesson's cluster" "n1 (applied 1): (empty)"
type_line "quit"
check "quit leaves the free prompt" "Left lesson 1."
if grep -q "01-first-election" "$WORK/home/.raftstep/lessons-done" 2>/dev/null; then echo "ok   progress recorded"; else
    echo "FAIL progress recorded"; failures=$((failures + 1)); fi

if [ "$failures" -ne 0 ]; then echo "tmux-lesson: $failures check(s) failed"; exit 1; fi
echo "tmux-lesson: all checks passed"
