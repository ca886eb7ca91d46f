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
    /// The effective log, index 1 first.
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

    /// The last entry's index (0 when empty).
    public var lastIndex: UInt64 { UInt64(entries.count) }
    /// The last entry's term (0 when empty).
    public var lastTerm: UInt64 { entries.last?.term ?? 0 }
    /// The current segment's sequence number.
    public var currentSegmentSequence: UInt64 { segmentSequence }

    private init(directory: String, fileSystem: FileSystem, options: StorageOptions, logID: LogID, hardState: HardState,
                 hardStateSequence: UInt64, entries: [Entry], report: RecoveryReport, hardStateFile: StorageFile,
                 segment: StorageFile, segmentSequence: UInt64, segmentOffset: Int64, segmentHasRecords: Bool, batchSequence: UInt64) {
        self.directory = directory
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
                  segmentOffset: other.segmentOffset, segmentHasRecords: other.segmentHasRecords, batchSequence: other.batchSequence)
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
        let hardStatePath = Path.join(dir, StorageFormat.hardStateFileName)
        let hasSegments = names.contains { StorageFormat.segmentSequence(fileName: $0) != nil }
        for name in names where name.hasSuffix(".tmp") {
            // A temporary file is only ever renamed after it was synced; one still here was never used.
            try fileSystem.removeFile(atPath: Path.join(dir, name))
        }
        let storage: LogStorage
        if !hasSegments, let created = try createIfFresh(dir: dir, fileSystem: fileSystem, options: options, hardStatePath: hardStatePath) {
            storage = created
        } else {
            storage = try recover(dir: dir, fileSystem: fileSystem, options: options)
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

    private static func recover(dir: String, fileSystem: FileSystem, options: StorageOptions) throws(StorageError) -> LogStorage {
        let scanner = try LogScanner(directory: dir, fileSystem: fileSystem)
        // Entries are applied as they are read; a batch whose marker never comes is rolled back at
        // the end (its appends dropped, the acknowledged entries it superseded put back).
        var log: [Entry] = []
        var acknowledged = 0                 // log.count at the last marker
        var undoStart: Int?                  // first acknowledged position the open batch superseded
        var undo: [Entry] = []               // the acknowledged entries it superseded, from undoStart on
        let result = try scanner.scan { record, payload in
            switch record.kind {
            case .entry:
                guard let kind = record.entryKind, record.index >= 1, record.index <= UInt64(log.count) + 1 else {
                    return  // the scan reports unknown types and gaps; nothing to apply
                }
                let i = Int(record.index)
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
        let serious = result.problems.filter { $0.class != .tornTail }
        if !serious.isEmpty {
            let worst = serious[0].class
            throw StorageError(worst == .corruption ? .corruption : .inconsistency,
                               "refusing to open \(dir): \(serious.count) problem(s) found, the first is \(worst.rawValue); run `logdump verify \(dir)` for the full report and `logdump repair \(dir)` for the options",
                               path: dir, problems: result.problems)
        }
        if let torn = result.tornTail, torn.removeFile, result.segments.count == 1 {
            // The first segment's creation was interrupted: remove it and create the log again.
            try result.repairPlan(acceptDataLoss: false)!.apply(fileSystem: fileSystem)
            if let created = try createIfFresh(dir: dir, fileSystem: fileSystem, options: options,
                                               hardStatePath: Path.join(dir, StorageFormat.hardStateFileName)) {
                var report = created.report
                report.problems = result.problems
                report.tornTailCut = true
                report.summary.insert("removed \(torn.file): its header was torn (an interrupted creation)", at: 0)
                return LogStorage(rebuilding: created, report: report)
            }
        }
        guard let logID = result.logID, let lastSegment = result.segments.last else {
            throw StorageError(.inconsistency, "refusing to open \(dir): no readable segment; run `logdump verify \(dir)`", path: dir, problems: result.problems)
        }
        precondition(UInt64(log.count) == result.lastIndex, "replayed log and scan disagree")
        var summary: [String] = []
        summary.append("read \(result.segments.count) segment(s), \(result.entryRecords) entry record(s), \(result.batchRecords) batch(es); log \(logID)")
        var tornCut = false
        var segmentPath = lastSegment.path
        var segmentSequence = lastSegment.header?.sequence ?? 1
        var segmentOffset = lastSegment.validEnd
        var hasRecords = lastSegment.entryRecords + lastSegment.batchRecords > 0
        if let torn = result.tornTail {
            let plan = result.repairPlan(acceptDataLoss: false)!
            try plan.apply(fileSystem: fileSystem)
            summary.append(contentsOf: plan.summary)
            tornCut = true
            if torn.removeFile {
                // The last segment's creation was interrupted: continue in the one before, or start over.
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
            segment = try createSegment(dir: dir, fileSystem: fileSystem, logID: logID, sequence: 1, firstIndex: 1, sync: true)
            segmentSequence = 1
            segmentOffset = Int64(StorageFormat.segmentHeaderSize)
            hasRecords = false
        } else {
            segment = try fileSystem.openFile(atPath: segmentPath, create: false)
            if try segment.size() != segmentOffset {
                // Bytes past the last valid record that were not a torn tail cannot be here (the scan
                // would have refused); sizes differ only after the cut above. Make sure.
                try segment.truncate(to: segmentOffset)
                try segment.sync()
            }
        }
        let hardStateFile = try fileSystem.openFile(atPath: Path.join(dir, StorageFormat.hardStateFileName), create: false)
        let report = RecoveryReport(problems: result.problems, tornTailCut: tornCut, summary: summary, created: false)
        return LogStorage(directory: dir, fileSystem: fileSystem, options: options, logID: logID, hardState: hardState,
                          hardStateSequence: result.hardStateSequence, entries: log, report: report, hardStateFile: hardStateFile,
                          segment: segment, segmentSequence: segmentSequence, segmentOffset: segmentOffset,
                          segmentHasRecords: hasRecords, batchSequence: result.lastBatch?.batchSequence ?? 0)
    }

    // MARK: Save

    /// One Ready's worth: append entries (an entry at or below the last index supersedes the suffix, append-only on disk),
    /// write the hard state if given, then a batch marker and fsync (per the sync policy).
    ///
    /// Order on disk: the hard-state slot is written and synced first, then the entries and the
    /// marker in one write, then the segment is synced. A failed write leaves the storage unusable
    /// (its on-disk state is unknown until it is reopened).
    public func save(hardState newHardState: HardState?, entries newEntries: [Entry]) throws(StorageError) {
        if let failed { throw StorageError(.unusable, "storage is unusable after an earlier failure: \(failed.message)", path: directory) }
        guard let segmentFile = segment, let hardStateFile else { throw StorageError(.unusable, "storage is closed", path: directory) }
        // Validate before touching the disk.
        if let first = newEntries.first {
            guard first.index >= 1 && first.index <= lastIndex + 1 else {
                throw StorageError(.invalidArgument, "entries start at index \(first.index) but the log ends at \(lastIndex)")
            }
            let previousTerm = first.index > 1 ? entries[Int(first.index) - 2].term : 0
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
        do {
            // 0. Switching from `.never` to `.everyBatch`: make what `.never` left behind durable first,
            //    so that a synced batch never sits after (or in a segment named after) unsynced ones.
            if syncPolicy == .everyBatch && unsyncedSince != nil { try syncEverything() }
            if syncPolicy == .never { unsyncedSince = min(unsyncedSince ?? segmentSequence, segmentSequence) }
            // 1. Rotate first, so that a hard state written below names the segment its batch goes to.
            var file = segmentFile
            if !newEntries.isEmpty && segmentHasRecords && segmentOffset >= Int64(options.segmentSizeBytes) {
                if syncPolicy == .everyBatch { try file.sync() }
                let next = try Self.createSegment(dir: directory, fileSystem: fileSystem, logID: logID, sequence: segmentSequence + 1,
                                                  firstIndex: lastIndex + 1, sync: syncPolicy == .everyBatch)
                file.close()
                segment = next
                file = next
                segmentSequence += 1
                segmentOffset = Int64(StorageFormat.segmentHeaderSize)
                segmentHasRecords = false
            }
            // 2. The hard state, synced before any entry of this save can be.
            var wroteHardState = false
            if let newHardState, newHardState != hardState || newEntries.isEmpty {
                wroteHardState = true
                let sequence = hardStateSequence + 1
                let slot = Int(sequence % 2)
                let bytes = RecordCodec.hardStateSlot(newHardState, sequence: sequence, slot: slot, logID: logID,
                                                      batchSequence: batchSequence, segmentSequence: segmentSequence,
                                                      synced: syncPolicy == .everyBatch)
                try hardStateFile.write(bytes, at: Int64(slot * StorageFormat.hardStateSlotStride))
                if syncPolicy == .everyBatch { try hardStateFile.sync() }
                hardStateSequence = sequence
                hardState = newHardState
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
            try file.write(buffer, at: segmentOffset)
            if syncPolicy == .everyBatch { try file.sync() }
            segmentOffset += Int64(buffer.count)
            segmentHasRecords = true
            batchSequence += 1
            if let first = newEntries.first {
                if first.index <= lastIndex { entries.removeSubrange(Int(first.index - 1)...) }
                entries.append(contentsOf: newEntries)
            }
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
