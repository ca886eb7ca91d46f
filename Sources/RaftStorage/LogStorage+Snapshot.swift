import RaftCore

extension LogStorage {
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
    public func saveSnapshot(
        _ snapshot: Snapshot, hardState newHardState: HardState? = nil,
        mode: SnapshotSaveMode = .automatic
    ) throws(StorageError) {
        let (_, hardStateFile) = try usableFiles()
        if let current = self.snapshot, current == snapshot, newHardState == nil || newHardState == hardState { return }
        let compaction = try checkSnapshot(snapshot, hardState: newHardState, mode: mode)
        let firstSegment = firstSegment(after: snapshot.metadata.index, compaction: compaction)
        // What undoes the step in progress if it fails (docs/storage-format.md §5.6).
        var undo: FailureMarker.Undo?
        do {
            // 1. Nothing unsynced may sit below a durable snapshot.
            if unsyncedSince != nil {
                undo = rollBackToDurablePoint()
                try syncEverything()
            }
            // 2. The hard state first: a snapshot's term never reaches the disk before a hard state that covers it.
            //    Its commit index stays at the durable one until the snapshot is durable: it may name
            //    the snapshot's entries, and the log on disk may still hold other entries at those
            //    indexes (a follower's conflicting suffix), which a restart would then apply.
            let firstState = newHardState.map { Self.commitHeldBack($0, below: hardState.commit + 1) }
            if let firstState, firstState != hardState {
                undo = .dropHardStateSlot(slot: Int((hardStateSequence + 1) % 2))
                try writeHardState(firstState, to: hardStateFile, sync: true)
            }
            // 3. The snapshot file, atomically. From the directory sync on, recovery starts from it;
            //    a failed sync of the directory (or of the file) removes it again.
            let name = SnapshotFormat.fileName(index: snapshot.metadata.index)
            let bytes = SnapshotFormat.encode(
                snapshot, logID: logID, firstSegment: firstSegment.sequence,
                batchSequence: firstSegment.batchSequenceBefore)
            undo = .remove(file: name)
            try fileSystem.writeFileAtomically(bytes, atPath: Path.join(directory, name))
            // 4. The log after it (a received snapshot's new segment is removed if its creation fails).
            undo = compaction ? nil : .remove(file: StorageFormat.segmentFileName(sequence: firstSegment.sequence))
            try startLog(after: snapshot, in: firstSegment, compaction: compaction)
            // 4b. The commit index held back in step 2, now that the snapshot it names is durable.
            if let newHardState, newHardState != hardState {
                undo = .dropHardStateSlot(slot: Int((hardStateSequence + 1) % 2))
                try writeHardState(newHardState, to: hardStateFile, sync: true)
            }
            undo = nil
            // 5. Garbage: obsolete segments, snapshot files older than the newest two. Nothing to
            //    undo: a removal that did not reach the disk leaves a file the next open removes.
            try removeGarbage(below: firstSegment.sequence, snapshotIndex: snapshot.metadata.index)
            noteDurablePointIfSynced()
        } catch {
            failed = error
            guard let undo else { throw error }
            throw undoFailedStep(undo, after: error, hardStateFile: hardStateFile)
        }
    }

    /// The snapshot's preconditions (§4.3); returns true for a compaction, false for a received snapshot.
    func checkSnapshot(_ snapshot: Snapshot, hardState newHardState: HardState?, mode: SnapshotSaveMode) throws(StorageError) -> Bool {
        let index = snapshot.metadata.index, term = snapshot.metadata.term
        guard index >= 1, term >= 1, index < StorageFormat.plausibleLimit, term < StorageFormat.plausibleLimit else {
            throw StorageError(.invalidArgument, "a snapshot has index and term of at least 1 (and below 2^62); got index \(index), term \(term)")
        }
        guard index > snapshotIndex else {
            throw StorageError(.invalidArgument, "the snapshot at index \(index) is not newer than the stored one at \(snapshotIndex)")
        }
        let stateTerm = (newHardState ?? hardState).term
        guard term <= stateTerm else {
            throw StorageError(
                .invalidArgument, "the snapshot's term \(term) is above the hard state's term \(stateTerm) (pass the new hard state with it)")
        }
        let holdsIt = self.term(at: index) == term
        switch mode {
        case .automatic: return holdsIt
        case .compaction:
            guard holdsIt else {
                throw StorageError(
                    .invalidArgument,
                    "cannot compact through \(index) (term \(term)): the log holds \(self.term(at: index).map { "term \($0) there" } ?? "no entry there") (last index \(lastIndex))"
                )
            }
            return true
        case .received: return false
        }
    }

    /// Where the log after the snapshot starts. Compaction: the last live segment whose first index is
    /// at most index + 1 — every entry after the snapshot was written into it or a later one (an entry
    /// at or past a segment's first index cannot predate the segment). Received: a new segment.
    func firstSegment(after index: UInt64, compaction: Bool) -> SegmentStart {
        guard compaction else {
            return SegmentStart(sequence: segmentSequence + 1, firstIndex: index + 1, batchSequenceBefore: batchSequence)
        }
        return segmentStarts.last { $0.firstIndex <= index + 1 } ?? segmentStarts[0]
    }

    /// §4.3 step 4: the log in memory drops what the snapshot covers; a received snapshot starts a new
    /// segment at its index + 1 (header and directory synced).
    func startLog(after snapshot: Snapshot, in firstSegment: SegmentStart, compaction: Bool) throws(StorageError) {
        if compaction {
            entries.removeSubrange(0..<Int(snapshot.metadata.index - snapshotIndex))
            segmentStarts.removeAll { $0.sequence < firstSegment.sequence }
        } else {
            let next = try Self.createSegment(
                dir: directory, fileSystem: fileSystem, logID: logID, sequence: firstSegment.sequence,
                firstIndex: firstSegment.firstIndex, sync: true)
            segment?.close()
            segment = next
            segmentSequence = firstSegment.sequence
            segmentOffset = Int64(StorageFormat.segmentHeaderSize)
            segmentAllocatedEnd = segmentOffset  // not preallocated: the first batch in it writes the zeros
            segmentHasRecords = false
            segmentStarts = [firstSegment]
            entries.removeAll()
        }
        self.snapshot = snapshot
    }

    /// §4.3 step 5: removes the segments below `firstSegment` and the snapshot files older than the
    /// newest `SnapshotFormat.filesKept`, then syncs the directory.
    func removeGarbage(below firstSegment: UInt64, snapshotIndex index: UInt64) throws(StorageError) {
        var removed = false
        var snapshotNames: [String] = []
        for name in try fileSystem.contentsOfDirectory(atPath: directory) {
            if let sequence = StorageFormat.segmentSequence(fileName: name), sequence < firstSegment {
                try fileSystem.removeFile(atPath: Path.join(directory, name))
                removed = true
            } else if let at = SnapshotFormat.index(fileName: name), at <= index {
                snapshotNames.append(name)
            }
        }
        snapshotNames.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for name in snapshotNames.dropLast(SnapshotFormat.filesKept) {
            try fileSystem.removeFile(atPath: Path.join(directory, name))
            removed = true
        }
        if removed { try fileSystem.syncDirectory(atPath: directory) }
    }

    /// Syncs everything written so far (for a host running with `.never` that wants a checkpoint):
    /// the hard state, every segment written since the last sync, and the directory.
    public func sync() throws(StorageError) {
        let (_, hardStateFile) = try usableFiles()
        // A failed sync leaves nothing written since the last full sync (§5.6).
        let undo = rollBackToDurablePoint()
        do { try syncEverything() } catch {
            failed = error
            guard let undo else { throw error }
            throw undoFailedStep(undo, after: error, hardStateFile: hardStateFile)
        }
    }

    func syncEverything() throws(StorageError) {
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
        durable = currentPoint
    }
}
