// swift-format-ignore-file
// Generated from lessons/*.md: do not edit here; the lessons folder is the source of truth.
// Regenerate with `swift run raftstep lesson --lessons-dir lessons --write-embedded Sources/RaftStepCLI/EmbeddedLessons`;
// LessonTests fails while this copy differs from the files.

extension EmbeddedLessons {
    /// `lessons/07-stale-leader.md`.
    static let lesson07 = (name: "07-stale-leader.md", text: #"""
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

"""#)
}
