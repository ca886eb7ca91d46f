#!/usr/bin/env bash
# Drives `raftstep` in a real terminal (tmux): tab completion of commands, node names, message
# ids and option names, and history recall with the up arrow, including across sessions (the
# history file). Usage: Tests/Interactive/tmux-repl.sh [path/to/raftstep]
# Exits non-zero, naming the check, when something is off.
set -euo pipefail
BIN="${1:-.build/debug/raftstep}"
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"
command -v tmux >/dev/null || { echo "tmux-repl: tmux is not installed"; exit 2; }
[ -x "$BIN" ] || { echo "tmux-repl: no executable at $BIN (build first)"; exit 2; }

WORK="$(mktemp -d)"
SOCKET="raftstep-test-$$"
SESSION="repl"
cleanup() { tmux -L "$SOCKET" kill-server 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

failures=0
start() {
    tmux -L "$SOCKET" new-session -d -s "$SESSION" -x "${COLUMNS_WIDE:-160}" -y 50 \
        "env HOME='$WORK' NO_COLOR=1 TERM=xterm '$BIN' --seed 3"
    wait_for "raftstep>"
}
capture() { tmux -L "$SOCKET" capture-pane -p -t "$SESSION" -S -200 2>/dev/null || echo "(the raftstep session has ended)"; }
keys() { tmux -L "$SOCKET" send-keys -t "$SESSION" "$@" 2>/dev/null || true; }
wait_for() {
    for _ in $(seq 1 50); do
        if capture | grep -qF -- "$1"; then return 0; fi
        sleep 0.1
    done
    echo "--- pane ---"; capture; echo "------------"
    return 1
}
check() {
    local what="$1" needle="$2"
    if wait_for "$needle" >/dev/null; then
        echo "ok   $what"
    else
        echo "FAIL $what (expected to see: $needle)"
        capture | tail -15
        failures=$((failures + 1))
    fi
}
last_prompt_line() { capture | grep "raftstep> " | tail -1; }

start
# 1. Completion of a command word: "cam" + TAB -> "campaign ".
keys "cam" Tab
sleep 0.3
keys "n" Tab
sleep 0.3
check "tab completes a command and a node name (cam<TAB> n<TAB>, with choices listed)" "raftstep> campaign n"
keys "1" Enter
check "campaign n1 ran" "n1 asks n2 and n3 for a pre-vote"

# 2. Completion of a message id: "deliver " TAB lists the ids in flight.
keys "deliver " Tab Tab
check "tab lists message ids and selectors" "n1->n2"
keys C-u
keys "deliver 1" Enter
check "deliver 1 ran" "#1 n1->n2 PreVote"

# 3. Completion of option names: "set unsafe vote" + TAB -> knob name.
keys "set unsafe vote" Tab
sleep 0.3
check "tab completes an option value (unsafe knob)" "raftstep> set unsafe vote-without-log-check"
keys C-u

# 4. History recall: up arrow brings back the last command.
keys "status" Enter
check "status ran" "node  role"
keys Up
sleep 0.3
if last_prompt_line | grep -q "raftstep> status"; then echo "ok   up arrow recalls the last command"; else
    echo "FAIL up arrow recalls the last command"; last_prompt_line; failures=$((failures + 1)); fi
keys C-u
# 5. Ctrl-C abandons the line being typed; the session goes on.
keys "this line is abandoned" C-c
sleep 0.3
keys "msgs" Enter
sleep 0.5
if capture | grep -qE '^[0-9]+ in flight$'; then echo "ok   Ctrl-C abandons the line and the REPL goes on"; else
    echo "FAIL Ctrl-C abandons the line and the REPL goes on"; capture | tail -5; failures=$((failures + 1)); fi
if capture | grep -q "error: unknown command 'this'"; then echo "FAIL Ctrl-C abandons the line (it ran)"; failures=$((failures + 1)); fi
keys "quit" Enter
sleep 0.5

# 6. History persists in the history file across sessions.
if grep -q "deliver 1" "$WORK/.raftstep_history" 2>/dev/null; then echo "ok   history file written ($WORK/.raftstep_history)"; else
    echo "FAIL history file written"; failures=$((failures + 1)); fi
tmux -L "$SOCKET" kill-server 2>/dev/null || true
start
keys Up Up
sleep 0.3
if last_prompt_line | grep -q "raftstep> msgs"; then echo "ok   history recalled in a new session"; else
    echo "FAIL history recalled in a new session"; last_prompt_line; failures=$((failures + 1)); fi
keys C-u "quit" Enter
sleep 0.5

# 7. At 80 columns a long narration line is cut between words, the rest hanging under it
# (issue 14 §3): n1 refuses n2's pre-vote while its lease holds, in one line of ~150 characters.
tmux -L "$SOCKET" kill-server 2>/dev/null || true
COLUMNS_WIDE=80 start
for line in "campaign n1" "stabilize" "campaign n2" "stabilize"; do keys "$line" Enter; sleep 0.5; done
check "the lease narration is shown" "refuses to help"
if capture | grep -qE '^  n1 ignores it: it leads term 1 and its lease holds, so it refuses to help$' \
    && capture | grep -qE '^      unseat itself \(check-quorum' && ! capture | awk 'length > 80' | grep -q .; then
    echo "ok   at 80 columns narration wraps between words with a hanging indent"
else
    echo "FAIL at 80 columns narration wraps between words with a hanging indent"; capture | tail -12; failures=$((failures + 1))
fi
keys "quit" Enter

if [ "$failures" -ne 0 ]; then echo "tmux-repl: $failures check(s) failed"; exit 1; fi
echo "tmux-repl: all checks passed"
