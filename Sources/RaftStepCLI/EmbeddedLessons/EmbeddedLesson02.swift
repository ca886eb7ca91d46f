// swift-format-ignore-file
// Generated from lessons/*.md: do not edit here; the lessons folder is the source of truth.
// Regenerate with `swift run raftstep lesson --lessons-dir lessons --write-embedded Sources/RaftStepCLI/EmbeddedLessons`;
// LessonTests fails while this copy differs from the files.

extension EmbeddedLessons {
    /// `lessons/02-replication-and-commit.md`.
    static let lesson02 = (name: "02-replication-and-commit.md", text: #"""
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

"""#)
}
