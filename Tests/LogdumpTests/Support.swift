#if canImport(Glibc)
    import Glibc
#endif
import LogdumpKit
import RaftCore
import RaftStorage
import Testing

nonisolated(unsafe) let fs = PosixFileSystem()
let fixedLogID = LogID(bytes: Array(1...16))

/// A fresh, empty temporary directory (removed by `removeTree`).
func makeTempDir(_ tag: String) -> String {
    var template = Array("/tmp/logdump-test-\(tag)-XXXXXX".utf8CString)
    let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(p != nil, "mkdtemp failed")
    return String(cString: p!)
}

func removeTree(_ path: String) {
    guard path.hasPrefix("/tmp/logdump-test-") else { return }
    if fs.isDirectory(atPath: path) {
        for name in (try? fs.contentsOfDirectory(atPath: path)) ?? [] { removeTree(Path.join(path, name)) }
        rmdir(path)
    } else {
        unlink(path)
    }
}

func entry(_ index: UInt64, _ term: UInt64, _ text: String, kind: EntryKind = .normal) -> Entry {
    Entry(term: term, index: index, kind: kind, data: Array(text.utf8))
}

/// The sample log's first three saves: term 1 (a no-op, two writes, a configuration, a binary
/// payload), then term 2's leader overwriting index 5 (a conflict truncation) and going on.
func saveSampleHistory(_ log: LogStorage) throws {
    try log.save(
        hardState: HardState(term: 1, vote: 1, commit: 0),
        entries: [Entry(term: 1, index: 1, kind: .noop, data: []), entry(2, 1, "set x 1"), entry(3, 1, "set y 2")])
    try log.save(
        hardState: HardState(term: 1, vote: 1, commit: 3),
        entries: [
            Entry(term: 1, index: 4, kind: .config, data: ConfigurationCodec.encode(Configuration(voters: [1, 2, 3]))),
            Entry(term: 1, index: 5, kind: .normal, data: Array(0..<16)),
        ])
    // Term 2: a new leader overwrites index 5 (conflict truncation) and goes on.
    try log.save(
        hardState: HardState(term: 2, vote: 2, commit: 4),
        entries: [Entry(term: 2, index: 5, kind: .noop, data: []), entry(6, 2, "multi\nline\tcommand")])
}

/// The deterministic sample log of the goldens: 3 terms, a conflict truncation, every entry type,
/// text, multi-line, UTF-8, binary and long payloads, several 512-byte segments.
@discardableResult
func buildSampleLog(_ dir: String, segmentSize: Int = 512) throws -> LogStorage {
    let log = try LogStorage.open(
        directory: dir, fileSystem: fs,
        options: StorageOptions(segmentSizeBytes: segmentSize, syncPolicy: .everyBatch, newLogID: fixedLogID))
    try saveSampleHistory(log)
    try log.save(
        hardState: HardState(term: 2, vote: 2, commit: 6),
        entries: [entry(7, 2, "café ☕"), entry(8, 2, String(repeating: "abcdefgh", count: 25)), entry(9, 2, "0xnot hex")])
    try log.save(
        hardState: HardState(term: 3, vote: 3, commit: 8),
        entries: [Entry(term: 3, index: 10, kind: .noop, data: []), entry(11, 3, "del x")])
    return log
}

func segmentPath(_ dir: String, _ sequence: UInt64) -> String { Path.join(dir, StorageFormat.segmentFileName(sequence: sequence)) }
func segmentNames(_ dir: String) throws -> [String] { try fs.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".seg") } }

func readBytes(_ path: String) throws -> [UInt8] { try fs.readFile(atPath: path) }
func writeBytes(_ path: String, _ bytes: [UInt8]) throws {
    let f = try fs.openFile(atPath: path, create: true)
    defer { f.close() }
    try f.truncate(to: 0)
    try f.write(bytes, at: 0)
}

/// Every file of a directory (not recursing), name → bytes.
func snapshot(_ dir: String) throws -> [String: [UInt8]] {
    var out: [String: [UInt8]] = [:]
    for name in try fs.contentsOfDirectory(atPath: dir) where !fs.isDirectory(atPath: Path.join(dir, name)) {
        out[name] = try readBytes(Path.join(dir, name))
    }
    return out
}

/// Runs a LogdumpKit command into memory; returns (status, stdout, stderr) with the directory spelled `$DIR`.
func capture(_ dir: String, _ body: (Output, Output) throws(LogdumpError) -> LogdumpExit) -> (LogdumpExit, String, String) {
    let out = Output(), err = Output()
    var status: LogdumpExit
    do throws(LogdumpError) { status = try body(out, err) } catch {
        err.line("logdump: " + error.message)
        status = error.status
    }
    return (status, normalize(out.text, dir), normalize(err.text, dir))
}

func normalize(_ s: String, _ dir: String) -> String {
    s.replacingAll(dir, with: "$DIR")
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = self[...]
        while let r = rest.range(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

extension Substring {
    func range(of target: String) -> Range<Substring.Index>? {
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(target) { return i..<index(i, offsetBy: target.count) }
            i = index(after: i)
        }
        return nil
    }
}

/// Compares with a golden file under Tests/LogdumpTests/Golden; `LOGDUMP_UPDATE_GOLDEN=1` rewrites it.
func expectGolden(_ name: String, _ actual: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let here = #filePath
    let goldenDir = Path.join(Path.directory(of: here), "Golden")
    let path = Path.join(goldenDir, name)
    if getenv("LOGDUMP_UPDATE_GOLDEN") != nil {
        try writeBytes(path, Array(actual.utf8))
        return
    }
    guard fs.fileExists(atPath: path) else {
        Issue.record("missing golden \(name); run with LOGDUMP_UPDATE_GOLDEN=1 to create it", sourceLocation: sourceLocation)
        return
    }
    let expected = String(decoding: try readBytes(path), as: UTF8.self)
    if expected != actual {
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let k = (0..<min(e.count, a.count)).first { e[$0] != a[$0] } ?? min(e.count, a.count)
        Issue.record(
            "golden \(name) differs at line \(k + 1):\n  expected: \(k < e.count ? String(e[k]) : "<end>")\n  actual:   \(k < a.count ? String(a[k]) : "<end>")",
            sourceLocation: sourceLocation)
    }
}
