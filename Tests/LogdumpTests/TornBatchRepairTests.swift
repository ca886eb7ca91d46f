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
            try log.save(hardState: HardState(term: 1, vote: 1, commit: index), entries: (1...2).map { entry(index + $0, 1, String(repeating: "a", count: 100)) })
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
