import RaftCore
import Testing
@testable import RaftStorage

/// Power loss at every step of `saveSnapshot`, and a random mix of operations against a model.
@Suite struct SnapshotCrashTests {
    /// A history with rotations, conflicts and (for odd seeds) an earlier snapshot; everything acknowledged.
    static func history(_ log: LogStorage, seed: UInt64) throws -> UInt64 {
        var h = SeededGenerator(seed: seed)
        var term: UInt64 = 1
        for round in 0..<Int(h.next(below: 5) + 4) {
            if h.next(below: 3) == 0 { term += 1 }
            let low = max(Int(log.hardState.commit) + 1, Int(log.lastIndex) - 1, Int(log.firstIndex))
            let first = UInt64(h.next(in: low..<(Int(log.lastIndex) + 2)))
            let last = first + h.next(below: 3)
            try log.save(
                hardState: HardState(term: term, vote: 1, commit: min(log.lastIndex, first - 1)),
                entries: makeEntries(first...last, term: term, size: 40))
            if seed % 2 == 1 && round == 2 && log.hardState.commit > log.snapshotIndex {
                let at = log.hardState.commit
                try log.saveSnapshot(makeSnapshot(index: at, term: log.term(at: at)!, size: 50), mode: .compaction)
            }
        }
        return term
    }

    /// Power loss after each mutating step of `saveSnapshot` (the last write torn at a random byte):
    /// the log reopens with at most a torn tail, and holds either the old snapshot and log or the new
    /// snapshot and the log after it — never a gap or a mix. A call that returned is never lost.
    @Test(arguments: 0..<8 as Range<UInt64>)
    func powerLossAtEveryStepOfSaveSnapshot(seed: UInt64) throws {
        var g = SeededGenerator(seed: 7000 + seed)
        var steps = 0
        let received = seed % 4 >= 2
        for budget in 0..<60 {
            let memory = MemoryFileSystem()
            let fs = FailingFileSystem(base: memory, budget: Int.max)
            let log = try openLog(fs, segmentSize: 300)
            let term = try Self.history(log, seed: seed)
            let before = (snapshot: log.snapshot, entries: log.entries, hardState: log.hardState)
            let snapshot: Snapshot
            var newState: HardState?
            if received {
                // From a leader of a newer term, at, below or past the log's end.
                let index = max(log.snapshotIndex + 1, log.lastIndex + 2 - seed % 3 * 2)
                snapshot = makeSnapshot(index: index, term: term + 1, size: 700)
                newState = HardState(term: term + 1, vote: 0, commit: index)
            } else {
                let index = max(log.snapshotIndex + 1, log.lastIndex - 1)
                snapshot = makeSnapshot(index: index, term: log.term(at: index)!, size: 700)
            }
            fs.budget = budget
            var completed = false
            do {
                try log.saveSnapshot(snapshot, hardState: newState, mode: received ? .received : .compaction)
                completed = true
            } catch {}
            let after = (snapshot: log.snapshot, entries: log.entries, hardState: log.hardState)
            log.close()
            var tear: SeededGenerator? = SeededGenerator(seed: g.next())
            memory.crash(tearingWith: &tear)
            let reopened = try openLog(memory, segmentSize: 300)
            let context = "seed \(seed) budget \(budget)"
            #expect(reopened.report.problems.allSatisfy { $0.class == .tornTail }, "\(context): \(reopened.report.problems)")
            let isOld = reopened.snapshot == before.snapshot && reopened.entries == before.entries
            let isNew = reopened.snapshot == snapshot && reopened.entries == after.entries
            if completed {
                #expect(isNew, "\(context)")
                #expect(reopened.hardState == after.hardState, "\(context)")
            } else {
                #expect(
                    isOld
                        || (reopened.snapshot == snapshot
                            && reopened.entries == (received ? [] : Array(before.entries.drop { $0.index <= snapshot.metadata.index }))),
                    "\(context): snapshot \(reopened.snapshot?.metadata.index ?? 0), entries \(reopened.entries.map(\.index))")
                #expect(reopened.hardState == before.hardState || reopened.hardState.term == newState?.term, "\(context)")
                #expect(reopened.hardState.commit <= reopened.lastIndex, "\(context)")
            }
            #expect(reopened.lastTerm <= reopened.hardState.term, "\(context)")
            #expect(reopened.entries.first.map { $0.index == reopened.firstIndex } ?? true, "\(context)")
            // The recovered log takes new writes and reopens cleanly; nothing obsolete is left behind.
            let t = reopened.hardState.term + 1
            try reopened.save(
                hardState: HardState(term: t, vote: 3, commit: reopened.hardState.commit),
                entries: makeEntries((reopened.lastIndex + 1)...(reopened.lastIndex + 2), term: t))
            let expected = (reopened.snapshot, reopened.entries)
            reopened.close()
            let again = try openLog(memory, segmentSize: 300)
            #expect(again.report.problems.isEmpty, "\(context): \(again.report.problems)")
            #expect(again.snapshot == expected.0 && again.entries == expected.1, "\(context)")
            let scan = try LogScanner(directory: dir, fileSystem: memory).verify()
            #expect(scan.obsoleteSegments.isEmpty && scan.worst == nil, "\(context): \(scan.problems)")
            #expect(scan.snapshotFiles.count <= 2)
            again.close()
            if completed { break }
            steps = budget
        }
        #expect(steps >= 5, "the save took several steps, each one interrupted once")
    }

    /// A model of the log: the snapshot, the entries after it, the hard state.
    struct Model {
        var snapshot: Snapshot?
        var entries: [Entry] = []
        var hardState = HardState.empty
        var snapshotIndex: UInt64 { snapshot?.metadata.index ?? 0 }
        var lastIndex: UInt64 { snapshotIndex + UInt64(entries.count) }
        var lastTerm: UInt64 { entries.last?.term ?? snapshot?.metadata.term ?? 0 }
        func term(at i: UInt64) -> UInt64? {
            if i == snapshotIndex { return snapshot?.metadata.term }
            guard i > snapshotIndex, i <= lastIndex else { return nil }
            return entries[Int(i - snapshotIndex - 1)].term
        }
    }

    /// Appends, conflict truncations, local compactions, received snapshots, reopenings and power
    /// losses (after acknowledged calls), checked against the model after every step.
    @Test(arguments: 0..<12 as Range<UInt64>)
    func randomOperationsMatchTheModel(seed: UInt64) throws {
        var g = SeededGenerator(seed: 90_000 + seed)
        let memory = MemoryFileSystem()
        let segmentSize = [200, 600, 4096][Int(seed % 3)]
        var log = try openLog(memory, segmentSize: segmentSize)
        var model = Model()
        var term: UInt64 = 1
        for step in 0..<160 {
            let context = "seed \(seed) step \(step)"
            switch g.next(below: 20) {
            case 0..<11:
                // Append, sometimes over a conflicting suffix above the commit index.
                if g.next(below: 4) == 0 { term += 1 }
                let low = Int(max(model.hardState.commit, model.snapshotIndex)) + 1
                let first =
                    g.next(below: 3) == 0 && Int(model.lastIndex) >= low
                    ? UInt64(g.next(in: low..<(Int(model.lastIndex) + 1))) : model.lastIndex + 1
                let entries = makeEntries(first...(first + g.next(below: 4)), term: term, size: Int(g.next(below: 60)))
                let commit = max(model.hardState.commit, min(first - 1, model.lastIndex))
                let state = HardState(term: term, vote: 1, commit: commit)
                try log.save(hardState: state, entries: entries)
                model.entries.removeSubrange(Int(first - model.snapshotIndex - 1)...)
                model.entries.append(contentsOf: entries)
                model.hardState = state
            case 11..<14:
                // Local compaction through a committed index.
                guard model.hardState.commit > model.snapshotIndex else { continue }
                let at = UInt64(g.next(in: Int(model.snapshotIndex + 1)..<Int(model.hardState.commit + 1)))
                let snapshot = makeSnapshot(index: at, term: model.term(at: at)!, size: Int(g.next(below: 300)))
                try log.saveSnapshot(snapshot, mode: g.next(below: 2) == 0 ? .compaction : .automatic)
                model.entries.removeFirst(Int(at - model.snapshotIndex))
                model.snapshot = snapshot
            case 14..<16:
                // A snapshot from the leader of a newer term: below, at or past the log's end.
                term += 1
                let low = Int(max(model.hardState.commit, model.snapshotIndex)) + 1
                let at = UInt64(g.next(in: low..<(Int(model.lastIndex) + 6)))
                let snapshot = makeSnapshot(
                    index: at, term: term, size: Int(g.next(below: 300)),
                    configuration: Configuration(voters: [1, 2, 3, 4]))
                let state = HardState(term: term, vote: 0, commit: at)
                try log.saveSnapshot(snapshot, hardState: state, mode: .received)
                model.snapshot = snapshot
                model.entries = []
                model.hardState = state
            case 16..<18:
                log.close()
                log = try openLog(memory, segmentSize: segmentSize)
                #expect(log.report.problems.isEmpty, "\(context): \(log.report.problems)")
            default:
                log.close()
                var tear: SeededGenerator? = SeededGenerator(seed: g.next())
                memory.crash(tearingWith: &tear)
                log = try openLog(memory, segmentSize: segmentSize)
                #expect(log.report.problems.allSatisfy { $0.class == .tornTail }, "\(context): \(log.report.problems)")
            }
            #expect(log.snapshot == model.snapshot, "\(context)")
            #expect(log.entries == model.entries, "\(context)")
            #expect(log.hardState == model.hardState, "\(context)")
            #expect(log.lastIndex == model.lastIndex && log.lastTerm == model.lastTerm, "\(context)")
            if log.entries != model.entries { break }
        }
        log.close()
        let result = try LogScanner(directory: dir, fileSystem: memory).verify()
        #expect(result.worst == nil, "seed \(seed): \(result.problems)")
        #expect(result.lastIndex == model.lastIndex)
        #expect(result.snapshot?.metadata == model.snapshot?.metadata)
    }
}
