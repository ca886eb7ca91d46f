// swift-format-ignore-file
// Generated from lessons/*.md: do not edit here; the lessons folder is the source of truth.
// Regenerate with `swift run raftstep lesson --lessons-dir lessons --write-embedded Sources/RaftStepCLI/EmbeddedLessons`;
// LessonTests fails while this copy differs from the files.

extension EmbeddedLessons {
    /// `lessons/11-joint-consensus.md`.
    static let lesson11 = (name: "11-joint-consensus.md", text: #"""
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

"""#)
}
