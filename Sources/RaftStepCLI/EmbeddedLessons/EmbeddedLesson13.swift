// swift-format-ignore-file
// Generated from lessons/*.md: do not edit here; the lessons folder is the source of truth.
// Regenerate with `swift run raftstep lesson --lessons-dir lessons --write-embedded Sources/RaftStepCLI/EmbeddedLessons`;
// LessonTests fails while this copy differs from the files.

extension EmbeddedLessons {
    /// `lessons/13-two-failure-modes.md`.
    static let lesson13 = (name: "13-two-failure-modes.md", text: #"""
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

"""#)
}
