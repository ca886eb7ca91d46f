import RaftCore
import Testing
@testable import RaftStorage

/// docs/storage-format.md §5.6, the syncs outside `save`'s own steps: a failed sync of what
/// `SyncPolicy.never` wrote (in `sync()`, in the switch back to `.everyBatch`, before a snapshot),
/// and the syncs of `saveSnapshot`. A reopen in the same boot reads the page cache; it must find
/// the files as they were at the last full sync (or refuse), never what the failed sync left unproven.
@Suite struct UnsyncedFailedSyncTests {
    /// Entries 1…7 synced, then 8…11 (a new term, two hard-state writes, a rotation) under `.never`.
    func unsyncedHistory(_ fs: FaultyFileSystem) throws -> (LogStorage, durable: [Entry], HardState) {
        let log = try openLog(fs, segmentSize: 400)
        try log.save(hardState: HardState(term: 1, vote: 1, commit: 0), entries: makeEntries(1...4, term: 1))
        try log.save(hardState: HardState(term: 1, vote: 1, commit: 4), entries: makeEntries(5...7, term: 1))
        let durable = (log.entries, log.hardState)
        log.syncPolicy = .never
        try log.save(hardState: HardState(term: 2, vote: 2, commit: 7), entries: makeEntries(8...9, term: 2))
        try log.save(hardState: HardState(term: 2, vote: 2, commit: 9), entries: makeEntries(10...11, term: 2))
        #expect(log.lastIndex == 11)
        return (log, durable.0, durable.1)
    }

    /// The reopen in the same boot, and again after a power loss, holds the last full sync.
    func expectLastFullSync(
        _ memory: MemoryFileSystem, _ entries: [Entry], _ hardState: HardState,
        _ comment: Comment, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        for crash in [false, true] {
            if crash { memory.crash() }
            let reopened = try openLog(memory, segmentSize: 400)
            #expect(reopened.entries == entries && reopened.hardState == hardState, comment, sourceLocation: sourceLocation)
            #expect(reopened.report.problems.allSatisfy { $0.class == .tornTail }, sourceLocation: sourceLocation)
            reopened.close()
        }
    }

    @Test func aFailedSyncCallLeavesTheLastFullSync() throws {
        let memory = MemoryFileSystem()
        let fs = FaultyFileSystem(base: memory)
        let (log, entries, hardState) = try unsyncedHistory(fs)
        #expect(log.segmentSequences.count >= 2, "the unsynced saves rotated")
        fs.failingSyncs = 1
        fs.syncFailsFor = { $0.hasSuffix(".seg") }
        #expect(throws: StorageError.self) { try log.sync() }
        #expect(throws: StorageError.self) { try log.save(hardState: nil, entries: makeEntries(12...12, term: 2)) }  // unusable
        log.close()
        try expectLastFullSync(memory, entries, hardState, "a reopen trusted writes whose sync failed")
    }

    @Test func aFailedSwitchBackToEveryBatchLeavesTheLastFullSync() throws {
        let memory = MemoryFileSystem()
        let fs = FaultyFileSystem(base: memory)
        let (log, entries, hardState) = try unsyncedHistory(fs)
        log.syncPolicy = .everyBatch
        fs.failingSyncs = 1
        fs.syncFailsFor = { $0.hasSuffix(StorageFormat.hardStateFileName) }
        #expect(throws: StorageError.self) { try log.save(hardState: nil, entries: makeEntries(12...12, term: 2)) }
        log.close()
        try expectLastFullSync(memory, entries, hardState, "a reopen trusted writes whose sync failed")
    }

    @Test func aFailedSyncBeforeASnapshotLeavesTheLastFullSync() throws {
        let memory = MemoryFileSystem()
        let fs = FaultyFileSystem(base: memory)
        let (log, entries, hardState) = try unsyncedHistory(fs)
        fs.failingSyncs = 1
        fs.syncFailsFor = { $0.hasSuffix(".seg") }
        #expect(throws: StorageError.self) { try log.saveSnapshot(makeSnapshot(index: 9, term: 2), mode: .compaction) }
        log.close()
        #expect(!memory.fileExists(atPath: snapshotPath(9)))
        try expectLastFullSync(memory, entries, hardState, "a reopen trusted writes whose sync failed")
    }

    /// The directory sync after the snapshot's rename fails: the name may not be durable, so the
    /// file goes again and a reopen continues from the old log.
    @Test func aSnapshotWhoseDirectorySyncFailedIsRemoved() throws {
        let memory = MemoryFileSystem()
        let fs = FaultyFileSystem(base: memory)
        let log = try openLog(fs)
        try log.save(hardState: HardState(term: 1, vote: 1, commit: 6), entries: makeEntries(1...6, term: 1))
        let before = log.entries
        fs.failingDirectorySyncs = 1
        #expect(throws: StorageError.self) { try log.saveSnapshot(makeSnapshot(index: 5, term: 1)) }
        log.close()
        #expect(!memory.fileExists(atPath: snapshotPath(5)), "the snapshot whose name may not be durable stayed")
        let reopened = try openLog(memory)
        #expect(reopened.snapshot == nil && reopened.entries == before)
        reopened.close()
    }

    /// A received snapshot's new segment whose sync failed is removed; the snapshot itself was
    /// durable, so a reopen starts from it and creates the segment again (row S12).
    @Test func aReceivedSnapshotsSegmentWhoseSyncFailedIsRemoved() throws {
        let memory = MemoryFileSystem()
        let fs = FaultyFileSystem(base: memory)
        let log = try openLog(fs)
        try log.save(hardState: HardState(term: 2, vote: 1, commit: 3), entries: makeEntries(1...3, term: 1))
        let next = segmentPath(log.currentSegmentSequence + 1)
        fs.failingSyncs = 1
        fs.syncFailsFor = { $0 == next }
        let snapshot = makeSnapshot(index: 20, term: 2)
        #expect(throws: StorageError.self) { try log.saveSnapshot(snapshot, mode: .received) }
        log.close()
        #expect(!memory.fileExists(atPath: next), "a segment whose header sync failed stayed")
        let reopened = try openLog(memory)
        #expect(reopened.snapshot == snapshot && reopened.entries.isEmpty && reopened.lastIndex == 20)
        reopened.close()
    }

    /// The roll-back fails too: the marker names it, open refuses, the repair plan carries it out.
    @Test func aRollBackThatFailsLeavesAMarkerUntilRepair() throws {
        let memory = MemoryFileSystem()
        let fs = FaultyFileSystem(base: memory)
        let (log, entries, hardState) = try unsyncedHistory(fs)
        fs.failingSyncs = 2  // the sync, then the roll-back's own sync of the segment
        fs.syncFailsFor = { $0.hasSuffix(".seg") }
        do {
            try log.sync()
            Issue.record("the sync succeeded")
        } catch {
            #expect(error.kind == .unusable && error.message.contains("logdump repair"), "\(error)")
        }
        log.close()
        let marker = try #require(FailureMarker.decode(try memory.readFile(atPath: Path.join(dir, FailureMarker.fileName))))
        guard case .rollBack(_, _, let synced?) = marker.undo else { Issue.record("\(marker.undo)"); return }
        #expect(synced.state == hardState)
        #expect(openError(memory)?.kind == .unusable)
        let scan = try LogScanner(directory: dir, fileSystem: memory).verify()
        let plan = try #require(scan.repairPlan())
        #expect(plan.onlyTornTail)
        try plan.apply(fileSystem: memory)
        try expectLastFullSync(memory, entries, hardState, "the repair did not go back to the last full sync")
    }
}
