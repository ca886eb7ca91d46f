// swift-format-ignore-file
// Generated from lessons/*.md: do not edit here; the lessons folder is the source of truth.
// Regenerate with `swift run raftstep lesson --lessons-dir lessons --write-embedded Sources/RaftStepCLI/EmbeddedLessons`;
// LessonTests fails while this copy differs from the files.

extension EmbeddedLessons {
    /// `lessons/03-split-vote.md`.
    static let lesson03 = (name: "03-split-vote.md", text: #"""
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

"""#)
}
