import RaftCore

/// The one decoder of the on-disk format. Recovery (`LogStorage.open`) and `logdump` (dump,
/// verify, repair, stats) both read through it.
///
/// Memory does not grow with the log: segment files are read through a window of `chunkSize`
/// bytes (grown only for a record larger than it, which the format caps at 64 MiB plus framing and
/// which must fit in the file).
public final class LogScanner {
    /// The data directory, when scanning one.
    public let directory: String?
    /// Segment files, in log order.
    public let segmentPaths: [String]
    /// The hard-state file, when there is one to check.
    public let hardStatePath: String?
    /// Names in the directory that are neither segments nor hard state nor snapshots.
    public let otherFiles: [String]
    /// Snapshot files (`snap-*.snap`), in name (= index) order.
    public let snapshotPaths: [String]
    /// The `FailureMarker` file, when the directory has one.
    public private(set) var failureMarkerPath: String?
    /// Where the bytes come from.
    public let fileSystem: FileSystem
    /// Bytes read per system call.
    public var chunkSize = LogScanner.defaultChunkSize
    /// The window a scan reads segments through unless told otherwise: 1 MiB.
    public static let defaultChunkSize = 1 << 20
    /// At most this many problems are listed in a `ScanResult` (the rest are counted in
    /// `problemsNotListed`), so a log damaged everywhere cannot exhaust memory.
    public var maxProblems = 10_000
    /// How segment files are read: copied through a window (`read`, the default) or mapped
    /// (`mmap`; see `SegmentReading` for when that is safe).
    public var segmentReading = SegmentReading.copy
    /// Whether the pass in progress maps segments (decided once per scan from `segmentReading`).
    var mapsSegments = false
    /// Recovery's replay, which the visitor of `scan(visit:)` also feeds: the fast path appends
    /// the usual entry to it directly (the visitor sees every other record). Only `recover` sets it.
    var recoverySink: RecoveryReplay?
    /// Check runs of records that read back exactly through `ScanState.scanSoundRun` (the general
    /// path still reads every other record). Tests turn it off to compare the two paths.
    var fastPath = true
    /// Keep the chosen snapshot's data (`ScanResult.loadedSnapshot`): opening storage needs it, and
    /// reading the file once saves a second read. Off for verification, whose memory stays bounded.
    var keepsSnapshotData = false

    /// Scans a node's data directory: every `log-*.seg` file in name order and `hardstate`.
    public convenience init(directory: String, fileSystem: FileSystem) throws(StorageError) {
        self.init(directory: directory, fileSystem: fileSystem, names: try fileSystem.contentsOfDirectory(atPath: directory))
    }

    /// Scans a data directory whose listing (`FileSystem.contentsOfDirectory`) the caller has
    /// just read (opening storage lists it anyway; once is enough).
    init(directory: String, fileSystem: FileSystem, names: [String]) {
        self.directory = directory
        self.fileSystem = fileSystem
        var segments: [String] = []
        var others: [String] = []
        var snapshots: [String] = []
        var hardState: String?
        var marker: String?
        for name in names {
            if StorageFormat.segmentSequence(fileName: name) != nil {
                segments.append(Path.join(directory, name))
            } else if SnapshotFormat.index(fileName: name) != nil {
                snapshots.append(Path.join(directory, name))
            } else if name == StorageFormat.hardStateFileName {
                hardState = Path.join(directory, name)
            } else if name == FailureMarker.fileName {
                marker = Path.join(directory, name)
            } else {
                others.append(name)
            }
        }
        self.segmentPaths = segments
        self.hardStatePath = hardState
        self.otherFiles = others
        self.snapshotPaths = snapshots
        self.failureMarkerPath = marker
    }

    /// Scans the given segment files (in the order given) and, optionally, a hard-state file.
    public convenience init(segmentFiles: [String], hardStateFile: String?, fileSystem: FileSystem) {
        self.init(segmentFiles: segmentFiles, hardStateFile: hardStateFile, snapshotFiles: [], fileSystem: fileSystem)
    }

    /// Scans the given segment files (in the order given), optionally a hard-state file, and the
    /// given snapshot files (the newest valid one is the log's start, as in a directory).
    public init(segmentFiles: [String], hardStateFile: String?, snapshotFiles: [String], fileSystem: FileSystem) {
        self.directory = nil
        self.segmentPaths = segmentFiles
        self.hardStatePath = hardStateFile
        self.otherFiles = []
        self.snapshotPaths = snapshotFiles
        self.fileSystem = fileSystem
    }

    /// Reads every snapshot file (newest first) and picks the newest valid one. Invalid files newer
    /// than it are problems (row P1–P4); invalid older ones, which nothing needs, are notes.
    func inspectSnapshots() throws(StorageError) -> (
        chosen: SnapshotFileInfo?, all: [SnapshotFileInfo], problems: [StorageProblem], notes: [String], loaded: Snapshot?
    ) {
        let ordered = snapshotPaths.sorted { Path.name(of: $0).utf8.lexicographicallyPrecedes(Path.name(of: $1).utf8) }.reversed()
        var all: [SnapshotFileInfo] = []
        var chosen: SnapshotFileInfo?
        var loaded: Snapshot?
        var problems: [StorageProblem] = []
        var notes: [String] = []
        for path in ordered {
            // Until one is chosen, each candidate may be it: read its data too when asked to keep it.
            let (info, snapshot) = try SnapshotFileInfo.read(
                path: path, fileSystem: fileSystem, chunkSize: chunkSize,
                keepData: keepsSnapshotData && chosen == nil)
            all.append(info)
            if chosen == nil, info.isValid {
                chosen = info
                loaded = snapshot
            } else if let problem = info.problem {
                if chosen == nil {
                    problems.append(problem)
                } else {
                    notes.append("an older snapshot file is not used and does not read back: \(problem)")
                }
            }
        }
        return (chosen, all, problems, notes, loaded)
    }

    /// Reads every segment, checks every record and the hard state, and calls `visit` for each
    /// valid record in file order with its payload bytes (valid only during the call).
    ///
    /// With `computeSuperseded`, the segments are read twice: first to find conflict truncations,
    /// then to mark each superseded entry record.
    public func scan(
        computeSuperseded: Bool = false,
        visit: (ScannedRecord, UnsafeRawBufferPointer) -> Void
    ) throws(StorageError) -> ScanResult {
        try scan(
            computeSuperseded: computeSuperseded, wantsRecords: true,
            visit: { record, payload in
                visit(record, payload)
                return .next
            })
    }

    /// As `scan(computeSuperseded:visit:)`, but the visitor decides whether to go on: after it
    /// returns `.stop` nothing more is read (`logdump dump --limit` stops inside a segment). A
    /// stopped scan's result covers only what was read, and the checks that need the whole log
    /// (the end of the last segment, the hard state) are not made: `stoppedByVisitor` says so.
    public func scanUntilStop(
        computeSuperseded: Bool = false,
        visit: (ScannedRecord, UnsafeRawBufferPointer) -> ScanVisit
    ) throws(StorageError) -> ScanResult {
        try scan(computeSuperseded: computeSuperseded, wantsRecords: true, visit: visit)
    }

    /// Reads and checks everything without visiting records.
    public func scan(computeSuperseded: Bool = false) throws(StorageError) -> ScanResult {
        try scan(computeSuperseded: computeSuperseded, wantsRecords: false, visit: { _, _ in .next })
    }

    private func scan(
        computeSuperseded: Bool, wantsRecords: Bool,
        visit: (ScannedRecord, UnsafeRawBufferPointer) -> ScanVisit
    ) throws(StorageError) -> ScanResult {
        let lock = lockForMapping()
        mapsSegments = segmentReading == .map || lock != nil
        defer {
            lock?.release()
            mapsSegments = false
        }
        let snapshots = try inspectSnapshots()
        var live: [String] = []
        var obsolete: [String] = []
        for path in segmentPaths {
            if let snapshot = snapshots.chosen, let sequence = StorageFormat.segmentSequence(fileName: Path.name(of: path)),
                sequence < snapshot.firstSegment!
            {
                obsolete.append(path)
            } else {
                live.append(path)
            }
        }
        let base = snapshots.chosen.map {
            SnapshotBase(
                index: $0.index!, term: $0.term!, firstSegment: $0.firstSegment!,
                batchSequence: $0.batchSequence!, logID: $0.logID!, file: $0.name)
        }
        var truncations: [(position: UInt64, index: UInt64)]? = nil
        if computeSuperseded {
            var first = ScanState(scanner: self, truncationsWanted: true, supersedeTable: nil, live: live, base: base)
            try first.run(wantsRecords: false, visit: { _, _ in .next })
            truncations = first.truncationsAcknowledged
        }
        var table: [(position: UInt64, minIndex: UInt64)]? = nil
        if let truncations {
            var t: [(position: UInt64, minIndex: UInt64)] = Array(repeating: (0, 0), count: truncations.count)
            var m = UInt64.max
            for k in truncations.indices.reversed() {
                m = min(m, truncations[k].index)
                t[k] = (truncations[k].position, m)
            }
            table = t
        }
        var state = ScanState(scanner: self, truncationsWanted: false, supersedeTable: table, live: live, base: base)
        if wantsRecords, let sink = recoverySink {
            state.sink = sink
            var bytes: Int64 = 0
            for path in live { bytes += (try? fileSystem.fileSize(atPath: path)) ?? 0 }
            sink.expectSegmentBytes(bytes)
        }
        state.result.problems = snapshots.problems
        state.damagedSnapshotFiles = Set(snapshots.problems.map(\.file))
        try state.run(wantsRecords: wantsRecords, visit: visit)
        var result = state.result
        guard !state.stopped else {
            result.stoppedByVisitor = true
            return result
        }
        result.otherFiles = otherFiles
        result.snapshot = snapshots.chosen
        result.loadedSnapshot = snapshots.loaded
        result.snapshotFiles = snapshots.all
        result.obsoleteSegments = obsolete
        result.notes.append(contentsOf: snapshots.notes)
        if !snapshots.notes.isEmpty { result.notedRows.insert(.P3) }
        if base != nil && live.isEmpty { result.notedRows.insert(.S12) }
        if !obsolete.isEmpty {
            result.notedRows.insert(.S11)
            result.notes.append(
                "\(obsolete.count) segment(s) below segment \(base!.firstSegment) are wholly covered by the snapshot at index \(base!.index) (an interrupted compaction): not read; opening removes them"
            )
        }
        try checkHardState(&result, markerHardStateSequence: state.lastMarkerHardStateSequence)
        if let path = failureMarkerPath {
            // Listed first: it explains why the files may disagree with the disk.
            let marker = FailureMarker.decode(try fileSystem.readFile(atPath: path))
            result.failureMarker = marker
            result.failureMarkerPath = path
            result.problems.insert(
                StorageProblem(
                    .F1, .inconsistency, file: FailureMarker.fileName, offset: 0,
                    message: marker.map { $0.explanation.replacingDIR(with: directory ?? Path.directory(of: path)) }
                        ?? "the file exists but does not read as a failure marker: an earlier write or sync failed; inspect the directory before removing it"
                ), at: 0)
        }
        return result
    }

    /// Under `.mapWhenLocked`, the directory's lock for the scan's duration when it is free (nil
    /// otherwise: explicit files, a file system without locks, or a holder — a running node, a
    /// repair — which may cut or rewrite a segment, so its files are copied, never mapped).
    private func lockForMapping() -> DirectoryLock? {
        guard segmentReading == .mapWhenLocked, let directory else { return nil }
        do { return try fileSystem.lockDirectory(atPath: directory) } catch { return nil }
    }

    /// Verifies without visiting records (what `logdump verify` runs).
    public func verify() throws(StorageError) -> ScanResult { try scan(computeSuperseded: false) }

}

/// How a scan reads segment files.
///
/// A mapping (`mmap`) is read in place: no copy, which is most of a scan's cost once checksums
/// are fast. Its hazard is another process cutting a mapped file: reading a page past the new end
/// raises SIGBUS, which would kill the process. Every writer of a data directory holds its lock
/// (`FileSystem.lockDirectory`: `LogStorage` from `open` to `close`, `logdump repair --apply` and
/// `--restore`), and those are the only code that cuts a segment, so a file is mapped only while
/// the lock is held by the scan itself or by its caller. A file that cannot be mapped (empty, a
/// file system without mappings, a size that changed between `fstat` and `mmap`) is read.
public enum SegmentReading: Sendable, Equatable {
    /// Always `read` into a window (never faults, one copy).
    case copy
    /// Scanning a directory: take its lock for the scan and map while holding it; when the lock is
    /// held elsewhere (or the files were given one by one), `read`.
    case mapWhenLocked
    /// Map: the caller holds the directory's lock (or otherwise knows no process cuts the files).
    case map
}
