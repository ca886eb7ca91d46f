import RaftCore
import Testing
@testable import RaftStorage

/// The repair planner that `logdump repair` runs, and the scanner APIs it shows.
@Suite struct RepairTests {
    @Test func tornTailPlanCutsOnlyTheTail() throws {
        let fs = MemoryFileSystem()
        let built = try buildLog(fs)
        var bytes = fs.contents(atPath: segmentPath(1))!
        let clean = bytes
        bytes += Array(RecordCodecTestBytes.partialRecord())
        fs.replaceContents(atPath: segmentPath(1), with: bytes)
        let scan = try LogScanner(directory: dir, fileSystem: fs).verify()
        #expect(scan.worst == .tornTail)
        #expect(scan.isInTornTail(file: StorageFormat.segmentFileName(sequence: 1), offset: Int64(clean.count)))
        #expect(!scan.isInTornTail(file: StorageFormat.segmentFileName(sequence: 1), offset: 64))
        let plan = try #require(scan.repairPlan())
        #expect(plan.onlyTornTail)
        #expect(plan.actions == [.truncate(path: segmentPath(1), toLength: Int64(clean.count))])
        try plan.apply(fileSystem: fs)
        #expect(fs.contents(atPath: segmentPath(1))! == clean)
        #expect(try LogScanner(directory: dir, fileSystem: fs).verify().problems.isEmpty)
        #expect(try openLog(fs).entries == built.entries)
    }

    @Test func corruptionNeedsDataLossAcceptedAndThenOpens() throws {
        let fs = MemoryFileSystem()
        _ = try buildLog(fs, segmentSize: 200)
        let names = try fs.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".seg") }
        #expect(names.count == 3)
        // Flip a payload bit of the first record of segment 2.
        var bytes = fs.contents(atPath: segmentPath(2))!
        bytes[64 + 40] ^= 4
        fs.replaceContents(atPath: segmentPath(2), with: bytes)
        let scan = try LogScanner(directory: dir, fileSystem: fs).verify()
        #expect(scan.worst == .corruption)
        let refused = try #require(scan.repairPlan())
        #expect(refused.actions.isEmpty)
        #expect(!refused.unfixable.isEmpty)
        let planner = RepairPlanner(scanner: try LogScanner(directory: dir, fileSystem: fs), scan: scan)
        #expect(planner.largestCut == 5)
        let plan = try planner.cutPlan(at: 5)
        #expect(!plan.onlyTornTail)
        // The log keeps 1…4, which segment 1 ends with: the later segments go. Entry 5 does not read
        // back, so the entries known to go are 6…10.
        #expect(plan.actions.contains(.remove(path: segmentPath(2))))
        #expect(plan.actions.contains(.remove(path: segmentPath(3))))
        #expect(plan.lostIndexes == 6...10)
        try plan.apply(fileSystem: fs)
        let after = try LogScanner(directory: dir, fileSystem: fs).verify()
        #expect(after.problems.isEmpty, "\(after.problems)")
        let log = try openLog(fs, segmentSize: 200)
        #expect(log.lastIndex == 4)
        #expect(log.hardState.commit <= 4)
        #expect(log.hardState.term == 2)
        // And it takes new entries.
        try log.save(hardState: nil, entries: makeEntries(5...6, term: 2))
        log.close()
        #expect(try openLog(fs, segmentSize: 200).lastIndex == 6)
    }

    @Test func damagedHardStateIsRewrittenWhenDataLossIsAccepted() throws {
        let fs = MemoryFileSystem()
        let built = try buildLog(fs)
        fs.replaceContents(atPath: hardStatePath(), with: [UInt8](repeating: 7, count: StorageFormat.hardStateFileSize))
        let scan = try LogScanner(directory: dir, fileSystem: fs).verify()
        #expect(scan.worst == .corruption)
        let planner = RepairPlanner(scanner: try LogScanner(directory: dir, fileSystem: fs), scan: scan)
        #expect(planner.largestCut == 11)
        try planner.cutPlan(at: 11).apply(fileSystem: fs)
        let log = try openLog(fs)
        #expect(log.entries == built.entries)
        #expect(log.hardState.term == 2)
    }

    @Test func hardStateInspectionShowsBothSlots() throws {
        let fs = MemoryFileSystem()
        _ = try buildLog(fs)
        let inspection = try HardStateInspection.inspect(path: hardStatePath(), fileSystem: fs)
        #expect(inspection.slots.count == 2)
        #expect(inspection.slots.allSatisfy { $0.status == .valid && $0.storedChecksum == $0.computedChecksum })
        #expect(inspection.chosen?.sequence == 3)
        #expect(inspection.chosen?.hardState == HardState(term: 2, vote: 2, commit: 6))
        #expect(inspection.slots.first { $0.slot != inspection.chosenSlot }?.sequence == 2)
    }

    @Test func scannerReadsGivenFilesAndReportsStats() throws {
        let fs = MemoryFileSystem()
        _ = try buildLog(fs, segmentSize: 200)
        let scanner = LogScanner(segmentFiles: [segmentPath(1), segmentPath(2)], hardStateFile: nil, fileSystem: fs)
        var kinds: [RecordKind] = []
        let result = try scanner.scan { record, payload in
            kinds.append(record.kind)
            #expect(payload.count == record.payloadLength)
        }
        #expect(result.problems.isEmpty)
        #expect(result.segments.count == 2)
        #expect(result.lastIndex == 7)
        #expect(kinds.filter { $0 == .batch }.count == 2)
        #expect(result.entriesByType[EntryKind.noop.rawValue] == 1)
        #expect(result.entriesByType[EntryKind.normal.rawValue] == 6)
        #expect(result.bytesScanned > 0)
    }
}

enum RecordCodecTestBytes {
    /// The first 50 bytes of an entry record: what a crash leaves of an append.
    static func partialRecord() -> ArraySlice<UInt8> {
        var buffer: [UInt8] = []
        RecordCodec.appendEntry(Entry(term: 2, index: 11, data: [UInt8](repeating: 9, count: 40)), to: &buffer)
        return buffer[0..<50]
    }
}
