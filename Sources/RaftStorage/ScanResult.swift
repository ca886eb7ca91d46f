import RaftCore

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
    /// The durable log's last term.
    public var lastTerm: UInt64 = 0
    /// The last valid batch marker.
    public var lastBatch: BatchMarker?
    /// Counts of valid records.
    public var entryRecords = 0
    /// Batch markers read.
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
    /// Rows of the decision table (docs/storage-format.md §5.3) that decided something without
    /// reporting a problem: S11, S12, P3, H5, H12–H15 when they adjust or note.
    public var notedRows: Set<RecoveryRow> = []
    /// Every row this scan applied: the problems' rows and the noted ones.
    public var rows: Set<RecoveryRow> { notedRows.union(problems.map(\.row)) }
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
    /// True when the visitor stopped the scan (`LogScanner.scanUntilStop(visit:)`): the result covers
    /// only the records read up to then, and the end-of-log and hard-state checks were not made.
    public var stoppedByVisitor = false
    /// Its path, when the directory has the file (readable or not).
    public var failureMarkerPath: String?
    /// The first index of the log after the snapshot (`snapshot index + 1`; 1 without a snapshot).
    public var firstIndex: UInt64 { (snapshot?.index ?? 0) + 1 }

    /// The worst class found, or nil when clean.
    public var worst: StorageProblem.Class? { problems.map(\.class).max() }

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
        if case .rollBack(let markerFile, let length, _)? = failureMarker?.undo {
            let kept = StorageFormat.segmentSequence(fileName: markerFile) ?? UInt64.max
            if (markerFile == file && offset >= length) || (StorageFormat.segmentSequence(fileName: file) ?? 0) > kept { return true }
        }
        guard let tornTail, tornTail.file == file else { return false }
        return tornTail.removeFile || offset >= tornTail.cutOffset
    }
}
