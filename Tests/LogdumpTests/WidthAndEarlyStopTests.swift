import LogdumpKit
import RaftCore
import RaftStorage
import Testing

/// Terminal columns of a line as the table counts them (wide scalars take two).
func displayColumns(_ line: Substring) -> Int {
    line.unicodeScalars.reduce(0) { n, s in
        let v = s.value
        let wide =
            v >= 0x1100
            && (v <= 0x115F || (0x2600...0x27BF).contains(v) || (0x2E80...0xA4CF).contains(v)
                || (0xAC00...0xD7A3).contains(v) || (0xF900...0xFAFF).contains(v) || (0xFF00...0xFF60).contains(v) || v >= 0x1F000)
        return n + (wide ? 2 : 1)
    }
}

/// Issue 14 §3: `dump --physical` fits the terminal's width.
@Suite struct PhysicalWidthTests {
    @Test func noLineIsWiderThanTheTerminal() throws {
        let torn = try Fixture.tornTail(), flip = try Fixture.bitFlip()
        defer { removeTree(torn); removeTree(flip) }
        for dir in [torn, flip, sampleDirectory("bit-flip"), sampleDirectory("missing-middle-segment")] {
            for width in [50, 80, 100, 132] {
                let out = dump(dir) {
                    $0.physical = true; $0.widthColumns = width
                }.1
                let lines = out.split(separator: "\n")
                #expect(lines.count > 3)
                for line in lines { #expect(displayColumns(line) <= width, "\(width): \(line)") }
            }
        }
    }

    @Test func at80ColumnsNamesShortenAndColumnsStayAligned() throws {
        let dir = try Fixture.tornTail()
        defer { removeTree(dir) }
        let out = dump(dir) {
            $0.physical = true; $0.widthColumns = 80
        }.1
        try expectGolden("dump-physical-80.txt", out)
        let rows = out.split(separator: "\n").filter { $0.hasPrefix("log-") && !$0.contains("!!") }
        #expect(rows.count == 17)
        #expect(rows.allSatisfy { $0.hasPrefix("log-…01.seg ") || $0.hasPrefix("log-…02.seg ") })
        // The CRC column starts at the same place on every row.
        let starts = Set(
            rows.map { row in row.unicodeScalars.distance(from: row.unicodeScalars.startIndex, to: row.unicodeScalars.firstIndex(of: "x")!) })
        #expect(starts.count == 1)
        // A cut field ends with the marker; the torn-tail problem is wrapped, not cut.
        #expect(out.contains("…\n"))
        #expect(out.contains("nothing after offset 648 was acknowledged"))
    }

    @Test func noLimitKeepsEveryField() throws {
        let dir = try Fixture.tornTail()
        defer { removeTree(dir) }
        let out = dump(dir) {
            $0.physical = true; $0.widthColumns = 0
        }.1
        #expect(out.contains("log-0000000000000001.seg"))
        #expect(out.contains("batch 5: 2 entries from 10, hard-state seq 5\n"))
        #expect(!out.contains("…\n"))
        // JSON lines are never cut.
        let json = dump(dir) {
            $0.physical = true; $0.widthColumns = 40; $0.format = .jsonl
        }.1
        #expect(json.contains("\"file\":\"log-0000000000000001.seg\""))
    }
}

/// A file system that counts the opens of each file (issue 16 §7: --to and --limit stop reading).
final class CountingFileSystem: FileSystem {
    let base = PosixFileSystem()
    var opens: [String: Int] = [:]
    func createDirectory(atPath path: String) throws(StorageError) { try base.createDirectory(atPath: path) }
    func contentsOfDirectory(atPath path: String) throws(StorageError) -> [String] { try base.contentsOfDirectory(atPath: path) }
    func fileExists(atPath path: String) -> Bool { base.fileExists(atPath: path) }
    func isDirectory(atPath path: String) -> Bool { base.isDirectory(atPath: path) }
    func openFile(atPath path: String, create: Bool) throws(StorageError) -> StorageFile {
        opens[Path.name(of: path), default: 0] += 1
        return try base.openFile(atPath: path, create: create)
    }
    func openFileForReading(atPath path: String) throws(StorageError) -> StorageFile {
        opens[Path.name(of: path), default: 0] += 1
        return CountingFile(try base.openFileForReading(atPath: path)) { [unowned self] n in bytesRead[Path.name(of: path), default: 0] += n }
    }
    /// Bytes read from each file, by name.
    var bytesRead: [String: Int] = [:]
    func syncDirectory(atPath path: String) throws(StorageError) { try base.syncDirectory(atPath: path) }
    func rename(from: String, to: String) throws(StorageError) { try base.rename(from: from, to: to) }
    func removeFile(atPath path: String) throws(StorageError) { try base.removeFile(atPath: path) }
    func fileSize(atPath path: String) throws(StorageError) -> Int64 { try base.fileSize(atPath: path) }
}

/// A file that reports the bytes each read returns.
final class CountingFile: StorageFile {
    let file: StorageFile
    let counted: (Int) -> Void
    init(_ file: StorageFile, counted: @escaping (Int) -> Void) {
        self.file = file
        self.counted = counted
    }
    func size() throws(StorageError) -> Int64 { try file.size() }
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(StorageError) -> Int {
        let n = try file.read(into: buffer, at: offset)
        counted(n)
        return n
    }
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(StorageError) { try file.write(bytes, at: offset) }
    func truncate(to size: Int64) throws(StorageError) { try file.truncate(to: size) }
    func sync() throws(StorageError) { try file.sync() }
    func close() { file.close() }
}

@Suite struct EarlyStopTests {
    /// 40 entries in batches of 2 over several 512-byte segments, no conflict truncation.
    static func longLog() throws -> String {
        let dir = makeTempDir("long")
        let log = try LogStorage.open(directory: dir, fileSystem: fs, options: StorageOptions(segmentSizeBytes: 512, newLogID: fixedLogID))
        for k in stride(from: UInt64(1), through: 39, by: 2) {
            try log.save(
                hardState: HardState(term: 1, vote: 1, commit: k - 1), entries: [entry(k, 1, "set a \(k)"), entry(k + 1, 1, "set b \(k + 1)")])
        }
        log.close()
        return dir
    }

    func counted(_ dir: String, _ configure: (inout DumpOptions) -> Void) throws -> (String, [String: Int]) {
        let counting = CountingFileSystem()
        var o = DumpOptions()
        configure(&o)
        let out = Output(), err = Output()
        _ = try Dumper(input: try LogInput.resolve([dir], fileSystem: counting), options: o, fileSystem: counting).run(out: out, err: err)
        return (out.text, counting.opens)
    }

    @Test func limitAndToStopReading() throws {
        let dir = try Self.longLog()
        defer { removeTree(dir) }
        let segments = try segmentNames(dir).sorted()
        #expect(segments.count >= 4)
        let last = segments.last!, first = segments.first!
        let (all, allOpens) = try counted(dir) { $0.header = false }
        #expect(allOpens[last] == 2, "verify, then the dump")
        let rows = all.split(separator: "\n", omittingEmptySubsequences: false)
        // --limit: the same rows as the full dump, and the last segment is read only by the verify pass.
        let (limited, limitOpens) = try counted(dir) {
            $0.header = false; $0.limit = 3
        }
        #expect(limited == rows.prefix(3).joined(separator: "\n") + "\n")
        #expect(limitOpens[first] == 2 && limitOpens[last] == 1)
        let (upTo, toOpens) = try counted(dir) {
            $0.header = false; $0.to = 4
        }
        #expect(upTo == rows.prefix(4).joined(separator: "\n") + "\n")
        #expect(toOpens[last] == 1)
        // --from skips the segments below it; the rows are those of the full dump.
        let (middle, _) = try counted(dir) {
            $0.header = false; $0.from = 17; $0.to = 22
        }
        #expect(middle == rows[16..<22].joined(separator: "\n") + "\n")
        // Physical dumps stop too, with the same rows.
        let (physical, _) = try counted(dir) {
            $0.physical = true; $0.limit = 5
        }
        let (physicalAll, _) = try counted(dir) { $0.physical = true }
        #expect(physical == physicalAll.split(separator: "\n").prefix(6).joined(separator: "\n") + "\n")
    }

    /// Inside one segment too: `dump --limit` and `--to` stop reading at the record that satisfies
    /// them. A single 3 MiB segment is read through 1 MiB windows: the verify pass reads it all,
    /// the dump's own pass only its first window (before, the whole segment was read twice).
    @Test func limitAndToStopInsideASegment() throws {
        let dir = makeTempDir("one-segment")
        defer { removeTree(dir) }
        let log = try LogStorage.open(directory: dir, fileSystem: fs, options: StorageOptions(newLogID: fixedLogID))
        let payload = [UInt8](repeating: 0x61, count: 1000)
        for k in stride(from: UInt64(1), through: 3101, by: 100) {
            try log.save(
                hardState: HardState(term: 1, vote: 1, commit: k - 1),
                entries: (k..<(k + 100)).map { Entry(term: 1, index: $0, kind: .normal, data: payload) })
        }
        log.close()
        let name = try #require(try segmentNames(dir).first)
        let size = Int(try fs.fileSize(atPath: Path.join(dir, name)))
        #expect(size > 3 << 20)
        let verifying = CountingFileSystem()
        _ = try LogScanner(directory: dir, fileSystem: verifying).verify()
        let verifyRead = try #require(verifying.bytesRead[name])
        #expect(verifyRead >= size)
        for configure in [{ (o: inout DumpOptions) in o.limit = 3 }, { (o: inout DumpOptions) in o.to = 5 }] {
            let counting = CountingFileSystem()
            var o = DumpOptions()
            o.header = false
            configure(&o)
            let out = Output(), err = Output()
            _ = try Dumper(input: try LogInput.resolve([dir], fileSystem: counting), options: o, fileSystem: counting).run(out: out, err: err)
            #expect(out.text.split(separator: "\n").count == (o.limit ?? 5))
            let dumpRead = (counting.bytesRead[name] ?? 0) - verifyRead
            #expect(
                dumpRead > 0 && dumpRead <= 1 << 20, "the dump's pass read \(dumpRead) bytes of a \(size)-byte segment: it did not stop inside it")
        }
    }

    /// With damage, the whole log is read as before (a segment read alone could differ).
    @Test func aDamagedLogIsReadWhole() throws {
        let dir = try Self.longLog()
        defer { removeTree(dir) }
        let segments = try segmentNames(dir).sorted()
        var bytes = try readBytes(segmentPath(dir, 1))
        bytes[64 + 34] ^= 0x01
        try writeBytes(segmentPath(dir, 1), bytes)
        let (_, opens) = try counted(dir) { $0.limit = 1 }
        #expect((opens[segments.last!] ?? 0) >= 2, "the dump's own scan reads every segment")
    }
}
