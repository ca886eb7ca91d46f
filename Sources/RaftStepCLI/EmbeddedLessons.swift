// Generated from lessons/*.md: do not edit here; the lessons folder is the source of truth.
// Regenerate with `swift run raftstep lesson --lessons-dir lessons --write-embedded Sources/RaftStepCLI/EmbeddedLessons.swift`;
// LessonTests fails while this copy differs from the files.

/// The lessons, compiled into the binary so that an installed `raftstep lesson` needs no files.
enum EmbeddedLessons {
    /// Each lesson file's name and text, in file-name order.
    static let files: [(name: String, text: String)] = [
        ("01-first-election.md", #"""
---
title: First election
nodes: 3
seed: 1
summary: Three followers, one timeout, one leader — and a vote that survives a crash.
teaches: election timeouts; RequestVote; one vote per term; persist before you speak
property: safety (Election Safety — at most one leader per term) and liveness (a leader is eventually elected — with high probability, under the timing assumptions of paper §5.6; FLP rules out certainty)
---

# Lesson 1 — First election

A Raft cluster starts with every node a **follower** in term 0, and nobody leads. Each follower
runs an *election timer*; when it fires without word from a leader, the follower becomes a
**candidate**: it moves to the next term, votes for itself, and asks everyone else for a vote.

Pre-vote and check-quorum are refinements that add a round of messages; lesson 8 is about them,
so this lesson turns them off to keep the picture small.

```raftstep
set prevote off
set checkquorum off
status
expect leader none
expect term all 0
```

Nothing is in flight and nobody has a term. Make n1's election timer fire now (normally a
randomized number of `tick`s would do it):

```raftstep
campaign n1
msgs
expect role n1 candidate
expect term n1 1
expect voted n1 n1
expect msgs 2
```

n1 **persisted** term 1 and its vote for itself *before* the two RequestVote messages left. A node
never acts on a vote or a term that a crash could make it forget: otherwise it might vote twice in
one term. Deliver the request to n2:

```raftstep
deliver n1->n2
expect voted n2 n1
expect term n2 1
```

n2 had not voted in term 1 and n1's log is at least as up to date as its own (both are empty), so
it grants its vote — again persisting it before the answer goes out. Deliver that answer:

```raftstep
deliver n2->n1
expect leader n1
expect role n1 leader
```

Two votes out of three is a majority: n1 is **leader** of term 1. It did not need n3. Because
every node votes at most once per term, no other node can also collect a majority in term 1:
that is *Election Safety*. A new leader appends an empty **no-op** entry of its term and sends it
out; deliver everything that is still in flight:

```raftstep
stabilize
expect voted n3 n1
expect log all 1
expect commit all 1
expect invariants ok
```

n3's vote arrived late and changed nothing. Finally, check that n2's vote really is on disk: crash
it (its memory is gone) and bring it back from its disk.

```raftstep
crash n2
restart n2
expect voted n2 n1
expect term n2 1
```

The restarted n2 remembers that it voted for n1 in term 1, so it can never vote for someone else
in that term. **Rules seen:** randomized election timeouts, RequestVote, one vote per term,
persist-then-send, the leader's no-op.

"""#),
        ("02-replication-and-commit.md", #"""
---
title: Replication and commit
nodes: 3
seed: 1
summary: A leader's entry of its own term is committed once a majority stores it — even if one follower never hears of it.
teaches: AppendEntries; the log-matching check; commit by a majority in the leader's term; commit propagation; applying
property: safety (State Machine Safety — every node applies the same command at an index) and liveness (a majority is enough)
---

# Lesson 2 — Replication and commit

A client talks to the leader. The leader appends the command to its log and sends it to the
followers in AppendEntries messages. Once the leader that created the entry, still in the term it
created it in, knows that a **majority** stores it, the entry is **committed** (paper §5.3, §5.4.2):
it will never be lost or changed, and every node may apply it to its state machine. The term
matters: an entry left over from an earlier term can sit on a majority and still be overwritten —
lesson 6 shows how. Here the state machine is a small key-value store (`set KEY VALUE`, `del KEY`).

First, an election as in lesson 1:

```raftstep
set prevote off
set checkquorum off
campaign n1
stabilize
expect leader n1
expect commit all 1
```

Now a client proposes `set x 3`. The leader appends it at index 2 and sends it to both followers:

```raftstep
propose set x 3
msgs
expect log n1 1 1
expect commit n1 1
expect msgs 2
```

The entry is on n1 only, so it is not committed. Lose the message to n3 — a network can always
drop a message:

```raftstep
drop n1->n3
deliver n1->n2
expect log n2 1 1
expect commit n2 1
```

n2 checked that its log holds the entry the leader names as the previous one (index 1, term 1),
then appended index 2. Its commit index is still 1: only the leader decides commitment. Deliver
n2's answer to the leader:

```raftstep
deliver n2->n1
expect commit n1 2
expect applied n1 2
expect kv n1 x=3
```

Two copies out of three: a majority, of an entry of n1's own term. n1 committed index 2 and
applied it, although n3 never received the entry. Any future leader must be elected by a
majority, and every majority includes n1 or n2, so a future leader will have this entry (lesson 4
shows the election rule that makes sure of it). The leader tells the followers about the new commit index at once:

```raftstep
deliver all
expect commit n2 2
expect kv n2 x=3
expect log n3 1
expect commit n3 1
```

n3 is behind. The leader's append told it that index 2 is committed, but n3 does not have entry
2, so the consistency check failed and n3 rejected the append: `msgs` shows the rejection on its
way back (`rejects 2 hint 1@1` — n3's log ends at index 1, term 1). Delivering it would make the
leader back up and send entry 2. But the network may lose the rejection too; the leader still
finds the gap at its next heartbeat, which n3 answers, and sends what is missing:

```raftstep
msgs
drop n3->n1
tick n1
stabilize
expect log all 1 1
expect commit all 2
expect kv all x=3
expect invariants ok
```

```raftstep or
# delivering the rejection (deliver n3->n1) repairs n3 as well
expect log all 1 1
expect commit all 2
expect kv all x=3
expect invariants ok
```

Every node applied `set x 3` at index 2. **Rules seen:** AppendEntries with the previous entry's
index and term, commitment by a majority in the leader's own term, commit propagation, a
rejection or a heartbeat repairing a lagging follower.

"""#),
        ("03-split-vote.md", #"""
---
title: Split vote
nodes: 4
seed: 1
summary: Two candidates in one term split the votes 2–2; nobody wins, and a later term elects one.
teaches: majorities of an even cluster; split votes; why timeouts are randomized
property: liveness (termination is not guaranteed in one round) versus safety (never two leaders)
---

# Lesson 3 — Split vote

With four nodes a majority is **three**. If two nodes become candidates in the same term and each
collects one other vote, both stop at two: nobody wins that term. Raft stays safe — there is
never more than one leader — but that election fails, and the cluster must try again.

```raftstep
set prevote off
set checkquorum off
campaign n1
campaign n2
msgs
expect term n1 1
expect term n2 1
expect msgs 6
```

Both are candidates of term 1 and each voted for itself. Let n3 hear from n1 first and n4 from n2
first:

```raftstep
deliver n1->n3
deliver n2->n4
expect voted n3 n1
expect voted n4 n2
```

Every node has now voted in term 1. The remaining requests are refused: a node votes once per
term, and a candidate has voted for itself.

```raftstep
stabilize
expect leader none
expect role n1 follower
expect role n2 follower
expect voted n1 n1
expect term all 1
```

Two votes each, out of four: a split vote. Once the refusals arrive, each candidate sees that a
majority is out of reach and steps back to follower — still in term 1, still having voted for
itself, so neither can lead term 1. Stepping back is etcd's choice, and RaftStep's: the paper keeps
a losing candidate a candidate until its election timer fires again and it starts a new term
(paper §5.2). Either way nobody leads term 1.

If the candidates timed out together again they could split forever. Raft draws every election
timeout at random (here 10–19 ticks), so one node usually fires well before the others and has
the field to itself. Say n2's timer fires first (or let time pass instead — `tick 10`, then
`stabilize` — and whichever node fires first wins; the lesson accepts that too):

```raftstep
campaign n2
stabilize
expect leader n2
expect term all 2
expect voted all n2
expect commit all 1
expect invariants ok
```

```raftstep or
# the timers fired by themselves, and one node won a later term with every vote
expect leader any
expect voted all any
expect commit all 1
expect invariants ok
```

Every node had a fresh vote to give in the new term, and the one candidate collected all of them.
(Try `tick 20`
instead of `campaign n2` after a `reset nodes=4`: with no messages delivered between the ticks,
every timer fires and the votes split again — the randomization only helps when the first
candidate's messages arrive before the other timers run out.)

**Rules seen:** majorities of an even-sized cluster, one vote per term, a split vote ending a term
without a leader, randomized timeouts restoring liveness.

"""#),
        ("04-leader-crash.md", #"""
---
title: Leader crash with an uncommitted entry
nodes: 3
seed: 1
summary: A leader crashes holding an entry nobody else has; the next leader's log wins.
teaches: the election restriction (paper §5.4.1); log repair by the new leader; uncommitted entries may be lost
property: safety (Leader Completeness, State Machine Safety) — only uncommitted entries can disappear
---

# Lesson 4 — Leader crash with an uncommitted entry

An entry is only safe once it is committed. Here a leader accepts a command, crashes before any
follower stores it, and the cluster moves on without it.

```raftstep
set prevote off
set checkquorum off
campaign n1
stabilize
propose set x 1
drop all
expect log n1 1 1
expect log n2 1
expect commit all 1
```

The appends carrying `set x 1` were lost: the entry exists only in n1's log, uncommitted. The
client has *not* been told it succeeded. Now n1 crashes, and n2's timer fires:

```raftstep
crash n1
campaign n2
stabilize
expect leader n2
expect term all 2
expect log all 1 2
```

n3 voted for n2 because n2's log is **at least as up to date** as its own (same last term and
index). That check — compare the last entries' terms, then the lengths — is the *election
restriction*: a candidate missing a committed entry can never collect a majority, because every
majority includes a node that has it. The new leader commits its own no-op and a new command:

```raftstep
propose set y 2
stabilize
expect log n2 1 2 2
expect commit all 3
expect kv all y=2
```

Now the old leader comes back. Its disk still holds `set x 1` at index 2, in term 1:

```raftstep
restart n1
expect log n1 1 1
expect term n1 1
```

n1 is a follower of term 1 with a stale entry. The next heartbeat of n2 carries term 2; n1 adopts
the new term and answers, and n2 sends it entries 2 and 3 after entry 1 of term 1. The
consistency check at index 1 passes — both logs have term 1 there — so nothing is rejected. But
at index 2 n1 holds an entry of term 1 where the leader's has term 2: a conflict. n1 deletes that
entry and everything after it, then appends the leader's (paper Figure 2, AppendEntries receiver
steps 3 and 4). The screen says so: `n1 discards entry 2 (term 1): it conflicts with the leader's
entry 2 (term 2)`.

```raftstep
tick n2
stabilize
expect log all 1 2 2
expect commit all 3
expect kv all y=2 x=
expect invariants ok
```

`x=` means "x is absent": `set x 1` was never applied anywhere, and every log is identical. Losing
it was allowed — it was never committed, so no client was told it happened. **Rules seen:** the
election restriction, conflicting entries replaced by the leader's, only committed entries are
durable promises.

"""#),
        ("05-figure-7.md", #"""
---
title: Figure 7 — a new leader repairs every log
nodes: 7
seed: 1
summary: Rebuild Figure 7 of the Raft paper and watch a term-8 leader bring six divergent followers to its log.
teaches: log divergence after crashes; the election restriction in a real case; consistency check and backtracking
property: safety (Log Matching, Leader Completeness) — logs converge to the leader's
---

# Lesson 5 — Figure 7 of the Raft paper

Figure 7 of the Raft paper shows a leader that has just come to power in term 8 and six followers
(a–f) whose logs went their own ways through earlier crashes: some miss entries, some have extra
entries, some have both. We lay those logs down with `setlog`, which only works on a crashed node.

| node | role in the figure | terms of its log |
|---|---|---|
| n1 | leader for term 8 | 1 1 1 4 4 5 5 6 6 6 |
| n2 | a | 1 1 1 4 4 5 5 6 6 |
| n3 | b | 1 1 1 4 |
| n4 | c | 1 1 1 4 4 5 5 6 6 6 6 |
| n5 | d | 1 1 1 4 4 5 5 6 6 6 7 7 |
| n6 | e | 1 1 1 4 4 4 4 |
| n7 | f | 1 1 1 2 2 2 3 3 3 3 3 |

```raftstep
set prevote off
set checkquorum off
crash n1
crash n2
crash n3
crash n4
crash n5
crash n6
crash n7
setlog n1 1 1 1 4 4 5 5 6 6 6 term=7
setlog n2 1 1 1 4 4 5 5 6 6
setlog n3 1 1 1 4
setlog n4 1 1 1 4 4 5 5 6 6 6 6
setlog n5 1 1 1 4 4 5 5 6 6 6 7 7
setlog n6 1 1 1 4 4 4 4
setlog n7 1 1 1 2 2 2 3 3 3 3 3
restart n1
restart n2
restart n3
restart n4
restart n5
restart n6
restart n7
log
expect log n5 1 1 1 4 4 5 5 6 6 6 7 7
```

Who could win an election now? A candidate needs 4 of 7 votes, and a node votes only for a
candidate whose log is at least as up to date as its own (paper §5.4.1): compare the terms of the
last entries first — the later term wins — and only when they are equal does the longer log win.
Ordered that way the logs are f < b < e < a < leader < c < d, so f, b and e could collect at most
1, 2 and 3 votes — never a majority — while a (4), the leader (5), c (6) and d (7) could each win.
Length alone says little: f has 11 entries, more than the leader, yet its last term, 3, is the
lowest of all, so it is the *least* up to date (d, with 12, is the longest). Try f:

```raftstep
campaign n7
stabilize
expect leader none
expect role n7 follower
expect term n7 7
```

Nobody granted. n1, n2, n4 and n5 are already in later terms: they refuse a request from term 4
and say their own term in the refusal, so n7 learns that term 7 exists and steps back to follower
in it; n3 and n6 refuse because their logs end in term 4, after f's last term 3. Now let the
figure's leader campaign:

```raftstep
campaign n1
stabilize
expect leader n1
expect term n1 8
```

a, b, e and f voted for n1; c and d refused (their logs are more up to date). With three of those
votes and its own, n1 leads term 8 and appends its no-op at index 11. While you stabilized, it
sent every follower that entry after entry 10 (term 6). a, b, e and f do not hold such an entry
10, so they refused, each with a hint — its own last entry at or below index 10 (a `9@6`, b `4@4`,
e `7@4`, f `10@3`) — and the leader used the hint to skip back past every entry that could not
match in one round trip, not one entry at a time, then sent everything after that point. c and d
accepted at once: their entry 10 has term 6 too, so the check passed, and each deleted the
entries after it that conflict with the leader's (Figure 2, AppendEntries receiver step 3). The
screen names each: `n5 discards entries 11..12 (terms 7x2): they conflict with the leader's entry
11 (term 8)`; and once the hints have led the leader back, f (n7) discards eight entries, 4..11:

```raftstep
log
expect log all 1 1 1 4 4 5 5 6 6 6 8
expect commit all 11
expect invariants ok
```

c lost its extra entry 11 (term 6), d lost 11 and 12 (term 7), f lost eight entries (indexes 4–11,
of terms 2 and 3): none of them was ever committed, so no client was promised them. **Rules
seen:** the election restriction, AppendEntries' consistency check, conflict backtracking with a
hint, followers' logs forced to match the leader's.

"""#),
        ("06-figure-8.md", #"""
---
title: Figure 8 — why a leader only commits entries of its own term
nodes: 5
seed: 1
summary: An old-term entry stored on a majority is still not safe to commit; with the rule broken, the checker catches a committed entry being overwritten.
teaches: the commit rule (paper §5.4.2); why counting replicas of old-term entries is unsafe; the leader's no-op
property: safety (State Machine Safety, Leader Completeness) — the rule exists for safety, not speed
---

# Lesson 6 — Figure 8 of the Raft paper

A leader commits an entry when a majority stores it — but only an entry **of its own term**.
Entries of earlier terms are committed indirectly, when an entry of the current term after them
commits. Figure 8 of the paper shows why counting replicas is not enough for old entries. The
leader's no-op (lesson 1) exists to get a current-term entry committed quickly; this lesson turns
it off so the problem is visible.

```raftstep
set leader-noop off
set prevote off
set checkquorum off
campaign n1
stabilize
propose set a 1
stabilize
expect commit all 1
```

Index 1 (term 1) is committed everywhere. **(a)** n1 restarts and wins term 2:

```raftstep
crash n1
restart n1
campaign n1
stabilize
expect leader n1
expect term n1 2
```

Now n1 replicates `set x 2` at index 2 to n2 only: the append reaches n2, and every other message
in flight is lost — including n2's answer, so n1 never learns that n2 stored it:

```raftstep
propose set x 2
deliver n1->n2
drop all
expect log n1 1 2
expect log n2 1 2
```

**(b)** n1 crashes. n5 wins term 3 with the votes of n3 and n4 (n2 refuses: its log ends in term
2, n5's in term 1):

```raftstep
crash n1
campaign n5
stabilize
expect leader n5
expect term n5 3
```

n5 accepts `set x 3` at index 2; its appends are all lost, and it crashes — the entry is on n5's
disk only:

```raftstep
propose set x 3
drop all
crash n5
expect log n2 1 2
expect down n5
```

Type `log`: a crashed node's row shows what its disk holds. n5's row ends in a `3` at index 2 —
the entry no one else has, and the danger of what follows.

**(c)** n1 restarts and campaigns. Its first try, in term 3, fails: n2, n3 and n4 already follow
n5 in term 3 (n3 and n4 voted for it), and a node that has voted or knows a leader in a term gives
no other vote in it. Its second try, in term 4, succeeds; n3 and n4 reject its first append (they
lack index 2), and n1 sends them its entry of term 2:

```raftstep
restart n1
campaign n1
stabilize
campaign n1
stabilize
expect leader n1
expect term n1 4
expect log n1 1 2
expect log n3 1 2
expect log n4 1 2
expect commit n1 1
```

Index 2 is now on n1, n2, n3 and n4 — a majority of five — and it is **not** committed. It is
not of term 4, and it is not safe: **(d)** if n1 crashes now, n5 can still win (its last entry,
term 3, is more recent than everyone's term 2) and overwrite index 2 everywhere. Its first try,
in term 4, is refused — the others follow n1 in term 4 — and its second, in term 5, wins:

```raftstep
crash n1
restart n5
campaign n5
stabilize
campaign n5
stabilize
expect leader n5
expect term n5 5
```

n5 replaced index 2 everywhere with its own entry of term 3. Like every leader, it commits that entry only together with one of its own term:

```raftstep
propose set y 5
stabilize
expect log all 1 3 5
expect kv all x=3 y=5
expect invariants ok
```

Nobody ever applied `x=2`, so overwriting it broke nothing. Had n1 committed index 2 in (c) by
counting replicas, a committed entry would now be gone. Let us break the rule on purpose: the
`commit-old-terms` teaching knob makes a leader count replicas of old-term entries. Replay the
same story with it on (the invariant checker keeps watching; `set on-violation continue` lets the
lesson go on after it reports):

```raftstep
reset nodes=5 seed=1
set leader-noop off
set prevote off
set checkquorum off
set unsafe commit-old-terms on
set on-violation continue
campaign n1
stabilize
propose set a 1
stabilize
crash n1
restart n1
campaign n1
stabilize
propose set x 2
deliver n1->n2
drop all
crash n1
campaign n5
stabilize
propose set x 3
drop all
crash n5
restart n1
campaign n1
stabilize
campaign n1
stabilize
expect commit n1 2
expect kv n1 x=2
```

With the knob, n1 committed index 2 (term 2) in (c), applied `x=2`, and told n2–n4 so. Now (d):

```raftstep
crash n1
restart n5
campaign n5
stabilize
campaign n5
stabilize
propose set y 5
stabilize
violations
expect violation Leader Completeness
expect violation State Machine Safety
```

n5 still wins term 5 — its last term, 3, beats everyone's 2 — although it lacks the committed
`x=2`: **Leader Completeness** is broken. Counting replicas once more, it then commits its own
index 2 and applies `x=3`, where n1 applied `x=2`: **State Machine Safety** is broken, and the
followers can no longer even agree with their leader. The checker adds **Commit Quorum**: n5
committed an entry that no majority stores — n2–n4 kept their committed entry 2 of term 2 and
answered "match 2" for it, which n5 took for its own. Nothing else changed but one rule.
**Rules seen:** commit only current-term entries by counting; earlier entries commit with them;
the no-op that makes that happen at once.

"""#),
        ("07-stale-leader.md", #"""
---
title: Deposing a stale leader
nodes: 5
seed: 1
summary: A partition leaves an old leader in the minority; it cannot commit, cannot serve a linearizable read, and gives way when the partition heals.
teaches: terms as logical clocks; commitment needs a majority; ReadIndex reads; stepping down on a higher term
property: safety (no stale reads, no lost commits) and liveness (the majority side makes progress)
---

# Lesson 7 — Deposing a stale leader

Five nodes, n1 leading. A partition splits them 2 | 3, with the leader on the small side. Check-
quorum (lesson 8) would make n1 notice and step down by itself; turn it off to see what a leader
that does not know it was deposed can and cannot do.

```raftstep
set prevote off
set checkquorum off
campaign n1
stabilize
propose set x 1
stabilize
expect kv all x=1
```

Partition the cluster; a client still talks to n1, which still believes it leads:

```raftstep
partition n1 n2 | n3 n4 n5
propose n1 set x 2
stabilize
expect log n1 1 1 1
expect commit n1 2
expect commit n2 2
```

n1 appended `set x 2` and n2 stored it, but two copies out of five are not a majority: it stays
uncommitted. On the other side, n3's election timer fires; n4 and n5 vote for it:

```raftstep
campaign n3
stabilize
expect role n3 leader
expect term n3 2
expect role n1 leader
```

n3 has a majority, so it can commit:

```raftstep
propose n3 set x 3
stabilize
expect commit n3 4
expect kv n4 x=3
```

There are two nodes that call themselves leader — but in different terms. Election Safety is
about one leader *per term*, and only n3 can commit: it has a majority. A client that reads from
n1's state machine would see `x=1`, a stale value. A **ReadIndex** read avoids that
(dissertation §6.4): the leader must first have committed an entry of its own term (its no-op
does that early in the term), so that its commit index is as recent as any; it notes that commit
index as the read index, confirms with a heartbeat round that a majority still follows it, and
answers only once its state machine has applied everything up to the read index.

```raftstep
read n1 x
stabilize
expect reads n1 1
```

n1's heartbeats reach only n2. Without a majority the read is never answered — it stays pending
instead of returning the stale `x=1`. Now heal the partition. n1's next heartbeats carry term 1.
n3, n4 and n5 do not act on a message from an old term, but they answer it with their own term
(the reply carries the current term "for the leader to update itself", as the paper's Figure 2
puts it) — and that answer tells n1 it was deposed:

```raftstep
heal
tick n1
stabilize
expect role n1 follower
expect term n1 2
expect reads n1 0
```

n1 stepped down the moment it saw term 2, abandoning its pending read. Now the new leader's
heartbeat goes out:

```raftstep
tick n3
stabilize
expect leader n3
expect term all 2
expect log all 1 1 2 2
expect kv all x=3
```

n3's heartbeat answers showed that n1 and n2 were behind, so n3 sent them its log: their
uncommitted `set x 2` was replaced by the new leader's entries.

Finally, a read on the real leader:

```raftstep
read n3 x
stabilize
expect reads n3 0
expect invariants ok
```

A read on the real leader is answered at once after one heartbeat round: `x = 3`. **Rules seen:**
a higher term deposes a leader; a minority cannot commit; ReadIndex confirms leadership before
answering; the new leader's log replaces uncommitted entries.

"""#),
        ("08-prevote-and-checkquorum.md", #"""
---
title: Pre-vote and check-quorum
nodes: 3
seed: 1
summary: A node cut off from the cluster inflates its term and deposes a healthy leader on return — unless it must ask first.
teaches: pre-vote (dissertation §9.6); check-quorum and the leader lease; disruptive servers
property: liveness (a working leader is not disrupted) and availability; safety holds either way
---

# Lesson 8 — Pre-vote and check-quorum

Raft's basic rules are safe, but one node with a flaky link can disrupt a healthy cluster. Start
without the two refinements:

```raftstep
set prevote off
set checkquorum off
campaign n1
stabilize
expect leader n1
```

Now cut n3 off, let time pass on it alone, and deliver what it sent (a cut loses a message when
the network tries to deliver it):

```raftstep
partition n3 | n1 n2
tick n3 60
stabilize
expect role n3 candidate
expect term n3 5
```

Cut off, n3 hears no heartbeats; its election timer fires again and again, and each time it
moves to a new term. Its vote requests were lost at the cut. Meanwhile n1 and n2 are perfectly
happy in term 1. (Had you not typed `stabilize`, the requests would still be waiting after the
partition heals, and the first of them would depose n1 even sooner.) Now heal the partition and
let n1 send its next heartbeat:

```raftstep
heal
tick n1
stabilize
expect term n1 5
expect role n1 follower
```

n3 answered the heartbeat with its term 5, and a leader that sees a higher term must step down.
A node that was merely unreachable deposed a working leader, and the cluster is without one until
a new election finishes. **Pre-vote** fixes this: before raising its term, a node asks "would you
vote for me?" — and nobody agrees while they hear from a leader. Start over with pre-vote on:

```raftstep
reset nodes=3 seed=1
set checkquorum off
campaign n1
stabilize
partition n3 | n1 n2
tick n3 60
stabilize
expect role n3 pre-candidate
expect term n3 1
```

Heal, and let n1's next heartbeat through:

```raftstep
heal
tick n1
stabilize
expect leader n1
expect term all 1
expect role n3 follower
```

n3 never raised its term: its pre-votes were lost at the cut, so it stayed a pre-candidate of
term 1, and the next heartbeat simply brought it back as a follower. (Pre-votes that arrive while
n1 and n2 still hear from their leader are ignored, so without the `stabilize` the end is the same.)

The mirror problem is a leader that is the one cut off. It keeps believing it leads — accepting
proposals it can never commit — while the others elect someone else. **Check-quorum** makes a
leader step down when it has not heard from a majority for an election timeout:

```raftstep
reset nodes=3 seed=1
campaign n1
stabilize
partition n1 | n2 n3
tick n1 10
expect role n1 leader
```

One more election timeout without an answer:

```raftstep
tick n1 10
expect role n1 follower
```

The first check still counted the answers n2 and n3 gave before the cut; after a full election
timeout of silence, n1 stepped down by itself. With check-quorum on, a follower also ignores vote
requests while it still hears from a leader (within an election timeout; dissertation §4.2.3), so
a returning node cannot collect votes. That alone does not protect the leader: the returning node
still answers the leader's heartbeat with its higher term, and the leader must step down on
seeing it. Only pre-vote prevents that (dissertation §9.6), because a node that cannot win never raises its
term. (Try it: the first part of this lesson with `set checkquorum on` and pre-vote still off.)

Check-quorum is also what a **leader lease** builds on: a leader that heard from a majority
within the last election timeout knows nobody else can have been elected, and could answer reads
from its own state without a heartbeat round. That is only safe if the servers' clocks run at
nearly the same rate — the lease must end on the leader before a follower's timer can fire
(dissertation §6.4.1) — so RaftStep's `read` confirms with a round (lesson 7); `set local-reads on`
skips even that, unsafely, and the explorer catches it. Both options are on by default in
RaftStep; etcd's raft library leaves both off by default, and the etcd server turns them on.
**Rules seen:** disruptive servers, pre-vote, check-quorum, ignoring votes while a leader is
heard, leader leases and their clock assumption.

"""#),
        ("09-durability.md", #"""
---
title: Durability — persist before you promise
nodes: 3
seed: 1
summary: With fsync off an acknowledged write vanishes in a crash; two nodes must choose between losing data and stopping; three need neither.
teaches: why Raft persists before it answers; the primary/secondary dilemma; majorities of 2f+1
property: safety (an acknowledged write survives) versus availability (progress with a node down)
---

# Lesson 9 — Durability

Raft's guarantees assume that what a node *says* it stored, it really stored: every vote, term
and entry is on stable storage before the message that depends on it leaves. RaftStep's disks
model a page cache — a write reaches the platter only when it is synced, and a crash loses
everything else. `set sync NODE off` makes a node skip its fsyncs. Turn them all off:

```raftstep
set prevote off
set checkquorum off
set sync n1 off
set sync n2 off
set sync n3 off
set on-violation continue
campaign n1
stabilize
propose set x 1
stabilize
expect commit all 2
expect kv all x=1
```

`set x 1` is committed and applied on all three nodes; a client would have been told "done". Now
the power fails in the whole room:

```raftstep
crash n1
crash n2
crash n3
restart n1
restart n2
restart n3
expect term all 0
expect log all
expect kv all x=
expect violation Term Monotonicity
```

Nothing had reached the platters: the logs are empty, and even the terms and votes of term 1 are
gone — the checker already complains that terms went backwards. The acknowledged write is lost,
and worse, the nodes can vote again in term 1, possibly for someone else. The checker watches for
exactly that:

```raftstep
campaign n2
stabilize
expect leader n2
expect term n2 1
expect violation Vote Uniqueness
```

n1 and n3 voted for n1 in term 1 before the crash and now vote for n2 in term 1, so n2 leads a
term that n1 already led: the checker reports Vote Uniqueness for each second vote, and Election
Safety. With sync on (the default), none of this can happen. Next, the classic **primary/secondary dilemma**: with two
copies, when one fails, the other can go on alone — and an acknowledged write that only the failed
one had is gone: **data loss** — or it can stop taking writes until the other is back:
**unavailability**. There is no third choice with two copies.

```raftstep
reset nodes=2 seed=1
set prevote off
set checkquorum off
campaign n1
stabilize
propose set x 1
stabilize
expect commit all 2
```

Now n2 fails, and a client proposes `set y 2`:

```raftstep
crash n2
propose set y 2
stabilize
expect commit n1 2
expect kv n1 y=
```

A majority of two is two: n1 can append `set y 2` but cannot commit it while n2 is down. Raft picks
safety — the cluster is **unavailable** rather than risk data loss. A design that let n1 go on
alone would lose `y` if n1 then died and n2 came back. With **three** nodes a majority is two,
so one failure costs neither:

```raftstep
reset nodes=3 seed=1
set prevote off
set checkquorum off
campaign n1
stabilize
crash n3
propose set y 2
stabilize
expect commit n1 2
expect kv n2 y=2
```

When n3 comes back, the leader catches it up:

```raftstep
restart n3
tick n1
stabilize
expect kv all y=2
expect invariants ok
```

In general 2f+1 nodes survive f failures without losing an acknowledged write and without
stopping. **Rules seen:** persist before answering; commit needs a majority; 2f+1 for f failures.

"""#),
        ("10-inside-the-log.md", #"""
---
title: Inside the log
nodes: 3
seed: 1
summary: Export a node's disk, read its records with logdump, then tear the tail and flip a bit and see why one is safe to cut and the other is not.
teaches: segments, records and checksums; batch markers and fsync; torn tail versus corruption; a repair that only cuts what was never acknowledged
property: safety (durability — an acknowledged entry is never silently lost or altered; recovery must tell an interrupted write from damage)
---

# Lesson 10 — Inside the log

Every node in the simulator writes its log through the same storage code as a real node:
*segment* files of records, each with a CRC32C checksum, and a small *hard-state* file with the
term, the vote and the commit index. This lesson looks at those bytes. First, a log to look at:
elect n1 and commit two commands.

```raftstep
set prevote off
campaign n1
stabilize
propose set x 1
stabilize
propose set y 2
stabilize
expect commit all 3
expect log n1 1 1 1
```

The disks are simulated in memory. `disk export` writes one node's disk as real files, and
`logdump` — the same program you can run in a shell — reads them with the decoder that recovery
uses. `dump` shows the log that recovery would rebuild: the leader's no-op and the two commands.

```raftstep
disk export n1 /tmp/raftstep-lesson10/n1
logdump dump /tmp/raftstep-lesson10/n1
expect exit 0
```

`--physical` shows every record as stored, with its file offset, size and checksum. Between the
entries are **batch markers**. A node writes a save's records, then a marker, and only then
fsyncs; it acknowledges the save (votes, answers the leader) only after the fsync. So every
acknowledged write ends on a marker, and anything after the last marker of the last segment was
never acknowledged to anyone. `verify` checks every record:

```raftstep
logdump dump --physical /tmp/raftstep-lesson10/n1
logdump verify /tmp/raftstep-lesson10/n1
expect exit 0
```

Now a crash in the middle of a write. The leader appends `set z 3` (index 4) to its own log; its
appends to n2 and n3 are still in flight, so nobody else stores it and no client has been told it
is done. Export n1's disk again and cut the last 100 bytes off its segment, as if the power failed
while the record was being written: only 20 of its bytes reached the disk, and its batch marker
never did.

```raftstep
propose set z 3
disk export n1 /tmp/raftstep-lesson10/torn
disk tear /tmp/raftstep-lesson10/torn 100
logdump verify /tmp/raftstep-lesson10/torn
expect exit 2
expect commit n1 3
```

`verify` calls it a **torn tail** (exit code 2): the damage starts after the last batch marker
and nothing valid follows it, so it is an interrupted write, not lost data. Recovery cuts such a
tail by itself; `logdump repair` shows the same cut as a plan (a dry run), and with `--apply` it
backs the file up, cuts, fsyncs and verifies again:

```raftstep
logdump repair /tmp/raftstep-lesson10/torn
logdump repair --apply /tmp/raftstep-lesson10/torn
logdump verify /tmp/raftstep-lesson10/torn
expect exit 0
```

The log ends at index 3 again — exactly what had been acknowledged. Now different damage: one bit
of entry 2 (`set x 1`, the record at offset 320, its payload from 352) flips on the disk, long
after it was written and synced.

```raftstep
disk export n1 /tmp/raftstep-lesson10/flip
disk flip /tmp/raftstep-lesson10/flip log-0000000000000001.seg 354
logdump verify /tmp/raftstep-lesson10/flip
expect exit 3
```

This is **corruption** (exit code 3): the record's checksum no longer matches, and valid records
and batch markers follow it, so it is not the end of an interrupted write — the entry was
acknowledged, and committed. Cutting here would silently drop acknowledged entries, so `repair`
refuses (unless told `--accept-data-loss`). In a Raft cluster the cure is the other replicas.
Here all three nodes stored entry 2, so the two undamaged ones still hold every committed entry —
but that is luck, not a rule: a committed entry may be on a bare majority only. The damaged node
counts as one of the f failures that 2f+1 servers tolerate. It must be rebuilt from the others
(taken out of the configuration and added back empty, lesson 11), and until then it must never
vote or acknowledge as if its log were intact. `repair` refuses; the cluster itself is unharmed —
only the exported copy was damaged, not n1's simulated disk — and commits `set z 3` as usual:

```raftstep
logdump repair /tmp/raftstep-lesson10/flip
stabilize
expect exit 3
expect commit all 4
expect invariants ok
```

A checksum says *that* bytes changed; the batch markers say whether anyone was promised them.
That difference — torn tail or corruption — decides whether recovery may quietly cut, or must
stop and ask. **Rules seen:** persist (and fsync) before you acknowledge; a node's recovery may
discard only what it never acknowledged; a replica that lost acknowledged data must not pretend
otherwise.

"""#),
        ("11-joint-consensus.md", #"""
---
title: Joint consensus — growing from three voters to five
nodes: 5
voters: 3
seed: 1
summary: Add two servers at once; while C_old,new is in effect an entry needs a majority of the old voters and of the new ones.
teaches: membership changes by joint consensus (dissertation §4.3); C_old,new then C_new; joint majorities; one change at a time
property: safety (Election Safety and State Machine Safety across a change — no moment where two disjoint majorities can decide)
---

# Lesson 11 — Joint consensus

Adding or removing a *single* server can be done in one step (dissertation §4.1): any majority of
the old voters and any majority of the new ones share at least one server, so they can never
decide apart. (The leader must first have committed an entry of its own term — a rule added after
a flaw was found in the single-server scheme; RaftStep's leader follows it for every change.)
An arbitrary change — here, adding two servers at once — is different: the servers learn the new
configuration at different moments, and for a while a majority of the old voters and a disjoint
majority of the new ones could each elect a leader or commit an entry. For such changes Raft goes
through an intermediate **joint configuration**, C_old,new (dissertation §4.3; RaftStep uses it for every
change, even of one server): while it is in effect, every election and every commit needs a
majority of C_old **and** a majority of C_new. Once C_old,new is committed, the leader appends
C_new, and from then on only C_new counts.

This lesson starts five nodes, of which only n1, n2 and n3 are voters; n4 and n5 run but are not
members yet. Pre-vote and check-quorum stay off to keep the picture small. Elect n1:

```raftstep
set prevote off
set checkquorum off
campaign n1
stabilize
status
expect leader n1
expect config n1 voters=n1,n2,n3
expect term n4 0
```

`status` lists the configuration each node has in effect and the nodes outside it. n4 and n5 heard
nothing: a leader sends only to members. Now cut n2 and n3 off, and ask n1 to add n4 and n5 in
one joint step:

```raftstep
partition n1 n4 n5 | n2 n3
add n4 n5
expect config n1 old=n1,n2,n3 voters=n1,n2,n3,n4,n5
```

n1 appended the configuration entry C_old,new (n1,n2,n3)&(n1,n2,n3,n4,n5) and uses it **at once**,
before it is committed: a server always uses the latest configuration in its log. n4 and n5 are
members now, so n1 sends them the entry straight away, like n2 and n3. Propose an entry and let n4
and n5 catch up:

```raftstep
propose set x 1
stabilize
log
expect log n4 1 1 1
expect log n5 1 1 1
expect commit n1 1
```

n1, n4 and n5 all store the entries: that is three of the five new voters, a majority of C_new.
But of C_old = (n1, n2, n3) only n1 has them, one of three. Under C_old,new nothing commits — not
the configuration entry, not `set x 1`. (The `c` in the log grid marks configuration entries.)

Heal the partition and propose one more entry. Lose the copies to n3 and n5, and let n4 and then
n2 acknowledge it:

```raftstep
heal
propose set y 2
drop n1->n3
drop n1->n5
deliver n1->n4
deliver n4->n1
expect commit n1 1
```

n4's acknowledgement alone changes nothing: n1 and n4 are still one voter of C_old. Now n2. It
lacks entries 2 and 3, so it rejects the first append, and n1 backs up and sends them:

```raftstep
deliver n1->n2
deliver n2->n1
deliver n1->n2
deliver n2->n1
expect commit n1 4
```

Entry 4 is now stored by n1, n2 and n4: two of C_old (n1, n2) and three of C_new (n1, n2, n4). Both
majorities hold, so n1 commits through 4 — the configuration entry included. At that moment n1
appends **C_new** (n1,n2,n3,n4,n5) at index 5, on its own. Deliver everything:

```raftstep
stabilize
log
expect commit all 5
expect config all voters=n1,n2,n3,n4,n5
expect kv all x=1 y=2
expect invariants ok
```

Once C_new commits, the change is over; a new one could start now (the leader refuses a second
change while one is in progress). **Rules seen:** a server uses the newest configuration in its
log; C_old,new needs both majorities for commitment (and for elections); the leader appends C_new
once C_old,new commits; one change at a time. Try `remove n1` next: a leader that is not in C_new
steps down once C_new commits.

"""#),
        ("12-snapshots.md", #"""
---
title: Snapshots — catching up a follower the log has left behind
nodes: 3
seed: 1
summary: The leader compacts its log into a snapshot; a follower that lags behind the leader's first index catches up by InstallSnapshot.
teaches: log compaction; snapshot metadata (last index, term, configuration); InstallSnapshot; restart from snapshot + log
property: safety (State Machine Safety — the snapshot stands for committed entries only) and liveness (a lagging follower still catches up)
---

# Lesson 12 — Snapshots

A log that only grows is not production: sooner or later every server must drop the entries its
state machine has already applied. It writes a **snapshot** of the state machine instead, with the
index and term of the last entry it covers and the configuration in effect there, and discards the
log up to that point. Only committed, applied entries are ever compacted.

Elect n1, then cut n3 off while three commands commit:

```raftstep
set prevote off
set checkquorum off
campaign n1
stabilize
partition n1 n2 | n3
propose set x 1
propose set y 2
propose set x 3
stabilize
expect commit n1 4
expect log n3 1
```

Now n1 compacts its log through index 3 and n2 through everything it has applied. The key-value
store is serialized into the snapshot, which goes to disk through RaftStorage (a snapshot file);
the entries it covers are dropped:

```raftstep
compact n1 3
compact n2
log
expect kv n1 x=3 y=2
expect snapshot n1 3@1
expect snapshot n2 4
expect snapshot n3 none
```

In the grid, `s` marks indexes a node has compacted; each row says where its snapshot ends. n3
still needs entries 2 and 3, which n1 no longer has. Heal and let n1 send a heartbeat:

```raftstep
heal
tick n1
stabilize
expect kv n3 x=3 y=2
expect commit all 4
expect snapshot n3 3@1
```

Read the narration: n3 answered the heartbeat, n1 sent an append after 4@1, n3 rejected it (its
log ends at 1), and n1 found that the entries n3 needs are behind its first index. So it sent
**InstallSnapshot** instead. n3 persisted the snapshot in place of its log, restored its store
from the snapshot's bytes (`x=1 y=2`), and then received entry 4 as usual.

A node restarts from its snapshot plus the log after it:

```raftstep
crash n3
restart n3
log n3
expect kv n3 x=3 y=2
expect log n3 1 1 1 1
expect invariants ok
```

**Rules seen:** compact only applied entries; the snapshot records the last included index, term
and configuration; a leader sends InstallSnapshot to a follower behind its first index; a
restarting node loads the snapshot, then replays the log after it. `set compact-threshold N`
makes every node compact by itself once N applied entries accumulate.

"""#),
        ("13-two-failure-modes.md", #"""
---
title: Two ways to lose a write — why consensus
nodes: 1
seed: 1
summary: One node loses an acknowledged write at power loss; a primary and a secondary must choose between data loss and unavailability; a majority needs neither.
teaches: the two failure modes that motivate consensus; why one copy and two copies are not enough; the majority rule
property: safety (an acknowledged write survives) versus liveness (the service goes on)
---

# Lesson 13 — Two ways to lose a write

Why go to the trouble of Raft at all? Because the two obvious designs each lose, sooner or later,
a write they promised to keep. This lesson shows both, fully, and then the rule that avoids them.

**Failure mode 1: one node, and a page cache.** A single server answers "done" as soon as the write
is in its memory — the operating system's page cache — and flushes it to disk later. Here n1 is
alone (a cluster of one is its own majority) and does not sync:

```raftstep
set on-violation continue
set sync n1 off
campaign n1
propose set x 1
expect commit n1 2
expect kv n1 x=1
```

The client was told `x=1` is stored. Now the power fails:

```raftstep
crash n1
restart n1
expect kv n1 x=
expect log n1
expect violation Term Monotonicity
```

The acknowledged write is gone: it was never on the disk (even n1's term went back to 0, which
the invariant checker reports). Raft's first rule answers this one —
persist before you answer (lesson 9 shows it in a cluster). But a synced disk can still die
with its machine; then the only copy is gone. So keep a second copy.

**Failure mode 2: a primary and a secondary.** n1 is the primary: it alone decides (it is the only
voter) and acknowledges a write as soon as it has it. n2 is the secondary: it receives the writes
afterwards, asynchronously (here it is a learner, which copies the log but does not vote).

```raftstep
reset nodes=2 voters=1 seed=1
campaign n1
add n2 learner
tick n1
stabilize
expect config n2 voters=n1 learners=n2
```

A client writes `set x 1`. The primary acknowledges it at once, before the secondary has it:

```raftstep
propose set x 1
expect kv n1 x=1
expect kv n2 x=
expect msgs 1
```

And now the primary fails, with the write on its way to n2 still in flight, and lost:

```raftstep
crash n1
drop all
expect leader none
expect down n1
expect kv n2 x=
```

n2 never got `x=1`. The operator has exactly two choices, and both are bad:

- **Promote the secondary.** n2 becomes the new primary and serves what it has. What it has does
  not include `x=1`: an acknowledged write is gone — **data loss**. (If n1 comes back later, its
  `x=1` now conflicts with whatever n2 accepted meanwhile.)
- **Refuse to promote.** Wait for n1. Until it returns nothing can be written: try
  `propose n2 set y 2` — n2 is not allowed to decide — the service is **unavailable**, for as long
  as n1 is down; if n1's disk died, forever.

Acknowledging only after the secondary has the write does not help either: then the primary must
stop whenever the secondary is down, and the dilemma returns with the roles swapped. Two copies
cannot tell "the other one crashed" from "the other one is cut off" (lesson 9 shows that side).

**The majority rule.** With three nodes, a write is acknowledged only once a majority — two — has
it on disk, and a new leader needs the votes of a majority, whose logs are checked (paper §5.3,
§5.4.1). Any two majorities of three share a node, so the new leader always has every
acknowledged write (pre-vote and check-quorum are off here to keep the election short; lesson 8
turns them on):

```raftstep
reset nodes=3 seed=1
set prevote off
set checkquorum off
campaign n1
stabilize
propose set x 1
deliver n1->n2
deliver n2->n1
expect commit n1 2
expect kv n1 x=1
expect kv n3 x=
```

n1 acknowledged `x=1` once n2 stored it; n3 has not heard of it yet. Now the leader fails:

```raftstep
crash n1
drop all
campaign n2
stabilize
expect leader n2
expect kv n2 x=1
```

The write survived the leader. And the cluster goes on writing:

```raftstep
propose set y 2
stabilize
expect kv n3 x=1 y=2
```

No data loss: n2 had the write and won; n3 could not have won without it, because n2 would refuse a
candidate whose log is less up to date. No unavailability: two of three are enough to go on.
With 2f+1 nodes this holds for any f failures. This is what consensus gives, and what the other
lessons take apart: agreement on one log (lessons 2, 4, 5), a leader elected and re-elected
(1, 3, 4), a stale leader deposed (7, 8), the log kept durable (9, 10).

**Rules seen:** an acknowledged write must survive (safety); the service must go on despite a
failure (liveness); one copy loses the first, two copies must give up one of them; a majority of
2f+1 keeps both through f failures.

"""#),
    ]
}
