import LogdumpKit
import RaftCore
import RaftStorage
import Testing

/// A sample data directory of the repository (samples/NAME).
func sampleDirectory(_ name: String) -> String {
    let tests = Path.directory(of: Path.directory(of: #filePath))
    return Path.join(Path.join(Path.directory(of: tests), "samples"), name)
}

func diff(_ a: String, _ b: String) -> (LogdumpExit, String, String) {
    capture(a) { out, err throws(LogdumpError) in
        try LogDiff(a: try LogInput.directoryInput(a, fileSystem: fs), b: try LogInput.directoryInput(b, fileSystem: fs), fileSystem: fs)
            .run(out: out, err: err)
    }
}

/// Issue 14 §6: after damage, `dump` shows the damaged record in its place and `diff` aligns by index.
@Suite struct DamageInPlaceTests {
    @Test func dumpShowsTheDamagedRecordWhereItIs() throws {
        let dir = sampleDirectory("bit-flip")
        let (status, out, err) = dump(dir) { $0.header = false }
        #expect(status == .corruption)
        let rows = out.split(separator: "\n").map(String.init)
        #expect(rows.count == 3, "\(rows)")
        guard rows.count == 3 else { return }
        #expect(rows[0].hasPrefix("         1      1  noop"))
        #expect(rows[1] == "         2      1  !!     damaged (corruption) at log-0000000000000001.seg:320: record checksum mismatch")
        #expect(rows[2].hasPrefix("         3      1  normal set y 2"))
        #expect(err.contains("marked `!!`"))
        // With the header: a note says how a damaged log is read.
        #expect(dump(dir).1.contains("(damaged: from the first problem on, every record that reads back is shown in\n file order"))
    }

    @Test func dumpJSONLinesMarksTheDamagedIndex() throws {
        let (status, out, _) = dump(sampleDirectory("bit-flip")) { $0.format = .jsonl }
        #expect(status == .corruption)
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        guard lines.count == 3 else { return }
        #expect(lines[0].hasPrefix("{\"index\":1,"))
        #expect(lines[1].hasPrefix("{\"index\":2,\"term\":1,\"damaged\":true,\"problem\":{\"class\":\"corruption\""))
        #expect(lines[2].hasPrefix("{\"index\":3,"))
    }

    @Test func filtersApplyToDamagedRows() throws {
        let dir = sampleDirectory("bit-flip")
        #expect(
            !dump(dir) {
                $0.from = 3; $0.header = false
            }.1.contains("!!"))
        #expect(
            dump(dir) {
                $0.from = 2; $0.to = 2; $0.header = false
            }.1.hasPrefix("         2      1  !!"))
        // The damaged row counts towards --limit and shows in --tail.
        #expect(
            dump(dir) {
                $0.limit = 2; $0.header = false
            }.1.split(separator: "\n").last?.contains("!!") == true)
        #expect(
            dump(dir) {
                $0.tail = 2; $0.header = false
            }.1.split(separator: "\n").first?.contains("!!") == true)
    }

    /// After the damage, a conflict truncation is not applied: the superseded entry shows beside the
    /// one that replaced it, in file order; before it, the log is the one recovery rebuilds.
    @Test func afterTheDamageRecordsShowInFileOrder() throws {
        let dir = makeTempDir("late-truncation")
        defer { removeTree(dir) }
        let log = try LogStorage.open(directory: dir, fileSystem: fs, options: StorageOptions(newLogID: fixedLogID))
        try log.save(hardState: HardState(term: 1, vote: 1, commit: 0), entries: [entry(1, 1, "a"), entry(2, 1, "b"), entry(3, 1, "c")])
        try log.save(hardState: HardState(term: 2, vote: 2, commit: 1), entries: [entry(3, 2, "c2")])  // replaces 3 (term 1)
        try log.save(hardState: HardState(term: 2, vote: 2, commit: 3), entries: [entry(4, 2, "d")])
        try log.save(hardState: HardState(term: 3, vote: 3, commit: 3), entries: [entry(4, 3, "d3")])  // replaces 4 (term 2)
        log.close()
        // Damage entry 2: both truncations come after it.
        var bytes = try readBytes(segmentPath(dir, 1))
        var record: [UInt8] = []
        RecordCodec.appendEntry(entry(2, 1, "b"), to: &record)
        let at = try #require(find(record, in: bytes))
        bytes[at + StorageFormat.recordHeaderSize] ^= 0x01
        try writeBytes(segmentPath(dir, 1), bytes)
        let (status, out, _) = dump(dir) { $0.header = false }
        #expect(status == .corruption)
        let rows = out.split(separator: "\n").map { String($0.prefix(28)) }
        #expect(
            rows == [
                "         1      1  normal a", "         2      1  !!     da", "         3      1  normal c",
                "         3      2  normal c2", "         4      2  normal d", "         4      3  normal d3",
            ], "\(out)")
        // Undamaged, the same log shows only what recovery keeps.
        try writeBytes(
            segmentPath(dir, 1),
            {
                var b = bytes; b[at + StorageFormat.recordHeaderSize] ^= 0x01; return b
            }())
        let clean = dump(dir) { $0.header = false }.1.split(separator: "\n").map { String($0.prefix(28)) }
        #expect(
            clean == ["         1      1  normal a", "         2      1  normal b", "         3      2  normal c2", "         4      3  normal d3"])
    }

    /// A torn tail is not part of the log: the entry table leaves it to stderr.
    @Test func tornTailStaysOutOfTheEntryTable() throws {
        let dir = try Fixture.tornTail()
        defer { removeTree(dir) }
        let (status, out, err) = dump(dir)
        #expect(status == .tornTail)
        #expect(!out.contains("!!") && !out.contains("damaged"))
        #expect(err.contains("torn tail"))
    }

    @Test func diffAlignsByIndex() throws {
        let flipped = sampleDirectory("bit-flip"), healthy = sampleDirectory("healthy")
        let (status, out, _) = diff(flipped, healthy)
        #expect(status == .corruption)
        #expect(out.contains("  identical through index 1\n  first divergence at index 2:\n"))
        #expect(out.contains("    A          2      1  !!     damaged (corruption) at log-0000000000000001.seg:320"))
        #expect(out.contains("    B          2      1  normal set x 1"))
        #expect(!out.contains("set y 2"), "A's entry 3 must not be paired with B's entry 2")
        let (_, reversed, _) = diff(healthy, flipped)
        #expect(reversed.contains("    A          2      1  normal set x 1"))
        #expect(reversed.contains("    B          2      1  !!     damaged (corruption)"))
    }

    @Test func diffNamesAMissingIndex() throws {
        // B lacks entry 5 entirely (a whole batch cut out of the middle: an inconsistency, not a checksum).
        let a = makeTempDir("diff-a"), b = makeTempDir("diff-b")
        defer { removeTree(a); removeTree(b) }
        for dir in [a, b] {
            let log = try LogStorage.open(directory: dir, fileSystem: fs, options: StorageOptions(newLogID: fixedLogID))
            try log.save(hardState: HardState(term: 1, vote: 1, commit: 0), entries: (1...4).map { entry($0, 1, "set k\($0) \($0)") })
            try log.save(hardState: HardState(term: 1, vote: 1, commit: 4), entries: [entry(5, 1, "set k5 5")])
            try log.save(hardState: HardState(term: 1, vote: 1, commit: 5), entries: [entry(6, 1, "set k6 6")])
            log.close()
        }
        // Remove entry 5's record and its batch marker from B.
        let path = segmentPath(b, 1)
        var bytes = try readBytes(path)
        var record: [UInt8] = []
        RecordCodec.appendEntry(entry(5, 1, "set k5 5"), to: &record)
        let at = try #require(find(record, in: bytes))
        let markerSize = StorageFormat.recordSize(payloadLength: StorageFormat.batchPayloadSize)
        bytes.removeSubrange(at..<(at + record.count + markerSize))
        try writeBytes(path, bytes)
        let (status, out, _) = diff(a, b)
        #expect(status == .inconsistency)
        #expect(out.contains("first divergence at index 5:"), "\(out)")
        #expect(out.contains("    A          5      1  normal set k5 5"))
        #expect(out.contains("    B          5      -  !!     missing"))
    }
}

func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
    guard needle.count <= haystack.count else { return nil }
    return (0...(haystack.count - needle.count)).first { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
}

/// Issue 14 §6: a runbook after a corrupt or inconsistent verdict.
@Suite struct RunbookTests {
    @Test func verifyPrintsTheRunbookAfterABadVerdict() throws {
        for (name, verdict) in [("bit-flip", "corruption"), ("two-logs-mixed", "inconsistency"), ("missing-middle-segment", "inconsistency")] {
            let dir = sampleDirectory(name)
            let (_, out, _) = verify(dir)
            let lines = out.split(separator: "\n").map(String.init)
            // The runbook, then the verdict as the last line.
            #expect(lines.last?.hasPrefix("verdict: \(verdict)") == true, "\(name)")
            let w = try #require(lines.firstIndex { $0.hasPrefix("what now: ") }, "\(name)")
            let after = lines[w...].joined(separator: "\n")
            for needle in [
                "mv $DIR $DIR.damaged", "redis-cli -c -p PORT RAFT REMOVE ID", "raftd --id NEW --join",
                "--data-dir $DIR", "redis-cli -c -p PORT RAFT ADD NEW", "remove n1", "add n4",
            ] {
                #expect(after.contains(needle), "\(name): no \(needle)")
            }
            let (_, json, _) = verify(dir, json: true)
            #expect(json.contains(",\"next_step\":\"rebuild-from-peers\","))
            #expect(!json.contains("what now"))
        }
    }

    @Test func noRunbookWhenNothingIsLost() throws {
        let torn = try Fixture.tornTail(), clean = try Fixture.sample()
        defer { removeTree(torn); removeTree(clean) }
        #expect(!verify(torn).1.contains("what now"))
        #expect(!verify(clean).1.contains("what now"))
        #expect(verify(torn, json: true).1.contains("\"next_step\":\"repair\""))
        #expect(verify(clean, json: true).1.contains("\"next_step\":\"none\""))
    }

    @Test func runbookFitsEightyColumns() {
        for status in [LogdumpExit.corruption, .inconsistency] {
            let lines = Runbook.lines(for: status, directory: nil)
            #expect(!lines.isEmpty)
            for line in lines { #expect(line.unicodeScalars.count <= 80, "\(line)") }
        }
        #expect(Runbook.lines(for: .tornTail, directory: "/d").isEmpty)
    }

    @Test func otherCommandsPointToIt() throws {
        let (_, _, err) = dump(sampleDirectory("bit-flip"))
        #expect(err.contains("rebuild it from its peers: `logdump verify` prints the steps"))
        let torn = try Fixture.tornTail()
        defer { removeTree(torn) }
        #expect(!dump(torn).2.contains("rebuild"))
    }

    @Test func hardStateVerdictHasItToo() throws {
        let dir = try Fixture.sample()
        defer { removeTree(dir) }
        try writeBytes(Path.join(dir, StorageFormat.hardStateFileName), [UInt8](repeating: 0xA5, count: StorageFormat.hardStateFileSize))
        let (status, out, _) = capture(dir) { out, _ throws(LogdumpError) in try HardStateReport(target: dir, fileSystem: fs).run(out: out) }
        #expect(status == .corruption)
        #expect(out.contains("\nwhat now: ") && out.hasSuffix("\nverdict: corruption (exit 3)\n"))
        let (_, json, _) = capture(dir) { out, _ throws(LogdumpError) in try HardStateReport(target: dir, fileSystem: fs, json: true).run(out: out) }
        #expect(json.contains("\"next_step\":\"rebuild-from-peers\""))
    }
}

/// Hostile input: an entry whose (checksummed) header names an index near 2^61 must not make
/// `diff` allocate one fingerprint per 4096 indexes up to it.
@Suite struct DiffHostileIndexTests {
    @Test func aHugeIndexIsNotAnAllocation() throws {
        let a = try Fixture.sample(), b = try Fixture.sample()
        defer { removeTree(a); removeTree(b) }
        var tail: [UInt8] = []
        RecordCodec.appendEntry(Entry(term: 3, index: 1 << 61, data: Array("far".utf8)), to: &tail)
        RecordCodec.appendBatch(
            BatchMarker(batchSequence: 6, hardStateSequence: 5, firstIndex: 1 << 61, entryCount: 1, synced: true),
            lastTerm: 3, lastIndex: 1 << 61, to: &tail)
        let last = segmentPath(b, 2)
        try writeBytes(last, try readBytes(last) + tail)
        let (status, out, _) = diff(a, b)
        #expect(status == .inconsistency)
        #expect(out.contains("A ends at index 11; B continues:"), "\(out)")
        #expect(out.contains("2305843009213693952      3  normal far"))
    }
}
