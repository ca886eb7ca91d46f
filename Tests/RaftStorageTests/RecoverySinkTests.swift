import RaftCore
import Testing
@testable import RaftStorage

/// Recovery's replay fed by the fast path directly (`LogScanner.recoverySink`) must rebuild the
/// same log, and the scan report the same, as the replay fed only through the visitor.
@Suite struct RecoverySinkTests {
    struct Replayed: Equatable {
        var entries: [Entry]
        var summary: FastPathTests.Summary
    }

    /// The log and scan of `dir` as `recover` reads them (`sink`), or through the visitor alone
    /// with the general path.
    static func replayed(_ fs: FileSystem, sink: Bool) throws -> Replayed {
        let scanner = try LogScanner(directory: dir, fileSystem: fs)
        let replay = RecoveryReplay()
        if sink {
            scanner.recoverySink = replay
        } else {
            scanner.fastPath = false
        }
        let result = try scanner.scan { record, payload in replay.apply(record, payload: payload) }
        return Replayed(entries: replay.takeAcknowledgedLog(), summary: FastPathTests.summary(result))
    }

    @Test func aCleanLogWithAConflictReplaysTheSameAndAsOpenSeesIt() throws {
        let (fs, _) = try FastPathTests.damagedLogFixture()
        let fast = try Self.replayed(fs, sink: true)
        #expect(fast == (try Self.replayed(fs, sink: false)))
        #expect(fast.summary.problems.isEmpty && fast.entries.count == 13)
        #expect(try openLog(fs).entries == fast.entries)
    }

    @Test func everyCutAndDamageReplaysTheSameThroughTheSink() throws {
        let (fs, bytes) = try FastPathTests.damagedLogFixture()
        for end in stride(from: bytes.count, through: 0, by: -1) {
            fs.replaceContents(atPath: segmentPath(1), with: Array(bytes[0..<end]))
            #expect(try Self.replayed(fs, sink: true) == Self.replayed(fs, sink: false), "cut at \(end)")
        }
        for at in bytes.indices {
            var damaged = bytes
            damaged[at] ^= 0x10
            fs.replaceContents(atPath: segmentPath(1), with: damaged)
            #expect(try Self.replayed(fs, sink: true) == Self.replayed(fs, sink: false), "byte \(at)")
        }
    }

    @Test(arguments: RecoveryRow.allCases)
    func everyRecoveryRowReplaysTheSameThroughTheSink(_ row: RecoveryRow) throws {
        let fs = MemoryFileSystem()
        _ = try RecoveryRowTests.produce(row, fs)
        #expect(try Self.replayed(fs, sink: true) == Self.replayed(fs, sink: false), "row \(row)")
    }

    /// Many segments and batches, conflicts across segment boundaries, reopened between: what
    /// `open` rebuilds through the sink is what was saved.
    @Test func conflictsAcrossSegmentsReplayTheSame() throws {
        let fs = MemoryFileSystem()
        let log = try openLog(fs, segmentSize: 2048)
        var g = SeededGenerator(seed: 5)
        for round in 0..<60 {
            let last = log.lastIndex
            let from = round % 9 == 8 && last > 10 ? last - g.next(below: 8) : last + 1
            try log.save(
                hardState: HardState(term: UInt64(round / 9 + 1), vote: 1, commit: 0),
                entries: makeEntries(from...(from + g.next(below: 12)), term: UInt64(round / 9 + 1), size: Int(g.next(below: 90))))
        }
        let saved = log.entries
        log.close()
        let fast = try Self.replayed(fs, sink: true)
        #expect(fast.entries == saved)
        #expect(fast == (try Self.replayed(fs, sink: false)))
        #expect(try openLog(fs).entries == saved)
    }
}
