#if canImport(Glibc)
    import Glibc
#endif
import LogdumpKit
import RaftCore
import RaftStorage
import Testing

/// Random and mutated files fed to every read-only subcommand (and a repair dry run): never a
/// crash, a hang or an unexpected error type; always one of the documented exit codes.
@Suite struct FuzzTests {
    static let allowed: Set<Int32> = [0, 1, 2, 3, 4, 5]

    /// Runs everything that reads a directory; returns verify's status.
    @discardableResult
    func exercise(_ dir: String, sample: String) -> LogdumpExit {
        let (v, _, _) = verify(dir)
        let (vj, json, _) = verify(dir, json: true)
        #expect(v == vj)
        if v != .usageOrIO { #expect(json.hasPrefix("{") && json.hasSuffix("}\n")) }
        let (d, text, _) = dump(dir) { $0.header = false }
        #expect(Self.allowed.contains(d.rawValue))
        if v == .clean {
            #expect(d == .clean)
            // A clean log dumps consecutive indexes (from 1, or from after its snapshot).
            var expected: UInt64?
            for line in text.split(separator: "\n") {
                let index = UInt64(line.split(separator: " ").first ?? "")
                #expect(index != nil && index == (expected ?? index))
                expected = (index ?? 0) + 1
            }
        } else if v != .usageOrIO {
            #expect(d == v, "dump and verify classify alike")
        }
        for physical in [false, true] {
            let (p, _, _) = dump(dir) {
                $0.physical = physical; $0.format = .jsonl; $0.maxBytes = 0
            }
            #expect(Self.allowed.contains(p.rawValue))
        }
        let (s, _, _) = capture(dir) { out, err throws(LogdumpError) in
            try StatsReport(input: try LogInput.resolve([dir], fileSystem: fs), fileSystem: fs).run(out: out, err: err)
        }
        #expect(Self.allowed.contains(s.rawValue))
        let (h, _, _) = capture(dir) { out, _ throws(LogdumpError) in try HardStateReport(target: dir, fileSystem: fs).run(out: out) }
        #expect(Self.allowed.contains(h.rawValue))
        let (df, _, _) = capture(dir) { out, err throws(LogdumpError) in
            try LogDiff(a: try LogInput.directoryInput(sample, fileSystem: fs), b: try LogInput.directoryInput(dir, fileSystem: fs), fileSystem: fs)
                .run(out: out, err: err)
        }
        #expect(Self.allowed.contains(df.rawValue))
        let before = try? snapshot(dir)
        let (r, _, _) = repair(dir)
        #expect(Self.allowed.contains(r.rawValue))
        #expect((try? snapshot(dir)) == before, "a dry run writes nothing")
        return v
    }

    func reset(_ dir: String) throws {
        for name in try fs.contentsOfDirectory(atPath: dir) { removeTree(Path.join(dir, name)) }
    }

    @Test func randomFiles() throws {
        let sample = try Fixture.sample()
        let dir = makeTempDir("fuzz-random")
        defer { removeTree(sample); removeTree(dir) }
        var g = SeededGenerator(seed: 0x10_6D_0B)
        for round in 0..<60 {
            try reset(dir)
            let length = Int(g.next() % 3000)
            var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: g.next()) }
            if round % 3 == 0 && length >= 8 { bytes.replaceSubrange(0..<8, with: StorageFormat.segmentMagic) }  // get past the magic
            try writeBytes(segmentPath(dir, 1), bytes)
            if round % 2 == 0 {
                let hs = (0..<Int(g.next() % 1200)).map { _ in UInt8(truncatingIfNeeded: g.next()) }
                try writeBytes(Path.join(dir, "hardstate"), hs)
            }
            let v = exercise(dir, sample: sample)
            #expect(v != .clean, "random bytes are not a clean log (round \(round))")
        }
    }

    @Test func mutatedLogs() throws {
        let sample = try Fixture.sample()
        let compacted = try compactedSample()
        let dir = makeTempDir("fuzz-mutated")
        defer { removeTree(sample); removeTree(compacted); removeTree(dir) }
        let originals = [try snapshot(sample), try snapshot(compacted)]  // plain, and with a snapshot file
        var g = SeededGenerator(seed: 42)
        var seen: Set<Int32> = []
        for round in 0..<150 {
            try reset(dir)
            let original = originals[round % 2]
            let names = original.keys.sorted()
            var files = original
            for _ in 0..<(1 + Int(g.next() % 3)) {
                let name = names[Int(g.next() % UInt64(names.count))]
                guard var bytes = files[name] else { continue }
                switch g.next() % 7 {
                case 0 where !bytes.isEmpty:  // flip a bit
                    let i = Int(g.next() % UInt64(bytes.count))
                    bytes[i] ^= UInt8(1) << UInt8(g.next() % 8)
                case 1:  // cut the file short
                    bytes.removeSubrange(Int(g.next() % UInt64(bytes.count + 1))...)
                case 2 where bytes.count > 8:  // zero a range (a lost sector)
                    let start = Int(g.next() % UInt64(bytes.count))
                    let end = min(bytes.count, start + 1 + Int(g.next() % 600))
                    for k in start..<end { bytes[k] = 0 }
                case 3 where bytes.count > 72:  // an absurd length field
                    let at = 64 + 8 * Int(g.next() % UInt64((bytes.count - 68) / 8))
                    for (k, b) in [UInt8(0xF0), 0xFF, 0xFF, 0xFF].enumerated() where at + k < bytes.count { bytes[at + k] = b }
                case 4:  // garbage appended
                    bytes += (0..<Int(g.next() % 200)).map { _ in UInt8(truncatingIfNeeded: g.next()) }
                case 5:  // the file disappears
                    files[name] = nil
                    continue
                default:  // a file of another name with these bytes
                    files[StorageFormat.segmentFileName(sequence: 3 + g.next() % 3)] = bytes
                }
                files[name] = bytes
            }
            for (name, bytes) in files { try writeBytes(Path.join(dir, name), bytes) }
            if files.isEmpty { try writeBytes(Path.join(dir, "unrelated.txt"), [1, 2, 3]) }
            seen.insert(exercise(dir, sample: sample).rawValue)
        }
        // The mutations reach every verdict.
        #expect(seen.isSuperset(of: [0, 2, 3, 4]), "\(seen)")
    }

    @Test func handcraftedHostileInputs() throws {
        let sample = try Fixture.sample()
        let dir = makeTempDir("fuzz-hostile")
        defer { removeTree(sample); removeTree(dir) }
        let header = RecordCodec.segmentHeader(logID: fixedLogID, sequence: 1, firstIndex: 1)
        // A record header whose checksum is right but whose length is 4 GiB - 1.
        var absurd = [UInt8](repeating: 0, count: 32)
        for k in 0..<4 { absurd[k] = 0xFF }
        absurd[4] = 1
        absurd[8] = 1; absurd[16] = 1
        let crc = absurd.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<28])) }
        for k in 0..<4 { absurd[28 + k] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k))) }
        let cases: [(String, [UInt8])] = [
            ("empty", []),
            ("short header", Array(header[0..<10])),
            ("header only", header),
            ("absurd length", header + absurd + [UInt8](repeating: 0xAB, count: 64)),
            ("zeros", [UInt8](repeating: 0, count: 8192)),
        ]
        for (name, bytes) in cases {
            try reset(dir)
            try writeBytes(segmentPath(dir, 1), bytes)
            let v = exercise(dir, sample: sample)
            #expect(FuzzTests.allowed.contains(v.rawValue), "\(name)")
            if name == "absurd length" { #expect(v == .inconsistency || v == .corruption) }
        }
        // A directory of unrelated files, and an empty one.
        try reset(dir)
        try writeBytes(Path.join(dir, "README"), Array("not a log".utf8))
        #expect(verify(dir).0 == .usageOrIO)
        try reset(dir)
        #expect(verify(dir).0 == .usageOrIO)
        // A FIFO named like a segment, or named directly: refused, not waited on.
        try reset(dir)
        #expect(mkfifo(segmentPath(dir, 1), 0o644) == 0)
        #expect(verify(dir).0 == .usageOrIO)
        #expect(verify(dir).2.contains("not a regular file"))
        let (fifoStatus, _, _) = capture(dir) { out, err throws(LogdumpError) in
            try Dumper(input: try LogInput.resolve([segmentPath(dir, 1)], fileSystem: fs), options: DumpOptions(), fileSystem: fs).run(
                out: out, err: err)
        }
        #expect(fifoStatus == .usageOrIO)
        try reset(dir)
        // Files named directly, one of them random.
        try writeBytes(Path.join(dir, "random.bin"), (0..<777).map { UInt8(truncatingIfNeeded: $0 &* 37) })
        let (status, _, _) = capture(dir) { out, err throws(LogdumpError) in
            try Dumper(input: try LogInput.resolve([Path.join(dir, "random.bin")], fileSystem: fs), options: DumpOptions(), fileSystem: fs).run(
                out: out, err: err)
        }
        #expect(status == .corruption || status == .tornTail)
    }
}

/// The executable itself: --help, ArgumentParser validation errors → exit 1, and a real run.
@Suite struct CommandLineTests {
    static func binary() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        let exe = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let candidate = Path.join(Path.directory(of: exe), "logdump")
        return fs.fileExists(atPath: candidate) ? candidate : nil
    }

    /// Runs the binary; returns its exit code and stdout+stderr.
    func run(_ args: [String]) throws -> (Int32, String) {
        let bin = try #require(Self.binary(), "the logdump executable is built next to the test bundle")
        let outPath = makeTempDir("cli") + "/out"
        defer { removeTree(Path.directory(of: outPath)) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([bin] + args).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, bin, &actions, nil, argv, environ) == 0 else { throw LogdumpError("spawn failed") }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        let code = (status >> 8) & 0xff
        return (code, String(decoding: try readBytes(outPath), as: UTF8.self))
    }

    @Test func helpUsageAndExitCodes() throws {
        let torn = try Fixture.tornTail()
        defer { removeTree(torn) }
        let help = try run(["dump", "--help"])
        #expect(help.0 == 0)
        #expect(help.1.contains("--from") && help.1.contains("inclusive") && help.1.contains("--physical"))
        let root = try run(["--help"])
        #expect(root.0 == 0 && root.1.contains("Exit codes"))
        #expect(try run(["dump", "--from", "5", "--to", "3", torn]).0 == 1)
        #expect(try run(["dump", "--format", "xml", torn]).0 == 1)
        #expect(try run(["dump", "--type", "nope", torn]).0 == 1)
        #expect(try run(["verify"]).0 == 1)
        #expect(try run(["frobnicate"]).0 == 1)
        #expect(try run(["repair", torn, "--cut-at", "3"]).0 == 1)
        #expect(try run(["verify", torn]).0 == 2)
        #expect(try run(["verify", "/nonexistent/dir"]).0 == 1)
        let dumped = try run(["dump", "--tail", "2", "--no-header", torn])
        #expect(dumped.0 == 2)
        #expect(dumped.1.contains("10      3  noop") && dumped.1.contains("del x"))
    }
}
