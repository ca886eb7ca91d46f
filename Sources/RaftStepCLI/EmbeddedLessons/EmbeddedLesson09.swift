// swift-format-ignore-file
// Generated from lessons/*.md: do not edit here; the lessons folder is the source of truth.
// Regenerate with `swift run raftstep lesson --lessons-dir lessons --write-embedded Sources/RaftStepCLI/EmbeddedLessons`;
// LessonTests fails while this copy differs from the files.

extension EmbeddedLessons {
    /// `lessons/09-durability.md`.
    static let lesson09 = (name: "09-durability.md", text: #"""
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

"""#)
}
