// swift-format-ignore-file
// Generated from lessons/*.md: do not edit here; the lessons folder is the source of truth.
// Regenerate with `swift run raftstep lesson --lessons-dir lessons --write-embedded Sources/RaftStepCLI/EmbeddedLessons`;
// LessonTests fails while this copy differs from the files.

extension EmbeddedLessons {
    /// `lessons/06-figure-8.md`.
    static let lesson06 = (name: "06-figure-8.md", text: #"""
---
title: Figure 8 — why a leader only commits entries of its own term
nodes: 5
seed: 1
summary: An old-term entry stored on a majority is still not safe to commit; with the rule broken, the checker catches a committed entry being overwritten.
teaches: the commit rule (paper §5.4.2); why counting replicas of old-term entries is unsafe; the leader's no-op
property: safety (State Machine Safety, Leader Completeness) — the rule exists for safety, not speed
---

# Lesson 6 — Figure 8 of the Raft paper

A leader commits an entry when a majority stores it — but only an entry **of its own term**.
Entries of earlier terms are committed indirectly, when an entry of the current term after them
commits. Figure 8 of the paper shows why counting replicas is not enough for old entries. The
leader's no-op (lesson 1) exists to get a current-term entry committed quickly; this lesson turns
it off so the problem is visible.

```raftstep
set leader-noop off
set prevote off
set checkquorum off
campaign n1
stabilize
propose set a 1
stabilize
expect commit all 1
```

Index 1 (term 1) is committed everywhere. **(a)** n1 restarts and wins term 2:

```raftstep
crash n1
restart n1
campaign n1
stabilize
expect leader n1
expect term n1 2
```

Now n1 replicates `set x 2` at index 2 to n2 only: the append reaches n2, and every other message
in flight is lost — including n2's answer, so n1 never learns that n2 stored it:

```raftstep
propose set x 2
deliver n1->n2
drop all
expect log n1 1 2
expect log n2 1 2
```

**(b)** n1 crashes. n5 wins term 3 with the votes of n3 and n4 (n2 refuses: its log ends in term
2, n5's in term 1):

```raftstep
crash n1
campaign n5
stabilize
expect leader n5
expect term n5 3
```

n5 accepts `set x 3` at index 2; its appends are all lost, and it crashes — the entry is on n5's
disk only:

```raftstep
propose set x 3
drop all
crash n5
expect log n2 1 2
expect down n5
```

Type `log`: a crashed node's row shows what its disk holds. n5's row ends in a `3` at index 2 —
the entry no one else has, and the danger of what follows.

**(c)** n1 restarts and campaigns. Its first try, in term 3, fails: n2, n3 and n4 already follow
n5 in term 3 (n3 and n4 voted for it), and a node that has voted or knows a leader in a term gives
no other vote in it. Its second try, in term 4, succeeds; n3 and n4 reject its first append (they
lack index 2), and n1 sends them its entry of term 2:

```raftstep
restart n1
campaign n1
stabilize
campaign n1
stabilize
expect leader n1
expect term n1 4
expect log n1 1 2
expect log n3 1 2
expect log n4 1 2
expect commit n1 1
```

Index 2 is now on n1, n2, n3 and n4 — a majority of five — and it is **not** committed. It is
not of term 4, and it is not safe: **(d)** if n1 crashes now, n5 can still win (its last entry,
term 3, is more recent than everyone's term 2) and overwrite index 2 everywhere. Its first try,
in term 4, is refused — the others follow n1 in term 4 — and its second, in term 5, wins:

```raftstep
crash n1
restart n5
campaign n5
stabilize
campaign n5
stabilize
expect leader n5
expect term n5 5
```

n5 replaced index 2 everywhere with its own entry of term 3. Like every leader, it commits that entry only together with one of its own term:

```raftstep
propose set y 5
stabilize
expect log all 1 3 5
expect kv all x=3 y=5
expect invariants ok
```

Nobody ever applied `x=2`, so overwriting it broke nothing. Had n1 committed index 2 in (c) by
counting replicas, a committed entry would now be gone. Let us break the rule on purpose: the
`commit-old-terms` teaching knob makes a leader count replicas of old-term entries. Replay the
same story with it on (the invariant checker keeps watching; `set on-violation continue` lets the
lesson go on after it reports):

```raftstep
reset nodes=5 seed=1
set leader-noop off
set prevote off
set checkquorum off
set unsafe commit-old-terms on
set on-violation continue
campaign n1
stabilize
propose set a 1
stabilize
crash n1
restart n1
campaign n1
stabilize
propose set x 2
deliver n1->n2
drop all
crash n1
campaign n5
stabilize
propose set x 3
drop all
crash n5
restart n1
campaign n1
stabilize
campaign n1
stabilize
expect commit n1 2
expect kv n1 x=2
```

With the knob, n1 committed index 2 (term 2) in (c), applied `x=2`, and told n2–n4 so. Now (d):

```raftstep
crash n1
restart n5
campaign n5
stabilize
campaign n5
stabilize
propose set y 5
stabilize
violations
expect violation Leader Completeness
expect violation State Machine Safety
```

n5 still wins term 5 — its last term, 3, beats everyone's 2 — although it lacks the committed
`x=2`: **Leader Completeness** is broken. Counting replicas once more, it then commits its own
index 2 and applies `x=3`, where n1 applied `x=2`: **State Machine Safety** is broken, and the
followers can no longer even agree with their leader. The checker adds **Commit Quorum**: n5
committed an entry that no majority stores — n2–n4 kept their committed entry 2 of term 2 and
answered "match 2" for it, which n5 took for its own. Nothing else changed but one rule.
**Rules seen:** commit only current-term entries by counting; earlier entries commit with them;
the no-op that makes that happen at once.

"""#)
}
