import RaftCore
import Testing
@testable import RaftStorage

/// A save whose new commit index names entries of that same save (a follower that receives a
/// conflicting suffix and learns it is committed in one append) must never leave on disk a commit
/// index over entries that are not the ones it committed (docs/storage-format.md §5.1, step 3).
@Suite struct CommitHeldBackTests {
    /// Entries 1…3 of term 1, commit 1, all synced: the follower's state before the append.
    private func follower(_ fs: FileSystem) throws -> LogStorage {
        let log = try openLog(fs)
        try log.save(hardState: HardState(term: 1, vote: 1, commit: 1), entries: makeEntries(1...3, term: 1))
        return log
    }

    /// The append: term 2 replaces entries 2…3 and commits through 3.
    private let appended = makeEntries(2...3, term: 2, size: 40)
    private let appendedState = HardState(term: 2, vote: 2, commit: 3)

    /// What the committed indexes must hold: entry 1 of term 1, then the appended entries.
    private func intended(_ index: UInt64) -> Entry {
        index == 1 ? makeEntries(1...1, term: 1)[0] : appended[Int(index - 2)]
    }

    /// Every entry at or below the recovered commit index is the one that commit index named.
    private func expectCommittedPrefixIntact(_ log: LogStorage, _ label: String) {
        #expect(log.hardState.commit <= log.lastIndex, "\(label)")
        guard log.hardState.commit >= 1 else { return }
        for index in 1...log.hardState.commit {
            let held = log.entries.first { $0.index == index }
            #expect(held == intended(index), "\(label): commit \(log.hardState.commit) but entry \(index) is \(String(describing: held))")
        }
    }

    /// A power loss after each step of the save (`.everyBatch`): in particular after the hard
    /// state's sync and before the segment's. Before the fix the hard state said commit 3 over the
    /// old entries 2…3 of term 1.
    @Test func powerLossAtEveryStep() throws {
        var sawHeldBack = false
        for budget in 0..<12 {
            let memory = MemoryFileSystem()
            let fs = FailingFileSystem(base: memory, budget: Int.max)
            let log = try follower(fs)
            fs.budget = budget
            var completed = false
            do {
                try log.save(hardState: appendedState, entries: appended)
                completed = true
            } catch {}
            log.close()
            memory.crash()
            let reopened = try openLog(memory)
            expectCommittedPrefixIntact(reopened, "budget \(budget)")
            if reopened.hardState.term == 2 && reopened.lastTerm == 1 { sawHeldBack = true }
            if completed {
                #expect(reopened.hardState == appendedState, "a completed save records the full commit index")
                #expect(reopened.entries == makeEntries(1...1, term: 1) + appended)
                reopened.close()
                break
            }
            reopened.close()
        }
        #expect(sawHeldBack, "some budget stops the save between the hard state's sync and the entries'")
    }

    /// The explorer's torn write: the save runs without a sync and the crash keeps any subset of
    /// its pages (the hard-state file's page without the segment's, in particular).
    @Test(arguments: 0..<64 as Range<UInt64>)
    func unsyncedSaveUnderThePageModel(seed: UInt64) throws {
        let memory = MemoryFileSystem()
        memory.crashModel = .pages
        let log = try follower(memory)
        log.syncPolicy = .never
        try log.save(hardState: appendedState, entries: appended)
        #expect(log.hardState.commit == 1, "without a sync the commit index waits for a later save")
        log.close()
        var generator = SeededGenerator(seed: 7_000 + seed)
        memory.crash(keepingPagesWith: &generator)
        let reopened = try openLog(memory)
        expectCommittedPrefixIntact(reopened, "seed \(seed)")
        reopened.close()
    }

    /// A commit index that stays below the save's first entry is written as given, in one slot.
    @Test func commitBelowTheSaveIsNotHeldBack() {
        let state = HardState(term: 3, vote: 1, commit: 4)
        #expect(LogStorage.commitHeldBack(state, below: 5) == state)
        #expect(LogStorage.commitHeldBack(state, below: nil) == state)
        #expect(LogStorage.commitHeldBack(state, below: 4) == HardState(term: 3, vote: 1, commit: 3))
        #expect(LogStorage.commitHeldBack(state, below: 1) == HardState(term: 3, vote: 1, commit: 0))
    }
}
