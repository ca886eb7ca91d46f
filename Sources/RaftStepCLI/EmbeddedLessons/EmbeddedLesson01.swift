// swift-format-ignore-file
// Generated from lessons/*.md: do not edit here; the lessons folder is the source of truth.
// Regenerate with `swift run raftstep lesson --lessons-dir lessons --write-embedded Sources/RaftStepCLI/EmbeddedLessons`;
// LessonTests fails while this copy differs from the files.

extension EmbeddedLessons {
    /// `lessons/01-first-election.md`.
    static let lesson01 = (name: "01-first-election.md", text: #"""
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

"""#)
}
