import RaftCore
import Testing
@testable import RaftStorage

/// A power loss during the `fdatasync` of a batch that spans several 4 KiB pages: the disk may keep a
/// later page of the batch (with its marker) and lose an earlier one (issue 17 §1; rows R8–R10, S13
/// of docs/storage-format.md §5.3).
@Suite struct TornBatchTests {
    static let page = 4096

    struct Fixture {
        var fs: MemoryFileSystem
        /// Segment 1 before the last batch (the last batch starts at `before.count`).
        var before: [UInt8]
        /// Segment 1 with the last batch.
        var after: [UInt8]
        var entriesBefore: [Entry]
        var hardStateAfter: HardState
    }

    /// Synced batches up to somewhere in the first page's last 1 KiB, then a last batch (with a new
    /// hard state) that ends in the third page.
    func logWithLastBatchAcrossPages(policy: SyncPolicy = .everyBatch, lastBatches: Int = 1) throws -> Fixture {
        let fs = MemoryFileSystem()
        let log = try openLog(fs)
        var index: UInt64 = 0
        while log.fileSystemSize(segment: 1) < Self.page - 1024 {
            try log.save(hardState: HardState(term: 1, vote: 1, commit: index), entries: makeEntries((index + 1)...(index + 2), term: 1, size: 100))
            index += 2
        }
        let entriesBefore = log.entries
        let before = fs.contents(atPath: segmentPath(1))!
        log.syncPolicy = policy
        for _ in 0..<lastBatches {
            try log.save(
                hardState: HardState(term: 2, vote: 2, commit: index),
                entries: makeEntries((index + 1)...(index + 8), term: 2, size: 700 / lastBatches))
            index += 8
        }
        let hardStateAfter = log.hardState
        log.close()
        let after = fs.contents(atPath: segmentPath(1))!
        #expect(before.count < Self.page && after.count > 2 * Self.page + 100, "the last batch spans a page boundary")
        return Fixture(fs: fs, before: before, after: after, entriesBefore: entriesBefore, hardStateAfter: hardStateAfter)
    }

    func zeroed(_ bytes: [UInt8], _ range: Range<Int>) -> [UInt8] {
        var out = bytes
        for i in range { out[i] = 0 }
        return out
    }

    /// The reproduction: the last batch's bytes before the page boundary never reached the
    /// disk; the later pages, with the marker, did.
    @Test func lostFirstPageOfTheLastBatchIsATornTail() throws {
        let f = try logWithLastBatchAcrossPages()
        f.fs.replaceContents(atPath: segmentPath(1), with: zeroed(f.after, f.before.count..<Self.page))
        let scan = try LogScanner(directory: dir, fileSystem: f.fs).verify()
        #expect(scan.worst == .tornTail, "\(scan.problems)")
        #expect(scan.tornTail?.cutOffset == Int64(f.before.count))
        let plan = try #require(scan.repairPlan())
        #expect(plan.onlyTornTail)
        #expect(plan.actions == [.truncate(path: segmentPath(1), toLength: Int64(f.before.count))])

        let log = try openLog(f.fs)
        #expect(log.report.tornTailCut)
        #expect(log.report.problems.allSatisfy { $0.class == .tornTail })
        #expect(log.entries == f.entriesBefore)
        #expect(log.hardState.term == 2)  // synced before the batch was written
        #expect(f.fs.contents(atPath: segmentPath(1))! == f.before)
        log.close()
    }

    /// Every page of the batch lost or kept, in every combination: always a torn tail cut back to
    /// the previous marker (or, with every page kept, the whole batch).
    @Test func anySubsetOfTheLastBatchsPagesIsATornTail() throws {
        let f = try logWithLastBatchAcrossPages()
        let pages = (f.after.count + Self.page - 1) / Self.page
        for mask in 0..<(1 << pages) {
            var bytes = f.after
            for p in 0..<pages where mask & (1 << p) == 0 {
                bytes = zeroed(bytes, max(p * Self.page, f.before.count)..<min((p + 1) * Self.page, bytes.count))
            }
            f.fs.replaceContents(atPath: segmentPath(1), with: bytes)
            let log = try openLog(f.fs)
            if bytes == f.after {
                #expect(log.report.problems.isEmpty)
                #expect(log.lastIndex == f.entriesBefore.last!.index + 8)
            } else if bytes[f.before.count...].allSatisfy({ $0 == 0 }) {
                // No page of the batch reached the disk: zeros after the last marker are unused
                // space (row R11), kept, and the log is the one before the batch.
                #expect(!log.report.tornTailCut && log.report.problems.isEmpty, "pages kept \(mask): \(log.report.problems)")
                #expect(log.entries == f.entriesBefore, "pages kept \(mask)")
                #expect(f.fs.contents(atPath: segmentPath(1))!.count == bytes.count, "the unused space was cut")
            } else {
                #expect(log.report.tornTailCut, "pages kept \(mask)")
                #expect(log.report.problems.allSatisfy { $0.class == .tornTail }, "pages kept \(mask): \(log.report.problems)")
                #expect(log.entries == f.entriesBefore, "pages kept \(mask)")
            }
            log.close()
        }
    }

    /// The same lost page in a batch that a later synced batch follows: that later batch's sync
    /// returned, so the damaged one was acknowledged: corruption (row R9).
    @Test func lostPageBeforeALaterSyncedBatchIsCorruption() throws {
        let f = try logWithLastBatchAcrossPages()
        let log = try openLog(f.fs)
        try log.save(hardState: nil, entries: makeEntries((log.lastIndex + 1)...(log.lastIndex + 1), term: 2))
        log.close()
        let full = f.fs.contents(atPath: segmentPath(1))!
        f.fs.replaceContents(atPath: segmentPath(1), with: zeroed(full, f.before.count..<Self.page))
        let scan = try LogScanner(directory: dir, fileSystem: f.fs).verify()
        #expect(scan.worst == .corruption)
        #expect(scan.tornTail == nil)
        #expect(openError(f.fs)?.kind == .corruption)
    }

    /// A bit flip (no lost page) in the last batch with its marker intact is not the shape of a lost
    /// write: corruption, as before.
    @Test func bitFlipInTheLastBatchIsCorruption() throws {
        let f = try logWithLastBatchAcrossPages()
        var bytes = f.after
        bytes[f.before.count + 40] ^= 0x10
        f.fs.replaceContents(atPath: segmentPath(1), with: bytes)
        let scan = try LogScanner(directory: dir, fileSystem: f.fs).verify()
        #expect(scan.worst == .corruption)
        #expect(openError(f.fs)?.kind == .corruption)
    }

    /// With `SyncPolicy.never` several batches follow one another without a sync: a lost page in any
    /// of them, with unsynced markers after it, is a torn tail cut back to the last marker before it
    /// (row R8); nothing after the last sync was acknowledged.
    @Test func lostPageAmongUnsyncedBatchesIsATornTail() throws {
        let f = try logWithLastBatchAcrossPages(policy: .never, lastBatches: 3)
        f.fs.replaceContents(atPath: segmentPath(1), with: zeroed(f.after, f.before.count..<Self.page))
        let log = try openLog(f.fs)
        #expect(log.report.tornTailCut)
        #expect(log.report.problems.allSatisfy { $0.class == .tornTail }, "\(log.report.problems)")
        #expect(log.entries == f.entriesBefore)
        log.close()
    }
}

@Suite struct TornSegmentCreationTests {
    /// A rotation under `SyncPolicy.never`: segment 2's header and first batch in one unsynced write
    /// (header page and later pages of the batch). Returns the entries before it.
    func rotatedWithoutSync(_ policy: SyncPolicy) throws -> (fs: MemoryFileSystem, entriesBefore: [Entry]) {
        let fs = MemoryFileSystem()
        let log = try openLog(fs, segmentSize: 1000)
        var index: UInt64 = 0
        while log.segmentSequences.count == 1 && log.fileSystemSize(segment: 1) < 1000 {
            try log.save(hardState: HardState(term: 1, vote: 1, commit: index), entries: makeEntries((index + 1)...(index + 2), term: 1, size: 100))
            index += 2
        }
        let entriesBefore = log.entries
        log.syncPolicy = policy
        try log.save(hardState: nil, entries: makeEntries((index + 1)...(index + 14), term: 1, size: 700))
        #expect(log.segmentSequences == [1, 2])
        log.close()
        #expect(fs.contents(atPath: segmentPath(2))!.count > 2 * TornBatchTests.page)
        return (fs, entriesBefore)
    }

    /// Row S13: the header's page was lost, later pages of the batch survived.
    @Test func lostHeaderPageOfAnUnsyncedSegmentIsATornTail() throws {
        let (fs, entriesBefore) = try rotatedWithoutSync(.never)
        var bytes = fs.contents(atPath: segmentPath(2))!
        for i in 0..<TornBatchTests.page { bytes[i] = 0 }
        fs.replaceContents(atPath: segmentPath(2), with: bytes)
        let log = try openLog(fs, segmentSize: 1000)
        #expect(log.report.tornTailCut)
        #expect(log.report.problems.allSatisfy { $0.class == .tornTail }, "\(log.report.problems)")
        #expect(log.entries == entriesBefore)
        #expect(!fs.fileExists(atPath: segmentPath(2)))
        log.close()
    }

    /// With syncs, a segment's header is durable before any record: a zeroed header page under
    /// synced batches is corruption.
    @Test func lostHeaderPageOfASyncedSegmentIsCorruption() throws {
        let (fs, _) = try rotatedWithoutSync(.everyBatch)
        var bytes = fs.contents(atPath: segmentPath(2))!
        for i in 0..<TornBatchTests.page { bytes[i] = 0 }
        fs.replaceContents(atPath: segmentPath(2), with: bytes)
        #expect(openError(fs)?.kind == .corruption)
    }
}

extension LogStorage {
    /// The size of a segment file as the page cache has it (tests size their batches by it).
    func fileSystemSize(segment sequence: UInt64) -> Int {
        Int((try? fileSystem.fileSize(atPath: Path.join(directory, StorageFormat.segmentFileName(sequence: sequence)))) ?? 0)
    }
}
