import LogdumpKit
import RaftCore
import RaftStorage
import Testing

/// Fixtures: the sample log and damaged variants of it, each in its own temporary directory.
enum Fixture {
    static func sample() throws -> String {
        let dir = makeTempDir("sample")
        try buildSampleLog(dir).close()
        return dir
    }

    /// The sample log plus the first 50 bytes of an entry record appended to the last segment:
    /// what a crash in the middle of an append leaves.
    static func tornTail() throws -> String {
        let dir = try sample()
        let last = segmentPath(dir, 2)
        var record: [UInt8] = []
        RecordCodec.appendEntry(Entry(term: 3, index: 12, data: Array(repeating: 7, count: 40)), to: &record)
        try writeBytes(last, try readBytes(last) + record[0..<50])
        return dir
    }

    /// The sample log with one payload bit flipped in the first segment (acknowledged data).
    static func bitFlip() throws -> String {
        let dir = try sample()
        let first = segmentPath(dir, 1)
        var bytes = try readBytes(first)
        bytes[512 + 34] ^= 0x10  // payload of entry 6 (batch 3)
        try writeBytes(first, bytes)
        return dir
    }

    /// The sample log plus a third segment whose header write was interrupted (20 bytes).
    static func tornSegmentHeader() throws -> String {
        let dir = try sample()
        let header = RecordCodec.segmentHeader(logID: fixedLogID, sequence: 3, firstIndex: 12)
        try writeBytes(segmentPath(dir, 3), Array(header[0..<20]))
        return dir
    }

    /// The sample log without its first segment.
    static func missingSegment() throws -> String {
        let dir = try sample()
        try fs.removeFile(atPath: segmentPath(dir, 1))
        return dir
    }

    /// The sample log with the older hard-state slot torn (garbage in its second half).
    static func tornHardStateSlot() throws -> String {
        let dir = try sample()
        let path = Path.join(dir, StorageFormat.hardStateFileName)
        var bytes = try readBytes(path)
        let inspection = try HardStateInspection.inspect(path: path, fileSystem: fs)
        let other = inspection.slots.first { $0.slot != inspection.chosenSlot }!
        for k in 48..<96 { bytes[Int(other.offset) + k] = 0xA5 }
        try writeBytes(path, bytes)
        return dir
    }
}

func dump(_ dir: String, _ configure: (inout DumpOptions) -> Void = { _ in }) -> (LogdumpExit, String, String) {
    var o = DumpOptions()
    configure(&o)
    return capture(dir) { out, err throws(LogdumpError) in
        try Dumper(input: try LogInput.resolve([dir], fileSystem: fs), options: o, fileSystem: fs).run(out: out, err: err)
    }
}

func verify(_ dir: String, json: Bool = false) -> (LogdumpExit, String, String) {
    capture(dir) { out, _ throws(LogdumpError) in
        try Verifier(input: try LogInput.resolve([dir], fileSystem: fs), fileSystem: fs, json: json).run(out: out)
    }
}

func repair(_ dir: String, _ configure: (inout RepairOptions) -> Void = { _ in }) -> (LogdumpExit, String, String) {
    var o = RepairOptions()
    configure(&o)
    return capture(dir) { out, err throws(LogdumpError) in
        var r = Repairer(directory: dir, fileSystem: fs, options: o)
        r.now = { "20260101T000000Z" }
        return try r.run(out: out, err: err)
    }
}

@Suite struct GoldenTests {
    @Test func dumpText() throws {
        let dir = try Fixture.sample()
        defer { removeTree(dir) }
        let (status, out, err) = dump(dir)
        #expect(status == .clean)
        #expect(err.isEmpty)
        try expectGolden("dump.txt", out)
    }

    @Test func dumpJSONLines() throws {
        let dir = try Fixture.sample()
        defer { removeTree(dir) }
        let (status, out, _) = dump(dir) { $0.format = .jsonl }
        #expect(status == .clean)
        try expectGolden("dump.jsonl", out)
        // Every line is one object with the documented keys.
        for line in out.split(separator: "\n") {
            #expect(line.hasPrefix("{\"index\":") && line.hasSuffix("}"))
            #expect(line.contains("\"term\":") && line.contains("\"type\":") && line.contains("\"size\":"))
            #expect(line.contains("\"text\":") != line.contains("\"hex\":"))
        }
    }

    @Test func dumpPhysical() throws {
        let dir = try Fixture.tornTail()
        defer { removeTree(dir) }
        let (status, out, err) = dump(dir) { $0.physical = true }
        #expect(status == .tornTail)
        #expect(err.contains("warning: 1 problem(s) (1 torn tail)"))
        try expectGolden("dump-physical-torn.txt", out)
        let (_, json, _) = dump(dir) {
            $0.physical = true; $0.format = .jsonl
        }
        try expectGolden("dump-physical-torn.jsonl", json)
    }

    @Test func dumpFilters() throws {
        let dir = try Fixture.sample()
        defer { removeTree(dir) }
        var text = ""
        text +=
            "--from 3 --to 7 (inclusive)\n"
            + dump(dir) {
                $0.from = 3; $0.to = 7
            }.1
        text +=
            "--type normal,config --term 1\n"
            + dump(dir) {
                $0.types = [EntryKind.normal.rawValue, EntryKind.config.rawValue]; $0.term = 1
            }.1
        text += "--tail 3\n" + dump(dir) { $0.tail = 3 }.1
        text +=
            "--limit 2 --no-header\n"
            + dump(dir) {
                $0.limit = 2; $0.header = false
            }.1
        text +=
            "--max-bytes 0 --from 8 --to 8\n"
            + dump(dir) {
                $0.maxBytes = 0; $0.from = 8; $0.to = 8
            }.1
        text +=
            "--physical --type batch\n"
            + dump(dir) {
                $0.physical = true; $0.types = []; $0.includeBatches = true
            }.1
        try expectGolden("dump-filters.txt", text)
        // Inclusive bounds, exactly.
        let lines = dump(dir) {
            $0.from = 3; $0.to = 7; $0.header = false; $0.format = .jsonl
        }.1.split(separator: "\n")
        #expect(lines.count == 5)
        #expect(lines.first!.hasPrefix("{\"index\":3,") && lines.last!.hasPrefix("{\"index\":7,"))
    }

    @Test func verifyReports() throws {
        var text = ""
        for (name, make) in [
            ("clean", Fixture.sample), ("torn tail", Fixture.tornTail), ("bit flip", Fixture.bitFlip),
            ("missing segment", Fixture.missingSegment), ("torn hard-state slot", Fixture.tornHardStateSlot),
        ] {
            let dir = try make()
            defer { removeTree(dir) }
            let (status, out, _) = verify(dir)
            let (jsonStatus, json, _) = verify(dir, json: true)
            #expect(status == jsonStatus)
            text += "=== \(name): exit \(status.rawValue)\n" + out + json
        }
        try expectGolden("verify.txt", text)
    }

    @Test func statsHardStateDiff() throws {
        let dir = try Fixture.sample()
        defer { removeTree(dir) }
        let (status, stats, _) = capture(dir) { out, err throws(LogdumpError) in
            try StatsReport(input: try LogInput.resolve([dir], fileSystem: fs), fileSystem: fs).run(out: out, err: err)
        }
        #expect(status == .clean)
        try expectGolden("stats.txt", stats)
        let (hsStatus, hs, _) = capture(dir) { out, _ throws(LogdumpError) in try HardStateReport(target: dir, fileSystem: fs).run(out: out) }
        let (_, hsJSON, _) = capture(dir) { out, _ throws(LogdumpError) in try HardStateReport(target: dir, fileSystem: fs, json: true).run(out: out)
        }
        #expect(hsStatus == .clean)
        try expectGolden("hardstate.txt", hs + hsJSON)
    }

    @Test func diffShowsFirstDivergence() throws {
        let a = try Fixture.sample()
        let b = makeTempDir("diverged")
        defer { removeTree(a); removeTree(b) }
        // B: the same first three batches, then a different leader of term 3 at index 7.
        let log = try LogStorage.open(
            directory: b, fileSystem: fs, options: StorageOptions(segmentSizeBytes: 512, newLogID: LogID(bytes: Array(repeating: 9, count: 16))))
        try saveSampleHistory(log)
        try log.save(
            hardState: HardState(term: 3, vote: 3, commit: 6), entries: [Entry(term: 3, index: 7, kind: .noop, data: []), entry(8, 3, "set x 99")])
        log.close()
        let both = a + "|" + b
        let (status, out, _) = capture(both) { out, err throws(LogdumpError) in
            try LogDiff(a: try LogInput.directoryInput(a, fileSystem: fs), b: try LogInput.directoryInput(b, fileSystem: fs), fileSystem: fs).run(
                out: out, err: err)
        }
        #expect(status == .differ)
        try expectGolden("diff.txt", out.replacingAll(a, with: "$A").replacingAll(b, with: "$B"))
        #expect(out.contains("first divergence at index 7"))
        let (same, _, _) = capture(a) { out, err throws(LogdumpError) in
            try LogDiff(a: try LogInput.directoryInput(a, fileSystem: fs), b: try LogInput.directoryInput(a, fileSystem: fs), fileSystem: fs).run(
                out: out, err: err)
        }
        #expect(same == .clean)
    }

    @Test func repairTranscripts() throws {
        var text = ""
        let torn = try Fixture.tornTail()
        defer { removeTree(torn) }
        text += "=== torn tail, dry run\n" + repair(torn).1
        text += "=== torn tail, --apply\n" + repair(torn) { $0.apply = true }.1
        let flipped = try Fixture.bitFlip()
        defer { removeTree(flipped) }
        let refused = repair(flipped)
        #expect(refused.0 == .corruption)
        text += "=== bit flip, refused\n" + refused.1
        let noCut = repair(flipped) { $0.acceptDataLoss = true }
        #expect(noCut.0 == .usageOrIO)
        text += "=== bit flip, --accept-data-loss without --cut-at\n" + noCut.2
        let wrongCut = repair(flipped) {
            $0.acceptDataLoss = true; $0.cutAt = 5
        }
        #expect(wrongCut.0 == .usageOrIO)
        text += "=== bit flip, --cut-at 5\n" + wrongCut.2
        text +=
            "=== bit flip, --accept-data-loss --cut-at 4 --apply\n"
            + repair(flipped) {
                $0.acceptDataLoss = true; $0.cutAt = 4; $0.apply = true
            }.1
        let slot = try Fixture.tornHardStateSlot()
        defer { removeTree(slot) }
        text += "=== torn hard-state slot, --apply\n" + repair(slot) { $0.apply = true }.1
        try expectGolden("repair.txt", text)
    }
}

@Suite struct ExitCodeTests {
    @Test func everyExitCode() throws {
        let clean = try Fixture.sample(), torn = try Fixture.tornTail(), flip = try Fixture.bitFlip(), missing = try Fixture.missingSegment()
        let other = makeTempDir("unrelated")
        defer { for d in [clean, torn, flip, missing, other] { removeTree(d) } }
        try writeBytes(Path.join(other, "notes.txt"), Array("hello".utf8))
        #expect(verify(clean).0 == .clean)
        #expect(verify(torn).0 == .tornTail)
        #expect(verify(flip).0 == .corruption)
        #expect(verify(missing).0 == .inconsistency)
        #expect(verify(other).0 == .usageOrIO)
        #expect(verify(other).2.contains("not a RaftStep data directory"))
        #expect(verify(Path.join(clean, "nope")).0 == .usageOrIO)
        #expect(
            dump(clean) {
                $0.from = 5; $0.to = 3
            }.0 == .usageOrIO)
        #expect(
            dump(clean) {
                $0.tail = 2; $0.limit = 2
            }.0 == .usageOrIO)
        #expect(dump(flip).0 == .corruption)
        #expect(ExitCodeTests.rawValues == [0, 1, 2, 3, 4, 5])
        #expect(throws: LogdumpError.self) { try DumpOptions.parseTypes("normal,bogus") }
        #expect(try DumpOptions.parseTypes("noop, config").types == [EntryKind.noop.rawValue, EntryKind.config.rawValue])
        #expect(repair(clean) { $0.cutAt = 3 }.0 == .usageOrIO)
        #expect(repair(missing).0 == .inconsistency)
        let noCut = repair(missing) {
            $0.acceptDataLoss = true; $0.cutAt = 1
        }
        #expect(noCut.0 == .usageOrIO && noCut.2.contains("no cut can repair it"))
    }

    static let rawValues = LogdumpExit.allCases.map(\.rawValue)
}

@Suite struct RepairTests {
    @Test func repairThenVerifyKeepsEverySyncedEntry() throws {
        let dir = try Fixture.sample()
        defer { removeTree(dir) }
        let original = try LogStorage.open(directory: dir, fileSystem: fs)
        let entries = original.entries, hardState = original.hardState
        original.close()
        // A crash in the middle of a batch: two complete entry records and half of a third, no marker.
        let last = segmentPath(dir, 2)
        var tail: [UInt8] = []
        RecordCodec.appendEntry(Entry(term: 3, index: 12, data: Array("unacked 1".utf8)), to: &tail)
        RecordCodec.appendEntry(Entry(term: 3, index: 13, data: Array("unacked 2".utf8)), to: &tail)
        let whole = tail.count
        RecordCodec.appendEntry(Entry(term: 3, index: 14, data: Array(repeating: 1, count: 64)), to: &tail)
        try writeBytes(last, try readBytes(last) + tail[0..<(whole + 20)])
        #expect(verify(dir).0 == .tornTail)
        let dry = repair(dir)
        #expect(dry.1.contains("indexes 12…13, term 3"))
        #expect(try snapshot(dir)[StorageFormat.segmentFileName(sequence: 2)]!.count > 648, "a dry run writes nothing")
        let applied = repair(dir) { $0.apply = true }
        #expect(applied.0 == .clean, "\(applied.1)")
        #expect(verify(dir).0 == .clean)
        let reopened = try LogStorage.open(directory: dir, fileSystem: fs)
        #expect(reopened.entries == entries)
        #expect(reopened.hardState == hardState)
        reopened.close()
    }

    @Test func restoreReturnsTheExactOriginalBytes() throws {
        for make in [Fixture.tornTail, Fixture.bitFlip, Fixture.tornHardStateSlot, Fixture.tornSegmentHeader] {
            let dir = try make()
            defer { removeTree(dir) }
            let before = try snapshot(dir)
            let applied = repair(dir) {
                $0.apply = true; $0.backupName = "bk"; $0.acceptDataLoss = verify(dir).0 == .corruption; if $0.acceptDataLoss { $0.cutAt = 6 }
            }
            #expect(applied.0 == .clean, "\(applied.1)\(applied.2)")
            #expect(try snapshot(dir) != before)
            let restored = repair(dir) { $0.restore = "bk" }
            #expect(restored.0 == .clean, "\(restored.1)\(restored.2)")
            #expect(try snapshot(dir) == before)
            // A tampered backup is refused before anything is written.
            let copy = Path.join(dir, "bk/" + (try fs.contentsOfDirectory(atPath: Path.join(dir, "bk")).first { $0 != "MANIFEST" })!)
            var bytes = try readBytes(copy)
            bytes[bytes.count / 2] ^= 1
            try writeBytes(copy, bytes)
            let refused = repair(dir) { $0.restore = "bk" }
            #expect(refused.0 == .usageOrIO)
            #expect(refused.2.contains("does not match the manifest"))
            #expect(try snapshot(dir) == before)
        }
    }

    @Test func dataLossCutOpensAndListsCommittedLoss() throws {
        let dir = try Fixture.bitFlip()
        defer { removeTree(dir) }
        let dry = repair(dir) {
            $0.acceptDataLoss = true; $0.cutAt = 6
        }
        #expect(dry.0 == .corruption)
        // Batch 2 ended the log at index 5 of term 1, which the term-2 leader replaced: commit drops to 4.
        #expect(dry.1.contains("committed entries that would go: 5…8"), "\(dry.1)")
        #expect(
            repair(dir) {
                $0.acceptDataLoss = true; $0.cutAt = 5
            }.2.contains("nearest: --cut-at 4 or 6"))
        let applied = repair(dir) {
            $0.acceptDataLoss = true; $0.cutAt = 6; $0.apply = true
        }
        #expect(applied.0 == .clean)
        let log = try LogStorage.open(directory: dir, fileSystem: fs)
        #expect(log.lastIndex == 5)
        #expect(log.entries.last?.term == 1)
        #expect(log.hardState.commit == 4)
        #expect(log.hardState.term == 3)
        log.close()
    }

    @Test func lockIsExclusive() throws {
        let dir = try Fixture.tornTail()
        defer { removeTree(dir) }
        func applyRepair() -> (LogdumpExit, String, String) { repair(dir) { $0.apply = true } }
        // Another repair (or anything holding the directory lock)…
        do {
            let held = try fs.lockDirectory(atPath: dir)
            defer { held?.release() }
            let (status, _, err) = applyRepair()
            #expect(status == .usageOrIO)
            #expect(err.contains("cannot lock"))
        }
        // …and a running node: LogStorage holds the same lock while open.
        do {
            let clean = try Fixture.sample()
            defer { removeTree(clean) }
            let node = try LogStorage.open(directory: clean, fileSystem: fs)
            defer { node.close() }
            let (status, _, _) = repair(clean) {
                $0.apply = true; $0.acceptDataLoss = true; $0.cutAt = 4
            }
            #expect(status == .usageOrIO)
        }
        #expect(verify(dir).0 == .tornTail, "nothing was cut while locked")
        #expect(applyRepair().0 == .clean)
    }
}
