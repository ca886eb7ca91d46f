import LogdumpKit
import RaftCore
import RaftStorage
import Testing

/// `logdump` on a log whose last batch lost a page that comes before a page that reached the disk
/// (issue 17 §1, row R8 of docs/storage-format.md §5.3): verify calls it a torn tail, and repair
/// cuts it back to the previous marker.
@Suite struct TornBatchRepairTests {
    /// Batches up to about 3 KiB, then one last batch across two page boundaries whose bytes before
    /// the first boundary are zeros. Returns the directory and the segment's length before the batch.
    static func tornBatch() throws -> (dir: String, before: Int) {
        let dir = makeTempDir("torn-batch")
        let log = try LogStorage.open(directory: dir, fileSystem: fs, options: StorageOptions(newLogID: fixedLogID))
        var index: UInt64 = 0
        while try fs.fileSize(atPath: segmentPath(dir, 1)) < 3072 {
            try log.save(
                hardState: HardState(term: 1, vote: 1, commit: index),
                entries: (1...2).map { entry(index + $0, 1, String(repeating: "a", count: 100)) })
            index += 2
        }
        let before = Int(try fs.fileSize(atPath: segmentPath(dir, 1)))
        try log.save(hardState: nil, entries: (1...8).map { entry(index + $0, 1, String(repeating: "b", count: 700)) })
        log.close()
        var bytes = try readBytes(segmentPath(dir, 1))
        #expect(bytes.count > 8192)
        for i in before..<4096 { bytes[i] = 0 }
        try writeBytes(segmentPath(dir, 1), bytes)
        return (dir, before)
    }

    @Test func verifyCallsItATornTailAndRepairCutsAtThePreviousMarker() throws {
        let (dir, before) = try Self.tornBatch()
        defer { removeTree(dir) }
        let verified = verify(dir)
        #expect(verified.0 == .tornTail, "\(verified.1)")
        #expect(verified.1.contains("can be cut at offset \(before)"))
        let dry = repair(dir)
        #expect(dry.0 == .tornTail)
        #expect(dry.1.contains("no synced batch marker after it is followed by more data"))
        let applied = repair(dir) { $0.apply = true }
        #expect(applied.1.contains("re-verify: clean"), "\(applied.1)")
        #expect(try readBytes(segmentPath(dir, 1)).count == before)
    }
}

/// The failure marker (issue 17 §2, docs/storage-format.md §5.6): verify explains it, repair does its undo.
@Suite struct FailureMarkerLogdumpTests {
    @Test func verifyExplainsTheMarkerAndRepairDoesTheUndo() throws {
        let dir = makeTempDir("sync-failed")
        defer { removeTree(dir) }
        let log = try LogStorage.open(directory: dir, fileSystem: fs, options: StorageOptions(newLogID: fixedLogID))
        try log.save(hardState: HardState(term: 1, vote: 1, commit: 0), entries: [entry(1, 1, "a"), entry(2, 1, "b")])
        let acknowledged = try fs.fileSize(atPath: segmentPath(dir, 1))
        // The batch whose sync "failed": still readable, as in the page cache.
        try log.save(hardState: nil, entries: [entry(3, 1, "c")])
        log.close()
        let segment = StorageFormat.segmentFileName(sequence: 1)
        let marker = FailureMarker(
            undo: .truncate(file: segment, length: acknowledged), failure: "fdatasync: Input/output error",
            undoFailure: "ftruncate: Input/output error")
        try writeBytes(Path.join(dir, FailureMarker.fileName), marker.encode())
        #expect(throws: StorageError.self) { try LogStorage.open(directory: dir, fileSystem: fs) }

        let verified = verify(dir)
        #expect(verified.0 == .inconsistency, "\(verified.1)")
        #expect(verified.1.contains(FailureMarker.fileName) && verified.1.contains("logdump repair $DIR --apply"), "\(verified.1)")
        let dry = repair(dir)
        #expect(dry.1.contains("cut \(segment) back to \(acknowledged) bytes"), "\(dry.1)")
        #expect(dry.1.contains("entries that would go (1):\n  index 3, term 1"), "\(dry.1)")
        let applied = repair(dir) { $0.apply = true }
        #expect(applied.1.contains("re-verify: clean"), "\(applied.1)")
        #expect(try fs.fileSize(atPath: segmentPath(dir, 1)) == acknowledged)
        #expect(!fs.fileExists(atPath: Path.join(dir, FailureMarker.fileName)))
        let reopened = try LogStorage.open(directory: dir, fileSystem: fs)
        #expect(reopened.lastIndex == 2)
        reopened.close()
    }
}
