import RaftCore
import Testing
@testable import RaftStorage

@Suite struct LogStorageTests {
    @Test func createsEmptyLogAndReopensIt() throws {
        let fs = MemoryFileSystem()
        let log = try openLog(fs)
        #expect(log.report.created)
        #expect(log.entries.isEmpty)
        #expect(log.hardState == .empty)
        log.close()
        let again = try openLog(fs)
        #expect(!again.report.created)
        #expect(again.report.problems.isEmpty)
        #expect(again.entries.isEmpty)
        #expect(again.logID == fixedLogID)
        #expect(fs.contents(atPath: segmentPath(1)) != nil)
    }

    @Test func roundTripWithConflictTruncation() throws {
        let fs = MemoryFileSystem()
        let built = try buildLog(fs)
        let log = try openLog(fs)
        #expect(log.entries == built.entries)
        #expect(log.hardState == built.hardState)
        // A new leader's entries supersede 9...10.
        try log.save(hardState: HardState(term: 3, vote: 3, commit: 8), entries: makeEntries(9...9, term: 3, size: 5))
        #expect(log.lastIndex == 9)
        #expect(log.entries[8].term == 3)
        let expected = log.entries
        log.close()
        let reopened = try openLog(fs)
        #expect(reopened.entries == expected)
        #expect(reopened.hardState == HardState(term: 3, vote: 3, commit: 8))
        #expect(reopened.report.problems.isEmpty)
        // The superseded records are still on disk (append-only) and the scanner says so.
        let result = try LogScanner(directory: dir, fileSystem: fs).scan(computeSuperseded: true)
        #expect(result.entryRecords == 11)
        #expect(result.supersededRecords == 2)
        #expect(result.problems.isEmpty)
    }

    @Test func savesAreAppendOnly() throws {
        let fs = MemoryFileSystem()
        _ = try buildLog(fs)
        let before = fs.contents(atPath: segmentPath(1))!
        let log = try openLog(fs)
        try log.save(hardState: nil, entries: makeEntries(3...3, term: 2))
        log.close()
        let after = fs.contents(atPath: segmentPath(1))!
        #expect(after.count > before.count)
        #expect(Array(after[0..<before.count]) == before)
    }

    @Test func rejectsGapsAndFallingTerms() throws {
        let fs = MemoryFileSystem()
        let log = try openLog(fs)
        try log.save(hardState: HardState(term: 2), entries: makeEntries(1...3, term: 2))
        #expect(throws: StorageError.self) { try log.save(hardState: nil, entries: makeEntries(4...4, term: 3)) }
        #expect(throws: StorageError.self) { try log.save(hardState: nil, entries: makeEntries(5...5, term: 2)) }
        #expect(throws: StorageError.self) { try log.save(hardState: nil, entries: makeEntries(4...4, term: 1)) }
        #expect(throws: StorageError.self) { try log.save(hardState: nil, entries: [Entry(term: 2, index: 4), Entry(term: 2, index: 6)]) }
        // Nothing was written: the log is still usable.
        try log.save(hardState: nil, entries: makeEntries(4...4, term: 2))
        #expect(log.lastIndex == 4)
    }

    @Test func segmentsRotateAndRecover() throws {
        let fs = MemoryFileSystem()
        let log = try openLog(fs, segmentSize: 512)
        var term: UInt64 = 1
        for batch in 0..<20 {
            if batch % 6 == 5 { term += 1 }
            let first = log.lastIndex + 1
            try log.save(hardState: HardState(term: term, vote: 1, commit: log.lastIndex), entries: makeEntries(first...(first + 2), term: term))
        }
        #expect(log.currentSegmentSequence > 3)
        let expected = log.entries
        log.close()
        let names = try fs.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".seg") }
        #expect(names == names.sorted())
        let reopened = try openLog(fs, segmentSize: 512)
        #expect(reopened.entries == expected)
        #expect(reopened.report.problems.isEmpty)
    }

    @Test func syncPolicyNeverLosesEverythingUnsyncedOnCrash() throws {
        let fs = MemoryFileSystem()
        let log = try openLog(fs)
        try log.save(hardState: HardState(term: 1, vote: 1, commit: 0), entries: makeEntries(1...3, term: 1))
        log.syncPolicy = .never
        try log.save(hardState: HardState(term: 2, vote: 2, commit: 3), entries: makeEntries(4...6, term: 2))
        #expect(log.lastIndex == 6)
        log.close()
        fs.crash()
        let reopened = try openLog(fs)
        #expect(reopened.lastIndex == 3)
        #expect(reopened.hardState == HardState(term: 1, vote: 1, commit: 0))
    }

    @Test func switchingBackToEveryBatchMakesEarlierUnsyncedWritesDurable() throws {
        let fs = MemoryFileSystem()
        let log = try openLog(fs, segmentSize: 300)
        log.syncPolicy = .never
        for b in 0..<6 as Range<UInt64> {
            try log.save(hardState: HardState(term: 1, vote: 1, commit: b * 3), entries: makeEntries((b * 3 + 1)...(b * 3 + 3), term: 1))
        }
        #expect(log.currentSegmentSequence > 2)  // segments were created without a sync
        log.syncPolicy = .everyBatch
        try log.save(hardState: nil, entries: makeEntries(19...19, term: 1))
        let expected = log.entries
        log.close()
        fs.crash()
        let reopened = try openLog(fs, segmentSize: 300)
        #expect(reopened.entries == expected)
        #expect(reopened.report.problems.isEmpty)
        // The explicit checkpoint does the same.
        reopened.syncPolicy = .never
        try reopened.save(hardState: nil, entries: makeEntries(20...25, term: 1))
        try reopened.sync()
        reopened.close()
        fs.crash()
        #expect(try openLog(fs, segmentSize: 300).lastIndex == 25)
    }

    /// With `.never`, a crash may keep a later write and lose an earlier one; the log still opens.
    @Test func syncPolicyNeverCrashesAlwaysReopen() throws {
        for seed in 0..<200 as Range<UInt64> {
            var g = SeededGenerator(seed: seed)
            let fs = MemoryFileSystem()
            let log = try openLog(fs, segmentSize: 700)
            log.syncPolicy = .never
            var term: UInt64 = 1
            for _ in 0..<Int(g.next(below: 6) + 1) {
                if g.next(below: 3) == 0 { term += 1 }
                let first = log.lastIndex + 1
                try log.save(
                    hardState: HardState(term: term, vote: 1, commit: log.lastIndex),
                    entries: makeEntries(first...(first + g.next(below: 4)), term: term))
            }
            log.close()
            var tear: SeededGenerator? = g
            fs.crash(tearingWith: &tear)
            let reopened = try openLog(fs, segmentSize: 700)
            #expect(reopened.report.problems.allSatisfy { $0.class == .tornTail }, "seed \(seed)")
            #expect(reopened.hardState.commit <= reopened.lastIndex)
            #expect(reopened.hardState.term >= reopened.lastTerm)
        }
    }

    @Test func oneWriterPerDirectory() throws {
        let memory = MemoryFileSystem()
        let first = try openLog(memory)
        #expect(throws: StorageError.self) { _ = try openLog(memory) }
        first.close()
        try openLog(memory).close()

        let posix = PosixFileSystem()
        let directory = "/tmp/raftstorage-lock-\(UInt64.random(in: 0...UInt64.max))"
        let a = try openLog(posix, directory)
        let error = openError(posix, directory)
        #expect(error?.kind == .unusable)
        #expect(error?.message.contains("in use") == true)
        a.close()
        try openLog(posix, directory).close()
        for name in try posix.contentsOfDirectory(atPath: directory) { try posix.removeFile(atPath: Path.join(directory, name)) }
    }

    @Test func posixRoundTripInTemporaryDirectory() throws {
        let fs = PosixFileSystem()
        let base = "/tmp/raftstorage-test-\(UInt64.random(in: 0...UInt64.max))"
        let directory = base + "/node"
        let log = try openLog(fs, directory, segmentSize: 1024)
        for b in 0..<10 as Range<UInt64> {
            try log.save(
                hardState: HardState(term: b / 3 + 1, vote: 2, commit: b * 4),
                entries: makeEntries((b * 5 + 1)...(b * 5 + 5), term: b / 3 + 1, size: 100))
        }
        try log.save(hardState: nil, entries: makeEntries(48...49, term: 4))
        let expected = log.entries
        let expectedHardState = log.hardState
        log.close()
        let reopened = try openLog(fs, directory, segmentSize: 1024)
        #expect(reopened.entries == expected)
        #expect(reopened.hardState == expectedHardState)
        #expect(reopened.report.problems.isEmpty)
        reopened.close()
        // The scanner reads the same through a mapping.
        let plain = try LogScanner(directory: directory, fileSystem: fs).scan(computeSuperseded: true)
        let mappedScanner = try LogScanner(directory: directory, fileSystem: fs)
        mappedScanner.segmentReading = .map
        var mappedEntries: [Entry] = []
        let mapped = try mappedScanner.scan(computeSuperseded: true) { record, payload in
            if !record.superseded, let e = record.entry(payload: payload) { mappedEntries.append(e) }
        }
        #expect(mapped.problems.isEmpty && plain.problems.isEmpty)
        #expect(mapped.entryRecords == plain.entryRecords)
        #expect(mappedEntries == expected)
        // The same bytes through the in-memory file system after an export round trip.
        let memory = MemoryFileSystem()
        try memory.createDirectory(atPath: dir)
        for name in try fs.contentsOfDirectory(atPath: directory) {
            memory.replaceContents(atPath: Path.join(dir, name), with: try fs.readFile(atPath: Path.join(directory, name)))
        }
        #expect(try openLog(memory).entries == expected)
        try memory.export(directory: dir, to: base + "/exported")
        #expect(try openLog(fs, base + "/exported").entries == expected)
        for d in [directory, base + "/exported"] {
            for name in try fs.contentsOfDirectory(atPath: d) { try fs.removeFile(atPath: Path.join(d, name)) }
        }
    }

    /// Random logs with random conflict truncations, random segment sizes and random reopens.
    @Test(arguments: 0..<12 as Range<UInt64>)
    func roundTripProperty(seed: UInt64) throws {
        var g = SeededGenerator(seed: seed &* 7919 &+ 1)
        let fs = MemoryFileSystem()
        let segmentSize = [256, 1000, 4096, 64 << 20][Int(g.next(below: 4))]
        var log = try openLog(fs, segmentSize: segmentSize)
        var model: [Entry] = []
        var hardState = HardState.empty
        var term: UInt64 = 1
        var records = 0
        for step in 0..<60 {
            if g.next(below: 4) == 0 { term += 1 }
            var first = UInt64(model.count) + 1
            if !model.isEmpty && g.next(below: 4) == 0 {
                // Conflict: supersede a random suffix (never below the commit index).
                first = UInt64(g.next(in: Int(hardState.commit) + 1..<(model.count + 2)))
            }
            let count = UInt64(g.next(in: 1..<6))
            let batch = (first..<(first + count)).map { i in
                Entry(
                    term: term, index: i, kind: EntryKind(rawValue: UInt8(g.next(below: 3)))!,
                    data: (0..<g.next(in: 0..<40)).map { _ in UInt8(truncatingIfNeeded: g.next()) })
            }
            model.removeSubrange(Int(first - 1)...)
            model.append(contentsOf: batch)
            records += batch.count
            var newHardState: HardState? = nil
            if g.next(below: 2) == 0 || hardState.term < term {
                hardState = HardState(term: term, vote: g.next(below: 4), commit: UInt64(g.next(in: Int(hardState.commit)..<(model.count + 1))))
                newHardState = hardState
            }
            try log.save(hardState: newHardState, entries: batch)
            #expect(log.entries == model)
            if g.next(below: 8) == 0 || step == 59 {
                log.close()
                log = try openLog(fs, segmentSize: segmentSize)
                #expect(log.entries == model, "seed \(seed) step \(step)")
                #expect(log.hardState == hardState)
                #expect(log.report.problems.isEmpty)
            }
        }
        log.close()
        let result = try LogScanner(directory: dir, fileSystem: fs).scan(computeSuperseded: true)
        #expect(result.problems.isEmpty)
        #expect(result.entryRecords == records)
        #expect(result.supersededRecords == records - model.count)
        #expect(result.lastIndex == UInt64(model.count))
        // Rebuilding from the scanner's non-superseded records gives the model back.
        var rebuilt: [Entry] = []
        _ = try LogScanner(directory: dir, fileSystem: fs).scan(computeSuperseded: true) { record, payload in
            if record.kind == .entry && !record.superseded, let e = record.entry(payload: payload) { rebuilt.append(e) }
        }
        #expect(rebuilt == model)
    }
}
