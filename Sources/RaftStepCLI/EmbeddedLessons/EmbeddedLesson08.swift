// swift-format-ignore-file
// Generated from lessons/*.md: do not edit here; the lessons folder is the source of truth.
// Regenerate with `swift run raftstep lesson --lessons-dir lessons --write-embedded Sources/RaftStepCLI/EmbeddedLessons`;
// LessonTests fails while this copy differs from the files.

extension EmbeddedLessons {
    /// `lessons/08-prevote-and-checkquorum.md`.
    static let lesson08 = (name: "08-prevote-and-checkquorum.md", text: #"""
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

"""#)
}
