// swift-format-ignore-file
// Generated from lessons/*.md: do not edit here; the lessons folder is the source of truth.
// Regenerate with `swift run raftstep lesson --lessons-dir lessons --write-embedded Sources/RaftStepCLI/EmbeddedLessons`;
// LessonTests fails while this copy differs from the files.

extension EmbeddedLessons {
    /// `lessons/10-inside-the-log.md`.
    static let lesson10 = (name: "10-inside-the-log.md", text: #"""
---
title: Inside the log
nodes: 3
seed: 1
summary: Export a node's disk, read its records with logdump, then tear the tail and flip a bit and see why one is safe to cut and the other is not.
teaches: segments, records and checksums; batch markers and fsync; torn tail versus corruption; a repair that only cuts what was never acknowledged
property: safety (durability — an acknowledged entry is never silently lost or altered; recovery must tell an interrupted write from damage)
---

# Lesson 10 — Inside the log

Every node in the simulator writes its log through the same storage code as a real node:
*segment* files of records, each with a CRC32C checksum, and a small *hard-state* file with the
term, the vote and the commit index. This lesson looks at those bytes. First, a log to look at:
elect n1 and commit two commands.

```raftstep
set prevote off
campaign n1
stabilize
propose set x 1
stabilize
propose set y 2
stabilize
expect commit all 3
expect log n1 1 1 1
```

The disks are simulated in memory. `disk export` writes one node's disk as real files, and
`logdump` — the same program you can run in a shell — reads them with the decoder that recovery
uses. `dump` shows the log that recovery would rebuild: the leader's no-op and the two commands.

```raftstep
disk export n1 /tmp/raftstep-lesson10/n1
logdump dump /tmp/raftstep-lesson10/n1
expect exit 0
```

`--physical` shows every record as stored, with its file offset, size and checksum. Between the
entries are **batch markers**. A node writes a save's records, then a marker, and only then
fsyncs; it acknowledges the save (votes, answers the leader) only after the fsync. So every
acknowledged write ends on a marker, and anything after the last marker of the last segment was
never acknowledged to anyone. `verify` checks every record:

```raftstep
logdump dump --physical /tmp/raftstep-lesson10/n1
logdump verify /tmp/raftstep-lesson10/n1
expect exit 0
```

Now a crash in the middle of a write. The leader appends `set z 3` (index 4) to its own log; its
appends to n2 and n3 are still in flight, so nobody else stores it and no client has been told it
is done. Export n1's disk again and cut the last 100 bytes off its segment, as if the power failed
while the record was being written: only 20 of its bytes reached the disk, and its batch marker
never did.

```raftstep
propose set z 3
disk export n1 /tmp/raftstep-lesson10/torn
disk tear /tmp/raftstep-lesson10/torn 100
logdump verify /tmp/raftstep-lesson10/torn
expect exit 2
expect commit n1 3
```

`verify` calls it a **torn tail** (exit code 2): the damage starts after the last batch marker
and nothing valid follows it, so it is an interrupted write, not lost data. Recovery cuts such a
tail by itself; `logdump repair` shows the same cut as a plan (a dry run), and with `--apply` it
backs the file up, cuts, fsyncs and verifies again:

```raftstep
logdump repair /tmp/raftstep-lesson10/torn
logdump repair --apply /tmp/raftstep-lesson10/torn
logdump verify /tmp/raftstep-lesson10/torn
expect exit 0
```

The log ends at index 3 again — exactly what had been acknowledged. Now different damage: one bit
of entry 2 (`set x 1`, the record at offset 320, its payload from 352) flips on the disk, long
after it was written and synced.

```raftstep
disk export n1 /tmp/raftstep-lesson10/flip
disk flip /tmp/raftstep-lesson10/flip log-0000000000000001.seg 354
logdump verify /tmp/raftstep-lesson10/flip
expect exit 3
```

This is **corruption** (exit code 3): the record's checksum no longer matches, and valid records
and batch markers follow it, so it is not the end of an interrupted write — the entry was
acknowledged, and committed. Cutting here would silently drop acknowledged entries, so `repair`
refuses (unless told `--accept-data-loss`). In a Raft cluster the cure is the other replicas.
Here all three nodes stored entry 2, so the two undamaged ones still hold every committed entry —
but that is luck, not a rule: a committed entry may be on a bare majority only. The damaged node
counts as one of the f failures that 2f+1 servers tolerate. It must be rebuilt from the others
(taken out of the configuration and added back empty, lesson 11), and until then it must never
vote or acknowledge as if its log were intact. `repair` refuses; the cluster itself is unharmed —
only the exported copy was damaged, not n1's simulated disk — and commits `set z 3` as usual:

```raftstep
logdump repair /tmp/raftstep-lesson10/flip
stabilize
expect exit 3
expect commit all 4
expect invariants ok
```

A checksum says *that* bytes changed; the batch markers say whether anyone was promised them.
That difference — torn tail or corruption — decides whether recovery may quietly cut, or must
stop and ask. **Rules seen:** persist (and fsync) before you acknowledge; a node's recovery may
discard only what it never acknowledged; a replica that lost acknowledged data must not pretend
otherwise.

"""#)
}
