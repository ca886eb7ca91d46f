import RaftCore
import Testing
@testable import RaftStorage

/// Damage injected into synced logs: each case must be found and classified, never silently dropped.
@Suite struct FaultTests {
    /// A log, plus the segment's bytes before and after its last batch.
    func logWithLastBatch() throws -> (fs: MemoryFileSystem, before: [UInt8], after: [UInt8], entriesBefore: [Entry], entriesAfter: [Entry]) {
        let fs = MemoryFileSystem()
        _ = try buildLog(fs)
        let before = fs.contents(atPath: segmentPath(1))!
        let log = try openLog(fs)
        let entriesBefore = log.entries
        // The last batch supersedes index 10 and adds 11...13 (a conflict truncation inside the batch).
        try log.save(hardState: HardState(term: 3, vote: 3, commit: 8), entries: makeEntries(10...13, term: 3, size: 50))
        let entriesAfter = log.entries
        log.close()
        return (fs, before, fs.contents(atPath: segmentPath(1))!, entriesBefore, entriesAfter)
    }

    @Test func cutAtEveryByteOfTheLastBatchIsATornTail() throws {
        let (fs, before, after, entriesBefore, _) = try logWithLastBatch()
        #expect(after.count - before.count > 300)
        for zeroFill in [false, true] {
            for cut in (before.count + 1)..<after.count {
                var bytes = Array(after[0..<cut])
                if zeroFill { bytes += [UInt8](repeating: 0, count: after.count - cut) }  // size made durable, data not
                fs.replaceContents(atPath: segmentPath(1), with: bytes)
                let log = try openLog(fs)
                #expect(log.entries == entriesBefore, "cut at \(cut)")
                #expect(log.report.tornTailCut)
                #expect(!log.report.problems.isEmpty && log.report.problems.allSatisfy { $0.class == .tornTail }, "cut at \(cut)")
                // The new hard state was synced before the batch; its commit (8) is within the old log.
                #expect(log.hardState == HardState(term: 3, vote: 3, commit: 8))
                // The file was cut back to the last marker and appending continues cleanly.
                #expect(fs.contents(atPath: segmentPath(1))! == before)
                try log.save(hardState: nil, entries: makeEntries(11...11, term: 3))
                log.close()
                let again = try openLog(fs)
                #expect(again.report.problems.isEmpty)
                #expect(again.lastIndex == 11)
                again.close()
            }
        }
    }

    @Test func everyBitFlipInSyncedRecordsIsCorruptionAtTheRecord() throws {
        let (fs, _, after, _, _) = try logWithLastBatch()
        let records = try recordOffsets(fs)
        func recordStart(_ byte: Int) -> Int64? {
            records.first { Int64(byte) >= $0.offset && Int64(byte) < $0.offset + Int64($0.size) }?.offset
        }
        var flips = 0
        for byte in 0..<after.count {
            for bit in 0..<8 {
                var bytes = after
                bytes[byte] ^= UInt8(1 << bit)
                fs.replaceContents(atPath: segmentPath(1), with: bytes)
                let scan = try LogScanner(directory: dir, fileSystem: fs).verify()
                let corruption = scan.problems.filter { $0.class == .corruption }
                #expect(scan.tornTail == nil, "byte \(byte) bit \(bit): \(scan.problems)")
                if let start = recordStart(byte) {
                    #expect(corruption.contains { $0.offset == start }, "byte \(byte) bit \(bit): \(scan.problems)")
                } else {
                    #expect(byte < StorageFormat.segmentHeaderSize)
                    #expect(corruption.contains { $0.offset < Int64(StorageFormat.segmentHeaderSize) }, "header byte \(byte) bit \(bit)")
                }
                if bit == byte % 8 {  // opening is the slower path; one bit per byte is enough
                    let error = openError(fs)
                    #expect(error?.kind == .corruption, "byte \(byte) bit \(bit)")
                    #expect(error?.description.contains("logdump verify") == true)
                }
                flips += 1
            }
        }
        #expect(flips == after.count * 8)
    }

    @Test func checksumMismatchReportsStoredAndComputed() throws {
        let (fs, _, after, _, _) = try logWithLastBatch()
        let records = try recordOffsets(fs)
        let target = records[3]
        var bytes = after
        bytes[Int(target.offset) + 33] ^= 0x10  // payload byte
        fs.replaceContents(atPath: segmentPath(1), with: bytes)
        let scan = try LogScanner(directory: dir, fileSystem: fs).verify()
        let problem = try #require(scan.problems.first)
        #expect(problem.class == .corruption)
        #expect(problem.offset == target.offset)
        #expect(problem.file == StorageFormat.segmentFileName(sequence: 1))
        #expect(problem.expectedChecksum != nil && problem.computedChecksum != nil && problem.expectedChecksum != problem.computedChecksum)
        #expect(problem.index == 4)
        #expect(problem.description.contains("corruption: log-0000000000000001.seg:\(target.offset)"))
        // Later records are still read and checked: one problem, not a cascade.
        #expect(scan.problems.count == 1)
        #expect(scan.entryRecords == records.filter { $0.kind == .entry }.count - 1)
    }

    @Test func problemListIsBounded() throws {
        let fs = MemoryFileSystem()
        _ = try buildLog(fs)
        var bytes = fs.contents(atPath: segmentPath(1))!
        for record in try recordOffsets(fs) { bytes[Int(record.offset) + 33] ^= 1 }  // every record damaged
        fs.replaceContents(atPath: segmentPath(1), with: bytes)
        let scanner = try LogScanner(directory: dir, fileSystem: fs)
        scanner.maxProblems = 3
        let result = try scanner.verify()
        #expect(result.problems.count == 3)
        #expect(result.problemsNotListed > 0)
        #expect(result.worst == .corruption)
    }

    @Test func zeroedSectorInTheMiddleIsCorruption() throws {
        let fs = MemoryFileSystem()
        let log = try openLog(fs)
        try log.save(hardState: HardState(term: 1, vote: 1, commit: 0), entries: [])
        for b in 0..<40 as Range<UInt64> { try log.save(hardState: nil, entries: makeEntries((b * 3 + 1)...(b * 3 + 3), term: 1)) }
        log.close()
        var bytes = fs.contents(atPath: segmentPath(1))!
        #expect(bytes.count > 4096)
        let records = try recordOffsets(fs)
        for sector in [2, 4, 6] {
            var damaged = bytes
            let start = sector * 512
            for i in start..<(start + 512) { damaged[i] = 0 }
            fs.replaceContents(atPath: segmentPath(1), with: damaged)
            let first = records.first { $0.offset + Int64($0.size) > Int64(start) }!
            let scan = try LogScanner(directory: dir, fileSystem: fs).verify()
            #expect(scan.problems.first?.class == .corruption)
            #expect(scan.problems.first?.offset == first.offset)
            #expect(openError(fs)?.kind == .corruption)
        }
        bytes.removeAll()
    }

    @Test func tornHardStateSlotFallsBackToTheOtherSlot() throws {
        let fs = MemoryFileSystem()
        _ = try buildLog(fs)
        let segmentBefore = fs.contents(atPath: segmentPath(1))!
        let log = try openLog(fs)
        // A vote with no entries; it is followed by a marker without entries that names it.
        try log.save(hardState: HardState(term: 3, vote: 2, commit: 6), entries: [])
        log.close()
        let good = fs.contents(atPath: hardStatePath())!
        #expect(fs.contents(atPath: segmentPath(1))!.count == segmentBefore.count + StorageFormat.recordSize(payloadLength: 32))
        // Once that marker is durable, damage to the slot is corruption…
        var damaged = good
        damaged[Int(try HardStateInspection.inspect(path: hardStatePath(), fileSystem: fs).chosen!.offset) + 50] ^= 0x40
        fs.replaceContents(atPath: hardStatePath(), with: damaged)
        #expect(openError(fs)?.kind == .corruption)
        // …while a crash between the slot write and the marker leaves a torn write: the marker is not there.
        fs.replaceContents(atPath: segmentPath(1), with: segmentBefore)
        fs.replaceContents(atPath: hardStatePath(), with: good)
        let inspection = try HardStateInspection.inspect(path: hardStatePath(), fileSystem: fs)
        let newest = try #require(inspection.chosen)
        #expect(newest.hardState == HardState(term: 3, vote: 2, commit: 6))
        // Tear the newest slot at every byte: a prefix of new bytes over the old ones.
        let other = inspection.slots.first { $0.slot != newest.slot }!
        for keep in 1..<StorageFormat.hardStateSlotSize {
            var bytes = good
            let base = Int(newest.offset)
            for i in keep..<StorageFormat.hardStateSlotSize { bytes[base + i] = 0xA5 ^ UInt8(truncatingIfNeeded: i) }
            fs.replaceContents(atPath: hardStatePath(), with: bytes)
            let reopened = try openLog(fs)
            #expect(reopened.hardState == other.hardState, "keep \(keep)")
            #expect(reopened.report.problems.count == 1)
            #expect(reopened.report.problems.first?.class == .tornTail)
            #expect(reopened.report.problems.first?.offset == newest.offset)
            reopened.close()
            let plan = try #require(try LogScanner(directory: dir, fileSystem: fs).verify().repairPlan())
            #expect(plan.onlyTornTail && plan.actions.isEmpty)
        }
    }

    @Test func damagedHardStateSlotThatTheLogVouchesForIsCorruption() throws {
        let fs = MemoryFileSystem()
        _ = try buildLog(fs)  // the last save wrote hard state and a batch whose marker names its sequence
        let inspection = try HardStateInspection.inspect(path: hardStatePath(), fileSystem: fs)
        let newest = try #require(inspection.chosen)
        var bytes = fs.contents(atPath: hardStatePath())!
        bytes[Int(newest.offset) + 45] ^= 1
        fs.replaceContents(atPath: hardStatePath(), with: bytes)
        let error = try #require(openError(fs))
        #expect(error.kind == .corruption)
        #expect(error.problems.contains { $0.class == .corruption && $0.file == "hardstate" && $0.offset == newest.offset })
        // Both slots gone: corruption too.
        fs.replaceContents(atPath: hardStatePath(), with: [UInt8](repeating: 0x33, count: StorageFormat.hardStateFileSize))
        #expect(openError(fs)?.kind == .corruption)
        // Missing hard-state file next to a log: inconsistency.
        fs.removeDurably(atPath: hardStatePath())
        #expect(openError(fs)?.kind == .inconsistency)
    }

    @Test func missingMiddleSegmentIsInconsistency() throws {
        let fs = MemoryFileSystem()
        _ = try buildLog(fs, segmentSize: 200)
        let segments = try fs.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".seg") }
        #expect(segments.count >= 3)
        fs.removeDurably(atPath: segmentPath(2))
        let error = try #require(openError(fs))
        #expect(error.kind == .inconsistency)
        #expect(error.problems.first?.class == .inconsistency)
        #expect(error.problems.first?.file == StorageFormat.segmentFileName(sequence: 3))
        #expect(error.problems.first?.message.contains("missing") == true)
        // Losing the first segment is caught too.
        let fs2 = MemoryFileSystem()
        _ = try buildLog(fs2, segmentSize: 200)
        fs2.removeDurably(atPath: segmentPath(1))
        #expect(openError(fs2)?.kind == .inconsistency)
        // And losing the last one: the hard state and the log no longer agree.
        let fs3 = MemoryFileSystem()
        _ = try buildLog(fs3, segmentSize: 200)
        let count = try fs3.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".seg") }.count
        fs3.removeDurably(atPath: segmentPath(UInt64(count)))
        #expect(openError(fs3)?.kind == .inconsistency)
    }

    @Test func segmentsOfTwoLogsAreInconsistency() throws {
        let a = MemoryFileSystem(), b = MemoryFileSystem()
        let logA = try openLog(a, segmentSize: 200, logID: LogID(bytes: [UInt8](repeating: 0xAA, count: 16)))
        let logB = try openLog(b, segmentSize: 200, logID: LogID(bytes: [UInt8](repeating: 0xBB, count: 16)))
        for log in [logA, logB] {
            try log.save(hardState: HardState(term: 1, vote: 1, commit: 0), entries: makeEntries(1...3, term: 1))
            try log.save(hardState: nil, entries: makeEntries(4...6, term: 1))
            try log.save(hardState: nil, entries: makeEntries(7...9, term: 1))
            log.close()
        }
        // Identical entries, so only the log id can tell the segments apart.
        a.replaceContents(atPath: segmentPath(2), with: b.contents(atPath: segmentPath(2))!)
        let error = try #require(openError(a))
        #expect(error.kind == .inconsistency)
        #expect(error.problems.contains { $0.file == StorageFormat.segmentFileName(sequence: 2) && $0.message.contains("belongs to log") })
        // A hard-state file from the other log.
        let c = MemoryFileSystem()
        _ = try buildLog(c)
        let d = MemoryFileSystem()
        let other = try openLog(d, logID: LogID(bytes: [UInt8](repeating: 0xDD, count: 16)))
        try other.save(hardState: HardState(term: 5, vote: 1, commit: 0), entries: [])
        other.close()
        c.replaceContents(atPath: hardStatePath(), with: d.contents(atPath: hardStatePath())!)
        #expect(openError(c)?.problems.contains { $0.file == "hardstate" && $0.class == .inconsistency } == true)
    }

    @Test func garbageNeverCrashesOrAllocatesHugely() throws {
        var g = SeededGenerator(seed: 99)
        for round in 0..<150 {
            let fs = MemoryFileSystem()
            _ = try buildLog(fs)
            let size = Int(g.next(below: 3000))
            var junk = (0..<size).map { _ in UInt8(truncatingIfNeeded: g.next()) }
            switch round % 5 {
            case 0: fs.replaceContents(atPath: segmentPath(1), with: junk)
            case 1: fs.replaceContents(atPath: segmentPath(2), with: junk)  // an extra segment of junk
            case 2: fs.replaceContents(atPath: hardStatePath(), with: junk)
            case 3:
                // Valid magic and header, random records.
                junk = RecordCodec.segmentHeader(logID: fixedLogID, sequence: 1, firstIndex: 1) + junk
                fs.replaceContents(atPath: segmentPath(1), with: junk)
            default:
                // Random bytes spliced into the middle of a good segment.
                var bytes = fs.contents(atPath: segmentPath(1))!
                let at = Int(g.next(below: UInt64(bytes.count)))
                bytes.replaceSubrange(at..<min(bytes.count, at + junk.count / 10), with: junk.prefix(junk.count / 10))
                fs.replaceContents(atPath: segmentPath(1), with: bytes)
            }
            // Either a clean open or a typed error; never a trap.
            if let error = openError(fs) { #expect(!error.message.isEmpty) }
            _ = try? LogScanner(directory: dir, fileSystem: fs).scan(computeSuperseded: true)
        }
    }

    @Test func emptyFilesAndLengthFields() throws {
        // An empty first segment: its creation was interrupted; the log is created again.
        let fs = MemoryFileSystem()
        let log = try openLog(fs)
        log.close()
        fs.replaceContents(atPath: segmentPath(1), with: [])
        let reopened = try openLog(fs)
        #expect(reopened.report.tornTailCut)
        #expect(reopened.logID == fixedLogID)
        try reopened.save(hardState: HardState(term: 1), entries: makeEntries(1...2, term: 1))
        reopened.close()
        #expect(try openLog(fs).lastIndex == 2)

        // An empty hard-state file next to segments: corruption.
        let fs2 = MemoryFileSystem()
        _ = try buildLog(fs2)
        fs2.replaceContents(atPath: hardStatePath(), with: [])
        #expect(openError(fs2)?.kind == .corruption)

        // An empty segment after a good one: torn tail (interrupted rotation), the log opens.
        let fs3 = MemoryFileSystem()
        let built = try buildLog(fs3)
        fs3.replaceContents(atPath: segmentPath(2), with: [])
        let log3 = try openLog(fs3)
        #expect(log3.entries == built.entries)
        #expect(log3.report.tornTailCut)
        #expect(fs3.contents(atPath: segmentPath(2)) == nil)

        // Length fields: a header with a right checksum and an absurd length.
        for length: UInt32 in [0xFFFF_FFFF, UInt32(StorageFormat.maxPayloadLength + 8), UInt32(StorageFormat.maxPayloadLength)] {
            let fs4 = MemoryFileSystem()
            _ = try buildLog(fs4)
            var bytes = fs4.contents(atPath: segmentPath(1))!
            var header: [UInt8] = []
            header.put32(length); header.append(RecordKind.entry.rawValue); header.append(0); header.put16(0)
            header.put64(2); header.put64(11); header.put32(0)
            header.put32(CRC32C.checksum(header))
            let middle = try recordOffsets(fs4)[2].offset
            var tail = bytes
            tail.append(contentsOf: header)  // at the end: runs past the end of the file
            bytes.replaceSubrange(Int(middle)..<(Int(middle) + 32), with: header)  // in the middle
            for (variant, data) in [("middle", bytes), ("tail", tail)] {
                fs4.replaceContents(atPath: segmentPath(1), with: data)
                let scan = try LogScanner(directory: dir, fileSystem: fs4).verify()
                #expect(!scan.problems.isEmpty, "\(variant) length \(length)")
                if variant == "middle" { #expect(openError(fs4) != nil) }
            }
        }
    }
}

/// Records, headers and slots whose checksums are right but whose numbers are extreme.
@Suite struct ExtremeValueTests {
    @Test func extremeNumbersWithRightChecksumsAreRefusedWithoutATrap() throws {
        let max = UInt64.max
        var cases: [(String, (MemoryFileSystem) throws -> Void)] = []
        cases.append(
            (
                "entry index max",
                { fs in
                    var bytes = fs.contents(atPath: segmentPath(1))!
                    RecordCodec.appendEntry(Entry(term: 2, index: max, data: [1]), to: &bytes)
                    RecordCodec.appendBatch(
                        BatchMarker(batchSequence: 4, hardStateSequence: 3, firstIndex: max, entryCount: 1), lastTerm: 2, lastIndex: max, to: &bytes)
                    fs.replaceContents(atPath: segmentPath(1), with: bytes)
                }
            ))
        cases.append(
            (
                "entry term max",
                { fs in
                    var bytes = fs.contents(atPath: segmentPath(1))!
                    RecordCodec.appendEntry(Entry(term: max, index: 11, data: [1]), to: &bytes)
                    RecordCodec.appendBatch(
                        BatchMarker(batchSequence: 4, hardStateSequence: 3, firstIndex: 11, entryCount: 1), lastTerm: max, lastIndex: 11, to: &bytes)
                    fs.replaceContents(atPath: segmentPath(1), with: bytes)
                }
            ))
        cases.append(
            (
                "marker sequences max",
                { fs in
                    var bytes = fs.contents(atPath: segmentPath(1))!
                    RecordCodec.appendEntry(Entry(term: 2, index: 11, data: [1]), to: &bytes)
                    RecordCodec.appendBatch(
                        BatchMarker(batchSequence: max, hardStateSequence: max, firstIndex: 11, entryCount: 1), lastTerm: 2, lastIndex: 11, to: &bytes
                    )
                    fs.replaceContents(atPath: segmentPath(1), with: bytes)
                }
            ))
        cases.append(
            (
                "segment sequence max",
                { fs in
                    fs.replaceContents(atPath: segmentPath(2), with: RecordCodec.segmentHeader(logID: fixedLogID, sequence: max, firstIndex: max))
                }
            ))
        cases.append(
            (
                "hard-state sequence max",
                { fs in
                    var bytes = fs.contents(atPath: hardStatePath())!
                    let slot = RecordCodec.hardStateSlot(
                        HardState(term: max, vote: max, commit: max), sequence: max, slot: 1, logID: fixedLogID,
                        batchSequence: max, segmentSequence: max)
                    bytes.replaceSubrange(512..<(512 + slot.count), with: slot)
                    fs.replaceContents(atPath: hardStatePath(), with: bytes)
                }
            ))
        for (name, damage) in cases {
            let fs = MemoryFileSystem()
            _ = try buildLog(fs)
            try damage(fs)
            let scan = try LogScanner(directory: dir, fileSystem: fs).scan(computeSuperseded: true) { _, _ in }
            #expect(!scan.problems.isEmpty, "\(name)")
            // Planning never traps, whatever the damage (a refusal is an answer).
            let planner = RepairPlanner(scanner: try LogScanner(directory: dir, fileSystem: fs), scan: scan)
            _ = planner.largestCut.map { try? planner.cutPlan(at: $0) }
            #expect(openError(fs) != nil, "\(name)")
        }
    }
}

@Suite struct MemoryFileSystemTests {
    @Test func unsyncedWritesAreLostOnCrash() throws {
        let fs = MemoryFileSystem()
        try fs.createDirectory(atPath: "/d")
        let f = try fs.openFile(atPath: "/d/a", create: true)
        try f.write(Array("hello".utf8), at: 0)
        try f.sync()
        try fs.syncDirectory(atPath: "/d")
        try f.write(Array(" world".utf8), at: 5)
        #expect(fs.contents(atPath: "/d/a")! == Array("hello world".utf8))
        fs.crash()
        #expect(fs.contents(atPath: "/d/a")! == Array("hello".utf8))
    }

    @Test func unsyncedNamesAreLostOnCrash() throws {
        let fs = MemoryFileSystem()
        try fs.createDirectory(atPath: "/d")
        let f = try fs.openFile(atPath: "/d/new", create: true)
        try f.write([1, 2, 3], at: 0)
        try f.sync()  // data synced, name not
        fs.crash()
        #expect(!fs.fileExists(atPath: "/d/new"))

        let g = try fs.openFile(atPath: "/d/x", create: true)
        try g.write([9], at: 0)
        try g.sync()
        try fs.syncDirectory(atPath: "/d")
        try fs.rename(from: "/d/x", to: "/d/y")
        #expect(fs.fileExists(atPath: "/d/y"))
        fs.crash()
        #expect(fs.fileExists(atPath: "/d/x") && !fs.fileExists(atPath: "/d/y"))
        try fs.removeFile(atPath: "/d/x")
        fs.crash()
        #expect(fs.contents(atPath: "/d/x") == [9])
    }

    @Test func tornWriteKeepsAPrefixOfTheLastWrite() throws {
        var kept = Set<Int>()
        for seed in 0..<64 as Range<UInt64> {
            let fs = MemoryFileSystem()
            try fs.createDirectory(atPath: "/d")
            let f = try fs.openFile(atPath: "/d/a", create: true)
            try f.write([1, 1, 1, 1], at: 0)
            try f.sync()
            try fs.syncDirectory(atPath: "/d")
            try f.write([2, 2, 2, 2, 2, 2, 2, 2], at: 2)
            var g: SeededGenerator? = SeededGenerator(seed: seed)
            fs.crash(tearingWith: &g)
            #expect(g != SeededGenerator(seed: seed))  // the draw advanced the caller's generator
            let bytes = fs.contents(atPath: "/d/a")!
            #expect(Array(bytes.prefix(2)) == [1, 1])
            let written = bytes.count <= 4 ? bytes[2...].prefix { $0 == 2 }.count : bytes.count - 2
            #expect(bytes.count == 4 || bytes[2...].allSatisfy { $0 == 2 })
            kept.insert(bytes.count > 4 ? written : bytes[2...].filter { $0 == 2 }.count)
            // What survived is durable: a second crash keeps it.
            fs.crash()
            #expect(fs.contents(atPath: "/d/a")! == bytes)
        }
        #expect(kept.count > 4)  // different seeds tear at different offsets
    }

    @Test func crashInTheMiddleOfASaveRecoversOneSideOfIt() throws {
        for seed in 0..<150 as Range<UInt64> {
            var g = SeededGenerator(seed: seed)
            let fs = MemoryFileSystem()
            let log = try openLog(fs, segmentSize: 600)
            var term: UInt64 = 1
            for _ in 0..<Int(g.next(below: 8)) {
                if g.next(below: 3) == 0 { term += 1 }
                let first = UInt64(g.next(in: max(1, Int(log.lastIndex) - 1)..<(Int(log.lastIndex) + 2)))
                try log.save(
                    hardState: HardState(term: term, vote: 1, commit: min(log.hardState.commit, first - 1)),
                    entries: makeEntries(first...(first + g.next(below: 4)), term: term))
            }
            let before = (log.entries, log.hardState)
            // The next save is interrupted before its sync: model it as unsynced writes and a power loss.
            log.syncPolicy = .never
            term += g.next(below: 2)
            let first = log.lastIndex + 1
            try log.save(
                hardState: HardState(term: term, vote: 2, commit: log.hardState.commit), entries: makeEntries(first...(first + 2), term: term))
            let after = (log.entries, log.hardState)
            log.close()
            var tear: SeededGenerator? = g
            fs.crash(tearingWith: &tear)
            let reopened = try openLog(fs, segmentSize: 600)
            #expect(reopened.entries == before.0 || reopened.entries == after.0, "seed \(seed)")
            #expect(reopened.hardState.term >= reopened.lastTerm)
            #expect(reopened.report.problems.allSatisfy { $0.class == .tornTail }, "seed \(seed): \(reopened.report.problems)")
            _ = after.1
            _ = before.1
        }
    }
}
