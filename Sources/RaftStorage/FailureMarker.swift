import RaftCore

/// The file a `LogStorage` leaves in its data directory when a write or sync failed and undoing it
/// failed too (docs/storage-format.md §5.6). Until an operator acts, the page cache may hold bytes
/// that are not on the disk and that no reopen may trust, so `LogStorage.open` refuses the
/// directory while the file exists; `logdump verify` explains it and `logdump repair --apply`
/// carries out the undo and removes it.
///
/// The file is text, one `key: value` per line, so that a person can read it too.
public struct FailureMarker: Sendable, Equatable {
    /// The marker's name in the data directory.
    public static let fileName = "sync-failed"

    /// What storage could not do after the failure.
    public enum Undo: Sendable, Equatable {
        /// Cut a segment back to its length before the failed write (every byte after it unacknowledged).
        case truncate(file: String, length: Int64)
        /// Remove a segment whose creation failed (it holds nothing acknowledged).
        case remove(file: String)
        /// Ignore a hard-state slot whose write or sync failed: the other slot is the current state.
        case dropHardStateSlot(slot: Int)
        /// Go back to the last full sync after a failed sync of what `SyncPolicy.never` wrote since:
        /// cut segment `file` back to `length`, remove every later segment, and, when given, rewrite
        /// the hard state as it was then.
        case rollBack(file: String, length: Int64, hardState: SyncedHardState?)
    }

    /// A hard state as a synced slot held it, with what the slot names.
    public struct SyncedHardState: Sendable, Equatable {
        /// Term, vote and commit.
        public var state: HardState
        /// The slot's sequence number.
        public var sequence: UInt64
        /// The last batch marker's sequence then.
        public var batchSequence: UInt64
        /// The segment being appended to then.
        public var segmentSequence: UInt64

        /// Creates one.
        public init(state: HardState, sequence: UInt64, batchSequence: UInt64, segmentSequence: UInt64) {
            self.state = state
            self.sequence = sequence
            self.batchSequence = batchSequence
            self.segmentSequence = segmentSequence
        }
    }

    /// The undo that is still to be done.
    public var undo: Undo
    /// The failure of the write or sync, in words.
    public var failure: String
    /// Why the undo failed, in words.
    public var undoFailure: String

    /// Creates a marker.
    public init(undo: Undo, failure: String, undoFailure: String) {
        self.undo = undo
        self.failure = failure
        self.undoFailure = undoFailure
    }

    /// The file's bytes.
    public func encode() -> [UInt8] {
        var lines = [
            "RaftStep storage: a write or sync failed and could not be undone; do not open this directory until the undo below is done (logdump verify explains, logdump repair --apply does it)"
        ]
        switch undo {
        case .truncate(let file, let length): lines += ["undo: truncate", "file: \(file)", "length: \(length)"]
        case .remove(let file): lines += ["undo: remove", "file: \(file)"]
        case .dropHardStateSlot(let slot): lines += ["undo: drop-hard-state-slot", "slot: \(slot)"]
        case .rollBack(let file, let length, let synced):
            lines += ["undo: roll-back", "file: \(file)", "length: \(length)"]
            if let synced {
                lines += [
                    "term: \(synced.state.term)", "vote: \(synced.state.vote)", "commit: \(synced.state.commit)",
                    "hard-state sequence: \(synced.sequence)", "batch sequence: \(synced.batchSequence)",
                    "segment sequence: \(synced.segmentSequence)",
                ]
            }
        }
        lines += ["failure: \(Self.oneLine(failure))", "undo failure: \(Self.oneLine(undoFailure))"]
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }

    /// Reads a marker's bytes; nil when they are not a marker this version wrote.
    public static func decode(_ bytes: [UInt8]) -> FailureMarker? {
        var fields: [String: String] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = String(line[line.index(after: colon)...].drop { $0 == " " })
        }
        let failure = fields["failure"] ?? "", undoFailure = fields["undo failure"] ?? ""
        switch fields["undo"] {
        case "truncate":
            guard let file = fields["file"], isPlainName(file), let length = fields["length"].flatMap({ Int64($0) }),
                length >= Int64(StorageFormat.segmentHeaderSize)
            else { return nil }
            return FailureMarker(undo: .truncate(file: file, length: length), failure: failure, undoFailure: undoFailure)
        case "remove":
            guard let file = fields["file"], isPlainName(file) else { return nil }
            return FailureMarker(undo: .remove(file: file), failure: failure, undoFailure: undoFailure)
        case "drop-hard-state-slot":
            guard let slot = fields["slot"].flatMap({ Int($0) }), slot == 0 || slot == 1 else { return nil }
            return FailureMarker(undo: .dropHardStateSlot(slot: slot), failure: failure, undoFailure: undoFailure)
        case "roll-back":
            guard let file = fields["file"], isPlainName(file), let length = fields["length"].flatMap({ Int64($0) }),
                length >= Int64(StorageFormat.segmentHeaderSize)
            else { return nil }
            return FailureMarker(
                undo: .rollBack(file: file, length: length, hardState: syncedHardState(fields)),
                failure: failure, undoFailure: undoFailure)
        default:
            return nil
        }
    }

    /// The hard state of a `roll-back` marker: nil when the marker names none (or names it badly).
    private static func syncedHardState(_ fields: [String: String]) -> SyncedHardState? {
        let keys = ["term", "vote", "commit", "hard-state sequence", "batch sequence", "segment sequence"]
        let values = keys.compactMap { fields[$0].flatMap { UInt64($0) } }
        guard values.count == keys.count, values.allSatisfy({ $0 < StorageFormat.plausibleLimit }) else { return nil }
        return SyncedHardState(
            state: HardState(term: values[0], vote: NodeID(values[1]), commit: values[2]),
            sequence: values[3], batchSequence: values[4], segmentSequence: values[5])
    }

    /// What happened and what to do, in words (for errors and `logdump verify`).
    public var explanation: String {
        let what: String
        switch undo {
        case .truncate(let file, let length):
            what =
                "the bytes of \(file) after offset \(length) were never acknowledged and may not be on the disk, but the page cache still shows them; cutting \(file) back to \(length) bytes failed"
        case .remove(let file):
            what = "\(file) was being created and its creation failed; removing it failed too"
        case .dropHardStateSlot(let slot):
            what = "hard-state slot \(slot) was being written and may not be on the disk; overwriting it with zeros failed"
        case .rollBack(let file, let length, let synced):
            what =
                "what was written without a sync since the last full sync (\(file) after offset \(length), any later segment\(synced == nil ? "" : ", the hard state after sequence \(synced!.sequence)")) was never acknowledged and may not be on the disk, but the page cache still shows it; going back to the last full sync failed"
        }
        return
            "a write or sync failed (\(failure)) and storage could not undo it (\(undoFailure)): \(what). Check the disk (dmesg, free space); `logdump repair DIR --apply` does the undo and removes \(Self.fileName)"
    }

    /// The marker in a directory: nil when there is none, a problem when it does not decode.
    public static func read(directory: String, fileSystem: FileSystem) throws(StorageError) -> FailureMarker? {
        let path = Path.join(directory, fileName)
        guard fileSystem.fileExists(atPath: path) else { return nil }
        let bytes = try fileSystem.readFile(atPath: path)
        guard let marker = decode(bytes) else {
            throw StorageError(
                .inconsistency,
                "\(path) exists but does not read as a failure marker; an earlier write or sync failed: inspect the directory before removing it",
                path: path)
        }
        return marker
    }

    private static func isPlainName(_ name: String) -> Bool { !name.isEmpty && !name.contains("/") && name != "." && name != ".." }

    private static func oneLine(_ text: String) -> String {
        String(text.map { $0 == "\n" ? " " : $0 })
    }
}

extension LogStorage {
    /// After a failed write or sync: a reopen in the same boot would read the page cache, which may
    /// still show bytes that never reached the disk (Linux keeps pages readable after a failed
    /// writeback), so the failed step is undone on disk — the segment cut back to its length before
    /// the write, or the new segment removed, or the hard-state slot zeroed (the previous slot stays
    /// current) — and that is synced. If the undo fails too, a `FailureMarker` makes every later
    /// open refuse the directory until an operator acts. Returns the error to throw.
    func undoFailedStep(_ undo: FailureMarker.Undo, after error: StorageError, hardStateFile: StorageFile?) -> StorageError {
        do throws(StorageError) {
            switch undo {
            case .truncate(let file, let length):
                let handle = try fileSystem.openFile(atPath: Path.join(directory, file), create: false)
                defer { handle.close() }
                if try handle.size() > length { try handle.truncate(to: length) }
                try handle.sync()
            case .remove(let file):
                let path = Path.join(directory, file)
                if fileSystem.fileExists(atPath: path) { try fileSystem.removeFile(atPath: path) }
                try fileSystem.syncDirectory(atPath: directory)
            case .dropHardStateSlot(let slot):
                guard let hardStateFile else { throw StorageError(.unusable, "the hard-state file is closed", path: directory) }
                try hardStateFile.write(
                    [UInt8](repeating: 0, count: StorageFormat.hardStateSlotSize),
                    at: Int64(slot * StorageFormat.hardStateSlotStride))
                try hardStateFile.sync()
            case .rollBack(let file, let length, let synced):
                try rollBack(segment: file, length: length, hardState: synced)
            }
        } catch let undoError {
            let marker = FailureMarker(undo: undo, failure: error.message, undoFailure: undoError.message)
            let markerPath = Path.join(directory, FailureMarker.fileName)
            var message = "\(error.message); " + marker.explanation.replacingDIR(with: directory)
            do { try fileSystem.writeFileAtomically(marker.encode(), atPath: markerPath) } catch let markerError {
                message +=
                    "; writing \(markerPath) failed as well (\(markerError.message)): do not restart on \(directory) before a reboot and `logdump verify`"
            }
            return StorageError(.unusable, message, path: directory, errno: error.errno)
        }
        let done: String
        switch undo {
        case .truncate(let file, let length): done = "\(file) was cut back to \(length) bytes (its last acknowledged batch) and synced"
        case .remove(let file): done = "the new segment \(file) was removed"
        case .dropHardStateSlot(let slot): done = "hard-state slot \(slot) was zeroed and synced (the previous hard state stays current)"
        case .rollBack(let file, let length, _):
            done =
                "what was written without a sync since the last full sync was undone (\(file) cut back to \(length) bytes, later segments removed, the hard state rewritten as it was) and synced"
        }
        return StorageError(
            error.kind, "\(error.message); \(done); reopen the storage to continue", path: error.path ?? directory, errno: error.errno)
    }
}

extension LogStorage {
    /// The `rollBack` undo: later segments removed (directory synced), the segment cut back and
    /// synced, then the hard-state file rewritten atomically with the synced state.
    func rollBack(segment file: String, length: Int64, hardState synced: FailureMarker.SyncedHardState?) throws(StorageError) {
        guard let kept = StorageFormat.segmentSequence(fileName: file) else {
            throw StorageError(.invalidArgument, "\(file) is not a segment name", path: directory)
        }
        let later = try fileSystem.contentsOfDirectory(atPath: directory).filter { (StorageFormat.segmentSequence(fileName: $0) ?? 0) > kept }
        for name in later { try fileSystem.removeFile(atPath: Path.join(directory, name)) }
        if !later.isEmpty { try fileSystem.syncDirectory(atPath: directory) }
        let handle = try fileSystem.openFile(atPath: Path.join(directory, file), create: false)
        defer { handle.close() }
        if try handle.size() > length { try handle.truncate(to: length) }
        try handle.sync()
        guard let synced else { return }
        let rewrite = RepairAction.replaceHardState(
            path: Path.join(directory, StorageFormat.hardStateFileName), state: synced.state,
            sequence: synced.sequence, batchSequence: synced.batchSequence,
            segmentSequence: synced.segmentSequence, logID: logID)
        try RepairPlan(actions: [rewrite], onlyTornTail: true, lostIndexes: nil, summary: [], unfixable: []).apply(fileSystem: fileSystem)
    }
}

extension String {
    /// The text with the placeholder ` DIR ` (in `FailureMarker.explanation`) replaced by a directory.
    func replacingDIR(with directory: String) -> String {
        replacing(" DIR ", with: " \(directory) ")
    }
}
