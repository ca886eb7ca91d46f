import LogdumpKit
import RaftCore
import RaftStorage
import Testing

/// A compacted log: the sample log with a snapshot at index 6 (term 2).
func compactedSample() throws -> String {
    let dir = makeTempDir("snapshot")
    let log = try buildSampleLog(dir)
    try log.saveSnapshot(
        Snapshot(
            metadata: SnapshotMetadata(index: 6, term: 2, configuration: Configuration(voters: [1, 2, 3])),
            data: Array("x=1 y=2".utf8)))
    log.close()
    return dir
}

@Suite struct SnapshotTests {
    @Test func compactedLogIsShownFromTheSnapshot() throws {
        let dir = try compactedSample()
        let plain = try Fixture.sample()
        defer { removeTree(dir); removeTree(plain) }
        let (v, verifyText, _) = verify(dir)
        #expect(v == .clean, "\(verifyText)")
        let (d, text, _) = dump(dir)
        #expect(d == .clean)
        let indexes = text.split(separator: "\n").dropFirst(2).compactMap { UInt64($0.split(separator: " ").first ?? "") }
        #expect(indexes == Array(7...11), "\(text)")
        let (_, physical, _) = dump(dir) { $0.physical = true }
        let (_, stats, _) = capture(dir) { out, err throws(LogdumpError) in
            try StatsReport(input: try LogInput.resolve([dir], fileSystem: fs), fileSystem: fs).run(out: out, err: err)
        }
        try expectGolden("snapshot.txt", verifyText + text + physical + stats)
        // Against the uncompacted log: equal from index 7 on.
        let (same, diffText, _) = capture(dir) { out, err throws(LogdumpError) in
            try LogDiff(a: try LogInput.directoryInput(plain, fileSystem: fs), b: try LogInput.directoryInput(dir, fileSystem: fs), fileSystem: fs)
                .run(out: out, err: err)
        }
        #expect(same == .clean, "\(diffText)")
        #expect(diffText.contains("compared from index 7"))
        // No cut inside the snapshot; the earliest cut keeps only the snapshot.
        let inside = repair(dir) {
            $0.acceptDataLoss = true; $0.cutAt = 5
        }
        #expect(inside.0 == .usageOrIO && inside.2.contains("inside the snapshot"))
        let earliest = repair(dir) {
            $0.acceptDataLoss = true; $0.cutAt = 7; $0.apply = true
        }
        #expect(earliest.0 == .clean, "\(earliest.1)\(earliest.2)")
        let log = try LogStorage.open(directory: dir, fileSystem: fs)
        #expect(log.lastIndex == 6)
        #expect(log.snapshot?.metadata.index == 6)
        log.close()
    }
}

/// LogdumpKit works on any FileSystem: the simulator's in-memory disk too.
@Test func worksOnTheInMemoryFileSystem() throws {
    let memory = MemoryFileSystem()
    let log = try LogStorage.open(directory: "/n1", fileSystem: memory, options: StorageOptions(newLogID: fixedLogID))
    try log.save(hardState: HardState(term: 1, vote: 1, commit: 1), entries: [entry(1, 1, "set a 1"), entry(2, 1, "set b 2")])
    log.close()
    let out = Output(), err = Output()
    let input = try LogInput.resolve(["/n1"], fileSystem: memory)
    #expect(try Verifier(input: input, fileSystem: memory).run(out: out) == .clean)
    #expect(try Dumper(input: input, options: DumpOptions(), fileSystem: memory).run(out: out, err: err) == .clean)
    #expect(out.text.contains("set b 2"))
}
