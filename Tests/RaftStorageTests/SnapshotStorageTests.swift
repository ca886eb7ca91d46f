import RaftCore
import Testing
@testable import RaftStorage

let threeVoters = Configuration(voters: [1, 2, 3])

func makeSnapshot(index: UInt64, term: UInt64, size: Int = 100, configuration: Configuration = threeVoters) -> Snapshot {
    Snapshot(
        metadata: SnapshotMetadata(index: index, term: term, configuration: configuration),
        data: (0..<size).map { UInt8(truncatingIfNeeded: Int(index) &* 13 &+ $0) })
}

func snapshotPath(_ index: UInt64, in directory: String = dir) -> String {
    Path.join(directory, SnapshotFormat.fileName(index: index))
}

func fileNames(_ fs: FileSystem, _ directory: String = dir) throws -> [String] {
    try fs.contentsOfDirectory(atPath: directory)
}

@Suite struct SnapshotStorageTests {
    @Test func compactionKeepsTheEntriesAfterTheSnapshotAndReopens() throws {
        let fs = MemoryFileSystem()
        let (all, state) = try buildLog(fs, segmentSize: 200)
        let log = try openLog(fs, segmentSize: 200)
        let before = log.currentSegmentSequence
        #expect(log.segmentSequences.count > 2)
        let snap = makeSnapshot(index: 6, term: 1)
        try log.saveSnapshot(snap)
        #expect(log.snapshot == snap)
        #expect(log.firstIndex == 7)
        #expect(log.entries == Array(all[6...]))
        #expect(log.lastIndex == 10 && log.lastTerm == 2)
        #expect(log.currentSegmentSequence == before)
        // Segments wholly covered are gone; the one holding index 7 stays.
        let first = log.segmentSequences.first!
        #expect(first > 1)
        for s in 1..<first { #expect(!fs.fileExists(atPath: segmentPath(s))) }
        try log.save(hardState: HardState(term: 2, vote: 2, commit: 9), entries: makeEntries(11...12, term: 2))
        log.close()

        let reopened = try openLog(fs, segmentSize: 200)
        #expect(reopened.report.problems.isEmpty)
        #expect(reopened.snapshot == snap)
        #expect(reopened.entries == Array(all[6...]) + makeEntries(11...12, term: 2))
        #expect(reopened.hardState == HardState(term: 2, vote: 2, commit: 9))
        #expect(state.term == 2)
        let result = try LogScanner(directory: dir, fileSystem: fs).verify()
        #expect(result.worst == nil, "\(result.problems)")
        #expect(result.snapshot?.index == 6 && result.snapshot?.term == 1)
        #expect(result.snapshot?.configuration == threeVoters)
        #expect(result.snapshot?.dataLength == 100 && result.snapshot?.checksumStatus == "ok")
        #expect(result.firstIndex == 7 && result.lastIndex == 12)
        reopened.close()
    }

    @Test func compactingEverythingAndAppendingAfterIt() throws {
        let fs = MemoryFileSystem()
        _ = try buildLog(fs)
        let log = try openLog(fs)
        try log.saveSnapshot(makeSnapshot(index: 10, term: 2), mode: .compaction)
        #expect(log.entries.isEmpty && log.lastIndex == 10 && log.lastTerm == 2)
        log.close()
        let reopened = try openLog(fs)
        #expect(reopened.entries.isEmpty && reopened.lastIndex == 10 && reopened.lastTerm == 2)
        try reopened.save(hardState: HardState(term: 3, vote: 1, commit: 10), entries: makeEntries(11...11, term: 3))
        try reopened.saveSnapshot(makeSnapshot(index: 11, term: 3))
        reopened.close()
        let again = try openLog(fs)
        #expect(again.snapshot?.metadata.index == 11 && again.entries.isEmpty)
        // Two snapshot files at most.
        let names = try fileNames(fs).filter { SnapshotFormat.index(fileName: $0) != nil }
        #expect(names == [SnapshotFormat.fileName(index: 10), SnapshotFormat.fileName(index: 11)])
        try again.saveSnapshot(makeSnapshot(index: 11, term: 3))  // the same one again: nothing happens
        again.close()
    }

    @Test(arguments: [3, 10, 15] as [UInt64])
    func receivedSnapshotReplacesTheWholeLog(index: UInt64) throws {
        // The log ends at 10 (terms 1 and 2); the snapshot is at 3 (conflicting term), 10 (conflicting), or 15 (beyond).
        let fs = MemoryFileSystem()
        _ = try buildLog(fs, segmentSize: 200)
        let log = try openLog(fs, segmentSize: 200)
        let oldSegments = log.segmentSequences
        let snap = makeSnapshot(index: index, term: 5, size: 3000)
        let state = HardState(term: 5, vote: 0, commit: index)
        try log.saveSnapshot(snap, hardState: state, mode: .received)
        #expect(log.entries.isEmpty && log.lastIndex == index && log.lastTerm == 5 && log.hardState == state)
        for s in oldSegments { #expect(!fs.fileExists(atPath: segmentPath(s))) }
        #expect(log.segmentSequences == [oldSegments.last! + 1])
        try log.save(hardState: state, entries: makeEntries((index + 1)...(index + 3), term: 5))
        log.close()
        let reopened = try openLog(fs, segmentSize: 200)
        #expect(reopened.report.problems.isEmpty)
        #expect(reopened.snapshot == snap)
        #expect(reopened.entries == makeEntries((index + 1)...(index + 3), term: 5))
        #expect(reopened.hardState == state)
        reopened.close()
    }

    /// Found by the explorer: a follower receives a snapshot (its new segment opens with an empty
    /// batch marker that names the snapshot's index and term as the log's end), appends one entry,
    /// then compacts through that entry. The segment now starts inside what the newer snapshot
    /// covers, where terms are unknown, and recovery refused the marker's term as inconsistent.
    @Test(arguments: [false, true])
    func compactingAfterAReceivedSnapshotReopens(emptyLogBefore: Bool) throws {
        let fs = MemoryFileSystem()
        if !emptyLogBefore { _ = try buildLog(fs) }
        let at: UInt64 = emptyLogBefore ? 1 : 11
        let log = try openLog(fs)
        if emptyLogBefore { try log.save(hardState: HardState(term: 5, vote: 2, commit: 0), entries: []) }
        let state = HardState(term: 5, vote: 0, commit: at + 1)
        try log.saveSnapshot(makeSnapshot(index: at, term: 4), hardState: HardState(term: 5, vote: 0, commit: at), mode: .received)
        // The same Ready's hard state, saved again: an empty batch marker naming (at, term 4) as the end.
        try log.save(hardState: HardState(term: 5, vote: 0, commit: at), entries: [])
        try log.save(hardState: state, entries: makeEntries((at + 1)...(at + 1), term: 5))
        try log.saveSnapshot(makeSnapshot(index: at + 1, term: 5), mode: .compaction)
        log.close()
        let reopened = try openLog(fs)
        #expect(reopened.report.problems.isEmpty, "\(reopened.report.problems)")
        #expect(reopened.snapshot?.metadata.index == at + 1 && reopened.entries.isEmpty)
        #expect(reopened.lastIndex == at + 1 && reopened.lastTerm == 5)
        try reopened.save(hardState: state, entries: makeEntries((at + 2)...(at + 3), term: 5))
        reopened.close()
        let again = try openLog(fs)
        #expect(again.report.problems.isEmpty, "\(again.report.problems)")
        #expect(again.entries == makeEntries((at + 2)...(at + 3), term: 5))
        let result = try LogScanner(directory: dir, fileSystem: fs).verify()
        #expect(result.worst == nil, "\(result.problems)")
        again.close()
    }

    @Test func automaticModeKeepsAMatchingLogAndReplacesAConflictingOne() throws {
        let fs = MemoryFileSystem()
        let (all, _) = try buildLog(fs)
        let log = try openLog(fs)
        try log.saveSnapshot(makeSnapshot(index: 8, term: 2))  // the log holds (8, 2): compaction
        #expect(log.entries == Array(all[8...]))
        try log.saveSnapshot(makeSnapshot(index: 9, term: 3), hardState: HardState(term: 3, vote: 0, commit: 9))  // (9, 3) conflicts
        #expect(log.entries.isEmpty && log.lastIndex == 9 && log.lastTerm == 3)
        log.close()
        let reopened = try openLog(fs)
        #expect(reopened.entries.isEmpty && reopened.lastIndex == 9)
        reopened.close()
    }

    @Test func invalidSnapshotsAreRefusedWithoutTouchingTheDisk() throws {
        let fs = MemoryFileSystem()
        _ = try buildLog(fs)
        let log = try openLog(fs)
        defer { log.close() }
        let before = try fileNames(fs)
        // Compaction of entries the log does not hold, a term above the hard state's, an index 0.
        #expect(throws: StorageError.self) { try log.saveSnapshot(makeSnapshot(index: 12, term: 2), mode: .compaction) }
        #expect(throws: StorageError.self) { try log.saveSnapshot(makeSnapshot(index: 5, term: 2), mode: .compaction) }
        #expect(throws: StorageError.self) { try log.saveSnapshot(makeSnapshot(index: 12, term: 9)) }
        #expect(throws: StorageError.self) { try log.saveSnapshot(makeSnapshot(index: 0, term: 1)) }
        #expect(try fileNames(fs) == before)
        try log.saveSnapshot(makeSnapshot(index: 5, term: 1))
        #expect(throws: StorageError.self) { try log.saveSnapshot(makeSnapshot(index: 4, term: 1)) }
        // Entries below the snapshot are refused; the log is still usable.
        #expect(throws: StorageError.self) { try log.save(hardState: nil, entries: makeEntries(5...6, term: 2)) }
        try log.save(hardState: nil, entries: makeEntries(6...6, term: 2))
        #expect(log.lastIndex == 6)
    }

    @Test func posixRoundTripWithBothKindsOfSnapshot() throws {
        let fs = PosixFileSystem()
        let directory = "/tmp/raftstorage-snap-\(UInt64.random(in: 0...UInt64.max))/node"
        defer {
            if let names = try? fs.contentsOfDirectory(atPath: directory) {
                for name in names { try? fs.removeFile(atPath: Path.join(directory, name)) }
            }
        }
        let log = try openLog(fs, directory, segmentSize: 512)
        for b in 0..<6 as Range<UInt64> {
            try log.save(hardState: HardState(term: 1, vote: 1, commit: b * 3), entries: makeEntries((b * 3 + 1)...(b * 3 + 3), term: 1, size: 80))
        }
        try log.saveSnapshot(makeSnapshot(index: 12, term: 1, size: 5000), mode: .compaction)
        let received = makeSnapshot(index: 30, term: 4, size: 7000)
        try log.saveSnapshot(received, hardState: HardState(term: 4, vote: 0, commit: 30), mode: .received)
        try log.save(hardState: nil, entries: makeEntries(31...33, term: 4))
        log.close()
        let reopened = try openLog(fs, directory, segmentSize: 512)
        #expect(reopened.report.problems.isEmpty)
        #expect(reopened.snapshot == received)
        #expect(reopened.entries == makeEntries(31...33, term: 4))
        let names = try fs.contentsOfDirectory(atPath: directory)
        #expect(names.filter { $0.hasSuffix(".snap") } == [SnapshotFormat.fileName(index: 12), SnapshotFormat.fileName(index: 30)])
        #expect(names.filter { $0.hasSuffix(".seg") } == [StorageFormat.segmentFileName(sequence: reopened.currentSegmentSequence)])
        reopened.close()
    }

    /// Under `SyncPolicy.never` a snapshot save still makes everything before it durable.
    @Test func aSnapshotSaveIsDurableUnderSyncPolicyNever() throws {
        let fs = MemoryFileSystem()
        let log = try openLog(fs, segmentSize: 200, policy: .never)
        try log.save(hardState: HardState(term: 1, vote: 1, commit: 0), entries: makeEntries(1...8, term: 1))
        try log.save(hardState: HardState(term: 1, vote: 1, commit: 8), entries: makeEntries(9...12, term: 1))
        try log.saveSnapshot(makeSnapshot(index: 8, term: 1))
        let expected = log.entries
        log.close()
        fs.crash()
        let reopened = try openLog(fs, segmentSize: 200)
        #expect(reopened.snapshot?.metadata.index == 8)
        #expect(reopened.entries == expected)
        reopened.close()
    }

    /// Snapshot data larger than the read window is checksummed piecewise and loads whole.
    @Test func largeSnapshotDataIsReadThroughAWindow() throws {
        let fs = MemoryFileSystem()
        _ = try buildLog(fs)
        let log = try openLog(fs)
        let big = makeSnapshot(index: 5, term: 1, size: 70_001)
        try log.saveSnapshot(big)
        log.close()
        let info = try SnapshotFileInfo.inspect(path: snapshotPath(5), fileSystem: fs, chunkSize: 4096)
        #expect(info.isValid && info.checksumStatus == "ok" && info.dataLength == 70_001)
        #expect(try SnapshotFileInfo.load(path: snapshotPath(5), fileSystem: fs).snapshot == big)
        let reopened = try openLog(fs)
        #expect(reopened.snapshot == big)
        reopened.close()
    }
}
