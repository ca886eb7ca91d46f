// swift-format-ignore-file
// Generated from lessons/*.md: do not edit here; the lessons folder is the source of truth.
// Regenerate with `swift run raftstep lesson --lessons-dir lessons --write-embedded Sources/RaftStepCLI/EmbeddedLessons`;
// LessonTests fails while this copy differs from the files.

extension EmbeddedLessons {
    /// `lessons/05-figure-7.md`.
    static let lesson05 = (name: "05-figure-7.md", text: #"""
---
title: Figure 7 — a new leader repairs every log
nodes: 7
seed: 1
summary: Rebuild Figure 7 of the Raft paper and watch a term-8 leader bring six divergent followers to its log.
teaches: log divergence after crashes; the election restriction in a real case; consistency check and backtracking
property: safety (Log Matching, Leader Completeness) — logs converge to the leader's
---

# Lesson 5 — Figure 7 of the Raft paper

Figure 7 of the Raft paper shows a leader that has just come to power in term 8 and six followers
(a–f) whose logs went their own ways through earlier crashes: some miss entries, some have extra
entries, some have both. We lay those logs down with `setlog`, which only works on a crashed node.

| node | role in the figure | terms of its log |
|---|---|---|
| n1 | leader for term 8 | 1 1 1 4 4 5 5 6 6 6 |
| n2 | a | 1 1 1 4 4 5 5 6 6 |
| n3 | b | 1 1 1 4 |
| n4 | c | 1 1 1 4 4 5 5 6 6 6 6 |
| n5 | d | 1 1 1 4 4 5 5 6 6 6 7 7 |
| n6 | e | 1 1 1 4 4 4 4 |
| n7 | f | 1 1 1 2 2 2 3 3 3 3 3 |

```raftstep
set prevote off
set checkquorum off
crash n1
crash n2
crash n3
crash n4
crash n5
crash n6
crash n7
setlog n1 1 1 1 4 4 5 5 6 6 6 term=7
setlog n2 1 1 1 4 4 5 5 6 6
setlog n3 1 1 1 4
setlog n4 1 1 1 4 4 5 5 6 6 6 6
setlog n5 1 1 1 4 4 5 5 6 6 6 7 7
setlog n6 1 1 1 4 4 4 4
setlog n7 1 1 1 2 2 2 3 3 3 3 3
restart n1
restart n2
restart n3
restart n4
restart n5
restart n6
restart n7
log
expect log n5 1 1 1 4 4 5 5 6 6 6 7 7
```

Who could win an election now? A candidate needs 4 of 7 votes, and a node votes only for a
candidate whose log is at least as up to date as its own (paper §5.4.1): compare the terms of the
last entries first — the later term wins — and only when they are equal does the longer log win.
Ordered that way the logs are f < b < e < a < leader < c < d, so f, b and e could collect at most
1, 2 and 3 votes — never a majority — while a (4), the leader (5), c (6) and d (7) could each win.
Length alone says little: f has 11 entries, more than the leader, yet its last term, 3, is the
lowest of all, so it is the *least* up to date (d, with 12, is the longest). Try f:

```raftstep
campaign n7
stabilize
expect leader none
expect role n7 follower
expect term n7 7
```

Nobody granted. n1, n2, n4 and n5 are already in later terms: they refuse a request from term 4
and say their own term in the refusal, so n7 learns that term 7 exists and steps back to follower
in it; n3 and n6 refuse because their logs end in term 4, after f's last term 3. Now let the
figure's leader campaign:

```raftstep
campaign n1
stabilize
expect leader n1
expect term n1 8
```

a, b, e and f voted for n1; c and d refused (their logs are more up to date). With three of those
votes and its own, n1 leads term 8 and appends its no-op at index 11. While you stabilized, it
sent every follower that entry after entry 10 (term 6). a, b, e and f do not hold such an entry
10, so they refused, each with a hint — its own last entry at or below index 10 (a `9@6`, b `4@4`,
e `7@4`, f `10@3`) — and the leader used the hint to skip back past every entry that could not
match in one round trip, not one entry at a time, then sent everything after that point. c and d
accepted at once: their entry 10 has term 6 too, so the check passed, and each deleted the
entries after it that conflict with the leader's (Figure 2, AppendEntries receiver step 3). The
screen names each: `n5 discards entries 11..12 (terms 7x2): they conflict with the leader's entry
11 (term 8)`; and once the hints have led the leader back, f (n7) discards eight entries, 4..11:

```raftstep
log
expect log all 1 1 1 4 4 5 5 6 6 6 8
expect commit all 11
expect invariants ok
```

c lost its extra entry 11 (term 6), d lost 11 and 12 (term 7), f lost eight entries (indexes 4–11,
of terms 2 and 3): none of them was ever committed, so no client was promised them. **Rules
seen:** the election restriction, AppendEntries' consistency check, conflict backtracking with a
hint, followers' logs forced to match the leader's.

"""#)
}
