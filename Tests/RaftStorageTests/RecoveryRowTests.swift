import Foundation
import RaftCore
import Testing
@testable import RaftStorage

/// The recovery decision table (docs/storage-format.md §5.3) in code: every row is produced from a
/// damaged log and the scanner names it, and the rows of the document are the rows of `RecoveryRow`.
@Suite struct RecoveryRowTests {
    // MARK: The table in the document

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The row ids of §5.3's table, in document order.
    static func documentedRows() throws -> [String] { try documentedTable().map(\.id) }

    /// The rows of §5.3's table with their "class" cell.
    static func documentedTable() throws -> [(id: String, class: String)] {
        let text = try String(contentsOf: packageRoot.appendingPathComponent("docs/storage-format.md"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0.hasPrefix("### 5.3") }, "§5.3 is missing")
        // The table is the run of `|` lines from its header on: a row outside it does not count.
        let header = try #require(lines[start...].firstIndex { $0.hasPrefix("| # |") }, "§5.3 has no table")
        var rows: [(id: String, class: String)] = []
        for line in lines[(header + 2)...] {
            if !line.hasPrefix("|") { break }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count > 2, let id = cells.dropFirst().first, id.range(of: #"^[A-Z][0-9]+$"#, options: .regularExpression) != nil else {
                continue
            }
            rows.append((id, cells.count > 4 ? cells[4] : ""))
        }
        return rows
    }

    @Test func theDocumentsTableAndTheCodeHaveTheSameRows() throws {
        let documented = try Self.documentedRows()
        #expect(Set(documented).count == documented.count, "a row is listed twice: \(documented)")
        let coded = RecoveryRow.allCases.map(\.rawValue)
        #expect(Set(documented).subtracting(coded).sorted() == [], "rows in the document that the code does not name")
        #expect(Set(coded).subtracting(documented).sorted() == [], "rows in the code that the document does not list")
        #expect(documented == coded, "the table and the enum list the rows in different orders")
    }

    // MARK: Row S3: another version is refused, not guessed

    @Test func aSegmentOfAnotherVersionIsRefusedAndNotRead() throws {
        let fs = MemoryFileSystem()
        _ = try buildLog(fs)
        Self.mutate(fs, segmentPath(1)) { $0.replaceSubrange(0..<64, with: Self.header(sequence: 1, firstIndex: 1, version: 2)) }
        var visited = 0
        let scan = try LogScanner(directory: dir, fileSystem: fs).scan { _, _ in visited += 1 }
        #expect(visited == 0, "records of a version-2 segment were read as version 1")
        #expect(scan.entryRecords == 0 && scan.batchRecords == 0)
        let first = try #require(scan.problems.first)
        #expect(first.row == .S3 && first.class == .inconsistency && first.offset == 8)
        #expect(first.message.contains("version 2 is not supported"), "\(first.message)")
        let error = try #require(openError(fs))
        #expect(error.problems.contains { $0.row == .S3 })
    }

    // MARK: Each row from a damaged log

    @Test(arguments: RecoveryRow.allCases)
    func eachRowIsProducedAndNamed(_ row: RecoveryRow) throws {
        let fs = MemoryFileSystem()
        let observed = try Self.produce(row, fs)
        #expect(observed.rows.contains(row), "row \(row): the scan named \(observed.rows.sorted())")
        // The class the document gives the row is the class of the problem that names it; a row
        // whose class is "—" decides without a problem.
        let documented = try #require(try Self.documentedTable().first { $0.id == row.rawValue }?.class)
        let classes = Set(observed.problems.filter { $0.row == row }.map(\.class))
        if documented.hasPrefix("—") {
            #expect(classes.isEmpty && observed.noted.contains(row), "row \(row) is a note in the document, the scan reported \(classes)")
        } else if documented.hasPrefix("rule D") {
            #expect(!classes.isEmpty && classes.isSubset(of: [.tornTail, .corruption]))
        } else if row != .P5 {
            let expected: StorageProblem.Class =
                documented.hasPrefix("torn tail") ? .tornTail : documented.hasPrefix("corruption") ? .corruption : .inconsistency
            #expect(documented.hasPrefix(expected.rawValue), "row \(row): unknown class cell '\(documented)'")
            #expect(classes == [expected], "row \(row): the document says \(documented), the scan reported \(classes)")
        }
    }

    /// Damages a log so that `row` decides, and returns the rows the scan named (or, for P5, what open did).
    static func produce(_ row: RecoveryRow, _ fs: MemoryFileSystem) throws -> Observed {
        switch row {
        case .S1, .S2, .S3, .S4, .S5, .S6, .S7, .S8, .S9, .S13: return try produceSegmentRow(row, fs)
        case .S10, .S11, .S12, .L1, .L2, .P1, .P2, .P3, .P4, .P5: return try produceSnapshotRow(row, fs)
        case .R1, .R2, .R3, .R4, .R5, .R6, .R7, .R8, .R9, .R10, .R11: return try produceRecordRow(row, fs)
        case .O1, .O2, .O3, .O4, .O5, .M1, .M2: return try produceOrderRow(row, fs)
        case .H1, .H2, .H3, .H4, .H5, .H6, .H7, .H8, .H9, .H10, .H11, .H12, .H13, .H14, .H15, .F1: return try produceHardStateRow(row, fs)
        }
    }

    static func rows(_ fs: FileSystem) throws -> Observed {
        let scan = try LogScanner(directory: dir, fileSystem: fs).verify()
        return Observed(problems: scan.problems, noted: scan.notedRows)
    }

    /// What a damaged log made the scan say: problems with their rows, and rows noted without one.
    struct Observed {
        var problems: [StorageProblem] = []
        var noted: Set<RecoveryRow> = []
        var rows: Set<RecoveryRow> { noted.union(problems.map(\.row)) }
    }

    static func mutate(_ fs: MemoryFileSystem, _ path: String, _ change: (inout [UInt8]) -> Void) {
        var bytes = fs.contents(atPath: path)!
        change(&bytes)
        fs.replaceContents(atPath: path, with: bytes)
    }

    /// A segment header with any version (its checksum right).
    static func header(sequence: UInt64, firstIndex: UInt64, logID: LogID = fixedLogID, version: UInt32 = 1) -> [UInt8] {
        var h = RecordCodec.segmentHeader(logID: logID, sequence: sequence, firstIndex: firstIndex)
        for k in 0..<4 { h[8 + k] = UInt8(truncatingIfNeeded: version >> (8 * UInt32(k))) }
        let crc = CRC32C.checksum(Array(h[0..<60]))
        for k in 0..<4 { h[60 + k] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k))) }
        return h
    }

    static func entry(_ index: UInt64, term: UInt64, type: UInt8 = 0) -> [UInt8] {
        var b: [UInt8] = []
        let data = (0..<24).map { UInt8(truncatingIfNeeded: Int(index) &+ $0 &+ 1) }
        data.withUnsafeBytes { RecordCodec.appendRecord(to: &b, kind: .entry, entryType: type, term: term, index: index, payload: $0) }
        return b
    }

    static func marker(batch: UInt64, hardState: UInt64 = 3, first: UInt64, count: UInt32, last: UInt64, term: UInt64, synced: Bool = true) -> [UInt8]
    {
        var b: [UInt8] = []
        RecordCodec.appendBatch(
            BatchMarker(batchSequence: batch, hardStateSequence: hardState, firstIndex: first, entryCount: count, synced: synced),
            lastTerm: term, lastIndex: last, to: &b)
        return b
    }

    /// One batch after `buildLog`'s (which ends at index 10, term 2, batch 3, hard-state sequence 3).
    static func appendBatch(_ fs: MemoryFileSystem, _ entries: [[UInt8]], marker: [UInt8]) {
        mutate(fs, segmentPath(1)) { $0 += entries.flatMap { $0 } + marker }
    }

    // MARK: Segment headers (S)

    static func produceSegmentRow(_ row: RecoveryRow, _ fs: MemoryFileSystem) throws -> Observed {
        if row == .S1 || row == .S3 || row == .S5 || row == .S13 {
            _ = try buildLog(fs)
        } else {
            _ = try buildLog(fs, segmentSize: 200)  // segments 1 (entries 1–4), 2 (5–7), 3 (8–10)
        }
        switch row {
        case .S1:
            fs.replaceContents(atPath: segmentPath(2), with: Array(header(sequence: 2, firstIndex: 11)[0..<30]))
        case .S2:
            mutate(fs, segmentPath(2)) { $0[0] ^= 0x20 }
        case .S3:
            mutate(fs, segmentPath(1)) { $0.replaceSubrange(0..<64, with: header(sequence: 1, firstIndex: 1, version: 2)) }
        case .S4:
            try fs.removeFile(atPath: segmentPath(1))
        case .S5:
            mutate(fs, segmentPath(1)) { $0.replaceSubrange(0..<64, with: header(sequence: 1, firstIndex: 5)) }
        case .S6:
            mutate(fs, segmentPath(2)) {
                $0.replaceSubrange(0..<64, with: header(sequence: 2, firstIndex: 5, logID: LogID(bytes: Array(repeating: 9, count: 16))))
            }
        case .S7:
            let bytes = fs.contents(atPath: segmentPath(3))!
            try fs.removeFile(atPath: segmentPath(3))
            fs.replaceContents(atPath: segmentPath(4), with: bytes)
        case .S8:
            try fs.removeFile(atPath: segmentPath(2))
        case .S9:
            mutate(fs, segmentPath(3)) { $0.replaceSubrange(0..<64, with: header(sequence: 3, firstIndex: 9)) }
        case .S13:
            // Segment 2 created under sync policy never: 7 entries fill its first sector, an unsynced marker follows; the first sector is lost.
            var bytes = header(sequence: 2, firstIndex: 11)
            for i in UInt64(11)...17 { bytes += entry(i, term: 2) }
            #expect(bytes.count == 512)
            bytes += marker(batch: 4, first: 11, count: 7, last: 17, term: 2, synced: false)
            bytes.replaceSubrange(0..<512, with: [UInt8](repeating: 0, count: 512))
            fs.replaceContents(atPath: segmentPath(2), with: bytes)
        default:
            Issue.record("not a segment row: \(row)")
        }
        return try rows(fs)
    }

    // MARK: Records and rule D (R)

    static func produceRecordRow(_ row: RecoveryRow, _ fs: MemoryFileSystem) throws -> Observed {
        _ = try buildLog(fs, segmentSize: row == .R7 ? 200 : 64 << 20)
        switch row {
        case .R1:
            mutate(fs, segmentPath(1)) { $0 += [UInt8](repeating: 0xAB, count: 16) }
        case .R2:
            // The write's first sector never reached the disk, a later one did (a record cut short):
            // zeros where a header should be, and not zero to the end (that would be R11).
            mutate(fs, segmentPath(1)) { bytes in
                bytes += [UInt8](repeating: 0, count: (bytes.count / 512 + 2) * 512 - bytes.count)
                bytes += entry(12, term: 2)[0..<40]
            }
        case .R11:
            mutate(fs, segmentPath(1)) { $0 += [UInt8](repeating: 0, count: 64) }
        case .R3:
            var record = entry(11, term: 2)
            record[6] = 1  // a reserved byte, under a right header checksum
            let crc = CRC32C.checksum(Array(record[0..<28]))
            for k in 0..<4 { record[28 + k] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k))) }
            mutate(fs, segmentPath(1)) { $0 += record }
        case .R4:
            mutate(fs, segmentPath(1)) { $0 += entry(11, term: 2)[0..<40] }
        case .R5:
            var record = entry(11, term: 2)
            record.replaceSubrange(48..<64, with: [UInt8](repeating: 0, count: 16))
            mutate(fs, segmentPath(1)) { $0 += record }
        case .R6:
            mutate(fs, segmentPath(1)) { $0 += entry(11, term: 2) }
        case .R7:
            mutate(fs, segmentPath(2)) { $0 += entry(8, term: 2) }
        case .R8, .R9:
            try damageInsideALongBatch(fs, laterSyncedBatch: row == .R9)
        case .R10:
            let last = try #require(recordOffsets(fs).last { $0.kind == .entry })
            mutate(fs, segmentPath(1)) { $0[Int(last.offset) + 40] ^= 0x04 }
        default:
            Issue.record("not a record row: \(row)")
        }
        return try rows(fs)
    }

    /// A batch of 30 entries after the healthy log; a 512-byte sector inside it is lost (zero), its
    /// marker survives. With `laterSyncedBatch`, another synced batch follows it.
    static func damageInsideALongBatch(_ fs: MemoryFileSystem, laterSyncedBatch: Bool) throws {
        let start = Int(fs.contents(atPath: segmentPath(1))!.count)
        let log = try openLog(fs)
        try log.save(hardState: nil, entries: makeEntries(11...40, term: 2))
        if laterSyncedBatch { try log.save(hardState: nil, entries: makeEntries(41...42, term: 2)) }
        log.close()
        let sector = (start / 512 + 1) * 512
        mutate(fs, segmentPath(1)) { $0.replaceSubrange(sector..<(sector + 512), with: [UInt8](repeating: 0, count: 512)) }
    }

    // MARK: Entry order (O) and batch markers (M)

    static func produceOrderRow(_ row: RecoveryRow, _ fs: MemoryFileSystem) throws -> Observed {
        _ = try buildLog(fs)
        switch row {
        case .O1: appendBatch(fs, [entry(11, term: 2, type: 9)], marker: marker(batch: 4, first: 11, count: 1, last: 11, term: 2))
        case .O2: appendBatch(fs, [entry(11, term: 0)], marker: marker(batch: 4, first: 11, count: 1, last: 11, term: 0))
        case .O3: appendBatch(fs, [entry(13, term: 2)], marker: marker(batch: 4, first: 13, count: 1, last: 13, term: 2))
        case .O4: appendBatch(fs, [entry(9, term: 1)], marker: marker(batch: 4, first: 9, count: 1, last: 9, term: 1))
        case .O5: appendBatch(fs, [entry(11, term: 1)], marker: marker(batch: 4, first: 11, count: 1, last: 11, term: 1))
        case .M1:
            var record = marker(batch: 4, first: 11, count: 1, last: 11, term: 2)
            record[32 + 28] = 2  // an unknown flag bit; both checksums recomputed below
            let payload = Array(record[32..<64])
            var rebuilt: [UInt8] = []
            payload.withUnsafeBytes { RecordCodec.appendRecord(to: &rebuilt, kind: .batch, entryType: 0, term: 2, index: 11, payload: $0) }
            appendBatch(fs, [entry(11, term: 2)], marker: rebuilt)
        case .M2: appendBatch(fs, [entry(11, term: 2)], marker: marker(batch: 9, first: 11, count: 1, last: 11, term: 2))
        default: Issue.record("not an order row: \(row)")
        }
        return try rows(fs)
    }

    // MARK: Snapshots (S10–S12, L, P)

    static func produceSnapshotRow(_ row: RecoveryRow, _ fs: MemoryFileSystem) throws -> Observed {
        if row == .P3 || row == .P5 { return try produceTwoSnapshotsRow(row, fs) }
        let segment1 =
            row == .S11
            ? try {
                _ = try buildLog(fs, segmentSize: 200); return fs.contents(atPath: segmentPath(1))!
            }() : nil
        if row != .S11 { _ = try buildLog(fs, segmentSize: 200) }
        let log = try openLog(fs, segmentSize: 200)
        try log.saveSnapshot(makeSnapshot(index: 6, term: 1))
        let firstSegment = log.segmentSequences[0]
        log.close()
        let info = try SnapshotFileInfo.inspect(path: snapshotPath(6), fileSystem: fs)
        switch row {
        case .S10:
            try fs.removeFile(atPath: segmentPath(firstSegment))
        case .S11:
            fs.replaceContents(atPath: segmentPath(1), with: segment1!)
        case .S12:
            for s in try fileNames(fs) where StorageFormat.segmentSequence(fileName: s) != nil { try fs.removeFile(atPath: Path.join(dir, s)) }
        case .L1:
            for s in try fileNames(fs) where (StorageFormat.segmentSequence(fileName: s) ?? 0) > firstSegment {
                try fs.removeFile(atPath: Path.join(dir, s))
            }
            mutate(fs, segmentPath(firstSegment)) { $0.removeSubrange(64...) }
        case .L2, .P4:
            let logID = row == .P4 ? LogID(bytes: Array(repeating: 9, count: 16)) : fixedLogID
            fs.replaceContents(
                atPath: snapshotPath(6),
                with: SnapshotFormat.encode(
                    makeSnapshot(index: 6, term: row == .L2 ? 2 : 1), logID: logID,
                    firstSegment: info.firstSegment!, batchSequence: info.batchSequence!))
        case .P1:
            mutate(fs, snapshotPath(6)) { $0[$0.count - 10] ^= 1 }
        case .P2:
            let bytes = fs.contents(atPath: snapshotPath(6))!
            try fs.removeFile(atPath: snapshotPath(6))
            fs.replaceContents(atPath: snapshotPath(5), with: bytes)
        default:
            Issue.record("not a snapshot row: \(row)")
        }
        return try rows(fs)
    }

    /// One segment, snapshots at 4 and 6 (both kept): damage the older (P3) or the newer (P5).
    static func produceTwoSnapshotsRow(_ row: RecoveryRow, _ fs: MemoryFileSystem) throws -> Observed {
        _ = try buildLog(fs)
        let log = try openLog(fs)
        try log.saveSnapshot(makeSnapshot(index: 4, term: 1))
        try log.saveSnapshot(makeSnapshot(index: 6, term: 1))
        log.close()
        mutate(fs, snapshotPath(row == .P3 ? 4 : 6)) { $0[$0.count - 10] ^= 1 }
        guard row == .P5 else { return try rows(fs) }
        // P5 is open's decision: it falls back to the older snapshot and moves the damaged file aside.
        let opened = try openLog(fs)
        defer { opened.close() }
        let renamed = try fileNames(fs).contains(SnapshotFormat.fileName(index: 6) + ".damaged")
        return Observed(noted: renamed && opened.snapshot?.metadata.index == 4 ? [.P5] : [])
    }

    // MARK: Hard state (H) and the failure marker (F)

    static func slot(
        _ state: HardState, sequence: UInt64, logID: LogID = fixedLogID, batchSequence: UInt64 = 3, segmentSequence: UInt64 = 1,
        synced: Bool = true
    ) -> (Int, [UInt8]) {
        let slot = Int(sequence % 2)
        return (
            slot * StorageFormat.hardStateSlotStride,
            RecordCodec.hardStateSlot(
                state, sequence: sequence, slot: slot, logID: logID,
                batchSequence: batchSequence, segmentSequence: segmentSequence, synced: synced)
        )
    }

    static func writeSlot(_ fs: MemoryFileSystem, _ at: (Int, [UInt8])) {
        mutate(fs, hardStatePath()) { $0.replaceSubrange(at.0..<(at.0 + at.1.count), with: at.1) }
    }

    static func zeroSlot(_ fs: MemoryFileSystem, _ slot: Int) {
        let at = slot * StorageFormat.hardStateSlotStride
        mutate(fs, hardStatePath()) {
            $0.replaceSubrange(at..<(at + StorageFormat.hardStateSlotSize), with: [UInt8](repeating: 0, count: StorageFormat.hardStateSlotSize))
        }
    }

    static func produceHardStateRow(_ row: RecoveryRow, _ fs: MemoryFileSystem) throws -> Observed {
        if row == .H5 {
            try openLog(fs).close()
            return try rows(fs)
        }
        let built = try buildLog(fs)  // slots: sequence 2 in slot 0, sequence 3 (term 2, vote 2, commit 6) in slot 1
        let state = built.hardState
        switch row {
        case .H1: try fs.removeFile(atPath: hardStatePath())
        case .H2: mutate(fs, hardStatePath()) { $0.removeLast(24) }
        case .H3: fs.replaceContents(atPath: hardStatePath(), with: [UInt8](repeating: 7, count: StorageFormat.hardStateFileSize))
        case .H4: writeSlot(fs, slot(state, sequence: 0))
        case .H6: zeroSlot(fs, 0)
        case .H7: zeroSlot(fs, 1)
        case .H8:
            let other = LogID(bytes: Array(repeating: 9, count: 16))
            writeSlot(fs, slot(state, sequence: 3, logID: other))
            writeSlot(fs, slot(state, sequence: 2, logID: other))
        case .H9: writeSlot(fs, slot(state, sequence: 1))
        case .H10: writeSlot(fs, slot(state, sequence: 3, batchSequence: 9))
        case .H11: writeSlot(fs, slot(state, sequence: 3, segmentSequence: 5))
        case .H12: writeSlot(fs, slot(HardState(term: 1, vote: 2, commit: 6), sequence: 3))
        case .H13: writeSlot(fs, slot(HardState(term: 2, vote: 2, commit: 50), sequence: 3))
        case .H14: writeSlot(fs, slot(state, sequence: 5, synced: false))
        case .H15:
            appendBatch(fs, [entry(11, term: 2)], marker: marker(batch: 4, hardState: 4, first: 11, count: 1, last: 11, term: 2, synced: false))
        case .F1: fs.replaceContents(atPath: Path.join(dir, FailureMarker.fileName), with: Array("not a marker\n".utf8))
        default: Issue.record("not a hard-state row: \(row)")
        }
        return try rows(fs)
    }
}
