#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import RaftCore
import RaftStorage

/// Opening a FIFO or a device would block or never end: only regular files are read (checked on
/// real disks; other file systems hold only files).
func requireRegularFile(_ path: String, _ fileSystem: FileSystem) throws(LogdumpError) {
    guard fileSystem is PosixFileSystem else { return }
    var st = stat()
    guard stat(path, &st) == 0 else { throw LogdumpError("\(path): \(String(cString: strerror(errno)))") }
    guard (st.st_mode & S_IFMT) == S_IFREG else { throw LogdumpError("\(path) is not a regular file") }
}

/// logdump's exit codes (documented in `--help` and docs/logdump.md).
public enum LogdumpExit: Int32, Sendable, CaseIterable {
    /// Clean (verify), done (dump, stats, hardstate, repair), identical (diff).
    case clean = 0
    /// Usage error, unreadable input, or an I/O failure.
    case usageOrIO = 1
    /// The only problems are torn tails (interrupted writes that were never acknowledged).
    case tornTail = 2
    /// Acknowledged data does not read back.
    case corruption = 3
    /// Everything reads back but the files do not fit together.
    case inconsistency = 4
    /// `diff`: the two logs differ (and neither has problems).
    case differ = 5

    /// The code for the worst class of problem found (clean when nil).
    public init(worst: StorageProblem.Class?) {
        switch worst {
        case nil: self = .clean
        case .tornTail?: self = .tornTail
        case .corruption?: self = .corruption
        case .inconsistency?: self = .inconsistency
        }
    }
}

/// A failure that stops a subcommand: usage mistakes, unreadable inputs, failed writes (exit 1).
public struct LogdumpError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, in words.
    public var message: String
    /// The exit status it calls for.
    public var status: LogdumpExit
    /// An error with this message and exit status.
    public init(_ message: String, status: LogdumpExit = .usageOrIO) {
        self.message = message
        self.status = status
    }
    /// The message.
    public var description: String { message }
}

extension LogdumpError {
    init(_ error: StorageError) {
        self.init(error.description)
    }
}

/// What the user named on the command line: a data directory or segment files (and a hard-state file).
public struct LogInput: Sendable {
    /// The data directory, when one was named.
    public var directory: String?
    /// Segment files, when files were named.
    public var segmentFiles: [String]
    /// The hard-state file, when one was named or found.
    public var hardStateFile: String?
    /// Snapshot files (`snap-*.snap`), when named or found.
    public var snapshotFiles: [String] = []

    /// Reads the arguments of `dump`/`stats`: one directory, or files.
    public static func resolve(_ paths: [String], fileSystem: FileSystem) throws(LogdumpError) -> LogInput {
        guard !paths.isEmpty else { throw LogdumpError("name a data directory or segment files") }
        if paths.count == 1, fileSystem.isDirectory(atPath: paths[0]) {
            return try directoryInput(paths[0], fileSystem: fileSystem)
        }
        var segments: [String] = []
        var snapshots: [String] = []
        var hardState: String?
        for path in paths {
            guard fileSystem.fileExists(atPath: path) else { throw LogdumpError("\(path): no such file or directory") }
            if fileSystem.isDirectory(atPath: path) {
                throw LogdumpError("\(path) is a directory: name one data directory, or segment files only")
            }
            try requireRegularFile(path, fileSystem)
            if Path.name(of: path) == StorageFormat.hardStateFileName {
                if hardState != nil { throw LogdumpError("more than one hard-state file named") }
                hardState = path
            } else if SnapshotFormat.index(fileName: Path.name(of: path)) != nil {
                snapshots.append(path)
            } else {
                segments.append(path)
            }
        }
        // Segment names sort in log order; any other names keep the order given.
        if segments.allSatisfy({ StorageFormat.segmentSequence(fileName: Path.name(of: $0)) != nil }) {
            segments.sort { Path.name(of: $0) < Path.name(of: $1) }
        }
        return LogInput(directory: nil, segmentFiles: segments, hardStateFile: hardState, snapshotFiles: snapshots)
    }

    /// A data directory (which must hold segments or a hard-state file).
    public static func directoryInput(_ path: String, fileSystem: FileSystem) throws(LogdumpError) -> LogInput {
        let dir = Path.normalized(path)
        guard fileSystem.fileExists(atPath: dir) else { throw LogdumpError("\(dir): no such directory") }
        guard fileSystem.isDirectory(atPath: dir) else { throw LogdumpError("\(dir) is not a directory") }
        let names: [String]
        do { names = try fileSystem.contentsOfDirectory(atPath: dir) } catch { throw LogdumpError(error) }
        let segments = names.filter { StorageFormat.segmentSequence(fileName: $0) != nil }
        let hasHardState = names.contains(StorageFormat.hardStateFileName)
        let snapshots = names.filter { SnapshotFormat.index(fileName: $0) != nil }
        if segments.isEmpty && !hasHardState && snapshots.isEmpty {
            let shown = names.prefix(5).joined(separator: ", ") + (names.count > 5 ? ", …" : "")
            throw LogdumpError(
                "\(dir) is not a RaftStep data directory: no log-*.seg segment and no hardstate file"
                    + (names.isEmpty ? " (it is empty)" : " (it holds \(names.count) other name(s): \(shown))"))
        }
        for name in segments + snapshots + (hasHardState ? [StorageFormat.hardStateFileName] : []) {
            try requireRegularFile(Path.join(dir, name), fileSystem)
        }
        return LogInput(
            directory: dir, segmentFiles: segments.map { Path.join(dir, $0) },
            hardStateFile: hasHardState ? Path.join(dir, StorageFormat.hardStateFileName) : nil,
            snapshotFiles: snapshots.map { Path.join(dir, $0) })
    }

    /// The scanner over these files.
    public func scanner(fileSystem: FileSystem) throws(LogdumpError) -> LogScanner {
        if let directory {
            do { return try LogScanner(directory: directory, fileSystem: fileSystem) } catch { throw LogdumpError(error) }
        }
        return LogScanner(segmentFiles: segmentFiles, hardStateFile: hardStateFile, snapshotFiles: snapshotFiles, fileSystem: fileSystem)
    }

    /// Runs a scan, turning a storage error (I/O) into a logdump one.
    static func run<T>(_ body: () throws(StorageError) -> T) throws(LogdumpError) -> T {
        do { return try body() } catch { throw LogdumpError(error) }
    }
}

extension ScanResult {
    /// True when a second pass must compute superseded entries: a conflict truncation may exist.
    /// Without problems other than a torn tail, every index appears once exactly when the number of
    /// entry records equals the span of indexes.
    var mayHaveSupersededEntries: Bool {
        guard problems.allSatisfy({ $0.class == .tornTail }) else { return true }
        let lows = segments.compactMap(\.minIndex), highs = segments.compactMap(\.maxIndex)
        guard let lo = lows.min(), let hi = highs.max() else { return false }
        return UInt64(entryRecords) != hi - lo + 1
    }

    /// Whether an entry record is part of the log recovery would rebuild.
    @inline(__always)
    func isEffective(_ record: ScannedRecord) -> Bool {
        !record.superseded && record.index >= firstIndex && !isInTornTail(file: record.file, offset: record.offset)
    }

    /// "the snapshot at index N, term T (file)", when the log starts from one.
    var snapshotWords: String? {
        guard let s = snapshot, let index = s.index, let term = s.term else { return nil }
        return "the snapshot at index \(index), term \(term) (\(s.name))"
    }
}

/// Renders one problem on one line: class, file:offset, index/term, checksums, message.
func problemLine(_ p: StorageProblem) -> String {
    pad(p.class.rawValue, 14) + "\(p.file):\(p.offset)" + problemDetails(p)
}

/// What follows a problem's place: " (index I, term T): message [stored X, computed Y]".
func problemDetails(_ p: StorageProblem) -> String {
    var s = ""
    var at: [String] = []
    if let index = p.index { at.append("index \(index)") }
    if let term = p.term { at.append("term \(term)") }
    if !at.isEmpty { s += " (" + at.joined(separator: ", ") + ")" }
    s += ": " + p.message
    if let e = p.expectedChecksum, let c = p.computedChecksum {
        s += " [stored \(formatChecksumText(e)), computed \(formatChecksumText(c))]"
    }
    return s
}

extension Output {
    /// A problem as a JSON object.
    func jsonProblem(_ p: StorageProblem) {
        write("{\"class\":")
        jsonString(p.class.rawValue)
        write(",\"file\":")
        jsonString(p.file)
        write(",\"offset\":")
        decimal(p.offset)
        if let index = p.index { write(",\"index\":"); decimal(index) }
        if let term = p.term { write(",\"term\":"); decimal(term) }
        if let e = p.expectedChecksum { write(",\"stored_crc\":\""); checksum(e); write("\"") }
        if let c = p.computedChecksum { write(",\"computed_crc\":\""); checksum(c); write("\"") }
        write(",\"message\":")
        jsonString(p.message)
        write("}")
    }

    func decimal(_ v: Int64) {
        if v < 0 { write(String(v)) } else { decimal(UInt64(v)) }
    }
}

/// Summarises problems on stderr for commands other than verify; returns the exit status.
/// `shown` says what the command's output shows of them.
func warnProblems(
    _ result: ScanResult, command: String, shown: String = "only records that read back are counted",
    to err: Output
) -> LogdumpExit {
    guard !result.problems.isEmpty else { return .clean }
    var counts: [StorageProblem.Class: Int] = [:]
    for p in result.problems { counts[p.class, default: 0] += 1 }
    let parts = StorageProblem.Class.allCases.compactMap { c in counts[c].map { "\($0) \(c.rawValue)" } }
    err.line(
        "logdump \(command): warning: \(result.problems.count) problem(s) (\(parts.joined(separator: ", "))); \(shown); run `logdump verify` for details"
    )
    for p in result.problems.prefix(3) { err.line("  " + problemLine(p)) }
    if result.problems.count > 3 { err.line("  … and \(result.problems.count - 3) more") }
    let status = LogdumpExit(worst: result.worst)
    if let pointer = Runbook.pointer(for: status) { err.line(pointer) }
    return status
}
