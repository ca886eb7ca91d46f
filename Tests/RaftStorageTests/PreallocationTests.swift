import RaftCore
import Testing
@testable import RaftStorage

/// Segments preallocated with zeros (docs/storage-format.md §2.5, row R11): the zeros after the
/// last record are unused space, not a torn tail, and a lost write into them is still judged by
/// rule D.
@Suite struct PreallocationTests {
    /// Not a multiple of 8 or 512, so that the stretches of zeros end anywhere.
    static let preallocate = 1000

    /// Saves one to three entries per batch, with the hard state.
    static func saveSome(_ log: LogStorage, batches: Int, term: UInt64 = 1) throws {
        for k in 0..<batches {
            let first = log.lastIndex + 1
            try log.save(
                hardState: HardState(term: term, vote: 1, commit: log.lastIndex),
                entries: makeEntries(first...(first + UInt64(k % 3)), term: term, size: 40))
        }
    }

    @Test func aPreallocatedLogReopensWithItsZerosKeptAndGoesOn() throws {
        let fs = MemoryFileSystem()
        var expected: [Entry] = []
        var sizeChanges = 0, saves = 0
        var unusedAtClose: Int64 = 0
        for round in 0..<3 {
            let log = try openLog(fs, segmentSize: 4096, preallocate: Self.preallocate)
            #expect(log.report.problems.isEmpty && !log.report.tornTailCut, "round \(round): \(log.report.problems)")
            // The report says how many zeros it kept: the ones the scan found at the last close.
            #expect(log.report.unusedBytes == unusedAtClose, "round \(round)")
            #expect(log.entries == expected, "round \(round)")
            for _ in 0..<30 {
                let path = segmentPath(log.currentSegmentSequence)
                let sizeBefore = fs.contents(atPath: path)!.count
                try Self.saveSome(log, batches: 1)
                if fs.contents(atPath: path)!.count != sizeBefore { sizeChanges += 1 }
                saves += 1
            }
            expected = log.entries
            log.close()
            let scan = try LogScanner(directory: dir, fileSystem: fs).verify()
            #expect(scan.problems.isEmpty, "round \(round): \(scan.problems)")
            #expect(scan.notedRows.contains(.R11))
            // Only the last segment keeps zeros; the others end at their last record.
            for s in scan.segments.dropLast() { #expect(s.unusedBytes == 0 && s.validEnd == s.size, "\(s.name)") }
            let last = try #require(scan.segments.last)
            #expect(last.unusedBytes > 0 && last.validEnd + last.unusedBytes == last.size)
            unusedAtClose = last.unusedBytes
        }
        #expect(fs.contents(atPath: segmentPath(3)) != nil, "the log rotated")
        // A batch that fits in the zeros does not change the file's size (a rotation, or the
        // batch that reaches the end of the zeros, does).
        #expect(sizeChanges * 3 < saves, "\(sizeChanges) size changes in \(saves) saves")
    }

    /// A bit flip in the header of the last record, with the zeros after it: the damage does not
    /// reach into the zeros, so they are not a lost sector of it — corruption (R10), as without
    /// preallocation, not a torn tail that would cut an acknowledged batch.
    @Test func aBitFlipInTheLastRecordsHeaderBeforeTheZerosIsCorruption() throws {
        let fs = MemoryFileSystem()
        let log = try openLog(fs, preallocate: 4096)
        try Self.saveSome(log, batches: 5)
        log.close()
        let scan = try LogScanner(directory: dir, fileSystem: fs).verify()
        let last = try #require(scan.segments.last)
        let markerSize = StorageFormat.recordSize(payloadLength: StorageFormat.batchPayloadSize)
        var bytes = fs.contents(atPath: segmentPath(1))!
        bytes[Int(last.validEnd) - markerSize + 9] ^= 0x08  // the marker's term
        fs.replaceContents(atPath: segmentPath(1), with: bytes)
        let damaged = try LogScanner(directory: dir, fileSystem: fs).verify()
        #expect(damaged.worst == .corruption && damaged.tornTail == nil, "\(damaged.problems)")
        #expect(damaged.problems.contains { $0.row == .R10 }, "\(damaged.problems)")
        #expect(openError(fs)?.kind == .corruption)
    }

    /// Power loss at every step of a save into preallocated space, under both crash models (a
    /// torn last write; any subset of the unsynced pages): the log reopens with a torn tail at
    /// most, holds the state before or after the save, and a save that returned is never lost.
    @Test(arguments: [false, true], 0..<4 as Range<UInt64>)
    func powerLossAtEveryStepOfASaveIntoZeros(pages: Bool, seed: UInt64) throws {
        var g = SeededGenerator(seed: 2000 + seed)
        var steps = 0
        for budget in 0..<40 {
            let memory = MemoryFileSystem()
            if pages { memory.crashModel = .pages }
            let fs = FailingFileSystem(base: memory, budget: Int.max)
            let log = try openLog(fs, segmentSize: 1500, preallocate: Self.preallocate)
            var history = SeededGenerator(seed: seed)
            try Self.saveSome(log, batches: Int(history.next(below: 12) + 2))
            let before = (log.entries, log.hardState)
            // What the interrupted save writes (its pages may reach the disk though its sync failed).
            let attempted = before.0 + makeEntries((log.lastIndex + 1)...(log.lastIndex + 1), term: 2, size: 40)
            fs.budget = budget
            var completed = false
            do {
                try Self.saveSome(log, batches: 1, term: 2)
                completed = true
            } catch {}
            let after = (log.entries, log.hardState)
            log.close()
            if pages {
                memory.crash(keepingPagesWith: &g)
            } else {
                var tear: SeededGenerator? = SeededGenerator(seed: g.next())
                memory.crash(tearingWith: &tear)
            }
            let reopened = try openLog(memory, segmentSize: 1500, preallocate: Self.preallocate)
            let problems = reopened.report.problems
            let context = "pages \(pages) seed \(seed) budget \(budget)"
            #expect(problems.allSatisfy { $0.class == .tornTail }, "\(context): \(problems)")
            if completed {
                #expect(reopened.entries == after.0 && after.0 == attempted, "\(context)")
            } else {
                #expect(reopened.entries == before.0 || reopened.entries == attempted, "\(context)")
                #expect(reopened.hardState.commit <= reopened.lastIndex)
            }
            try Self.saveSome(reopened, batches: 3, term: 3)
            let wanted = reopened.entries
            reopened.close()
            let again = try openLog(memory, segmentSize: 1500, preallocate: Self.preallocate)
            #expect(again.report.problems.isEmpty, "\(context): \(again.report.problems)")
            #expect(again.entries == wanted, "\(context)")
            again.close()
            if completed { break }
            steps = budget
        }
        #expect(steps >= 2)
    }

    /// Zeros at a record boundary of a segment that is not the last one are still damage: every
    /// segment but the last was cut back to its records before the next was created (§2.5).
    @Test func zerosAtTheEndOfAnEarlierSegmentAreCorruption() throws {
        let fs = MemoryFileSystem()
        _ = try buildLog(fs, segmentSize: 200)
        var bytes = fs.contents(atPath: segmentPath(2))!
        bytes += [UInt8](repeating: 0, count: 64)
        fs.replaceContents(atPath: segmentPath(2), with: bytes)
        let scan = try LogScanner(directory: dir, fileSystem: fs).verify()
        #expect(scan.worst == .corruption && !scan.notedRows.contains(.R11), "\(scan.problems)")
    }
}
