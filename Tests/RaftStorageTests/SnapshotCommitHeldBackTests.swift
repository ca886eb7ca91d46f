import RaftCore
import Testing
@testable import RaftStorage

/// A received snapshot's hard state carries a commit index through the snapshot. Written before the
/// snapshot file, it must not claim more than the disk already had committed: until the snapshot is
/// durable, the log on disk may hold a follower's conflicting entries at those indexes, and a restart
/// would apply them as committed (State Machine Safety). Found by the explorer's power cuts
/// (`raftstep explore`, seeds 609 and 985 of 1..1500, issue 18 §3).
@Suite struct SnapshotCommitHeldBackTests {
    @Test(arguments: [false, true])
    func aCommitOverTheSnapshotIsNotDurableBeforeTheSnapshot(pages: Bool) throws {
        var fired = 0
        for budget in 0..<40 {
            let memory = MemoryFileSystem()
            let fs = FailingFileSystem(base: memory, budget: Int.max)
            let log = try openLog(fs, segmentSize: 300)
            // A follower of term 6 with entries 1…3 that the new leader's snapshot overrides.
            try log.save(hardState: HardState(term: 6, vote: 5, commit: 0), entries: makeEntries(1...3, term: 6))
            let snapshot = makeSnapshot(index: 2, term: 7, size: 100)
            fs.budget = budget
            var completed = false
            do {
                try log.saveSnapshot(snapshot, hardState: HardState(term: 8, vote: 3, commit: 2), mode: .received)
                completed = true
            } catch {}
            log.close()
            var tear: SeededGenerator? = SeededGenerator(seed: UInt64(budget))
            if pages { memory.crashModel = .pages }
            memory.crash(tearingWith: &tear)
            let reopened = try openLog(memory, segmentSize: 300)
            defer { reopened.close() }
            // What the commit index names must be the snapshot's, not the old entries of term 6.
            if reopened.hardState.commit >= 1 {
                #expect(
                    reopened.snapshotIndex >= reopened.hardState.commit,
                    "budget \(budget): commit \(reopened.hardState.commit) over entries of terms \(reopened.entries.map(\.term)) (snapshot through \(reopened.snapshotIndex))"
                )
            }
            if completed { break }
            fired += 1
        }
        #expect(fired >= 3, "the snapshot save takes several steps, each interrupted once")
    }
}
