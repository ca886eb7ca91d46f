import RaftCore

/// Where appending continues after recovery: the last live segment, its valid end, and the live
/// segments' starts.
struct AppendPoint {
    /// The segment's path; empty when no live segment is left (one is created).
    var path: String
    var sequence: UInt64
    var offset: Int64
    var hasRecords: Bool
    var starts: [LogStorage.SegmentStart]
}

extension LogStorage {
    // MARK: Recover (docs/storage-format.md §5.4)

    /// Opens an existing log: replays the acknowledged batches, refuses corruption and
    /// inconsistencies, cuts a proven torn tail and tidies what an interrupted snapshot left.
    static func recover(dir: String, fileSystem: FileSystem, options: StorageOptions, names: [String]) throws(StorageError) -> LogStorage {
        let scanner = LogScanner(directory: dir, fileSystem: fileSystem, names: names)
        scanner.keepsSnapshotData = true
        // Segments are copied (`SegmentReading.copy`), not mapped, although `open` holds the
        // directory's lock and mapping would be safe: on the machine measured (a VM), a mapped scan
        // was not faster than `read` into a window (docs/storage-format.md, "Reading segments").
        let replay = RecoveryReplay()
        scanner.recoverySink = replay
        let result = try scanner.scan { record, payload in replay.apply(record, payload: payload) }
        var log = replay.takeAcknowledgedLog()
        let damagedSnapshots = try refuseUnlessRecoverable(result, dir: dir)
        if let recreated = try recreateAfterInterruptedCreation(result, dir: dir, fileSystem: fileSystem, options: options) {
            return recreated
        }
        guard let logID = result.logID, result.snapshot != nil || !result.segments.isEmpty else {
            throw StorageError(
                .inconsistency, "refusing to open \(dir): no readable segment; run `logdump verify \(dir)`", path: dir, problems: result.problems)
        }
        let snapshot = chosenSnapshot(result, droppingCoveredEntriesOf: &log)
        let snapshotIndex = snapshot?.metadata.index ?? 0
        precondition(
            snapshotIndex + UInt64(log.count) == result.lastIndex && (log.first.map { $0.index == snapshotIndex + 1 } ?? true),
            "replayed log and scan disagree")
        var summary = try moveAside(damagedSnapshots, result: result, dir: dir, fileSystem: fileSystem)
        summary.append(
            "read \(result.segments.count) segment(s), \(result.entryRecords) entry record(s), \(result.batchRecords) batch(es); log \(logID)")
        if let s = snapshot {
            summary.append(
                "snapshot at index \(s.metadata.index), term \(s.metadata.term) (\(s.data.count) bytes of data); the log continues at index \(s.metadata.index + 1)"
            )
        }
        summary += try removeObsoleteSegments(result, dir: dir, fileSystem: fileSystem)
        var end = appendPoint(after: result)
        let tornCut = try cutTornTail(result, end: &end, fileSystem: fileSystem, summary: &summary)
        for problem in result.problems { summary.append(problem.description) }
        summary.append(contentsOf: result.notes)
        let hardState = result.recoveredHardState ?? .empty
        summary.append(
            "hard state: term \(hardState.term), vote \(hardState.vote), commit \(hardState.commit) (sequence \(result.hardStateSequence)); last index \(result.lastIndex), last term \(result.lastTerm)"
        )
        // Row R11: the zero-filled space after the last record stays, unless a cut removed it.
        let unused = tornCut ? 0 : (result.segments.last.map { $0.path == end.path ? $0.unusedBytes : 0 } ?? 0)
        let segment = try openAppendSegment(
            &end, unusedBytes: unused, result: result, logID: logID, snapshotIndex: snapshotIndex, dir: dir,
            fileSystem: fileSystem, summary: &summary)
        let hardStateSequence = try numberHardStatePastUnsyncedBatches(
            result, hardState: hardState, logID: logID,
            segmentSequence: end.sequence, dir: dir,
            fileSystem: fileSystem, summary: &summary)
        let hardStateFile = try fileSystem.openFile(atPath: Path.join(dir, StorageFormat.hardStateFileName), create: false)
        let report = RecoveryReport(
            problems: result.problems, tornTailCut: tornCut, summary: summary, created: false, unusedBytes: unused)
        let storage = LogStorage(
            directory: dir, fileSystem: fileSystem, options: options, logID: logID, hardState: hardState,
            hardStateSequence: hardStateSequence, entries: log, report: report, hardStateFile: hardStateFile,
            segment: segment, segmentSequence: end.sequence, segmentOffset: end.offset,
            segmentHasRecords: end.hasRecords, batchSequence: result.lastBatch?.batchSequence ?? (result.snapshot?.batchSequence ?? 0),
            snapshot: snapshot, segmentStarts: end.starts)
        storage.segmentAllocatedEnd = try segment.size()
        return storage
    }

    /// Only torn tails may be recovered from (§5.4 step 3) — and a damaged snapshot file newer than
    /// the one the scan fell back to (row P5): when it is the only problem and live segments remain,
    /// the older snapshot and the log still hold everything (compaction keeps the segments the
    /// older snapshot needs until a newer one is durable, and the hard state's commit index, which
    /// bounds every compaction, passed H13). Returns those snapshot files' problems.
    static func refuseUnlessRecoverable(_ result: ScanResult, dir: String) throws(StorageError) -> [StorageProblem] {
        var serious = result.problems.filter { $0.class != .tornTail }
        let damagedNames = Set(result.snapshotFiles.filter { !$0.isValid }.map(\.name))
        let damagedSnapshots = serious.filter { damagedNames.contains($0.file) && $0.class == .corruption }
        if !damagedSnapshots.isEmpty && damagedSnapshots.count == serious.count && !result.segments.isEmpty {
            serious = []
        }
        if !serious.isEmpty {
            let worst = serious[0].class
            throw StorageError(
                worst == .corruption ? .corruption : .inconsistency,
                "refusing to open \(dir): \(serious.count) problem(s) found, the first is \(worst.rawValue); run `logdump verify \(dir)` for the full report and `logdump repair \(dir)` for the options",
                path: dir, problems: result.problems)
        }
        return damagedSnapshots
    }

    /// Row S1 on the only segment of a log that never saved a hard state: the first segment's
    /// creation was interrupted, so it is removed and the log created again (nil otherwise).
    static func recreateAfterInterruptedCreation(
        _ result: ScanResult, dir: String, fileSystem: FileSystem,
        options: StorageOptions
    ) throws(StorageError) -> LogStorage? {
        guard let torn = result.tornTail, torn.removeFile, result.segments.count == 1, result.snapshot == nil else { return nil }
        try result.repairPlan()!.apply(fileSystem: fileSystem)
        guard
            let created = try createIfFresh(
                dir: dir, fileSystem: fileSystem, options: options,
                hardStatePath: Path.join(dir, StorageFormat.hardStateFileName))
        else { return nil }
        var report = created.report
        report.problems = result.problems
        report.tornTailCut = true
        report.summary.insert("removed \(torn.file): its header was torn (an interrupted creation)", at: 0)
        return LogStorage(rebuilding: created, report: report)
    }

    /// The chosen snapshot, with its data from the same read that checked it; the entries it
    /// covers are dropped from `log` (§4.2: the log starts after the snapshot).
    static func chosenSnapshot(_ result: ScanResult, droppingCoveredEntriesOf log: inout [Entry]) -> Snapshot? {
        guard let info = result.snapshot else { return nil }
        guard let s = result.loadedSnapshot, s.metadata == info.metadata else {
            preconditionFailure("the scan chose snapshot \(info.name) without keeping its data")
        }
        let keep = log.firstIndex { $0.index > s.metadata.index } ?? log.count
        log.removeSubrange(0..<keep)
        return s
    }

    /// Row P5: renames each damaged newer snapshot file to `NAME.damaged` and syncs the directory.
    static func moveAside(
        _ damagedSnapshots: [StorageProblem], result: ScanResult, dir: String,
        fileSystem: FileSystem
    ) throws(StorageError) -> [String] {
        guard !damagedSnapshots.isEmpty else { return [] }
        var summary: [String] = []
        for problem in damagedSnapshots {
            let path = Path.join(dir, problem.file)
            try fileSystem.rename(from: path, to: path + ".damaged")
            summary.append(
                "\(problem.description); recovered from \(result.snapshot.map { "the older snapshot \($0.name)" } ?? "the log alone"), which the log still completes; the damaged file is kept as \(problem.file).damaged"
            )
        }
        try fileSystem.syncDirectory(atPath: dir)
        return summary
    }

    /// Row S11: an interrupted `saveSnapshot` left segments the durable snapshot wholly covers.
    static func removeObsoleteSegments(_ result: ScanResult, dir: String, fileSystem: FileSystem) throws(StorageError) -> [String] {
        guard !result.obsoleteSegments.isEmpty else { return [] }
        for path in result.obsoleteSegments { try fileSystem.removeFile(atPath: path) }
        try fileSystem.syncDirectory(atPath: dir)
        return ["removed \(result.obsoleteSegments.count) segment(s) wholly covered by the snapshot (an interrupted compaction)"]
    }

    /// The end of the last live segment as scanned, before any cut.
    static func appendPoint(after result: ScanResult) -> AppendPoint {
        let baseBatchSequence = result.snapshot?.batchSequence ?? 0
        var starts: [SegmentStart] = []
        for s in result.segments {
            guard let header = s.header else { continue }
            starts.append(
                SegmentStart(
                    sequence: header.sequence, firstIndex: header.firstIndex,
                    batchSequenceBefore: s.acknowledgedAtStart?.batchSequence ?? baseBatchSequence))
        }
        let last = result.segments.last
        return AppendPoint(
            path: last?.path ?? "", sequence: last?.header?.sequence ?? 1,
            offset: last?.validEnd ?? Int64(StorageFormat.segmentHeaderSize),
            hasRecords: (last?.entryRecords ?? 0) + (last?.batchRecords ?? 0) > 0, starts: starts)
    }

    /// §5.4 step 4: cuts the torn tail (or removes a segment whose creation was interrupted, so that
    /// appending continues in the one before it). True when something was cut.
    static func cutTornTail(
        _ result: ScanResult, end: inout AppendPoint, fileSystem: FileSystem,
        summary: inout [String]
    ) throws(StorageError) -> Bool {
        guard let torn = result.tornTail else { return false }
        let plan = result.repairPlan()!
        try plan.apply(fileSystem: fileSystem)
        summary.append(contentsOf: plan.summary)
        if torn.removeFile {
            end.starts.removeAll { $0.sequence >= end.sequence }
            if result.segments.count >= 2 {
                let previous = result.segments[result.segments.count - 2]
                end.path = previous.path
                end.sequence = previous.header?.sequence ?? end.sequence - 1
                end.offset = previous.validEnd
                end.hasRecords = true
            } else {
                end.path = ""
            }
        } else {
            end.offset = torn.cutOffset
            end.hasRecords = end.offset > Int64(StorageFormat.segmentHeaderSize)
        }
        return true
    }

    /// The segment appending continues in: the last live one, or a new one when none is left (a
    /// received snapshot whose new segment was not created yet leaves this too, row S12).
    static func openAppendSegment(
        _ end: inout AppendPoint, unusedBytes: Int64, result: ScanResult, logID: LogID, snapshotIndex: UInt64, dir: String,
        fileSystem: FileSystem, summary: inout [String]
    ) throws(StorageError) -> StorageFile {
        guard end.path.isEmpty else {
            let segment = try fileSystem.openFile(atPath: end.path, create: false)
            if try segment.size() != end.offset + unusedBytes {
                // Bytes past the last valid record that were not a torn tail or preallocated zeros
                // (R11) cannot be here (the scan would have refused); sizes differ only after the cut. Make sure.
                try segment.truncate(to: end.offset)
                try segment.sync()
            }
            return segment
        }
        let sequence = result.snapshot?.firstSegment ?? 1
        let segment = try createSegment(
            dir: dir, fileSystem: fileSystem, logID: logID, sequence: sequence,
            firstIndex: snapshotIndex + 1, sync: true)
        end = AppendPoint(
            path: Path.join(dir, StorageFormat.segmentFileName(sequence: sequence)), sequence: sequence,
            offset: Int64(StorageFormat.segmentHeaderSize), hasRecords: false,
            starts: [
                SegmentStart(
                    sequence: sequence, firstIndex: snapshotIndex + 1,
                    batchSequenceBefore: result.snapshot?.batchSequence ?? 0)
            ])
        summary.append("created segment \(sequence) starting at index \(snapshotIndex + 1)")
        return segment
    }

    /// Row H15: only unsynced batches (sync policy never) can name a hard state newer than the file
    /// holds (H9 refuses synced ones). The next slot must be numbered past it, so both slots are
    /// rewritten, synced, at the marker's sequence and the next one. Returns the sequence to continue from.
    static func numberHardStatePastUnsyncedBatches(
        _ result: ScanResult, hardState: HardState, logID: LogID, segmentSequence: UInt64,
        dir: String, fileSystem: FileSystem,
        summary: inout [String]
    ) throws(StorageError) -> UInt64 {
        guard let marker = result.lastBatch, marker.hardStateSequence > result.hardStateSequence else { return result.hardStateSequence }
        let path = Path.join(dir, StorageFormat.hardStateFileName)
        let rewrite = RepairAction.replaceHardState(
            path: path, state: hardState, sequence: marker.hardStateSequence,
            batchSequence: marker.batchSequence, segmentSequence: segmentSequence, logID: logID)
        try RepairPlan(actions: [rewrite], onlyTornTail: true, lostIndexes: nil, summary: [], unfixable: []).apply(fileSystem: fileSystem)
        summary.append(
            "the hard state (sequence \(result.hardStateSequence)) is older than the unsynced batches that survived (they name sequence \(marker.hardStateSequence)): both slots rewritten at sequences \(marker.hardStateSequence) and \(marker.hardStateSequence + 1)"
        )
        return marker.hardStateSequence + 1
    }
}
