import RaftCore
import Testing
@testable import RaftStorage

/// Damaged, truncated, foreign and random snapshot files, and logs whose start no snapshot explains.
@Suite struct SnapshotFaultTests {
    /// A log compacted through 6 (segments 1… removed up to the one holding 7), with entries through 10.
    static func compactedLog(_ fs: MemoryFileSystem, snapshotSize: Int = 300) throws -> (snapshot: Snapshot, firstSegment: UInt64) {
        _ = try buildLog(fs, segmentSize: 200)
        let log = try openLog(fs, segmentSize: 200)
        defer { log.close() }
        let snapshot = makeSnapshot(index: 6, term: 1, size: snapshotSize)
        try log.saveSnapshot(snapshot)
        return (snapshot, log.segmentSequences[0])
    }

    static func verify(_ fs: FileSystem) throws -> ScanResult { try LogScanner(directory: dir, fileSystem: fs).verify() }

    @Test func theBytesOnDiskFieldByField() throws {
        let snapshot = makeSnapshot(index: 0x0102, term: 7, size: 5)
        let bytes = SnapshotFormat.encode(snapshot, logID: fixedLogID, firstSegment: 3, batchSequence: 9)
        let config = ConfigurationCodec.encode(threeVoters)
        #expect(bytes.count == 96 + config.count + 5 + 4)
        #expect(Array(bytes[0..<8]) == Array("RSTPSNP\n".utf8))
        func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) } }
        func u64(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) } }
        #expect(u32(8) == 1 && u32(12) == 96)
        #expect(Array(bytes[16..<32]) == fixedLogID.bytes)
        #expect(u64(32) == 0x0102 && u64(40) == 7 && u64(48) == 3 && u64(56) == 9 && u64(64) == 5)
        #expect(u32(72) == UInt32(config.count) && u32(76) == 0 && u64(80) == 0 && u32(88) == 0)
        #expect(u32(92) == CRC32C.checksum(Array(bytes[0..<92])))
        #expect(Array(bytes[96..<(96 + config.count)]) == config)
        #expect(Array(bytes[(96 + config.count)..<(bytes.count - 4)]) == snapshot.data)
        #expect(u32(bytes.count - 4) == CRC32C.checksum(Array(bytes[0..<(bytes.count - 4)])))
        #expect(SnapshotFormat.fileName(index: 0x0102) == "snap-0000000000000102.snap")
        #expect(SnapshotFormat.index(fileName: "snap-0000000000000102.snap") == 0x0102)
        #expect(SnapshotFormat.index(fileName: "snap-000000000000010g.snap") == nil)
    }

    /// Bit flips anywhere in the file: corruption with the file named, the open refused, never a trap.
    @Test func bitFlipsAreCorruption() throws {
        var g = SeededGenerator(seed: 31)
        let fs = MemoryFileSystem()
        let (snapshot, _) = try Self.compactedLog(fs)
        let path = snapshotPath(snapshot.metadata.index)
        let good = fs.contents(atPath: path)!
        var positions = Array(0..<100) + Array((good.count - 12)..<good.count)
        for _ in 0..<40 { positions.append(Int(g.next(below: UInt64(good.count)))) }
        for position in positions {
            var bad = good
            bad[position] ^= UInt8(1) << UInt8(g.next(below: 8))
            fs.replaceContents(atPath: path, with: bad)
            let result = try Self.verify(fs)
            let problem = result.problems.first { $0.file == Path.name(of: path) }
            #expect(problem?.class == .corruption, "byte \(position): \(result.problems)")
            #expect(result.snapshot == nil)
            #expect(openError(fs)?.kind == .corruption, "byte \(position)")
        }
        fs.replaceContents(atPath: path, with: good)
        #expect(openError(fs) == nil)
    }

    /// Cut at every length: corruption (a snapshot file is only renamed into place after a sync, so a
    /// short one is never an interrupted write).
    @Test func truncationsAreCorruption() throws {
        let fs = MemoryFileSystem()
        let (snapshot, _) = try Self.compactedLog(fs, snapshotSize: 40)
        let path = snapshotPath(snapshot.metadata.index)
        let good = fs.contents(atPath: path)!
        for length in 0..<good.count {
            fs.replaceContents(atPath: path, with: Array(good[0..<length]))
            let result = try Self.verify(fs)
            #expect(result.problems.first?.class == .corruption && result.problems.first?.file == Path.name(of: path), "length \(length)")
        }
        // Extended with zeros (a file system that made the size durable before the data): also corruption.
        fs.replaceContents(atPath: path, with: good + [0, 0, 0, 0, 0, 0, 0, 0])
        #expect(try Self.verify(fs).problems.first?.class == .corruption)
    }

    /// Random bytes, and headers with a right checksum but absurd lengths or another version: a
    /// classified problem, without a large allocation (the lengths must add up to the file's size).
    @Test func randomAndHostileFilesAreClassified() throws {
        var g = SeededGenerator(seed: 77)
        let fs = MemoryFileSystem()
        let (snapshot, _) = try Self.compactedLog(fs)
        let path = snapshotPath(snapshot.metadata.index)
        let good = fs.contents(atPath: path)!
        for _ in 0..<60 {
            let bytes = (0..<Int(g.next(below: 400))).map { _ in UInt8(truncatingIfNeeded: g.next()) }
            fs.replaceContents(atPath: path, with: bytes)
            #expect(try Self.verify(fs).problems.first?.class == .corruption)
        }
        func withHeader(_ edit: (inout [UInt8]) -> Void) -> [UInt8] {
            var b = good
            edit(&b)
            let crc = CRC32C.checksum(Array(b[0..<92]))
            for k in 0..<4 { b[92 + k] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k))) }
            return b
        }
        func put(_ b: inout [UInt8], _ at: Int, _ v: UInt64, _ n: Int) {
            for k in 0..<n { b[at + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(k))) }
        }
        let cases: [(String, [UInt8], StorageProblem.Class)] = [
            ("data length 2^61", withHeader { put(&$0, 64, 1 << 61, 8) }, .corruption),
            ("data length 2^63", withHeader { put(&$0, 64, 1 << 63, 8) }, .corruption),
            ("data length one more", withHeader { put(&$0, 64, 301, 8) }, .corruption),
            ("configuration length 2^32-1", withHeader { put(&$0, 72, 0xFFFF_FFFF, 4) }, .corruption),
            ("index 0", withHeader { put(&$0, 32, 0, 8) }, .corruption),
            ("term 2^62", withHeader { put(&$0, 40, 1 << 62, 8) }, .corruption),
            ("reserved bytes", withHeader { put(&$0, 84, 1, 4) }, .corruption),
            ("version 2", withHeader { put(&$0, 8, 2, 4) }, .inconsistency),
            // The file CRC runs over the header including its CRC, so its register after the header is
            // the CRC residue whatever the header says: a header rewritten with a right header CRC
            // keeps the file CRC right. The name check catches this one.
            ("index differs from the name", withHeader { put(&$0, 32, 5, 8) }, .inconsistency),
        ]
        for (what, bytes, expected) in cases {
            fs.replaceContents(atPath: path, with: bytes)
            let result = try Self.verify(fs)
            #expect(result.problems.first?.class == expected && result.problems.first?.file == Path.name(of: path), "\(what): \(result.problems)")
            #expect(openError(fs) != nil, "\(what)")
        }
        // A configuration that does not decode, under a right file checksum: inconsistency.
        var foreign = good
        foreign[96] = 9
        let crc = CRC32C.checksum(Array(foreign[0..<(foreign.count - 4)]))
        for k in 0..<4 { foreign[foreign.count - 4 + k] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k))) }
        fs.replaceContents(atPath: path, with: foreign)
        #expect(try Self.verify(fs).problems.first?.class == .inconsistency)
    }

    /// A newer damaged file is reported although an older valid one exists; the older one is used
    /// for the rest of the checks (and its segments are gone: the gap is reported too).
    @Test func aDamagedNewestSnapshotIsReportedNotSkipped() throws {
        let fs = MemoryFileSystem()
        let (first, _) = try Self.compactedLog(fs)
        let log = try openLog(fs, segmentSize: 200)
        try log.save(hardState: HardState(term: 2, vote: 2, commit: 12), entries: makeEntries(11...14, term: 2))
        try log.saveSnapshot(makeSnapshot(index: 12, term: 2))
        log.close()
        let path = snapshotPath(12)
        var bad = fs.contents(atPath: path)!
        bad[bad.count - 10] ^= 0x10
        fs.replaceContents(atPath: path, with: bad)
        let result = try Self.verify(fs)
        #expect(result.problems.first?.class == .corruption && result.problems.first?.file == Path.name(of: path))
        #expect(result.snapshot?.index == first.metadata.index)
        #expect(result.snapshotFiles.count == 2 && result.snapshotFiles[0].checksumStatus == "mismatch")
        #expect(openError(fs)?.kind == .corruption)
    }

    /// When the newest snapshot file is damaged but the log still holds everything after the older
    /// snapshot (both compactions stayed inside one segment), open falls back to it (row P5): the
    /// damaged file is moved aside, nothing acknowledged is lost. With no older snapshot, the log alone.
    @Test(arguments: [false, true])
    func aDamagedNewestSnapshotFallsBackWhenTheLogIsComplete(withOlder: Bool) throws {
        let fs = MemoryFileSystem()
        let (all, _) = try buildLog(fs)  // one segment
        let log = try openLog(fs)
        var older: Snapshot?
        if withOlder {
            older = makeSnapshot(index: 4, term: 1)
            try log.saveSnapshot(older!)
        }
        try log.saveSnapshot(makeSnapshot(index: 6, term: 1))
        log.close()
        let path = snapshotPath(6)
        var bad = fs.contents(atPath: path)!
        bad[bad.count - 7] ^= 0x01
        fs.replaceContents(atPath: path, with: bad)
        let verified = try Self.verify(fs)
        #expect(verified.worst == .corruption && verified.problems.count == 1, "\(verified.problems)")
        let reopened = try openLog(fs)
        #expect(reopened.snapshot == older)
        #expect(reopened.entries == Array(all[Int(older?.metadata.index ?? 0)...]))
        #expect(reopened.report.problems.count == 1 && reopened.report.problems[0].class == .corruption)
        #expect(fs.fileExists(atPath: path + ".damaged") && !fs.fileExists(atPath: path))
        try reopened.saveSnapshot(makeSnapshot(index: 7, term: 1))
        reopened.close()
        let again = try openLog(fs)
        #expect(again.report.problems.isEmpty && again.snapshot?.metadata.index == 7)
        again.close()
    }

    /// The log's start must be explained: a first segment after 1 without a snapshot, a snapshot
    /// that does not reach the first segment, a missing first live segment, a foreign snapshot, a
    /// snapshot whose term disagrees with the log: each an inconsistency.
    @Test func gapsAndMismatchesAreInconsistencies() throws {
        func fresh() throws -> (MemoryFileSystem, Snapshot, UInt64) {
            let fs = MemoryFileSystem()
            let (s, k) = try Self.compactedLog(fs)
            return (fs, s, k)
        }
        func expectInconsistency(_ fs: MemoryFileSystem, _ what: String) throws {
            let result = try Self.verify(fs)
            #expect(result.worst == .inconsistency, "\(what): \(result.problems)")
            #expect(openError(fs)?.kind == .inconsistency, "\(what)")
        }
        // No snapshot at all: the first segment is not segment 1 and does not start at 1.
        var (fs, snapshot, k) = try fresh()
        fs.removeDurably(atPath: snapshotPath(snapshot.metadata.index))
        try expectInconsistency(fs, "no snapshot")
        // A segment 1 that starts at 5, no snapshot.
        let lone = MemoryFileSystem()
        _ = try buildLog(lone)
        var header = lone.contents(atPath: segmentPath(1))!
        header.replaceSubrange(0..<64, with: RecordCodec.segmentHeader(logID: fixedLogID, sequence: 1, firstIndex: 5))
        lone.replaceContents(atPath: segmentPath(1), with: header)
        let loneResult = try Self.verify(lone)
        #expect(
            loneResult.problems.first?.class == .inconsistency && loneResult.problems.first!.message.contains("no snapshot covers"),
            "\(loneResult.problems)")
        // A snapshot that ends before the first segment starts.
        (fs, snapshot, k) = try fresh()
        let firstIndex = try Self.verify(fs).segments[0].header!.firstIndex
        fs.removeDurably(atPath: snapshotPath(6))
        let short = makeSnapshot(index: firstIndex - 2, term: 1)
        fs.replaceContents(
            atPath: snapshotPath(firstIndex - 2), with: SnapshotFormat.encode(short, logID: fixedLogID, firstSegment: k, batchSequence: 0))
        try expectInconsistency(fs, "snapshot short of the first segment")
        // The first live segment is missing.
        (fs, snapshot, k) = try fresh()
        fs.removeDurably(atPath: segmentPath(k))
        try expectInconsistency(fs, "first live segment missing")
        // A snapshot of another log.
        (fs, snapshot, k) = try fresh()
        fs.replaceContents(
            atPath: snapshotPath(6),
            with: SnapshotFormat.encode(
                snapshot, logID: LogID(bytes: Array(repeating: 9, count: 16)),
                firstSegment: k, batchSequence: 0))
        try expectInconsistency(fs, "foreign snapshot")
        // A snapshot whose term at its index disagrees with the entry the live segments hold there.
        (fs, snapshot, k) = try fresh()
        let live = try Self.verify(fs)
        let batchBefore: UInt64 = live.snapshot?.batchSequence ?? 0
        #expect(live.segments[0].minIndex! <= 7)
        if live.segments[0].minIndex! <= 7 {
            let wrong = makeSnapshot(index: 7, term: 2)
            fs.replaceContents(
                atPath: snapshotPath(7), with: SnapshotFormat.encode(wrong, logID: fixedLogID, firstSegment: k, batchSequence: batchBefore))
            try expectInconsistency(fs, "term mismatch")
        }
    }

    /// Explicit files (what `logdump` passes): with the snapshot file the compacted log is clean,
    /// without it the segments read as a gap no snapshot covers.
    @Test func explicitFilesNeedTheSnapshot() throws {
        let fs = MemoryFileSystem()
        let (snapshot, _) = try Self.compactedLog(fs)
        let segments = try fileNames(fs).filter { StorageFormat.segmentSequence(fileName: $0) != nil }.map { Path.join(dir, $0) }
        let with = try LogScanner(segmentFiles: segments, hardStateFile: hardStatePath(), snapshotFiles: [snapshotPath(6)], fileSystem: fs).verify()
        #expect(with.worst == nil && with.snapshot?.metadata == snapshot.metadata && with.lastIndex == 10, "\(with.problems)")
        let without = try LogScanner(segmentFiles: segments, hardStateFile: hardStatePath(), fileSystem: fs).verify()
        #expect(without.worst == .inconsistency && without.snapshot == nil)
    }

    /// Segments an interrupted compaction left behind are not read, are reported as obsolete, and
    /// are removed by open.
    @Test func obsoleteSegmentsAreRemovedOnOpen() throws {
        let fs = MemoryFileSystem()
        _ = try buildLog(fs, segmentSize: 200)
        let saved = (1...3).map { fs.contents(atPath: segmentPath($0)) }
        let (_, k) = try {
            let log = try openLog(fs, segmentSize: 200)
            defer { log.close() }
            try log.saveSnapshot(makeSnapshot(index: 6, term: 1))
            return (log.snapshot!, log.segmentSequences[0])
        }()
        #expect(k > 1)
        for s in 1..<k { fs.replaceContents(atPath: segmentPath(s), with: saved[Int(s) - 1]!) }
        let result = try Self.verify(fs)
        #expect(result.worst == nil && result.obsoleteSegments.count == Int(k - 1), "\(result.problems)")
        let log = try openLog(fs, segmentSize: 200)
        #expect(log.report.summary.contains { $0.contains("wholly covered by the snapshot") })
        log.close()
        for s in 1..<k { #expect(!fs.fileExists(atPath: segmentPath(s))) }
    }
}
