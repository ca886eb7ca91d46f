import RaftCore

/// One physical record as the scanner read it. The payload is handed to the visitor separately,
/// as bytes that are valid only during the call, so a scan copies nothing it is not asked to.
public struct ScannedRecord: Sendable {
    /// The segment file's name.
    public var file: String
    /// Position of the segment in the scan (0-based).
    public var segmentOrdinal: Int
    /// Byte offset of the record in the file.
    public var offset: Int64
    /// Bytes the record occupies (header, padded payload, trailer).
    public var size: Int
    /// Entry or batch marker.
    public var kind: RecordKind
    /// The entry type byte (`EntryKind.rawValue`; 0 for markers).
    public var entryType: UInt8
    /// Entry: its term. Marker: the term of the log's last entry after the batch.
    public var term: UInt64
    /// Entry: its index. Marker: the log's last index after the batch.
    public var index: UInt64
    /// Payload length in bytes.
    public var payloadLength: Int
    /// The record checksum stored in the trailer (equal to the computed one: only valid records are visited).
    public var checksum: UInt32
    /// The decoded marker, for batch records.
    public var batch: BatchMarker?
    /// True when a later entry with an index at or below this one's supersedes it (only computed
    /// when the scan was asked to; otherwise false).
    public var superseded: Bool

    /// The entry kind, when the type byte is a known one.
    public var entryKind: EntryKind? { kind == .entry ? EntryKind(rawValue: entryType) : nil }

    /// Builds the entry (copies the payload).
    public func entry(payload: UnsafeRawBufferPointer) -> Entry? {
        guard kind == .entry, let k = entryKind else { return nil }
        return Entry(term: term, index: index, kind: k, data: copyBytes(payload))
    }
}

/// A byte array with the contents of `bytes` (one allocation and one memcpy).
@inline(__always)
func copyBytes(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return [] }
    return [UInt8](unsafeUninitializedCapacity: bytes.count) { buffer, initialized in
        UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: base, byteCount: bytes.count)
        initialized = bytes.count
    }
}

/// What a segment looked like.
public struct SegmentSummary: Sendable {
    /// The file's name.
    public var name: String
    /// Its path.
    public var path: String
    /// Its size in bytes.
    public var size: Int64
    /// The decoded header, when it decodes.
    public var header: SegmentHeader?
    /// Valid entry records.
    public var entryRecords: Int = 0
    /// Valid batch markers.
    public var batchRecords: Int = 0
    /// Lowest and highest entry index seen in the segment.
    public var minIndex: UInt64?
    public var maxIndex: UInt64?
    /// End of the last valid record (where an appender would continue).
    public var validEnd: Int64 = 0
    /// The last valid batch marker before this segment (nil when there was none).
    public var acknowledgedAtStart: AcknowledgedPoint?
}

/// A place in the log where a valid batch marker ends: what the log looked like there.
public struct AcknowledgedPoint: Sendable, Equatable {
    /// Offset just past the marker in its segment.
    public var end: Int64
    /// The marker's batch sequence.
    public var batchSequence: UInt64
    /// The marker's hard-state sequence.
    public var hardStateSequence: UInt64
    /// The log's last index and term after the batch.
    public var lastIndex: UInt64
    public var lastTerm: UInt64
}

/// A proven torn tail: what to cut so the log ends at its last durable batch.
public struct TornTail: Sendable, Equatable {
    /// Path of the segment that holds it (always the last segment).
    public var path: String
    /// Its name.
    public var file: String
    /// Where the damage starts.
    public var damageOffset: Int64
    /// The file length after the cut: the end of the last batch marker in this segment (or of the header).
    public var cutOffset: Int64
    /// True when the segment's header itself is torn: the whole file goes.
    public var removeFile: Bool
    /// Bytes that would go.
    public var bytesLost: Int64
    /// Entry records after the last marker that were never acknowledged (they go too).
    public var unacknowledgedEntries: Int
}

/// How a repair changes files.
public enum RepairAction: Sendable, Equatable, CustomStringConvertible {
    /// Cut a file to a length.
    case truncate(path: String, toLength: Int64)
    /// Delete a file.
    case remove(path: String)
    /// Replace the hard-state file (atomically) with both slots holding `state`, at sequences
    /// `sequence` and `sequence + 1`.
    case replaceHardState(path: String, state: HardState, sequence: UInt64, batchSequence: UInt64, segmentSequence: UInt64, logID: LogID)

    public var description: String {
        switch self {
        case .truncate(let path, let length): return "truncate \(path) to \(length) bytes"
        case .remove(let path): return "remove \(path)"
        case .replaceHardState(let path, let state, let sequence, _, _, _):
            return "rewrite \(path): term \(state.term), vote \(state.vote), commit \(state.commit) (sequence \(sequence + 1))"
        }
    }
}

/// The plan to make a log openable again.
public struct RepairPlan: Sendable {
    /// What to do, in order.
    public var actions: [RepairAction]
    /// True when the plan only cuts a proven torn tail (nothing acknowledged is lost).
    public var onlyTornTail: Bool
    /// Entry indexes that were acknowledged but would be lost (only with data loss accepted).
    public var lostIndexes: ClosedRange<UInt64>?
    /// Words for a person.
    public var summary: [String]
    /// Problems this plan cannot fix (inconsistencies, a damaged hard-state file…).
    public var unfixable: [StorageProblem]

    /// Carries out the plan: each cut is synced, then the directory.
    public func apply(fileSystem: FileSystem) throws(StorageError) {
        var directories: [String] = []
        for action in actions {
            switch action {
            case .truncate(let path, let length):
                let file = try fileSystem.openFile(atPath: path, create: false)
                defer { file.close() }
                try file.truncate(to: length)
                try file.sync()
                directories.append(Path.directory(of: path))
            case .remove(let path):
                try fileSystem.removeFile(atPath: path)
                directories.append(Path.directory(of: path))
            case .replaceHardState(let path, let state, let sequence, let batchSequence, let segmentSequence, let logID):
                var bytes = [UInt8](repeating: 0, count: StorageFormat.hardStateFileSize)
                for s in [sequence, sequence + 1] {
                    let slot = Int(s % 2)
                    let encoded = RecordCodec.hardStateSlot(state, sequence: s, slot: slot, logID: logID,
                                                            batchSequence: batchSequence, segmentSequence: segmentSequence)
                    let at = slot * StorageFormat.hardStateSlotStride
                    bytes.replaceSubrange(at..<(at + encoded.count), with: encoded)
                }
                try fileSystem.writeFileAtomically(bytes, atPath: path)
            }
        }
        var seen = Set<String>()
        for d in directories where seen.insert(d).inserted { try fileSystem.syncDirectory(atPath: d) }
    }
}

/// The outcome of a scan: problems, totals, the torn tail if any, the hard state.
public struct ScanResult: Sendable {
    /// Every segment read, in log order.
    public var segments: [SegmentSummary] = []
    /// Every problem, in file order (hard-state problems last).
    public var problems: [StorageProblem] = []
    /// The log id of the first readable segment header.
    public var logID: LogID?
    /// The durable log's last index and term (through the last valid marker).
    public var lastIndex: UInt64 = 0
    public var lastTerm: UInt64 = 0
    /// The last valid batch marker.
    public var lastBatch: BatchMarker?
    /// Counts of valid records.
    public var entryRecords = 0
    public var batchRecords = 0
    /// Entry records superseded by a later conflict truncation (computed when asked).
    public var supersededRecords = 0
    /// Entry records by type byte.
    public var entriesByType: [UInt8: Int] = [:]
    /// Bytes read from segment files.
    public var bytesScanned: Int64 = 0
    /// Where a proven torn tail starts, when there is one.
    public var tornTail: TornTail?
    /// Both hard-state slots, when a hard-state file was given.
    public var hardState: HardStateInspection?
    /// The hard state recovery would use (commit clamped when the last save's log part was lost).
    public var recoveredHardState: HardState?
    /// The sequence number of that hard state.
    public var hardStateSequence: UInt64 = 0
    /// Lines for a person about decisions that are not problems (e.g. a clamped commit index).
    public var notes: [String] = []
    /// Names in the directory that are neither segments nor the hard-state file.
    public var otherFiles: [String] = []
    /// Problems found beyond `LogScanner.maxProblems` (counted, not listed).
    public var problemsNotListed = 0
    /// Batches after the last synced marker that were written under `SyncPolicy.never`.
    public var unsyncedBatchesAtEnd = 0
    /// The snapshot the log starts from: the newest snapshot file that reads back (nil when there is none).
    /// Its `metadata` holds index, term and configuration; `dataLength`, `checksumStatus`, `path` the rest.
    public var snapshot: SnapshotFileInfo?
    /// Every snapshot file found, newest (highest index) first, valid or not.
    public var snapshotFiles: [SnapshotFileInfo] = []
    /// The chosen snapshot with its data, when the scanner was asked to keep it (`keepsSnapshotData`).
    var loadedSnapshot: Snapshot?
    /// Segment files whose sequence is below the snapshot's first segment: wholly covered by the
    /// snapshot, not scanned, and removed by `LogStorage.open` (an interrupted `saveSnapshot` leaves them).
    public var obsoleteSegments: [String] = []
    /// The failure marker (docs/storage-format.md §5.6), when the directory has a readable one.
    public var failureMarker: FailureMarker?
    /// Its path, when the directory has the file (readable or not).
    public var failureMarkerPath: String?
    /// The first index of the log after the snapshot (`snapshot index + 1`; 1 without a snapshot).
    public var firstIndex: UInt64 { (snapshot?.index ?? 0) + 1 }

    /// The worst class found, or nil when clean.
    public var worst: StorageProblem.Class? { problems.map(\.class).max() }

    /// The plan that makes the log openable: cut a proven torn tail; with `acceptDataLoss`, also
    /// cut at the first corruption (losing what follows). Nil when there is nothing to do.
    public func repairPlan(acceptDataLoss: Bool = false) -> RepairPlan? {
        if let markerPath = failureMarkerPath { return failureMarkerPlan(markerPath) }
        let corruptions = problems.filter { $0.class == .corruption }
        let unfixable = problems.filter { $0.class == .inconsistency || ($0.class == .corruption && !isSegment($0.file)) }
        if corruptions.isEmpty || !acceptDataLoss {
            guard let tornTail, corruptions.isEmpty else {
                if problems.isEmpty { return nil }
                if problems.allSatisfy({ $0.class == .tornTail }) {
                    return RepairPlan(actions: [], onlyTornTail: true, lostIndexes: nil,
                                      summary: ["nothing to cut: the torn hard-state slot is overwritten by the next hard-state write"],
                                      unfixable: [])
                }
                return RepairPlan(actions: [], onlyTornTail: false, lostIndexes: nil,
                                  summary: ["nothing can be cut without losing acknowledged entries; rerun with data loss accepted"],
                                  unfixable: problems.filter { $0.class != .tornTail })
            }
            let action: RepairAction = tornTail.removeFile ? .remove(path: tornTail.path) : .truncate(path: tornTail.path, toLength: tornTail.cutOffset)
            var summary = ["cut the torn tail of \(tornTail.file): \(tornTail.bytesLost) bytes from offset \(tornTail.cutOffset)"]
            if tornTail.unacknowledgedEntries > 0 {
                summary.append("\(tornTail.unacknowledgedEntries) entry record(s) after the last batch marker were never acknowledged and go with it")
            }
            return RepairPlan(actions: [action], onlyTornTail: true, lostIndexes: nil, summary: summary, unfixable: unfixable)
        }
        // Cut at the first corruption in a segment: that file is cut back to its last good marker,
        // every later segment removed, and the hard state rewritten to match what is left.
        var actions: [RepairAction] = []
        var summary: [String] = []
        var lost: ClosedRange<UInt64>?
        var point = lastAcknowledged
        var lastSegment = segments.last(where: { $0.header != nil })
        if let first = corruptions.first(where: { isSegment($0.file) }),
           let ordinal = segments.firstIndex(where: { $0.name == first.file }) {
            let segment = segments[ordinal]
            if segment.header == nil && ordinal == 0 {
                return RepairPlan(actions: [], onlyTornTail: false, lostIndexes: nil,
                                  summary: ["the first segment's header is damaged: the log cannot be cut back to a readable state"],
                                  unfixable: problems.filter { $0.class != .tornTail })
            }
            let cut = segment.header == nil ? nil : batchEnds[segment.name]?.last(where: { $0.end <= first.offset })
            point = cut ?? segment.acknowledgedAtStart
            if segment.header == nil {
                actions.append(.remove(path: segment.path))
                lastSegment = segments[..<ordinal].last
            } else {
                let keep = cut?.end ?? Int64(StorageFormat.segmentHeaderSize)
                actions.append(.truncate(path: segment.path, toLength: keep))
                lastSegment = segment
                summary.append("cut \(segment.name) back to offset \(keep), the end of its last intact batch")
            }
            let later = segments[(ordinal + 1)...]
            for s in later.reversed() { actions.append(.remove(path: s.path)) }
            if !later.isEmpty { summary.append("remove \(later.count) later segment(s)") }
            let keptIndex = max(point?.lastIndex ?? 0, snapshot?.index ?? 0)
            if maxIndexSeen > keptIndex { lost = (keptIndex + 1)...maxIndexSeen }
        } else if let tornTail {
            actions.append(tornTail.removeFile ? .remove(path: tornTail.path) : .truncate(path: tornTail.path, toLength: tornTail.cutOffset))
            summary.append("cut the torn tail of \(tornTail.file) at offset \(tornTail.cutOffset)")
            if tornTail.removeFile { lastSegment = segments.last(where: { $0.header != nil && $0.path != tornTail.path }) }
        }
        if let path = hardState?.path, let logID = logID ?? hardState?.chosen?.logID {
            let keptIndex = max(point?.lastIndex ?? 0, snapshot?.index ?? 0)
            let keptTerm = max(point?.lastTerm ?? 0, snapshot?.term ?? 0)
            var state = hardState?.chosen?.hardState ?? HardState(term: keptTerm)
            state.term = max(state.term, keptTerm)
            state.commit = min(state.commit, keptIndex)
            let sequence = max(hardStateSequence, point?.hardStateSequence ?? 0) + 1
            actions.append(.replaceHardState(path: path, state: state, sequence: sequence, batchSequence: point?.batchSequence ?? 0,
                                             segmentSequence: lastSegment?.header?.sequence ?? 0, logID: logID))
            summary.append("rewrite the hard state to match: term \(state.term), vote \(state.vote), commit \(state.commit)")
        }
        if let lost { summary.append("entries \(lost.lowerBound)…\(lost.upperBound) are lost, some of them acknowledged") }
        return RepairPlan(actions: actions, onlyTornTail: false, lostIndexes: lost, summary: summary,
                          unfixable: problems.filter { $0.class == .inconsistency })
    }

    /// The undo a `FailureMarker` asks for, then its removal; only on a log with no other damage
    /// than a torn tail (the undo cuts nothing that was acknowledged).
    private func failureMarkerPlan(_ markerPath: String) -> RepairPlan {
        let others = problems.filter { $0.file != FailureMarker.fileName }
        guard let marker = failureMarker, others.allSatisfy({ $0.class == .tornTail }) else {
            return RepairPlan(actions: [], onlyTornTail: false, lostIndexes: nil,
                              summary: ["the failure marker's undo is carried out only on a log with no damage other than a torn tail; inspect the directory (and the marker) first"],
                              unfixable: problems.filter { $0.class != .tornTail })
        }
        var actions: [RepairAction] = []
        var summary: [String] = []
        var markerCutsTail = false
        switch marker.undo {
        case .truncate(let file, let length):
            if let segment = segments.first(where: { $0.name == file }), segment.size > length {
                actions.append(.truncate(path: segment.path, toLength: length))
                summary.append("cut \(file) back to \(length) bytes, its length before the write whose sync failed")
                markerCutsTail = tornTail?.file == file && (tornTail?.cutOffset ?? 0) >= length
            }
        case .remove(let file):
            if let segment = segments.first(where: { $0.name == file }) {
                actions.append(.remove(path: segment.path))
                summary.append("remove \(file), whose creation failed")
                markerCutsTail = tornTail?.file == file
            }
        case .dropHardStateSlot(let slot):
            if let inspection = hardState, let other = inspection.slots.first(where: { $0.slot != slot && $0.status == .valid }),
               let state = other.hardState, let sequence = other.sequence, let logID = other.logID {
                actions.append(.replaceHardState(path: inspection.path, state: state, sequence: sequence, batchSequence: other.batchSequence ?? 0,
                                                 segmentSequence: other.segmentSequence ?? 0, logID: logID))
                summary.append("rewrite the hard state from slot \(other.slot) (sequence \(sequence)): slot \(slot) was being written when its sync failed")
            }
        }
        if let tornTail, !markerCutsTail {
            actions.append(tornTail.removeFile ? .remove(path: tornTail.path) : .truncate(path: tornTail.path, toLength: tornTail.cutOffset))
            summary.append("cut the torn tail of \(tornTail.file) at offset \(tornTail.cutOffset)")
        }
        actions.append(.remove(path: markerPath))
        summary.append("remove \(FailureMarker.fileName)")
        return RepairPlan(actions: actions, onlyTornTail: true, lostIndexes: nil, summary: summary, unfixable: [])
    }

    private func isSegment(_ file: String) -> Bool { StorageFormat.segmentSequence(fileName: Path.name(of: file)) != nil }

    /// Highest entry index seen in any segment.
    public var maxIndexSeen: UInt64 { segments.compactMap(\.maxIndex).max() ?? 0 }

    /// The batch markers of each segment that holds corruption (for repair planning).
    var batchEnds: [String: [AcknowledgedPoint]] = [:]
    /// The last valid batch marker read anywhere.
    public var lastAcknowledged: AcknowledgedPoint?

    /// True when the record at `offset` of `file` lies in the torn tail, or past the length a failure
    /// marker cuts back to (it will be cut).
    public func isInTornTail(file: String, offset: Int64) -> Bool {
        if case .truncate(let markerFile, let length)? = failureMarker?.undo, markerFile == file, offset >= length { return true }
        guard let tornTail, tornTail.file == file else { return false }
        return tornTail.removeFile || offset >= tornTail.cutOffset
    }
}

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
    public var chunkSize = 1 << 20
    /// At most this many problems are listed in a `ScanResult` (the rest are counted in
    /// `problemsNotListed`), so a log damaged everywhere cannot exhaust memory.
    public var maxProblems = 10_000
    /// Read segments through `mmap` when the file system offers it (faster: no copy). Off by
    /// default: if another process cut a segment while it is mapped, reading it would fault.
    public var memoryMap = false
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
    func inspectSnapshots() throws(StorageError) -> (chosen: SnapshotFileInfo?, all: [SnapshotFileInfo], problems: [StorageProblem], notes: [String], loaded: Snapshot?) {
        let ordered = snapshotPaths.sorted { Path.name(of: $0).utf8.lexicographicallyPrecedes(Path.name(of: $1).utf8) }.reversed()
        var all: [SnapshotFileInfo] = []
        var chosen: SnapshotFileInfo?
        var loaded: Snapshot?
        var problems: [StorageProblem] = []
        var notes: [String] = []
        for path in ordered {
            // Until one is chosen, each candidate may be it: read its data too when asked to keep it.
            let (info, snapshot) = try SnapshotFileInfo.read(path: path, fileSystem: fileSystem, chunkSize: chunkSize,
                                                             keepData: keepsSnapshotData && chosen == nil)
            all.append(info)
            if chosen == nil, info.isValid {
                chosen = info
                loaded = snapshot
            } else if let problem = info.problem {
                if chosen == nil { problems.append(problem) } else { notes.append("an older snapshot file is not used and does not read back: \(problem)") }
            }
        }
        return (chosen, all, problems, notes, loaded)
    }

    /// Reads every segment, checks every record and the hard state, and calls `visit` for each
    /// valid record in file order with its payload bytes (valid only during the call).
    ///
    /// With `computeSuperseded`, the segments are read twice: first to find conflict truncations,
    /// then to mark each superseded entry record.
    public func scan(computeSuperseded: Bool = false,
                     visit: (ScannedRecord, UnsafeRawBufferPointer) -> Void) throws(StorageError) -> ScanResult {
        try scan(computeSuperseded: computeSuperseded, wantsRecords: true, visit: visit)
    }

    /// Reads and checks everything without visiting records.
    public func scan(computeSuperseded: Bool = false) throws(StorageError) -> ScanResult {
        try scan(computeSuperseded: computeSuperseded, wantsRecords: false, visit: { _, _ in })
    }

    private func scan(computeSuperseded: Bool, wantsRecords: Bool,
                      visit: (ScannedRecord, UnsafeRawBufferPointer) -> Void) throws(StorageError) -> ScanResult {
        let snapshots = try inspectSnapshots()
        var live: [String] = []
        var obsolete: [String] = []
        for path in segmentPaths {
            if let snapshot = snapshots.chosen, let sequence = StorageFormat.segmentSequence(fileName: Path.name(of: path)),
               sequence < snapshot.firstSegment! {
                obsolete.append(path)
            } else {
                live.append(path)
            }
        }
        let base = snapshots.chosen.map { SnapshotBase(index: $0.index!, term: $0.term!, firstSegment: $0.firstSegment!,
                                                      batchSequence: $0.batchSequence!, logID: $0.logID!, file: $0.name) }
        var truncations: [(position: UInt64, index: UInt64)]? = nil
        if computeSuperseded {
            var first = ScanState(scanner: self, truncationsWanted: true, supersedeTable: nil, live: live, base: base)
            try first.run(wantsRecords: false, visit: { _, _ in })
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
        state.result.problems = snapshots.problems
        state.damagedSnapshotFiles = Set(snapshots.problems.map(\.file))
        try state.run(wantsRecords: wantsRecords, visit: visit)
        var result = state.result
        result.otherFiles = otherFiles
        result.snapshot = snapshots.chosen
        result.loadedSnapshot = snapshots.loaded
        result.snapshotFiles = snapshots.all
        result.obsoleteSegments = obsolete
        result.notes.append(contentsOf: snapshots.notes)
        if !obsolete.isEmpty {
            result.notes.append("\(obsolete.count) segment(s) below segment \(base!.firstSegment) are wholly covered by the snapshot at index \(base!.index) (an interrupted compaction): not read; opening removes them")
        }
        try checkHardState(&result, markerHardStateSequence: state.lastMarkerHardStateSequence)
        if let path = failureMarkerPath {
            // Listed first: it explains why the files may disagree with the disk.
            let marker = FailureMarker.decode(try fileSystem.readFile(atPath: path))
            result.failureMarker = marker
            result.failureMarkerPath = path
            result.problems.insert(StorageProblem(.inconsistency, file: FailureMarker.fileName, offset: 0,
                message: marker.map { $0.explanation.replacingDIR(with: directory ?? Path.directory(of: path)) }
                    ?? "the file exists but does not read as a failure marker: an earlier write or sync failed; inspect the directory before removing it"), at: 0)
        }
        return result
    }

    /// Verifies without visiting records (what `logdump verify` runs).
    public func verify() throws(StorageError) -> ScanResult { try scan(computeSuperseded: false) }

    // MARK: Hard state against the log

    private func checkHardState(_ result: inout ScanResult, markerHardStateSequence: UInt64) throws(StorageError) {
        guard let path = hardStatePath else {
            if directory != nil && (!segmentPaths.isEmpty || !snapshotPaths.isEmpty) {
                result.problems.append(StorageProblem(.inconsistency, file: StorageFormat.hardStateFileName, offset: 0,
                                                      message: segmentPaths.isEmpty ? "the hard-state file is missing but the log has a snapshot"
                                                                                    : "the hard-state file is missing but the log has segments"))
            }
            return
        }
        let name = Path.name(of: path)
        let inspection = try HardStateInspection.inspect(path: path, fileSystem: fileSystem)
        result.hardState = inspection
        if inspection.fileSize != Int64(StorageFormat.hardStateFileSize) {
            result.problems.append(StorageProblem(.corruption, file: name, offset: 0,
                message: "the hard-state file is \(inspection.fileSize) bytes, expected \(StorageFormat.hardStateFileSize) (it is only ever replaced whole)"))
        }
        guard let chosen = inspection.chosen, let state = chosen.hardState, let sequence = chosen.sequence else {
            for slot in inspection.slots where slot.status != .valid {
                result.problems.append(StorageProblem(.corruption, file: name, offset: slot.offset,
                    expectedChecksum: slot.status == .invalid ? slot.storedChecksum : nil,
                    computedChecksum: slot.status == .invalid ? slot.computedChecksum : nil,
                    message: "hard-state slot \(slot.slot) is \(slot.status == .empty ? "empty" : (slot.reason ?? "invalid")) and no slot is valid"))
            }
            if inspection.slots.isEmpty && inspection.fileSize == Int64(StorageFormat.hardStateFileSize) {
                result.problems.append(StorageProblem(.corruption, file: name, offset: 0, message: "no hard-state slot is valid"))
            }
            return
        }
        result.hardStateSequence = sequence
        let other = inspection.slots.first { $0.slot != chosen.slot }
        if let other {
            switch other.status {
            case .valid:
                let otherSequence = other.sequence!
                if otherSequence + 1 != sequence && !chosen.synced && otherSequence < sequence {
                    // Several slot writes under sync policy never, and the power loss kept the newest in
                    // one slot and an older one in the other: nothing unsynced was acknowledged.
                    result.notes.append("hard-state slots hold sequences \(otherSequence) and \(sequence): the writes between them were not synced (sync policy never) and were lost")
                } else if otherSequence + 1 != sequence {
                    result.problems.append(StorageProblem(.inconsistency, file: name, offset: other.offset,
                        message: "hard-state slots hold sequences \(otherSequence) and \(sequence); they must be consecutive"))
                }
                if other.logID != chosen.logID {
                    result.problems.append(StorageProblem(.inconsistency, file: name, offset: other.offset,
                        message: "hard-state slots belong to different logs (\(other.logID!) and \(chosen.logID!))"))
                }
            case .empty where sequence == 0:
                break
            case .empty, .invalid:
                let what = other.status == .empty ? "is zeroed" : "does not read back (\(other.reason ?? "invalid"))"
                if sequence >= markerHardStateSequence {
                    result.problems.append(StorageProblem(.tornTail, file: name, offset: other.offset,
                        expectedChecksum: other.storedChecksum, computedChecksum: other.computedChecksum,
                        message: "hard-state slot \(other.slot) \(what): an interrupted hard-state write; slot \(chosen.slot) (sequence \(sequence)) holds the last durable state"))
                } else {
                    result.problems.append(StorageProblem(.corruption, file: name, offset: other.offset,
                        expectedChecksum: other.storedChecksum, computedChecksum: other.computedChecksum,
                        message: "hard-state slot \(other.slot) \(what), but the log's last batch marker proves hard-state sequence \(markerHardStateSequence) was durable"))
                    // The surviving slot is older than what was acknowledged: comparing it with the log says nothing more.
                    return
                }
            }
        }
        if let logID = result.logID, chosen.logID != logID {
            result.problems.append(StorageProblem(.inconsistency, file: name, offset: chosen.offset,
                message: "the hard state belongs to log \(chosen.logID!), the segments to log \(logID)"))
        }
        // The comparisons below need a log whose durable end is known.
        // (A damaged snapshot file does not hide it: the log was read from the older snapshot, row P5.)
        let damagedSnapshots = Set(result.snapshotFiles.filter { !$0.isValid }.map(\.name))
        guard !result.problems.contains(where: { $0.class != .tornTail && $0.file != name && !damagedSnapshots.contains($0.file) }) else {
            result.recoveredHardState = state
            return
        }
        if sequence < markerHardStateSequence && other?.status == .valid {
            result.problems.append(StorageProblem(.inconsistency, file: name, offset: chosen.offset,
                message: "the hard state (sequence \(sequence)) is older than the log's last batch marker says (sequence \(markerHardStateSequence))"))
        }
        let lastBatchSequence = max(result.lastBatch?.batchSequence ?? 0, result.snapshot?.batchSequence ?? 0)
        if chosen.synced, let written = chosen.batchSequence, written > lastBatchSequence {
            result.problems.append(StorageProblem(.inconsistency, file: name, offset: chosen.offset,
                message: "the hard state was written after batch \(written), but the log ends at batch \(lastBatchSequence): synced batches or segments are missing"))
        }
        let lastSegmentSequence = result.segments.last(where: { $0.header != nil && !(result.tornTail?.removeFile == true && result.tornTail?.path == $0.path) })?.header?.sequence
            ?? (result.snapshot?.firstSegment).map { $0 - 1 } ?? 0
        if chosen.synced, let written = chosen.segmentSequence, written > lastSegmentSequence {
            result.problems.append(StorageProblem(.inconsistency, file: name, offset: chosen.offset,
                message: "the hard state was written while segment \(written) existed, but the log's last segment is \(lastSegmentSequence): segments are missing"))
        }
        var recovered = state
        if state.term < result.lastTerm {
            if result.unsyncedBatchesAtEnd > 0 {
                recovered.term = result.lastTerm
                recovered.vote = .none
                result.notes.append("term raised from \(state.term) to \(result.lastTerm) (the term of the last entry) with no vote: the hard-state write was lost while unsynced batches survived (sync policy never)")
            } else {
                result.problems.append(StorageProblem(.inconsistency, file: name, offset: chosen.offset, term: state.term,
                    message: "the hard state's term \(state.term) is below the term \(result.lastTerm) of the log's last entry"))
            }
        }
        if state.commit > result.lastIndex {
            if sequence > markerHardStateSequence || result.unsyncedBatchesAtEnd > 0 {
                recovered.commit = result.lastIndex
                result.notes.append("commit index \(state.commit) lowered to the last durable index \(result.lastIndex): the save that wrote it lost its entries to a crash")
            } else {
                result.problems.append(StorageProblem(.inconsistency, file: name, offset: chosen.offset, index: state.commit,
                    message: "the hard state's commit index \(state.commit) is past the log's last index \(result.lastIndex)"))
            }
        }
        result.recoveredHardState = recovered
    }
}

/// Reads a file through a sliding window.
final class WindowReader {
    let file: StorageFile
    let size: Int64
    private var buffer: UnsafeMutableRawBufferPointer
    private var windowStart: Int64 = 0
    private var windowLength = 0
    private let chunk: Int
    private(set) var bytesRead: Int64 = 0

    private let mapped: UnsafeRawBufferPointer?

    init(file: StorageFile, size: Int64, chunk: Int, map: Bool = false) {
        self.file = file
        self.size = size
        self.chunk = max(chunk, 4096)
        if map, let view = file.mapForReading(), Int64(view.count) == size {
            mapped = view
            bytesRead = size
            self.buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 0, alignment: 64)
        } else {
            mapped = nil
            // No bigger than the file (`load` grows it for a longer read): a small segment does
            // not take a whole chunk (a 1 MiB allocation at every simulated restart).
            self.buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(min(Int64(self.chunk), max(size, 64))), alignment: 64)
        }
    }

    deinit { buffer.deallocate() }

    /// The bytes `[offset, offset + count)`, or nil when they are not all inside the file.
    @inline(__always)
    func bytes(at offset: Int64, count: Int) throws(StorageError) -> UnsafeRawBufferPointer? {
        guard offset >= 0, count >= 0, offset + Int64(count) <= size else { return nil }
        if let mapped { return UnsafeRawBufferPointer(start: mapped.baseAddress! + Int(offset), count: count) }
        let rel = offset - windowStart
        if rel >= 0 && rel + Int64(count) <= Int64(windowLength) {
            return UnsafeRawBufferPointer(start: buffer.baseAddress! + Int(rel), count: count)
        }
        try load(at: offset, count: count)
        return UnsafeRawBufferPointer(start: buffer.baseAddress!, count: count)
    }

    private func load(at offset: Int64, count: Int) throws(StorageError) {
        if count > buffer.count {
            buffer.deallocate()
            buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 64)
        }
        let want = Int(min(Int64(max(count, chunk)), size - offset))
        var filled = 0
        while filled < want {
            let n = try file.read(into: UnsafeMutableRawBufferPointer(start: buffer.baseAddress! + filled, count: want - filled),
                                  at: offset + Int64(filled))
            if n == 0 { break }
            filled += n
        }
        bytesRead += Int64(filled)
        windowStart = offset
        windowLength = filled
        if filled < count { throw StorageError(.io, "file shrank while being read", path: nil) }
    }

    /// Smallest offset from which the file is all zero bytes (== size when the last byte is not zero).
    func zeroSuffixStart() throws(StorageError) -> Int64 {
        var end = size
        while end > 0 {
            let start = max(0, end - Int64(chunk))
            guard let raw = try bytes(at: start, count: Int(end - start)) else { return end }
            var i = raw.count
            while i > 0 && raw[i - 1] == 0 { i -= 1 }
            if i > 0 { return start + Int64(i) }
            end = start
        }
        return 0
    }
}

/// What the chosen snapshot file says about where the log starts.
struct SnapshotBase {
    var index: UInt64
    var term: UInt64
    var firstSegment: UInt64
    var batchSequence: UInt64
    var logID: LogID
    var file: String
}

/// The state of one pass over the segments.
struct ScanState {
    let scanner: LogScanner
    /// The segments to read (those the snapshot does not make obsolete), in log order.
    let live: [String]
    /// The snapshot the log starts from.
    let base: SnapshotBase?
    /// The term of the entry at the snapshot's index, in the log as acknowledged (when the live segments hold it).
    var termAtSnapshotIndex: UInt64?
    /// Names of snapshot files that do not read back (their problems are already listed).
    var damagedSnapshotFiles: Set<String> = []
    let truncationsWanted: Bool
    let supersedeTable: [(position: UInt64, minIndex: UInt64)]?
    var supersedeCursor = 0

    var result = ScanResult()
    // The effective log as replayed so far (including the batch in progress).
    var lastIndex: UInt64 = 0
    var lastTerm: UInt64 = 0
    /// False while the log scanned so far ends inside what the snapshot covers (terms there are
    /// known only at the snapshot's own index).
    var lastTermKnown = true
    /// Start index and term of each run of equal terms, for term lookups on truncation.
    var termRuns: [(start: UInt64, term: UInt64)] = []
    // The batch in progress.
    var batchFirstIndex: UInt64?
    var batchEntries: UInt32 = 0
    var batchTruncations: [(position: UInt64, index: UInt64)] = []
    var truncationsAcknowledged: [(position: UInt64, index: UInt64)] = []
    var expectedBatchSequence: UInt64 = 1
    /// Hard-state sequence of the last marker written with a sync (the proof of durability).
    var lastMarkerHardStateSequence: UInt64 = 0
    var lastMarkerHardStateSequenceSeen: UInt64 = 0
    /// Once a record is lost to corruption, order checks would only repeat it; they stop.
    var semanticsSuspended = false
    var previousSegmentSequence: UInt64?
    var typeCounts = [Int](repeating: 0, count: 256)

    init(scanner: LogScanner, truncationsWanted: Bool, supersedeTable: [(position: UInt64, minIndex: UInt64)]?,
         live: [String], base: SnapshotBase?) {
        self.scanner = scanner
        self.live = live
        self.base = base
        if let base {
            // Without a live segment the log is the snapshot alone; the first segment's header refines this.
            lastIndex = base.index
            lastTerm = base.term
            termRuns = [(base.index, base.term)]
            expectedBatchSequence = base.batchSequence + 1
            result.lastIndex = base.index
            result.lastTerm = base.term
            result.logID = base.logID
        }
        self.truncationsWanted = truncationsWanted
        self.supersedeTable = supersedeTable
    }

    mutating func problem(_ c: StorageProblem.Class, _ file: String, _ offset: Int64, index: UInt64? = nil, term: UInt64? = nil,
                          expected: UInt32? = nil, computed: UInt32? = nil, _ message: String) {
        // Keep memory bounded on a log that is damaged everywhere; the count is kept.
        if result.problems.count >= scanner.maxProblems && c != .tornTail {
            result.problemsNotListed += 1
            return
        }
        result.problems.append(StorageProblem(c, file: file, offset: offset, index: index, term: term,
                                              expectedChecksum: expected, computedChecksum: computed, message: message))
    }

    func termAt(_ index: UInt64) -> UInt64 {
        // Last run starting at or before index.
        var lo = 0, hi = termRuns.count - 1, found = 0 as UInt64
        while lo <= hi {
            let mid = (lo + hi) / 2
            if termRuns[mid].start <= index { found = termRuns[mid].term; lo = mid + 1 } else { hi = mid - 1 }
        }
        return found
    }

    mutating func run(wantsRecords: Bool, visit: (ScannedRecord, UnsafeRawBufferPointer) -> Void) throws(StorageError) {
        let paths = live
        for (ordinal, path) in paths.enumerated() {
            try scanSegment(ordinal: ordinal, path: path, isLast: ordinal == paths.count - 1, wantsRecords: wantsRecords, visit: visit)
        }
        if let base, !semanticsSuspended && !result.problems.contains(where: { $0.class != .tornTail && !damagedSnapshotFiles.contains($0.file) }) {
            if result.lastIndex < base.index {
                problem(.inconsistency, live.first.map { Path.name(of: $0) } ?? base.file, 0, index: result.lastIndex,
                        "the log ends at index \(result.lastIndex), below the snapshot's index \(base.index), although its first segment starts inside the snapshot")
            } else if let t = termAtSnapshotIndex, t != base.term {
                problem(.inconsistency, base.file, 40, index: base.index, term: base.term,
                        "the log holds entry \(base.index) with term \(t) but the snapshot says term \(base.term)")
            }
        }
        for (type, count) in typeCounts.enumerated() where count > 0 { result.entriesByType[UInt8(type)] = count }
    }

    // MARK: Segments

    mutating func scanSegment(ordinal: Int, path: String, isLast: Bool, wantsRecords: Bool,
                              visit: (ScannedRecord, UnsafeRawBufferPointer) -> Void) throws(StorageError) {
        let name = Path.name(of: path)
        let file = try scanner.fileSystem.openFileForReading(atPath: path)
        defer { file.close() }
        let size = try file.size()
        let reader = WindowReader(file: file, size: size, chunk: scanner.chunkSize, map: scanner.memoryMap)
        defer { result.bytesScanned += reader.bytesRead }
        var summary = SegmentSummary(name: name, path: path, size: size, header: nil)
        summary.validEnd = min(size, Int64(StorageFormat.segmentHeaderSize))
        defer { result.segments.append(summary) }
        let nameSequence = StorageFormat.segmentSequence(fileName: name)

        // Header.
        let headerBytes = try reader.bytes(at: 0, count: Int(min(size, Int64(StorageFormat.segmentHeaderSize))))!
        switch SegmentHeader.decode(headerBytes) {
        case .success(let header):
            summary.header = header
            if let logID = result.logID, logID != header.logID {
                problem(.inconsistency, name, 0, ordinal == 0 && base != nil
                        ? "segment belongs to log \(header.logID), the snapshot \(base!.file) to log \(logID)"
                        : "segment belongs to log \(header.logID), the earlier segments to log \(logID)")
                semanticsSuspended = true
            }
            if result.logID == nil { result.logID = header.logID }
            if let nameSequence, nameSequence != header.sequence {
                problem(.inconsistency, name, 32, "the header says segment \(header.sequence) but the file name says \(nameSequence)")
            }
            if ordinal == 0, let base {
                if header.sequence != base.firstSegment {
                    problem(.inconsistency, name, 32, header.sequence > base.firstSegment
                            ? "the snapshot at index \(base.index) says the log continues in segment \(base.firstSegment), but the first segment is \(header.sequence): segment(s) \(base.firstSegment)...\(header.sequence - 1) are missing"
                            : "segment \(header.sequence) is below the snapshot's first segment \(base.firstSegment)")
                    semanticsSuspended = true
                } else if header.firstIndex > base.index + 1 {
                    problem(.inconsistency, name, 40, index: header.firstIndex,
                            "gap: the first segment starts at index \(header.firstIndex) but the snapshot covers only through \(base.index)")
                    semanticsSuspended = true
                } else {
                    // The log before the segment is covered by the snapshot; its terms are known only at the snapshot's index.
                    lastIndex = header.firstIndex - 1
                    result.lastIndex = lastIndex
                    if lastIndex < base.index {
                        lastTerm = 0
                        lastTermKnown = false
                        termRuns = []
                        result.lastTerm = 0
                    }
                }
            } else if ordinal == 0 && header.sequence != 1 {
                problem(.inconsistency, name, 32, "the first segment is segment \(header.sequence): segment(s) 1...\(header.sequence - 1) are missing")
                semanticsSuspended = true
            } else if ordinal == 0 && header.firstIndex != 1 {
                problem(.inconsistency, name, 40, index: header.firstIndex,
                        "gap: the first segment starts at index \(header.firstIndex), not 1, and no snapshot covers 1...\(header.firstIndex - 1)")
                semanticsSuspended = true
            } else if let previous = previousSegmentSequence, header.sequence != previous + 1 {
                if header.sequence > previous + 1 {
                    let missing = header.sequence - previous - 1
                    problem(.inconsistency, name, 32, "\(missing) segment(s) missing before this one (segment \(previous) is followed by \(header.sequence))")
                } else {
                    problem(.inconsistency, name, 32, "segment \(header.sequence) follows segment \(previous)")
                }
                semanticsSuspended = true
            } else if !semanticsSuspended && header.firstIndex != lastIndex + 1 {
                problem(.inconsistency, name, 40, index: header.firstIndex,
                        "segment starts at index \(header.firstIndex) but the log before it ends at \(lastIndex)")
                semanticsSuspended = true
            }
            previousSegmentSequence = header.sequence
        case .failure(let failure):
            previousSegmentSequence = nameSequence ?? previousSegmentSequence
            let zeroFrom = try reader.zeroSuffixStart()
            let interrupted = isLast && (size < Int64(StorageFormat.segmentHeaderSize) || zeroFrom < Int64(StorageFormat.segmentHeaderSize))
                && zeroFrom <= Int64(StorageFormat.segmentHeaderSize)
            if interrupted {
                problem(.tornTail, name, 0, "the segment header is incomplete (\(size) bytes, zero from offset \(zeroFrom)): an interrupted segment creation")
                result.tornTail = TornTail(path: path, file: name, damageOffset: 0, cutOffset: 0, removeFile: true,
                                           bytesLost: size, unacknowledgedEntries: 0)
                return
            }
            if isLast && !semanticsSuspended, let unsynced = try unsyncedCreation(reader) {
                problem(.tornTail, name, 0, "the segment header is zero from offset \(unsynced.zeroFrom) to the end of its sector, and no record in the segment was synced: a creation under sync policy never whose first sector never reached the disk (\(unsynced.entries) unacknowledged entry record(s) go with it)")
                result.tornTail = TornTail(path: path, file: name, damageOffset: 0, cutOffset: 0, removeFile: true,
                                           bytesLost: size, unacknowledgedEntries: unsynced.entries)
                return
            }
            switch failure {
            case .short(let available):
                problem(.corruption, name, 0, "the segment is \(available) bytes, shorter than its 64-byte header, and later segments exist")
                semanticsSuspended = true
                return
            case .badMagic:
                problem(.corruption, name, 0, "bad segment magic")
            case .badChecksum(let stored, let computed):
                problem(.corruption, name, 60, expected: stored, computed: computed, "segment header checksum mismatch")
            case .unsupportedVersion(let v):
                problem(.inconsistency, name, 8, "unsupported format version \(v)")
            case .badField(let what):
                problem(.corruption, name, 0, "segment header: \(what)")
            }
            semanticsSuspended = true
        }

        // Records.
        var offset = Int64(StorageFormat.segmentHeaderSize)
        var lastBatchEndHere: Int64?
        var pendingEntriesHere = 0
        var batchEnds: [AcknowledgedPoint] = []
        summary.acknowledgedAtStart = result.lastAcknowledged
        let position0 = UInt64(ordinal) << 40
        while offset < size {
            guard let header = try reader.bytes(at: offset, count: StorageFormat.recordHeaderSize) else {
                try damage(reader: reader, name: name, path: path, at: offset, knownSize: nil, isLast: isLast,
                           lastBatchEnd: lastBatchEndHere, pendingEntries: pendingEntriesHere,
                           reason: "record header cut short by the end of the file", expected: nil, computed: nil, term: nil, index: nil)
                if result.tornTail != nil { break }
                guard let next = try resync(reader, from: offset + 8) else { break }
                offset = next; continue
            }
            let storedHeaderCRC = header.u32(28)
            // The register after bytes 0..<28 is the header checksum and continues into the record checksum.
            let headerRegister = CRC32C.update(0xFFFF_FFFF, UnsafeRawBufferPointer(rebasing: header[0..<28]))
            let computedHeaderCRC = ~headerRegister
            let length = Int(header.u32(0))
            guard storedHeaderCRC == computedHeaderCRC else {
                let allZero = header.allSatisfy { $0 == 0 }
                try damage(reader: reader, name: name, path: path, at: offset, knownSize: nil, isLast: isLast,
                           lastBatchEnd: lastBatchEndHere, pendingEntries: pendingEntriesHere,
                           reason: allZero ? "zero bytes where a record header should be" : "record header checksum mismatch",
                           expected: storedHeaderCRC, computed: computedHeaderCRC, term: nil, index: nil)
                if result.tornTail != nil { break }
                semanticsSuspended = true
                guard let next = try resync(reader, from: offset + 8) else { break }
                offset = next; continue
            }
            let kindByte = header[4]
            let entryType = header[5]
            let term = header.u64(8)
            let index = header.u64(16)
            let total = length <= StorageFormat.maxPayloadLength ? StorageFormat.recordSize(payloadLength: length) : -1
            let structural: String? = length > StorageFormat.maxPayloadLength ? "payload length \(length) exceeds the format's limit of \(StorageFormat.maxPayloadLength)"
                : header.u16(6) != 0 || header.u32(24) != 0 ? "reserved record header bytes are not zero"
                : RecordKind(rawValue: kindByte) == nil ? "unknown record kind \(kindByte)" : nil
            if let structural {
                problem(.inconsistency, name, offset, index: index, term: term, "\(structural) (the header's checksum is right: written by another format version?)")
                semanticsSuspended = true
                if total > 0, offset + Int64(total) <= size { offset += Int64(total); continue }
                guard let next = try resync(reader, from: offset + 8) else { break }
                offset = next; continue
            }
            guard let record = try reader.bytes(at: offset, count: total) else {
                try damage(reader: reader, name: name, path: path, at: offset, knownSize: total, isLast: isLast,
                           lastBatchEnd: lastBatchEndHere, pendingEntries: pendingEntriesHere,
                           reason: "record of \(total) bytes runs past the end of the file (\(size - offset) bytes left)",
                           expected: nil, computed: nil, term: term, index: index)
                if result.tornTail != nil { break }
                semanticsSuspended = true
                guard let next = try resync(reader, from: offset + 8) else { break }
                offset = next; continue
            }
            let covered = total - StorageFormat.recordTrailerSize
            let storedCRC = record.u32(covered)
            let tag = record.u32(covered + 4)
            let computedCRC = ~CRC32C.update(headerRegister, UnsafeRawBufferPointer(rebasing: record[28..<covered]))
            guard storedCRC == computedCRC, tag == StorageFormat.recordEndTag else {
                let reason = storedCRC != computedCRC ? "record checksum mismatch" : "record end tag is wrong"
                try damage(reader: reader, name: name, path: path, at: offset, knownSize: total, isLast: isLast,
                           lastBatchEnd: lastBatchEndHere, pendingEntries: pendingEntriesHere,
                           reason: reason, expected: storedCRC, computed: computedCRC, term: term, index: index)
                if result.tornTail != nil { break }
                semanticsSuspended = true
                // The header is sound, so the next record starts right after this one (damaged or not:
                // the next turn of the loop checks it).
                if offset + Int64(total) + Int64(StorageFormat.recordHeaderSize) <= size { offset += Int64(total); continue }
                guard let next = try resync(reader, from: offset + 8) else { break }
                offset = next; continue
            }
            let kind = RecordKind(rawValue: kindByte)!
            let payload = UnsafeRawBufferPointer(rebasing: record[StorageFormat.recordHeaderSize..<(StorageFormat.recordHeaderSize + length)])
            var superseded = false
            var batchMarker: BatchMarker?
            let position = position0 | UInt64(offset)
            if kind == .entry {
                summary.entryRecords += 1
                summary.minIndex = min(summary.minIndex ?? index, index)
                summary.maxIndex = max(summary.maxIndex ?? index, index)
                result.entryRecords += 1
                typeCounts[Int(entryType)] += 1
                pendingEntriesHere += 1
                checkEntry(name: name, offset: offset, position: position, entryType: entryType, term: term, index: index)
                if let table = supersedeTable {
                    while supersedeCursor < table.count && table[supersedeCursor].position <= position { supersedeCursor += 1 }
                    if supersedeCursor < table.count && table[supersedeCursor].minIndex <= index {
                        superseded = true
                        result.supersededRecords += 1
                    }
                }
            } else {
                summary.batchRecords += 1
                result.batchRecords += 1
                if length != StorageFormat.batchPayloadSize || entryType != 0 {
                    problem(.inconsistency, name, offset, index: index, term: term,
                            "batch marker with a \(length)-byte payload and type \(entryType) (expected \(StorageFormat.batchPayloadSize) and 0)")
                    semanticsSuspended = true
                } else {
                    let flags = payload.u32(28)
                    let marker = BatchMarker(batchSequence: payload.u64(0), hardStateSequence: payload.u64(8),
                                             firstIndex: payload.u64(16), entryCount: payload.u32(24), synced: flags & 1 == 0)
                    if marker.batchSequence >= StorageFormat.plausibleLimit || marker.hardStateSequence >= StorageFormat.plausibleLimit
                        || marker.firstIndex >= StorageFormat.plausibleLimit || index >= StorageFormat.plausibleLimit {
                        problem(.inconsistency, name, offset, index: index, term: term, "batch marker with implausible sequence or index")
                        semanticsSuspended = true
                    } else {
                        batchMarker = marker
                    }
                    if flags & ~1 != 0 {
                        problem(.inconsistency, name, offset, index: index, term: term, "batch marker has unknown flags \(flags)")
                    }
                    checkBatch(name: name, offset: offset, marker: marker, term: term, index: index)
                }
                lastBatchEndHere = offset + Int64(total)
                if let batchMarker {
                    let point = AcknowledgedPoint(end: offset + Int64(total), batchSequence: batchMarker.batchSequence,
                                                  hardStateSequence: batchMarker.hardStateSequence, lastIndex: index, lastTerm: term)
                    batchEnds.append(point)
                    result.lastAcknowledged = point
                }
                pendingEntriesHere = 0
            }
            if wantsRecords {
                visit(ScannedRecord(file: name, segmentOrdinal: ordinal, offset: offset, size: total, kind: kind, entryType: entryType,
                                    term: term, index: index, payloadLength: length, checksum: storedCRC, batch: batchMarker,
                                    superseded: superseded), payload)
            }
            offset += Int64(total)
            summary.validEnd = offset
        }
        if result.tornTail == nil && pendingEntriesHere > 0 && !semanticsSuspended {
            let cut = lastBatchEndHere ?? Int64(StorageFormat.segmentHeaderSize)
            if isLast {
                problem(.tornTail, name, cut, "\(pendingEntriesHere) entry record(s) after the last batch marker: a batch whose marker was never written")
                result.tornTail = TornTail(path: path, file: name, damageOffset: cut, cutOffset: cut, removeFile: false,
                                           bytesLost: size - cut, unacknowledgedEntries: pendingEntriesHere)
            } else {
                problem(.corruption, name, cut, "the segment ends inside a batch (\(pendingEntriesHere) entry record(s) after its last marker) but later segments exist")
                semanticsSuspended = true
            }
        }
        if result.problems.contains(where: { $0.file == name && $0.class == .corruption }) { result.batchEnds[name] = batchEnds }
    }

    // MARK: Damage

    /// Classifies damage at `offset` by rule D (docs/storage-format.md §5.2): a torn tail when it is
    /// in the last segment after no earlier problem, and everything from the last batch marker before
    /// it (`lastBatchEnd`) to the end of the file could be writes whose sync never returned, with the
    /// shape of lost writes (`unacknowledgedTail`); corruption otherwise.
    mutating func damage(reader: WindowReader, name: String, path: String, at offset: Int64, knownSize: Int?, isLast: Bool,
                         lastBatchEnd: Int64?, pendingEntries: Int, reason: String,
                         expected: UInt32?, computed: UInt32?, term: UInt64?, index: UInt64?) throws(StorageError) {
        let why: String
        if !isLast {
            why = "later segments exist, so this was acknowledged"
        } else if semanticsSuspended {
            why = "it follows earlier damage"
        } else {
            let cut = lastBatchEnd ?? Int64(StorageFormat.segmentHeaderSize)
            switch try unacknowledgedTail(reader, from: offset, batchStart: cut, syncedMarkerAllowed: true) {
            case .acknowledged(let reason):
                why = reason
            case .unacknowledged(let laterEntries, let laterRecords):
                var message = "\(reason): the write was interrupted; nothing after offset \(cut) was acknowledged"
                if laterRecords > 0 {
                    message += " (the \(laterRecords) valid record(s) after the damage belong to batches whose sync never returned: pages of one write reached the disk out of order)"
                }
                if pendingEntries + laterEntries > 0 { message += " (\(pendingEntries + laterEntries) complete entry record(s) of unfinished batches go too)" }
                problem(.tornTail, name, offset, index: index, term: term, expected: expected, computed: computed, message)
                result.tornTail = TornTail(path: path, file: name, damageOffset: offset, cutOffset: cut, removeFile: false,
                                           bytesLost: reader.size - cut, unacknowledgedEntries: pendingEntries + laterEntries)
                return
            }
        }
        problem(.corruption, name, offset, index: index, term: term, expected: expected, computed: computed, "\(reason): \(why)")
    }

    /// What the bytes from damage at `from` to the end of the last segment say.
    enum TailVerdict {
        /// Writes whose sync never returned (counts of the valid entry records and of all valid records after the damage).
        case unacknowledged(laterEntries: Int, laterRecords: Int)
        /// Something proves the damaged bytes were acknowledged, or the damage is not the shape of a lost write (why).
        case acknowledged(String)
    }

    /// Rule D's test of the region `[batchStart, end of file)` holding damage at `from`.
    ///
    /// A save writes its batch and marker in one write and returns only after one sync; the next save
    /// writes only after that. So the region after the last marker before the damage is one batch
    /// whose sync may not have returned — or, with `SyncPolicy.never`, several batches with no sync
    /// between them (their markers carry the unsynced flag). It is unacknowledged unless a *synced*
    /// marker in it is followed by more data (that marker's sync returned before the next write, so
    /// everything before it was durable). With `syncedMarkerAllowed` false no synced marker may
    /// appear at all (a segment whose header was never synced).
    ///
    /// Every damaged place must also have the shape of a lost write: the file ends before the
    /// damaged record's end, or is zero from some offset before it to the end, or the record
    /// overlaps a 4 KiB page whose bytes inside the region are all zero (a page that never reached
    /// the disk reads as zeros past the last sync). A bit flip leaves no such page.
    func unacknowledgedTail(_ reader: WindowReader, from: Int64, batchStart: Int64,
                            syncedMarkerAllowed: Bool) throws(StorageError) -> TailVerdict {
        let size = reader.size
        var offset = from
        var entries = 0, records = 0
        var firstValid: Int64?
        while offset < size {
            if offset != from, let record = try recordInfo(reader, at: offset) {
                firstValid = firstValid ?? offset
                records += 1
                if record.kind == .entry { entries += 1 }
                offset += Int64(record.size)
                guard record.kind == .batch && record.synced else { continue }
                guard syncedMarkerAllowed else {
                    return .acknowledged("a valid record follows at offset \(firstValid!), and the synced batch marker at offset \(offset - Int64(record.size)) proves the segment's header was synced, so this is not an interrupted creation")
                }
                // The last thing written may be a synced marker whose sync never returned; anything after it proves it did.
                if try reader.zeroSuffixStart() > offset {
                    return .acknowledged("a valid record follows at offset \(firstValid!), and the synced batch marker at offset \(offset - Int64(record.size)) is followed by more data, so its sync returned: this was acknowledged")
                }
                return .unacknowledged(laterEntries: entries, laterRecords: records)
            }
            // Damage from `offset`: through the record when its header is sound, else to the next valid record.
            let declared = try soundRecordSize(reader, at: offset)
            var end: Int64
            if let declared, offset + Int64(declared) <= size {
                end = offset + Int64(declared)
            } else {
                end = try resync(reader, from: offset + 8) ?? size
            }
            if end <= offset { end = size }
            guard try hasLostWriteShape(reader, from: offset, to: end, declaredSize: declared, batchStart: batchStart) else {
                if let firstValid {
                    return .acknowledged("a valid record follows at offset \(firstValid), so this is not the end of the written data")
                }
                if let next = try resync(reader, from: offset + 8) {
                    return .acknowledged("a valid record follows at offset \(next), so this is not the end of the written data")
                }
                return .acknowledged("the record is complete (the file goes on past it and its last bytes are not zero), so this is not an interrupted write")
            }
            offset = end
        }
        return .unacknowledged(laterEntries: entries, laterRecords: records)
    }

    /// Whether damage in `[from, to)` looks like a write that did not reach the disk (see `unacknowledgedTail`).
    func hasLostWriteShape(_ reader: WindowReader, from: Int64, to: Int64, declaredSize: Int?,
                           batchStart: Int64) throws(StorageError) -> Bool {
        let size = reader.size
        let recordEnd = from + Int64(declaredSize ?? StorageFormat.recordHeaderSize)
        if recordEnd > size { return true }
        if try reader.zeroSuffixStart() < recordEnd { return true }
        let sector = Int64(StorageFormat.sectorSize)
        var sectorStart = (max(from, batchStart) / sector) * sector
        while sectorStart < to {
            let lo = max(sectorStart, batchStart), hi = min(sectorStart + sector, size)
            if lo < hi, let bytes = try reader.bytes(at: lo, count: Int(hi - lo)), bytes.allSatisfy({ $0 == 0 }) { return true }
            sectorStart += sector
        }
        return false
    }

    /// The size of the record at `offset` when its header's checksum is right and its length is
    /// within the format's limit (the record itself may be damaged or cut short).
    func soundRecordSize(_ reader: WindowReader, at offset: Int64) throws(StorageError) -> Int? {
        guard let h = try reader.bytes(at: offset, count: StorageFormat.recordHeaderSize) else { return nil }
        guard h.u32(28) == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: h[0..<28])) else { return nil }
        let length = Int(h.u32(0))
        guard length <= StorageFormat.maxPayloadLength else { return nil }
        return StorageFormat.recordSize(payloadLength: length)
    }

    /// Kind, size and (for a marker) the synced flag of the complete, checksum-valid record at `offset`.
    func recordInfo(_ reader: WindowReader, at offset: Int64) throws(StorageError) -> (kind: RecordKind, size: Int, synced: Bool)? {
        guard try validRecord(reader, at: offset), let h = try reader.bytes(at: offset, count: StorageFormat.recordHeaderSize),
              let kind = RecordKind(rawValue: h[4]) else { return nil }
        let size = StorageFormat.recordSize(payloadLength: Int(h.u32(0)))
        guard kind == .batch, Int(h.u32(0)) == StorageFormat.batchPayloadSize,
              let payload = try reader.bytes(at: offset + Int64(StorageFormat.recordHeaderSize), count: StorageFormat.batchPayloadSize) else {
            return (kind, size, false)
        }
        return (kind, size, payload.u32(28) & 1 == 0)
    }

    /// Row S13: a last segment whose header's sector never reached the disk while later ones did.
    /// Only a segment created without a sync (`SyncPolicy.never`) can show it: with syncs the header
    /// is durable before any record is written. The header must be zero from some offset below 64 to
    /// the end of its sector, and the records after it unacknowledged with no synced marker at all.
    func unsyncedCreation(_ reader: WindowReader) throws(StorageError) -> (zeroFrom: Int64, entries: Int)? {
        let headerSize = Int64(StorageFormat.segmentHeaderSize)
        let pageEnd = min(Int64(StorageFormat.sectorSize), reader.size)
        guard pageEnd > headerSize, let page = try reader.bytes(at: 0, count: Int(pageEnd)) else { return nil }
        var zeroFrom = Int(pageEnd)
        while zeroFrom > 0 && page[zeroFrom - 1] == 0 { zeroFrom -= 1 }
        guard zeroFrom < Int(headerSize) else { return nil }
        guard case .unacknowledged(let entries, _) = try unacknowledgedTail(reader, from: headerSize, batchStart: headerSize,
                                                                             syncedMarkerAllowed: false) else { return nil }
        return (Int64(zeroFrom), entries)
    }

    /// Whether a complete, checksum-valid record starts at `offset`.
    func validRecord(_ reader: WindowReader, at offset: Int64) throws(StorageError) -> Bool {
        guard let h = try reader.bytes(at: offset, count: StorageFormat.recordHeaderSize) else { return false }
        guard h.u32(28) == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: h[0..<28])) else { return false }
        let length = Int(h.u32(0))
        guard length <= StorageFormat.maxPayloadLength, RecordKind(rawValue: h[4]) != nil else { return false }
        let total = StorageFormat.recordSize(payloadLength: length)
        guard let r = try reader.bytes(at: offset, count: total) else { return false }
        let covered = total - StorageFormat.recordTrailerSize
        return r.u32(covered) == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: r[0..<covered]))
            && r.u32(covered + 4) == StorageFormat.recordEndTag
    }

    /// The next 8-aligned offset at or after `from` where a valid record starts.
    func resync(_ reader: WindowReader, from: Int64) throws(StorageError) -> Int64? {
        var offset = (from + 7) & ~7
        while offset + Int64(StorageFormat.recordHeaderSize + StorageFormat.recordTrailerSize) <= reader.size {
            if try validRecord(reader, at: offset) { return offset }
            offset += 8
        }
        return nil
    }

    // MARK: Order checks

    mutating func checkEntry(name: String, offset: Int64, position: UInt64, entryType: UInt8, term: UInt64, index: UInt64) {
        if batchFirstIndex == nil { batchFirstIndex = index }
        batchEntries &+= 1
        if EntryKind(rawValue: entryType) == nil {
            problem(.inconsistency, name, offset, index: index, term: term, "unknown entry type \(entryType)")
        }
        guard !semanticsSuspended else { return }
        if index == 0 || term == 0 || index >= StorageFormat.plausibleLimit || term >= StorageFormat.plausibleLimit {
            problem(.inconsistency, name, offset, index: index, term: term, "entries have index and term of at least 1 (and below 2^62)")
            semanticsSuspended = true
            return
        }
        if index > lastIndex + 1 {
            problem(.inconsistency, name, offset, index: index, term: term, "gap: entry \(index) follows last index \(lastIndex)")
            semanticsSuspended = true
            return
        }
        if index <= lastIndex {
            // Conflict truncation: this entry supersedes the suffix from `index` on.
            let previousTerm = index > 1 ? termAt(index - 1) : 0
            if term < previousTerm {
                problem(.inconsistency, name, offset, index: index, term: term,
                        "entry \(index) has term \(term), below the term \(previousTerm) of entry \(index - 1)")
                semanticsSuspended = true
                return
            }
            while let last = termRuns.last, last.start >= index { termRuns.removeLast() }
            batchTruncations.append((position, index))
        } else if term < lastTerm {
            problem(.inconsistency, name, offset, index: index, term: term, "term goes down from \(lastTerm) to \(term)")
            semanticsSuspended = true
            return
        }
        lastIndex = index
        if termRuns.last?.term != term { termRuns.append((index, term)) }
        lastTerm = term
        lastTermKnown = true
    }

    mutating func checkBatch(name: String, offset: Int64, marker: BatchMarker, term: UInt64, index: UInt64) {
        defer {
            batchFirstIndex = nil
            batchEntries = 0
            batchTruncations.removeAll(keepingCapacity: true)
            expectedBatchSequence = marker.batchSequence &+ 1
        }
        if !semanticsSuspended {
            var wrong: [String] = []
            if marker.batchSequence != expectedBatchSequence { wrong.append("batch sequence \(marker.batchSequence), expected \(expectedBatchSequence)") }
            if marker.entryCount != batchEntries { wrong.append("counts \(marker.entryCount) entries, \(batchEntries) precede it") }
            if let first = batchFirstIndex, marker.firstIndex != first { wrong.append("first index \(marker.firstIndex), the batch starts at \(first)") }
            if batchFirstIndex == nil && marker.firstIndex != lastIndex + 1 {
                wrong.append("first index \(marker.firstIndex) for a batch without entries, expected \(lastIndex + 1)")
            }
            // Where the log so far lies inside what the newer snapshot covers, its last term is
            // unknown (a marker written before that compaction still names it): compare the index.
            if index != lastIndex || (lastTermKnown && term != lastTerm) { wrong.append("says the log ends at \(index) (term \(term)), it ends at \(lastIndex) (term \(lastTerm))") }
            if marker.hardStateSequence < lastMarkerHardStateSequenceSeen {
                wrong.append("hard-state sequence \(marker.hardStateSequence) goes back from \(lastMarkerHardStateSequenceSeen)")
            }
            if !wrong.isEmpty {
                problem(.inconsistency, name, offset, index: index, term: term, "batch marker " + wrong.joined(separator: "; "))
                semanticsSuspended = true
                return
            }
        } else {
            return
        }
        // The batch is acknowledged: it becomes part of the durable log.
        result.lastIndex = lastIndex
        result.lastTerm = lastTerm
        if let base, lastIndex >= base.index, !termRuns.isEmpty, termRuns[0].start <= base.index { termAtSnapshotIndex = termAt(base.index) }
        result.lastBatch = marker
        lastMarkerHardStateSequenceSeen = marker.hardStateSequence
        if marker.synced {
            lastMarkerHardStateSequence = marker.hardStateSequence
            result.unsyncedBatchesAtEnd = 0
        } else {
            result.unsyncedBatchesAtEnd += 1
        }
        if truncationsWanted { truncationsAcknowledged.append(contentsOf: batchTruncations) }
    }
}
