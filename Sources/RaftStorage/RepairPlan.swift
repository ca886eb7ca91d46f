import RaftCore

/// How a repair changes files.
public enum RepairAction: Sendable, Equatable, CustomStringConvertible {
    /// Cut a file to a length.
    case truncate(path: String, toLength: Int64)
    /// Delete a file.
    case remove(path: String)
    /// Replace the hard-state file (atomically) with both slots holding `state`, at sequences
    /// `sequence` and `sequence + 1`.
    case replaceHardState(path: String, state: HardState, sequence: UInt64, batchSequence: UInt64, segmentSequence: UInt64, logID: LogID)

    /// The plan, step by step.
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
    /// The entries that would go, as runs of one term (filled by `RepairPlanner`).
    public var lostRuns: [LostRun] = []
    /// Of those, the committed ones (the hard state's commit index is lowered past them).
    public var committedLost: ClosedRange<UInt64>?
    /// Why the plan is safe, or why it is not: lines for a person.
    public var explanation: [String] = []

    /// A plan; `RepairPlanner` adds what goes and why.
    public init(
        actions: [RepairAction], onlyTornTail: Bool, lostIndexes: ClosedRange<UInt64>?, summary: [String],
        unfixable: [StorageProblem] = []
    ) {
        self.actions = actions
        self.onlyTornTail = onlyTornTail
        self.lostIndexes = lostIndexes
        self.summary = summary
        self.unfixable = unfixable
    }

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
                    let encoded = RecordCodec.hardStateSlot(
                        state, sequence: s, slot: slot, logID: logID,
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

extension ScanResult {

    /// The plan that makes the log openable without losing anything acknowledged: cut a proven torn
    /// tail (what `LogStorage.open` does itself), or carry out a failure marker's undo. Nil when there
    /// is nothing to do; a plan without actions (and with `unfixable` problems) when nothing can be
    /// cut safely. Cuts that lose acknowledged entries are `RepairPlanner.cutPlan(at:)`.
    public func repairPlan() -> RepairPlan? {
        if let markerPath = failureMarkerPath { return failureMarkerPlan(markerPath) }
        let corruptions = problems.filter { $0.class == .corruption }
        let unfixable = problems.filter { $0.class == .inconsistency || ($0.class == .corruption && !isSegment($0.file)) }
        guard let tornTail, corruptions.isEmpty else {
            if problems.isEmpty { return nil }
            if problems.allSatisfy({ $0.class == .tornTail }) {
                return RepairPlan(
                    actions: [], onlyTornTail: true, lostIndexes: nil,
                    summary: ["nothing to cut: the torn hard-state slot is overwritten by the next hard-state write"],
                    unfixable: [])
            }
            return RepairPlan(
                actions: [], onlyTornTail: false, lostIndexes: nil,
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

    /// The undo a `FailureMarker` asks for, then its removal; only on a log with no other damage
    /// than a torn tail (the undo cuts nothing that was acknowledged).
    private func failureMarkerPlan(_ markerPath: String) -> RepairPlan {
        let others = problems.filter { $0.file != FailureMarker.fileName }
        guard let marker = failureMarker, others.allSatisfy({ $0.class == .tornTail }) else {
            return RepairPlan(
                actions: [], onlyTornTail: false, lostIndexes: nil,
                summary: [
                    "the failure marker's undo is carried out only on a log with no damage other than a torn tail; inspect the directory (and the marker) first"
                ],
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
            } else if let snapshotFile = snapshotFiles.first(where: { $0.name == file }) {
                actions.append(.remove(path: snapshotFile.path))
                summary.append("remove \(file), a snapshot whose sync failed")
            }
        case .rollBack(let file, let length, let synced):
            (actions, summary, markerCutsTail) = rollBackPlan(file: file, length: length, hardState: synced)
        case .dropHardStateSlot(let slot):
            if let inspection = hardState, let other = inspection.slots.first(where: { $0.slot != slot && $0.status == .valid }),
                let state = other.hardState, let sequence = other.sequence, let logID = other.logID
            {
                actions.append(
                    .replaceHardState(
                        path: inspection.path, state: state, sequence: sequence, batchSequence: other.batchSequence ?? 0,
                        segmentSequence: other.segmentSequence ?? 0, logID: logID))
                summary.append(
                    "rewrite the hard state from slot \(other.slot) (sequence \(sequence)): slot \(slot) was being written when its sync failed")
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

    /// A `rollBack` marker's undo: the segment cut back, every later one removed, the synced hard state rewritten.
    private func rollBackPlan(
        file: String, length: Int64,
        hardState synced: FailureMarker.SyncedHardState?
    ) -> ([RepairAction], [String], Bool) {
        var actions: [RepairAction] = []
        var summary: [String] = []
        let kept = StorageFormat.segmentSequence(fileName: file) ?? UInt64.max
        for segment in segments where (StorageFormat.segmentSequence(fileName: segment.name) ?? 0) > kept {
            actions.append(.remove(path: segment.path))
            summary.append("remove \(segment.name), written without a sync after the last full sync")
        }
        if let segment = segments.first(where: { $0.name == file }), segment.size > length {
            actions.append(.truncate(path: segment.path, toLength: length))
            summary.append("cut \(file) back to \(length) bytes, its length at the last full sync")
        }
        if let synced, let path = hardState?.path, let logID {
            actions.append(
                .replaceHardState(
                    path: path, state: synced.state, sequence: synced.sequence, batchSequence: synced.batchSequence,
                    segmentSequence: synced.segmentSequence, logID: logID))
            summary.append("rewrite the hard state as it was at the last full sync (sequence \(synced.sequence))")
        }
        let cutsTornTail =
            tornTail.map { torn in
                (StorageFormat.segmentSequence(fileName: torn.file) ?? 0) > kept || (torn.file == file && torn.cutOffset >= length)
            } ?? false
        return (actions, summary, cutsTornTail)
    }

    func isSegment(_ file: String) -> Bool { StorageFormat.segmentSequence(fileName: Path.name(of: file)) != nil }
}
