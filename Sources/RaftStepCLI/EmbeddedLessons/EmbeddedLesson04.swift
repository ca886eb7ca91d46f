// swift-format-ignore-file
// Generated from lessons/*.md: do not edit here; the lessons folder is the source of truth.
// Regenerate with `swift run raftstep lesson --lessons-dir lessons --write-embedded Sources/RaftStepCLI/EmbeddedLessons`;
// LessonTests fails while this copy differs from the files.

extension EmbeddedLessons {
    /// `lessons/04-leader-crash.md`.
    static let lesson04 = (name: "04-leader-crash.md", text: #"""
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

"""#)
}
