// swift-format-ignore-file
// Generated from lessons/*.md: do not edit here; the lessons folder is the source of truth.
// Regenerate with `swift run raftstep lesson --lessons-dir lessons --write-embedded Sources/RaftStepCLI/EmbeddedLessons`;
// LessonTests fails while this copy differs from the files.

extension EmbeddedLessons {
    /// `lessons/12-snapshots.md`.
    static let lesson12 = (name: "12-snapshots.md", text: #"""
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

"""#)
}
