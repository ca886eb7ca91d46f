import RaftCore
import Testing
@testable import RaftStorage

/// The scan's fast path (`ScanState.scanSoundRun`, interleaved checksums) must agree with the
/// general path on every log, damaged or not: same problems and rows, same records visited.
@Suite struct FastPathTests {
    // MARK: Interleaved checksums

    @Test(arguments: [CRC32C.Implementation.automatic, .portable])
    func splitRegistersEqualThePlainChecksumAtEveryLengthAndAlignment(_ implementation: CRC32C.Implementation) {
        var g = SeededGenerator(seed: 11)
        let bytes = (0..<4096).map { _ in UInt8(truncatingIfNeeded: g.next()) }
        bytes.withUnsafeBytes { raw in
            for length in 0...300 {
                for split in Set([0, min(28, length), length / 3, length]) {
                    // 1...9 buffers: whole groups of four and every remainder; each buffer starts at
                    // its own misalignment and has its own length (the group's common part varies).
                    for count in [1, 4, 7, 9] {
                        let buffers = (0..<count).map { k -> UnsafeRawBufferPointer in
                            let start = 8 * k * 37 + (k % 8)
                            let own = k % 2 == 0 ? length : max(split, length - k)
                            return UnsafeRawBufferPointer(rebasing: raw[start..<(start + own)])
                        }
                        let registers = CRC32C.splitRegisters(buffers, split: split, using: implementation)
                        for (k, buffer) in buffers.enumerated() {
                            let atSplit = CRC32C.update(0xFFFF_FFFF, UnsafeRawBufferPointer(rebasing: buffer[0..<split]), using: .portable)
                            let atEnd = CRC32C.update(0xFFFF_FFFF, buffer, using: .portable)
                            #expect(registers[k].atSplit == atSplit, "length \(length) split \(split) count \(count) buffer \(k)")
                            #expect(registers[k].atEnd == atEnd, "length \(length) split \(split) count \(count) buffer \(k)")
                        }
                    }
                }
            }
        }
    }

    // MARK: The two paths agree

    /// Everything a scan tells its caller, in a form that compares exactly: the scan without a
    /// visitor (what `verify` runs) and the scan that visits every record and marks superseded
    /// ones (what `dump` runs; `open` visits without marking).
    struct Outcome: Equatable {
        var verified: Summary
        var visited: Summary
        var records: [String]
    }

    struct Summary: Equatable {
        var problems: [StorageProblem]
        var rows: [String]
        var notes: [String]
        var counts: [Int]
        var last: [UInt64]
        var tornTail: TornTail?
        var segments: [String]
    }

    static func summary(_ r: ScanResult) -> Summary {
        Summary(
            problems: r.problems, rows: r.rows.map(\.rawValue).sorted(), notes: r.notes,
            counts: [r.entryRecords, r.batchRecords, r.supersededRecords, r.problemsNotListed, r.unsyncedBatchesAtEnd]
                + r.entriesByType.sorted { $0.key < $1.key }.flatMap { [Int($0.key), $0.value] },
            last: [r.lastIndex, r.lastTerm, r.lastBatch?.batchSequence ?? 0, r.lastAcknowledged?.batchSequence ?? 0],
            tornTail: r.tornTail,
            segments: r.segments.map {
                "\($0.name) \($0.validEnd) \($0.entryRecords) \($0.batchRecords) \(String(describing: $0.minIndex)) \(String(describing: $0.maxIndex))"
            } + r.batchEnds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" })
    }

    static func outcome(_ fs: FileSystem, fastPath: Bool, chunkSize: Int = 1 << 20) throws -> Outcome {
        try outcome(fs, directory: dir) { scanner in
            scanner.fastPath = fastPath
            scanner.chunkSize = chunkSize
        }
    }

    /// The `Outcome` of verifying and scanning `directory` with scanners set up by `configure`.
    static func outcome(_ fs: FileSystem, directory: String, configure: (LogScanner) -> Void) throws -> Outcome {
        func scanner() throws -> LogScanner {
            let scanner = try LogScanner(directory: directory, fileSystem: fs)
            configure(scanner)
            return scanner
        }
        let verified = try scanner().verify()
        var records: [String] = []
        let visited = try scanner().scan(computeSuperseded: true) { record, payload in
            records.append(
                "\(record.file) \(record.offset) \(record.size) \(record.kind) \(record.entryType) \(record.term) \(record.index) \(record.checksum) \(String(describing: record.batch)) \(record.superseded) \(Array(payload))"
            )
        }
        return Outcome(verified: summary(verified), visited: summary(visited), records: records)
    }

    /// A log with entries of several sizes (empty, 24 and 50 bytes), a conflict truncation inside
    /// a batch, and the hard state saved with each batch.
    static func damagedLogFixture() throws -> (fs: MemoryFileSystem, bytes: [UInt8]) {
        let fs = MemoryFileSystem()
        _ = try buildLog(fs)
        let log = try openLog(fs)
        try log.save(hardState: HardState(term: 3, vote: 3, commit: 8), entries: makeEntries(10...13, term: 3, size: 50))
        log.close()
        return (fs, fs.contents(atPath: segmentPath(1))!)
    }

    @Test func everyDamageToEveryByteGivesTheSameScanOnBothPaths() throws {
        let (fs, bytes) = try Self.damagedLogFixture()
        #expect(try Self.outcome(fs, fastPath: true) == Self.outcome(fs, fastPath: false))
        #expect(try Self.outcome(fs, fastPath: true).verified.problems.isEmpty)
        let damages: [(String, (UInt8) -> UInt8)] = [
            ("flip bit 0", { $0 ^ 0x01 }), ("flip bit 7", { $0 ^ 0x80 }), ("zero", { _ in 0 }), ("0xFF", { _ in 0xFF }),
        ]
        var differing = 0
        for at in bytes.indices {
            for (name, damage) in damages {
                var damaged = bytes
                damaged[at] = damage(damaged[at])
                guard damaged[at] != bytes[at] else { continue }
                fs.replaceContents(atPath: segmentPath(1), with: damaged)
                let fast = try Self.outcome(fs, fastPath: true)
                let general = try Self.outcome(fs, fastPath: false)
                #expect(fast == general, "byte \(at), \(name)")
                if fast != general { differing += 1 }
            }
        }
        #expect(differing == 0)
    }

    /// Damage with right checksums (unknown types, gaps, terms going down, wrong markers…) is what
    /// the fast path's own order guards must hand over: every row's log, read both ways.
    @Test(arguments: RecoveryRow.allCases)
    func everyRecoveryRowGivesTheSameScanOnBothPaths(_ row: RecoveryRow) throws {
        let fs = MemoryFileSystem()
        _ = try RecoveryRowTests.produce(row, fs)
        let fast = try Self.outcome(fs, fastPath: true)
        #expect(fast == (try Self.outcome(fs, fastPath: false)), "row \(row)")
        #expect(fast.verified.rows.contains(row.rawValue) || row == .P5, "row \(row): \(fast.verified.rows)")
    }

    @Test func everyCutGivesTheSameScanOnBothPaths() throws {
        let (fs, bytes) = try Self.damagedLogFixture()
        for end in stride(from: bytes.count, through: 0, by: -1) {
            fs.replaceContents(atPath: segmentPath(1), with: Array(bytes[0..<end]))
            #expect(try Self.outcome(fs, fastPath: true) == Self.outcome(fs, fastPath: false), "cut at \(end)")
        }
    }

    /// A log several windows long, read through the smallest window, so that runs end at window
    /// boundaries mid-record; damaged here and there and cut.
    @Test func windowBoundariesGiveTheSameScanOnBothPaths() throws {
        let fs = MemoryFileSystem()
        let log = try openLog(fs)
        var index: UInt64 = 1
        for batch in 0..<40 {
            let size = [0, 7, 24, 200, 1000][batch % 5]
            try log.save(hardState: HardState(term: 1, vote: 1, commit: 0), entries: makeEntries(index...(index + 5), term: 1, size: size))
            index += 6
        }
        log.close()
        let bytes = fs.contents(atPath: segmentPath(1))!
        #expect(bytes.count > 5 * 4096)
        let clean = try Self.outcome(fs, fastPath: true, chunkSize: 4096)
        #expect(clean.verified.problems.isEmpty && clean.records.count == 40 * 7)
        #expect(clean == (try Self.outcome(fs, fastPath: false, chunkSize: 4096)))
        #expect(clean == (try Self.outcome(fs, fastPath: true)))
        for at in stride(from: 64, to: bytes.count, by: 541) {
            var damaged = bytes
            damaged[at] ^= 0x20
            fs.replaceContents(atPath: segmentPath(1), with: damaged)
            let fast = try Self.outcome(fs, fastPath: true, chunkSize: 4096)
            #expect(fast == (try Self.outcome(fs, fastPath: false, chunkSize: 4096)), "byte \(at)")
            #expect(fast.verified.problems.map(\.row) == (try Self.outcome(fs, fastPath: true)).verified.problems.map(\.row), "byte \(at)")
            fs.replaceContents(atPath: segmentPath(1), with: Array(bytes[0..<at]))
            #expect(try Self.outcome(fs, fastPath: true, chunkSize: 4096) == Self.outcome(fs, fastPath: false, chunkSize: 4096), "cut at \(at)")
        }
    }

    @Test func aVisitorThatStopsStopsAtTheSameRecordOnBothPaths() throws {
        let (fs, _) = try Self.damagedLogFixture()
        for limit in 1...20 {
            var seen: [[Int64]] = [[], []]
            for (k, fast) in [true, false].enumerated() {
                let scanner = try LogScanner(directory: dir, fileSystem: fs)
                scanner.fastPath = fast
                let r = try scanner.scanUntilStop { record, _ in
                    seen[k].append(record.offset)
                    return seen[k].count == limit ? .stop : .next
                }
                #expect(r.stoppedByVisitor == (seen[k].count == limit))
            }
            #expect(seen[0] == seen[1], "limit \(limit)")
        }
    }
}
