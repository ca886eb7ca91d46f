import RaftCore

/// When `LogStorage.save` forces its writes to the disk.
public enum SyncPolicy: Sendable, Equatable {
    /// `fdatasync` after every batch and every hard-state write: a save that returned is durable.
    case everyBatch
    /// Never sync (for the durability lesson): a crash loses everything since the last sync.
    case never
}

/// Options for `LogStorage.open`.
public struct StorageOptions: Sendable {
    /// A new segment starts when the current one has reached this size (checked before each batch).
    public var segmentSizeBytes: Int
    /// When saves are synced.
    public var syncPolicy: SyncPolicy
    /// The id of a log created by this open (random when nil). The simulator passes a seeded one.
    public var newLogID: LogID?
    /// Zero bytes written (and synced) past the write position of the current segment, ahead of
    /// use, so that a batch's sync overwrites data in place and does not change the file's size
    /// (docs/storage-format.md §2.5, row R11); 0 (the default) appends without preallocation.
    public var preallocateBytes: Int

    /// Creates options; the defaults are 64 MiB segments synced every batch, without preallocation.
    public init(segmentSizeBytes: Int = 64 << 20, syncPolicy: SyncPolicy = .everyBatch, newLogID: LogID? = nil, preallocateBytes: Int = 0) {
        self.segmentSizeBytes = segmentSizeBytes
        self.syncPolicy = syncPolicy
        self.newLogID = newLogID
        self.preallocateBytes = preallocateBytes
    }
}

/// A node's durable log and hard state in one data directory (see docs/storage-format.md).
///
/// `save` persists one Ready's worth: the hard state first (its slot is synced), then the
/// entries and a batch marker in one write, then one sync of the segment. A log that a crash left
/// with a torn tail is cut back to its last marker when opened; any other damage refuses to open.
///
/// A log may start from a snapshot (`snapshot`, kept in a `snap-*.snap` file): `entries` then hold
/// only the entries after it. `saveSnapshot` stores one — after local compaction, or received from
/// the leader — and drops the segments it makes obsolete. A host restarts a node with
/// `RaftNode(config:configuration:hardState: storage.hardState, entries: storage.entries, snapshot: storage.snapshot)`.
public final class LogStorage {
    /// The directory.
    public let directory: String
    /// The disk.
    public let fileSystem: FileSystem
    /// Options given to `open`.
    public let options: StorageOptions
    /// The log's id.
    public let logID: LogID
    /// Current hard state (recovered, then as saved).
    public internal(set) var hardState: HardState
    /// The snapshot the log starts from (recovered by `open`, then as saved by `saveSnapshot`); nil
    /// when the log was never compacted.
    public internal(set) var snapshot: Snapshot?
    /// The effective log after the snapshot: `entries[0].index == firstIndex` (index 1 first without a snapshot).
    /// - Invariant: indexes are consecutive from `firstIndex`; terms never decrease and are at least the snapshot's term.
    public internal(set) var entries: [Entry]
    /// What recovery found.
    public let report: RecoveryReport
    /// When saves are synced (may be changed at any time).
    public var syncPolicy: SyncPolicy

    // The write position and what the next slot and marker must say (internal: the extensions in
    // LogStorage+Recover.swift, LogStorage+Save.swift and LogStorage+Snapshot.swift share them).
    var hardStateFile: StorageFile?
    var hardStateSequence: UInt64
    var segment: StorageFile?
    var segmentSequence: UInt64
    var segmentOffset: Int64
    var segmentHasRecords: Bool
    /// The end of the current segment's zero-filled space past `segmentOffset` when preallocating
    /// (LogStorage+Preallocate.swift); at most `segmentOffset` when there is none.
    var segmentAllocatedEnd: Int64 = 0
    var batchSequence: UInt64
    var failed: StorageError?
    var directoryLock: DirectoryLock?
    /// The oldest segment written (or created) under `.never` since the last full sync.
    var unsyncedSince: UInt64?
    var buffer: [UInt8] = []
    /// The file name of segment `sequence`, kept while that segment is current: every batch's
    /// undo names it, and building it was a third of a follower's user time in `writeBatch`.
    var segmentNameCache: (sequence: UInt64, name: String)?
    /// The live segments (those the snapshot does not make obsolete), oldest first: sequence, the
    /// first index in the header, and the batch sequence of the last marker written before it.
    var segmentStarts: [SegmentStart]
    /// The files as of the last full sync, which a failed sync of later unsynced writes returns to (§5.6).
    var durable: DurablePoint

    struct SegmentStart: Equatable {
        var sequence: UInt64
        var firstIndex: UInt64
        var batchSequenceBefore: UInt64
    }

    /// The snapshot's index (0 without a snapshot).
    public var snapshotIndex: UInt64 { snapshot?.metadata.index ?? 0 }
    /// The snapshot's term (0 without a snapshot).
    public var snapshotTerm: UInt64 { snapshot?.metadata.term ?? 0 }
    /// The index of `entries[0]` (the snapshot's index + 1; 1 without a snapshot).
    public var firstIndex: UInt64 { snapshotIndex + 1 }
    /// The last index of the log: that of the last entry, or the snapshot's when no entry follows it (0 when empty).
    public var lastIndex: UInt64 { snapshotIndex + UInt64(entries.count) }
    /// The last entry's term, or the snapshot's when no entry follows it (0 when empty).
    public var lastTerm: UInt64 { entries.last?.term ?? snapshotTerm }
    /// The sequence numbers of the live segment files, oldest first.
    public var segmentSequences: [UInt64] { segmentStarts.map(\.sequence) }

    /// The term of the entry at `index`: the snapshot's term at its index, nil below it or past the end.
    public func term(at index: UInt64) -> UInt64? {
        if index == snapshotIndex { return snapshot == nil ? nil : snapshotTerm }
        guard index > snapshotIndex, index <= lastIndex else { return nil }
        return entries[Int(index - snapshotIndex - 1)].term
    }
    /// The current segment's sequence number.
    public var currentSegmentSequence: UInt64 { segmentSequence }

    init(
        directory: String, fileSystem: FileSystem, options: StorageOptions, logID: LogID, hardState: HardState,
        hardStateSequence: UInt64, entries: [Entry], report: RecoveryReport, hardStateFile: StorageFile,
        segment: StorageFile, segmentSequence: UInt64, segmentOffset: Int64, segmentHasRecords: Bool, batchSequence: UInt64,
        snapshot: Snapshot? = nil, segmentStarts: [SegmentStart]? = nil
    ) {
        self.directory = directory
        self.snapshot = snapshot
        self.segmentStarts = segmentStarts ?? [SegmentStart(sequence: segmentSequence, firstIndex: 1, batchSequenceBefore: 0)]
        self.fileSystem = fileSystem
        self.options = options
        self.logID = logID
        self.hardState = hardState
        self.hardStateSequence = hardStateSequence
        self.entries = entries
        self.report = report
        self.syncPolicy = options.syncPolicy
        self.hardStateFile = hardStateFile
        self.segment = segment
        self.segmentSequence = segmentSequence
        self.segmentOffset = segmentOffset
        self.segmentHasRecords = segmentHasRecords
        self.batchSequence = batchSequence
        self.durable = DurablePoint(
            segmentSequence: segmentSequence, segmentOffset: segmentOffset,
            hardStateSequence: hardStateSequence, hardState: hardState, batchSequence: batchSequence)
    }

    convenience init(rebuilding other: LogStorage, report: RecoveryReport) {
        self.init(
            directory: other.directory, fileSystem: other.fileSystem, options: other.options, logID: other.logID,
            hardState: other.hardState, hardStateSequence: other.hardStateSequence, entries: other.entries, report: report,
            hardStateFile: other.hardStateFile!, segment: other.segment!, segmentSequence: other.segmentSequence,
            segmentOffset: other.segmentOffset, segmentHasRecords: other.segmentHasRecords, batchSequence: other.batchSequence,
            snapshot: other.snapshot, segmentStarts: other.segmentStarts)
        other.hardStateFile = nil
        other.segment = nil
    }

    deinit { close() }

    // MARK: Open and recover

    /// Opens (creating when empty) a node's data directory; recovers hard state and log. Cuts a proven torn tail (and says so
    /// in the report); throws a StorageError that points to `logdump verify` on corruption or inconsistency.
    public static func open(directory: String, fileSystem: FileSystem, options: StorageOptions = .init()) throws(StorageError) -> LogStorage {
        guard options.segmentSizeBytes > 0 else { throw StorageError(.invalidArgument, "segment size must be positive") }
        guard options.preallocateBytes >= 0 else { throw StorageError(.invalidArgument, "preallocation must not be negative") }
        let dir = Path.normalized(directory)
        try fileSystem.createDirectory(atPath: dir)
        // One writer per directory: held until `close` (released if opening fails).
        let lock = try fileSystem.lockDirectory(atPath: dir)
        let names = try fileSystem.contentsOfDirectory(atPath: dir)
        if names.contains(FailureMarker.fileName) {
            // An earlier failure could not be undone: the page cache may show bytes the disk lacks.
            let marker = try FailureMarker.read(directory: dir, fileSystem: fileSystem)!
            throw StorageError(
                .unusable,
                "refusing to open \(dir): " + marker.explanation.replacingDIR(with: dir)
                    + "; run `logdump verify \(dir)`", path: dir)
        }
        let hardStatePath = Path.join(dir, StorageFormat.hardStateFileName)
        let hasSegments = names.contains { StorageFormat.segmentSequence(fileName: $0) != nil || SnapshotFormat.index(fileName: $0) != nil }
        for name in names where name.hasSuffix(".tmp") {
            // A temporary file is only ever renamed after it was synced; one still here was never used.
            try fileSystem.removeFile(atPath: Path.join(dir, name))
        }
        let storage: LogStorage
        if !hasSegments, let created = try createIfFresh(dir: dir, fileSystem: fileSystem, options: options, hardStatePath: hardStatePath) {
            storage = created
        } else {
            // The listing less the temporary files just removed (a `createIfFresh` that returns nil wrote nothing).
            let remaining = names.filter { !$0.hasSuffix(".tmp") }
            storage = try recover(dir: dir, fileSystem: fileSystem, options: options, names: remaining)
        }
        storage.directoryLock = lock
        return storage
    }

    /// A new log, when the directory holds no segment and no hard state that was ever saved.
    static func createIfFresh(
        dir: String, fileSystem: FileSystem, options: StorageOptions,
        hardStatePath: String
    ) throws(StorageError) -> LogStorage? {
        var logID = options.newLogID ?? LogID.random()
        if fileSystem.fileExists(atPath: hardStatePath) {
            // Only a creation that stopped between the hard-state file and the first segment leaves this.
            let inspection = try HardStateInspection.inspect(path: hardStatePath, fileSystem: fileSystem)
            guard let chosen = inspection.chosen, chosen.sequence == 0, chosen.hardState == .empty, let id = chosen.logID else { return nil }
            logID = id
        } else {
            var bytes = [UInt8](repeating: 0, count: StorageFormat.hardStateFileSize)
            bytes.replaceSubrange(
                0..<StorageFormat.hardStateSlotSize,
                with: RecordCodec.hardStateSlot(.empty, sequence: 0, slot: 0, logID: logID, segmentSequence: 0))
            try fileSystem.writeFileAtomically(bytes, atPath: hardStatePath)
        }
        let segment = try createSegment(dir: dir, fileSystem: fileSystem, logID: logID, sequence: 1, firstIndex: 1, sync: true)
        let hardStateFile = try fileSystem.openFile(atPath: hardStatePath, create: false)
        let report = RecoveryReport(
            problems: [], tornTailCut: false,
            summary: ["created a new log \(logID) in \(dir)"], created: true)
        return LogStorage(
            directory: dir, fileSystem: fileSystem, options: options, logID: logID, hardState: .empty,
            hardStateSequence: 0, entries: [], report: report, hardStateFile: hardStateFile, segment: segment,
            segmentSequence: 1, segmentOffset: Int64(StorageFormat.segmentHeaderSize), segmentHasRecords: false,
            batchSequence: 0)
    }

    static func createSegment(
        dir: String, fileSystem: FileSystem, logID: LogID, sequence: UInt64, firstIndex: UInt64,
        sync: Bool
    ) throws(StorageError) -> StorageFile {
        let path = Path.join(dir, StorageFormat.segmentFileName(sequence: sequence))
        let file = try fileSystem.openFile(atPath: path, create: true)
        do {
            try file.truncate(to: 0)
            try file.write(RecordCodec.segmentHeader(logID: logID, sequence: sequence, firstIndex: firstIndex), at: 0)
            if sync {
                try file.sync()
                try fileSystem.syncDirectory(atPath: dir)
            }
        } catch {
            file.close()
            throw error
        }
        return file
    }

    /// Releases the files. Unsynced writes stay wherever the file system has them.
    public func close() {
        directoryLock?.release()
        directoryLock = nil
        segment?.close()
        segment = nil
        hardStateFile?.close()
        hardStateFile = nil
    }
}
