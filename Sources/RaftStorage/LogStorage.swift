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

    /// Creates options; the defaults are 64 MiB segments synced every batch.
    public init(segmentSizeBytes: Int = 64 << 20, syncPolicy: SyncPolicy = .everyBatch, newLogID: LogID? = nil) {
        self.segmentSizeBytes = segmentSizeBytes
        self.syncPolicy = syncPolicy
        self.newLogID = newLogID
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
    public private(set) var hardState: HardState
    /// The snapshot the log starts from (recovered by `open`, then as saved by `saveSnapshot`); nil
    /// when the log was never compacted.
    public private(set) var snapshot: Snapshot?
    /// The effective log after the snapshot: `entries[0].index == firstIndex` (index 1 first without a snapshot).
    /// - Invariant: indexes are consecutive from `firstIndex`; terms never decrease and are at least the snapshot's term.
    public private(set) var entries: [Entry]
    /// What recovery found.
    public let report: RecoveryReport
    /// When saves are synced (may be changed at any time).
    public var syncPolicy: SyncPolicy

    private var hardStateFile: StorageFile?
    private var hardStateSequence: UInt64
    private var segment: StorageFile?
    private var segmentSequence: UInt64
    private var segmentOffset: Int64
    private var segmentHasRecords: Bool
    private var batchSequence: UInt64
    private var failed: StorageError?
    private var directoryLock: DirectoryLock?
    /// The oldest segment written (or created) under `.never` since the last full sync.
    private var unsyncedSince: UInt64?
    private var buffer: [UInt8] = []
    /// The live segments (those the snapshot does not make obsolete), oldest first: sequence, the
    /// first index in the header, and the batch sequence of the last marker written before it.
    private var segmentStarts: [SegmentStart]

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

    private init(directory: String, fileSystem: FileSystem, options: StorageOptions, logID: LogID, hardState: HardState,
                 hardStateSequence: UInt64, entries: [Entry], report: RecoveryReport, hardStateFile: StorageFile,
                 segment: StorageFile, segmentSequence: UInt64, segmentOffset: Int64, segmentHasRecords: Bool, batchSequence: UInt64,
                 snapshot: Snapshot? = nil, segmentStarts: [SegmentStart]? = nil) {
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
    }

    private convenience init(rebuilding other: LogStorage, report: RecoveryReport) {
        self.init(directory: other.directory, fileSystem: other.fileSystem, options: other.options, logID: other.logID,
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
        let dir = Path.normalized(directory)
        try fileSystem.createDirectory(atPath: dir)
        // One writer per directory: held until `close` (released if opening fails).
        let lock = try fileSystem.lockDirectory(atPath: dir)
        let names = try fileSystem.contentsOfDirectory(atPath: dir)
        if names.contains(FailureMarker.fileName) {
            // An earlier failure could not be undone: the page cache may show bytes the disk lacks.
            let marker = try FailureMarker.read(directory: dir, fileSystem: fileSystem)!
            throw StorageError(.unusable, "refusing to open \(dir): " + marker.explanation.replacingDIR(with: dir)
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
    private static func createIfFresh(dir: String, fileSystem: FileSystem, options: StorageOptions,
                                      hardStatePath: String) throws(StorageError) -> LogStorage? {
        var logID = options.newLogID ?? LogID.random()
        if fileSystem.fileExists(atPath: hardStatePath) {
            // Only a creation that stopped between the hard-state file and the first segment leaves this.
            let inspection = try HardStateInspection.inspect(path: hardStatePath, fileSystem: fileSystem)
            guard let chosen = inspection.chosen, chosen.sequence == 0, chosen.hardState == .empty, let id = chosen.logID else { return nil }
            logID = id
        } else {
            var bytes = [UInt8](repeating: 0, count: StorageFormat.hardStateFileSize)
            bytes.replaceSubrange(0..<StorageFormat.hardStateSlotSize,
                                  with: RecordCodec.hardStateSlot(.empty, sequence: 0, slot: 0, logID: logID, segmentSequence: 0))
            try fileSystem.writeFileAtomically(bytes, atPath: hardStatePath)
        }
        let segment = try createSegment(dir: dir, fileSystem: fileSystem, logID: logID, sequence: 1, firstIndex: 1, sync: true)
        let hardStateFile = try fileSystem.openFile(atPath: hardStatePath, create: false)
        let report = RecoveryReport(problems: [], tornTailCut: false,
                                    summary: ["created a new log \(logID) in \(dir)"], created: true)
        return LogStorage(directory: dir, fileSystem: fileSystem, options: options, logID: logID, hardState: .empty,
                          hardStateSequence: 0, entries: [], report: report, hardStateFile: hardStateFile, segment: segment,
                          segmentSequence: 1, segmentOffset: Int64(StorageFormat.segmentHeaderSize), segmentHasRecords: false,
                          batchSequence: 0)
    }

    private static func createSegment(dir: String, fileSystem: FileSystem, logID: LogID, sequence: UInt64, firstIndex: UInt64,
                                      sync: Bool) throws(StorageError) -> StorageFile {
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

    private static func recover(dir: String, fileSystem: FileSystem, options: StorageOptions, names: [String]) throws(StorageError) -> LogStorage {
        let scanner = LogScanner(directory: dir, fileSystem: fileSystem, names: names)
        scanner.keepsSnapshotData = true
        // Entries are applied as they are read; a batch whose marker never comes is rolled back at
        // the end (its appends dropped, the acknowledged entries it superseded put back).
        // `log[0]` has index `start`: the first live segment may begin after index 1 (a snapshot covers
        // what is before it), and only entries after the snapshot are kept at the end.
        var log: [Entry] = []
        var start: UInt64 = 1
        var acknowledged = 0                 // log.count at the last marker
        var undoStart: Int?                  // first acknowledged position the open batch superseded
        var undo: [Entry] = []               // the acknowledged entries it superseded, from undoStart on
        let result = try scanner.scan { record, payload in
            switch record.kind {
            case .entry:
                guard let kind = record.entryKind, record.index >= 1 else { return }
                if log.isEmpty && undoStart == nil && acknowledged == 0 { start = record.index }
                guard record.index <= start + UInt64(log.count) else {
                    return  // the scan reports unknown types and gaps; nothing to apply
                }
                let i = record.index < start ? 1 : Int(record.index - start) + 1
                if record.index < start { start = record.index }
                if i <= log.count {
                    let cut = i - 1
                    let protectedEnd = undoStart ?? acknowledged
                    if cut < protectedEnd {
                        undo = Array(log[cut..<protectedEnd]) + undo
                        undoStart = cut
                    }
                    log.removeSubrange(cut...)
                }
                log.append(Entry(term: record.term, index: record.index, kind: kind, data: copyBytes(payload)))
            case .batch:
                acknowledged = log.count
                undoStart = nil
                undo.removeAll()
            }
        }
        if log.count != acknowledged || undoStart != nil {
            log.removeSubrange((undoStart ?? acknowledged)...)
            log.append(contentsOf: undo)
        }
        if let first = log.first { start = first.index }
        var serious = result.problems.filter { $0.class != .tornTail }
        // A damaged snapshot file newer than the one the scan fell back to (row P5): when it is the
        // only problem and live segments remain, the older snapshot and the log still hold everything
        // (compaction keeps the segments the older snapshot needs until a newer one is durable, and
        // the hard state's commit index, which bounds every compaction, passed H13). It is moved aside.
        let damagedNames = Set(result.snapshotFiles.filter { !$0.isValid }.map(\.name))
        let damagedSnapshots = serious.filter { damagedNames.contains($0.file) && $0.class == .corruption }
        if !damagedSnapshots.isEmpty && damagedSnapshots.count == serious.count && !result.segments.isEmpty {
            serious = []
        }
        if !serious.isEmpty {
            let worst = serious[0].class
            throw StorageError(worst == .corruption ? .corruption : .inconsistency,
                               "refusing to open \(dir): \(serious.count) problem(s) found, the first is \(worst.rawValue); run `logdump verify \(dir)` for the full report and `logdump repair \(dir)` for the options",
                               path: dir, problems: result.problems)
        }
        if let torn = result.tornTail, torn.removeFile, result.segments.count == 1, result.snapshot == nil {
            // The first segment's creation was interrupted: remove it and create the log again.
            try result.repairPlan()!.apply(fileSystem: fileSystem)
            if let created = try createIfFresh(dir: dir, fileSystem: fileSystem, options: options,
                                               hardStatePath: Path.join(dir, StorageFormat.hardStateFileName)) {
                var report = created.report
                report.problems = result.problems
                report.tornTailCut = true
                report.summary.insert("removed \(torn.file): its header was torn (an interrupted creation)", at: 0)
                return LogStorage(rebuilding: created, report: report)
            }
        }
        guard let logID = result.logID, result.snapshot != nil || !result.segments.isEmpty else {
            throw StorageError(.inconsistency, "refusing to open \(dir): no readable segment; run `logdump verify \(dir)`", path: dir, problems: result.problems)
        }
        // The snapshot (with its data, from the same read that checked it) and the entries after it.
        var snapshot: Snapshot?
        if let info = result.snapshot {
            guard let s = result.loadedSnapshot, s.metadata == info.metadata else {
                preconditionFailure("the scan chose snapshot \(info.name) without keeping its data")
            }
            snapshot = s
            let keep = log.firstIndex { $0.index > s.metadata.index } ?? log.count
            log.removeSubrange(0..<keep)
        }
        let snapshotIndex = snapshot?.metadata.index ?? 0
        precondition(snapshotIndex + UInt64(log.count) == result.lastIndex && (log.first.map { $0.index == snapshotIndex + 1 } ?? true),
                     "replayed log and scan disagree")
        var summary: [String] = []
        if !damagedSnapshots.isEmpty {
            for problem in damagedSnapshots {
                let path = Path.join(dir, problem.file)
                try fileSystem.rename(from: path, to: path + ".damaged")
                summary.append("\(problem.description); recovered from \(result.snapshot.map { "the older snapshot \($0.name)" } ?? "the log alone"), which the log still completes; the damaged file is kept as \(problem.file).damaged")
            }
            try fileSystem.syncDirectory(atPath: dir)
        }
        summary.append("read \(result.segments.count) segment(s), \(result.entryRecords) entry record(s), \(result.batchRecords) batch(es); log \(logID)")
        if let s = snapshot {
            summary.append("snapshot at index \(s.metadata.index), term \(s.metadata.term) (\(s.data.count) bytes of data); the log continues at index \(s.metadata.index + 1)")
        }
        if !result.obsoleteSegments.isEmpty {
            // An interrupted saveSnapshot: the snapshot is durable, the segments it covers were not all removed yet.
            for path in result.obsoleteSegments { try fileSystem.removeFile(atPath: path) }
            try fileSystem.syncDirectory(atPath: dir)
            summary.append("removed \(result.obsoleteSegments.count) segment(s) wholly covered by the snapshot (an interrupted compaction)")
        }
        let baseBatchSequence = result.snapshot?.batchSequence ?? 0
        var starts: [SegmentStart] = []
        for s in result.segments {
            guard let header = s.header else { continue }
            starts.append(SegmentStart(sequence: header.sequence, firstIndex: header.firstIndex,
                                       batchSequenceBefore: s.acknowledgedAtStart?.batchSequence ?? baseBatchSequence))
        }
        var tornCut = false
        let lastSegment = result.segments.last
        var segmentPath = lastSegment?.path ?? ""
        var segmentSequence = lastSegment?.header?.sequence ?? 1
        var segmentOffset = lastSegment?.validEnd ?? Int64(StorageFormat.segmentHeaderSize)
        var hasRecords = (lastSegment?.entryRecords ?? 0) + (lastSegment?.batchRecords ?? 0) > 0
        if let torn = result.tornTail {
            let plan = result.repairPlan()!
            try plan.apply(fileSystem: fileSystem)
            summary.append(contentsOf: plan.summary)
            tornCut = true
            if torn.removeFile {
                // The last segment's creation was interrupted: continue in the one before, or start over.
                starts.removeAll { $0.sequence >= segmentSequence }
                if result.segments.count >= 2 {
                    let previous = result.segments[result.segments.count - 2]
                    segmentPath = previous.path
                    segmentSequence = previous.header?.sequence ?? segmentSequence - 1
                    segmentOffset = previous.validEnd
                    hasRecords = true
                } else {
                    segmentPath = ""
                }
            } else {
                segmentOffset = torn.cutOffset
                hasRecords = segmentOffset > Int64(StorageFormat.segmentHeaderSize)
            }
        }
        for problem in result.problems { summary.append(problem.description) }
        summary.append(contentsOf: result.notes)
        let hardState = result.recoveredHardState ?? .empty
        summary.append("hard state: term \(hardState.term), vote \(hardState.vote), commit \(hardState.commit) (sequence \(result.hardStateSequence)); last index \(result.lastIndex), last term \(result.lastTerm)")

        let segment: StorageFile
        if segmentPath.isEmpty {
            // No live segment: the log starts (after the snapshot, if any) in a new one. A received
            // snapshot whose new segment was not created yet leaves this too.
            let sequence = result.snapshot?.firstSegment ?? 1
            segment = try createSegment(dir: dir, fileSystem: fileSystem, logID: logID, sequence: sequence,
                                        firstIndex: snapshotIndex + 1, sync: true)
            segmentSequence = sequence
            segmentOffset = Int64(StorageFormat.segmentHeaderSize)
            hasRecords = false
            starts = [SegmentStart(sequence: sequence, firstIndex: snapshotIndex + 1, batchSequenceBefore: baseBatchSequence)]
            summary.append("created segment \(sequence) starting at index \(snapshotIndex + 1)")
        } else {
            segment = try fileSystem.openFile(atPath: segmentPath, create: false)
            if try segment.size() != segmentOffset {
                // Bytes past the last valid record that were not a torn tail cannot be here (the scan
                // would have refused); sizes differ only after the cut above. Make sure.
                try segment.truncate(to: segmentOffset)
                try segment.sync()
            }
        }
        var hardStateSequence = result.hardStateSequence
        if let marker = result.lastBatch, marker.hardStateSequence > hardStateSequence {
            // Only unsynced batches (sync policy never) can name a hard state newer than the file
            // holds (H9 refuses synced ones). The next slot must be numbered past it, so both
            // slots are rewritten, synced, at the marker's sequence and the next one.
            let path = Path.join(dir, StorageFormat.hardStateFileName)
            let rewrite = RepairAction.replaceHardState(path: path, state: hardState, sequence: marker.hardStateSequence,
                                                        batchSequence: marker.batchSequence, segmentSequence: segmentSequence, logID: logID)
            try RepairPlan(actions: [rewrite], onlyTornTail: true, lostIndexes: nil, summary: [], unfixable: []).apply(fileSystem: fileSystem)
            summary.append("the hard state (sequence \(hardStateSequence)) is older than the unsynced batches that survived (they name sequence \(marker.hardStateSequence)): both slots rewritten at sequences \(marker.hardStateSequence) and \(marker.hardStateSequence + 1)")
            hardStateSequence = marker.hardStateSequence + 1
        }
        let hardStateFile = try fileSystem.openFile(atPath: Path.join(dir, StorageFormat.hardStateFileName), create: false)
        let report = RecoveryReport(problems: result.problems, tornTailCut: tornCut, summary: summary, created: false)
        return LogStorage(directory: dir, fileSystem: fileSystem, options: options, logID: logID, hardState: hardState,
                          hardStateSequence: hardStateSequence, entries: log, report: report, hardStateFile: hardStateFile,
                          segment: segment, segmentSequence: segmentSequence, segmentOffset: segmentOffset,
                          segmentHasRecords: hasRecords, batchSequence: result.lastBatch?.batchSequence ?? baseBatchSequence,
                          snapshot: snapshot, segmentStarts: starts)
    }

    // MARK: Save

    /// One Ready's worth: append entries (an entry at or below the last index supersedes the suffix, append-only on disk),
    /// write the hard state if given, then a batch marker and fsync (per the sync policy).
    ///
    /// Order on disk: the hard-state slot is written and synced first, then the entries and the
    /// marker in one write, then the segment is synced. When the new commit index names entries of
    /// this same save, the first hard-state write holds it back below them and a second one, after
    /// the segment's sync, records it (`commitHeldBack`; `.never` leaves that to a later save). A
    /// failed write leaves the storage unusable (its on-disk state is unknown until it is reopened).
    public func save(hardState newHardState: HardState?, entries newEntries: [Entry]) throws(StorageError) {
        if let failed { throw StorageError(.unusable, "storage is unusable after an earlier failure: \(failed.message)", path: directory) }
        guard let segmentFile = segment, let hardStateFile else { throw StorageError(.unusable, "storage is closed", path: directory) }
        // Validate before touching the disk.
        if let first = newEntries.first {
            guard first.index >= firstIndex && first.index <= lastIndex + 1 else {
                throw StorageError(.invalidArgument, first.index < firstIndex
                                   ? "entries start at index \(first.index) but the snapshot covers the log through \(snapshotIndex)"
                                   : "entries start at index \(first.index) but the log ends at \(lastIndex)")
            }
            let previousTerm = term(at: first.index - 1) ?? 0
            var expected = first.index, term = previousTerm
            for e in newEntries {
                guard e.index == expected else { throw StorageError(.invalidArgument, "entries are not consecutive at index \(e.index)") }
                guard e.term >= 1 && e.term >= term else {
                    throw StorageError(.invalidArgument, "entry \(e.index) has term \(e.term), below the term \(term) before it")
                }
                guard e.data.count <= StorageFormat.maxPayloadLength else {
                    throw StorageError(.invalidArgument, "entry \(e.index) has \(e.data.count) bytes, above the limit of \(StorageFormat.maxPayloadLength)")
                }
                expected += 1
                term = e.term
            }
            let hardTerm = (newHardState ?? hardState).term
            guard term <= hardTerm else {
                throw StorageError(.invalidArgument, "entry \(newEntries.last!.index) has term \(term), above the hard state's term \(hardTerm) (save the new term with it)")
            }
        }
        // What undoes the step in progress if it fails (docs/storage-format.md §5.6).
        var undo: FailureMarker.Undo?
        do {
            // 0. Switching from `.never` to `.everyBatch`: make what `.never` left behind durable first,
            //    so that a synced batch never sits after (or in a segment named after) unsynced ones.
            if syncPolicy == .everyBatch && unsyncedSince != nil { try syncEverything() }
            if syncPolicy == .never { unsyncedSince = min(unsyncedSince ?? segmentSequence, segmentSequence) }
            // 1. Rotate first, so that a hard state written below names the segment its batch goes to.
            var file = segmentFile
            if !newEntries.isEmpty && segmentHasRecords && segmentOffset >= Int64(options.segmentSizeBytes) {
                undo = .truncate(file: StorageFormat.segmentFileName(sequence: segmentSequence), length: segmentOffset)
                if syncPolicy == .everyBatch { try file.sync() }
                undo = .remove(file: StorageFormat.segmentFileName(sequence: segmentSequence + 1))
                let next = try Self.createSegment(dir: directory, fileSystem: fileSystem, logID: logID, sequence: segmentSequence + 1,
                                                  firstIndex: lastIndex + 1, sync: syncPolicy == .everyBatch)
                file.close()
                segment = next
                file = next
                segmentSequence += 1
                segmentOffset = Int64(StorageFormat.segmentHeaderSize)
                segmentHasRecords = false
                segmentStarts.append(SegmentStart(sequence: segmentSequence, firstIndex: lastIndex + 1, batchSequenceBefore: batchSequence))
            }
            // 2. The hard state, synced before any entry of this save can be (a vote or term must be
            //    durable before the entries of that term: paper Figure 2). Its commit index is held
            //    below this save's first entry until those entries are synced (`commitHeldBack`).
            var wroteHardState = false
            let firstState = newHardState.map { Self.commitHeldBack($0, below: newEntries.first?.index) }
            if let firstState, firstState != hardState || newEntries.isEmpty {
                wroteHardState = true
                undo = .dropHardStateSlot(slot: Int((hardStateSequence + 1) % 2))
                try writeHardState(firstState, to: hardStateFile, sync: syncPolicy == .everyBatch)
            }
            // 3. The entries and the marker in one write, then one sync.
            //    A hard-state-only save writes a marker with no entries: once synced, it vouches for
            //    the slot, so damage to that slot later reads as corruption, not as a torn write.
            guard !newEntries.isEmpty || wroteHardState else { return }
            buffer.removeAll(keepingCapacity: true)
            for e in newEntries { RecordCodec.appendEntry(e, to: &buffer) }
            let lastAfter = newEntries.last.map { ($0.term, $0.index) } ?? (lastTerm, lastIndex)
            let marker = BatchMarker(batchSequence: batchSequence + 1, hardStateSequence: hardStateSequence,
                                     firstIndex: newEntries.first?.index ?? lastIndex + 1, entryCount: UInt32(newEntries.count),
                                     synced: syncPolicy == .everyBatch)
            RecordCodec.appendBatch(marker, lastTerm: lastAfter.0, lastIndex: lastAfter.1, to: &buffer)
            undo = .truncate(file: StorageFormat.segmentFileName(sequence: segmentSequence), length: segmentOffset)
            try file.write(buffer, at: segmentOffset)
            if syncPolicy == .everyBatch { try file.sync() }
            undo = nil
            segmentOffset += Int64(buffer.count)
            segmentHasRecords = true
            batchSequence += 1
            if let first = newEntries.first {
                if first.index <= lastIndex { entries.removeSubrange(Int(first.index - firstIndex)...) }
                entries.append(contentsOf: newEntries)
            }
            // 4. The commit index held back in step 2, now that the entries it names are synced.
            //    Without a sync (`.never`) it waits for a later save: nothing this save wrote is
            //    durable, so no write of it may claim more than the entries before it.
            if let newHardState, newHardState != hardState, syncPolicy == .everyBatch {
                undo = .dropHardStateSlot(slot: Int((hardStateSequence + 1) % 2))
                try writeHardState(newHardState, to: hardStateFile, sync: true)
                undo = nil
            }
        } catch {
            failed = error
            guard let undo else { throw error }
            throw undoFailedStep(undo, after: error, hardStateFile: hardStateFile)
        }
    }


    /// `state` with its commit index at most `firstIndex - 1`: the commit a hard state may carry
    /// while the entries from `firstIndex` on are not yet durable.
    ///
    /// Why: a save writes its hard state before its entries. Were the commit index to name entries
    /// of the same save, a crash between the two syncs (or, with a page cache that reorders, a
    /// crash that keeps the hard state's page but not the entries') would leave a commit index
    /// over the older entries still on disk at those indexes, and the restart would apply an entry
    /// that was never committed (State Machine Safety, paper §5.4.3). The commit index is volatile
    /// state (paper Figure 2), so a lower one on disk only means relearning it from the leader.
    static func commitHeldBack(_ state: HardState, below firstIndex: UInt64?) -> HardState {
        guard let firstIndex, state.commit >= firstIndex else { return state }
        precondition(firstIndex >= 1, "entries start at index 1")
        var held = state
        held.commit = firstIndex - 1
        assert(held.commit < firstIndex && held.term == state.term && held.vote == state.vote)
        return held
    }

    /// Writes the next hard-state slot (and syncs it when asked).
    private func writeHardState(_ newHardState: HardState, to file: StorageFile, sync: Bool) throws(StorageError) {
        let sequence = hardStateSequence + 1
        let slot = Int(sequence % 2)
        let bytes = RecordCodec.hardStateSlot(newHardState, sequence: sequence, slot: slot, logID: logID,
                                              batchSequence: batchSequence, segmentSequence: segmentSequence, synced: sync)
        try file.write(bytes, at: Int64(slot * StorageFormat.hardStateSlotStride))
        if sync { try file.sync() }
        hardStateSequence = sequence
        hardState = newHardState
    }

    // MARK: Snapshots

    /// How `saveSnapshot` treats the entries the log holds.
    public enum SnapshotSaveMode: Sendable, Equatable {
        /// `.compaction` when the log holds the snapshot's last entry (same index and term), else `.received`.
        case automatic
        /// Local compaction (`RaftNode.compact`): the log holds entries through the snapshot's index,
        /// with the snapshot's term at it. The entries after the snapshot are kept.
        case compaction
        /// A snapshot received from the leader (`Ready.snapshot`): it replaces the whole log through its
        /// index, whatever the log held (shorter, longer or conflicting); afterwards the log is empty
        /// after the snapshot and its next index is `snapshot.index + 1`.
        case received
    }

    /// Stores a snapshot and drops the log it covers: compaction after apply, or a snapshot received
    /// from the leader (see `SnapshotSaveMode`; the default decides by the log's term at the index).
    ///
    /// Always durable, whatever the sync policy: anything written unsynced before is synced first;
    /// `hardState`, when given and different, is written and synced next (its term must be at least
    /// the snapshot's); then the snapshot file is written atomically (temp file, fsync, rename,
    /// directory fsync). Only then is the log changed: a received snapshot starts a new segment at
    /// `snapshot.index + 1` (header and directory synced); the segments the snapshot makes obsolete
    /// are removed, and snapshot files older than the newest two. No synced byte is rewritten. A crash
    /// at any point recovers either the old snapshot and log or the new snapshot and the log after it
    /// (docs/storage-format.md §4.3–§4.4).
    ///
    /// For a Ready with a snapshot: `saveSnapshot(ready.snapshot!, hardState: ready.hardState, mode: .received)`,
    /// then `save(hardState: ready.hardState, entries: ready.entries)` as usual.
    public func saveSnapshot(_ snapshot: Snapshot, hardState newHardState: HardState? = nil,
                             mode: SnapshotSaveMode = .automatic) throws(StorageError) {
        if let failed { throw StorageError(.unusable, "storage is unusable after an earlier failure: \(failed.message)", path: directory) }
        guard let segmentFile = segment, let hardStateFile else { throw StorageError(.unusable, "storage is closed", path: directory) }
        let index = snapshot.metadata.index, term = snapshot.metadata.term
        if let current = self.snapshot, current == snapshot, newHardState == nil || newHardState == hardState { return }
        guard index >= 1, term >= 1, index < StorageFormat.plausibleLimit, term < StorageFormat.plausibleLimit else {
            throw StorageError(.invalidArgument, "a snapshot has index and term of at least 1 (and below 2^62); got index \(index), term \(term)")
        }
        guard index > snapshotIndex else {
            throw StorageError(.invalidArgument, "the snapshot at index \(index) is not newer than the stored one at \(snapshotIndex)")
        }
        let stateTerm = (newHardState ?? hardState).term
        guard term <= stateTerm else {
            throw StorageError(.invalidArgument, "the snapshot's term \(term) is above the hard state's term \(stateTerm) (pass the new hard state with it)")
        }
        let holdsIt = self.term(at: index) == term
        let compaction: Bool
        switch mode {
        case .automatic: compaction = holdsIt
        case .compaction:
            guard holdsIt else {
                throw StorageError(.invalidArgument, "cannot compact through \(index) (term \(term)): the log holds \(self.term(at: index).map { "term \($0) there" } ?? "no entry there") (last index \(lastIndex))")
            }
            compaction = true
        case .received: compaction = false
        }
        // Where the log after the snapshot starts. Compaction: the last live segment whose first index is
        // at most index + 1 — every entry after the snapshot was written into it or a later one (an entry
        // at or past a segment's first index cannot predate the segment). Received: a new segment.
        let firstSegment: SegmentStart
        if compaction {
            firstSegment = segmentStarts.last { $0.firstIndex <= index + 1 } ?? segmentStarts[0]
        } else {
            firstSegment = SegmentStart(sequence: segmentSequence + 1, firstIndex: index + 1, batchSequenceBefore: batchSequence)
        }
        do {
            // 1. Nothing unsynced may sit below a durable snapshot.
            if unsyncedSince != nil { try syncEverything() }
            // 2. The hard state first: a snapshot's term never reaches the disk before a hard state that covers it.
            //    Its commit index stays at the durable one until the snapshot is durable: it may name
            //    the snapshot's entries, and the log on disk may still hold other entries at those
            //    indexes (a follower's conflicting suffix), which a restart would then apply.
            let firstState = newHardState.map { Self.commitHeldBack($0, below: hardState.commit + 1) }
            if let firstState, firstState != hardState { try writeHardState(firstState, to: hardStateFile, sync: true) }
            // 3. The snapshot file, atomically. From the directory sync on, recovery starts from it.
            let bytes = SnapshotFormat.encode(snapshot, logID: logID, firstSegment: firstSegment.sequence,
                                              batchSequence: firstSegment.batchSequenceBefore)
            try fileSystem.writeFileAtomically(bytes, atPath: Path.join(directory, SnapshotFormat.fileName(index: index)))
            // 4. The log after it.
            if compaction {
                entries.removeSubrange(0..<Int(index - snapshotIndex))
                segmentStarts.removeAll { $0.sequence < firstSegment.sequence }
            } else {
                let next = try Self.createSegment(dir: directory, fileSystem: fileSystem, logID: logID, sequence: firstSegment.sequence,
                                                  firstIndex: firstSegment.firstIndex, sync: true)
                segmentFile.close()
                segment = next
                segmentSequence = firstSegment.sequence
                segmentOffset = Int64(StorageFormat.segmentHeaderSize)
                segmentHasRecords = false
                segmentStarts = [firstSegment]
                entries.removeAll()
            }
            self.snapshot = snapshot
            // 4b. The commit index held back in step 2, now that the snapshot it names is durable.
            if let newHardState, newHardState != hardState { try writeHardState(newHardState, to: hardStateFile, sync: true) }
            // 5. Garbage: obsolete segments, snapshot files older than the newest two.
            var removed = false
            let snapshotsKept = SnapshotFormat.filesKept
            var snapshotNames: [String] = []
            for name in try fileSystem.contentsOfDirectory(atPath: directory) {
                if let sequence = StorageFormat.segmentSequence(fileName: name), sequence < firstSegment.sequence {
                    try fileSystem.removeFile(atPath: Path.join(directory, name))
                    removed = true
                } else if let at = SnapshotFormat.index(fileName: name), at <= index {
                    snapshotNames.append(name)
                }
            }
            snapshotNames.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for name in snapshotNames.dropLast(snapshotsKept) {
                try fileSystem.removeFile(atPath: Path.join(directory, name))
                removed = true
            }
            if removed { try fileSystem.syncDirectory(atPath: directory) }
        } catch {
            failed = error
            throw error
        }
    }

    /// Syncs everything written so far (for a host running with `.never` that wants a checkpoint):
    /// the hard state, every segment written since the last sync, and the directory.
    public func sync() throws(StorageError) {
        if let failed { throw StorageError(.unusable, "storage is unusable after an earlier failure: \(failed.message)", path: directory) }
        guard segment != nil, hardStateFile != nil else { throw StorageError(.unusable, "storage is closed", path: directory) }
        do { try syncEverything() } catch {
            failed = error
            throw error
        }
    }

    private func syncEverything() throws(StorageError) {
        guard let segment, let hardStateFile else { return }
        try hardStateFile.sync()
        let from = unsyncedSince ?? segmentSequence
        if from < segmentSequence {
            for sequence in from..<segmentSequence {
                let older = try fileSystem.openFile(atPath: Path.join(directory, StorageFormat.segmentFileName(sequence: sequence)), create: false)
                defer { older.close() }
                try older.sync()
            }
        }
        try segment.sync()
        try fileSystem.syncDirectory(atPath: directory)
        unsyncedSince = nil
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
