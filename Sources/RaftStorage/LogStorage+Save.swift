import RaftCore

extension LogStorage {
    // MARK: Save (docs/storage-format.md §5.1)

    /// One Ready's worth: append entries (an entry at or below the last index supersedes the suffix, append-only on disk),
    /// write the hard state if given, then a batch marker and fsync (per the sync policy).
    ///
    /// Order on disk: the hard-state slot is written and synced first, then the entries and the
    /// marker in one write, then the segment is synced. When the new commit index names entries of
    /// this same save, the first hard-state write holds it back below them and a second one, after
    /// the segment's sync, records it (`commitHeldBack`; `.never` leaves that to a later save). A
    /// failed write leaves the storage unusable, its step undone on disk (§5.6).
    public func save(hardState newHardState: HardState?, entries newEntries: [Entry]) throws(StorageError) {
        let (segmentFile, hardStateFile) = try usableFiles()
        try checkAppendable(newEntries, hardState: newHardState)
        // What undoes the step in progress if it fails (docs/storage-format.md §5.6).
        var undo: FailureMarker.Undo?
        do {
            try syncWhatNeverLeftBehind(undo: &undo)
            let file = try rotateIfFull(segmentFile, appending: !newEntries.isEmpty, undo: &undo)
            let wroteHardState = try writeHardStateFirst(newHardState, entries: newEntries, to: hardStateFile, undo: &undo)
            // A hard-state-only save writes a marker with no entries: once synced, it vouches for
            // the slot, so damage to that slot later reads as corruption, not as a torn write.
            if !newEntries.isEmpty || wroteHardState {
                try writeBatch(newEntries, to: file, undo: &undo)
                try recordHeldBackCommit(newHardState, to: hardStateFile, undo: &undo)
            }
            noteDurablePointIfSynced()
        } catch {
            failed = error
            guard let undo else { throw error }
            throw undoFailedStep(undo, after: error, hardStateFile: hardStateFile)
        }
    }

    /// The open files, or the error that says why the storage cannot be used.
    func usableFiles() throws(StorageError) -> (segment: StorageFile, hardState: StorageFile) {
        if let failed { throw StorageError(.unusable, "storage is unusable after an earlier failure: \(failed.message)", path: directory) }
        guard let segment, let hardStateFile else { throw StorageError(.unusable, "storage is closed", path: directory) }
        return (segment, hardStateFile)
    }

    /// §5.1 step 1, checked before touching the disk: consecutive indexes starting in
    /// `firstIndex … lastIndex + 1`, terms ≥ 1 that never go down (paper §5.3: a log's terms never
    /// decrease), payloads within the format's limit, and no entry of a term the hard state has not
    /// reached (its term must be durable before entries of that term).
    func checkAppendable(_ newEntries: [Entry], hardState newHardState: HardState?) throws(StorageError) {
        guard let first = newEntries.first else { return }
        guard first.index >= firstIndex && first.index <= lastIndex + 1 else {
            throw StorageError(
                .invalidArgument,
                first.index < firstIndex
                    ? "entries start at index \(first.index) but the snapshot covers the log through \(snapshotIndex)"
                    : "entries start at index \(first.index) but the log ends at \(lastIndex)")
        }
        var expected = first.index, term = term(at: first.index - 1) ?? 0
        for e in newEntries {
            guard e.index == expected else { throw StorageError(.invalidArgument, "entries are not consecutive at index \(e.index)") }
            guard e.term >= 1 && e.term >= term else {
                throw StorageError(.invalidArgument, "entry \(e.index) has term \(e.term), below the term \(term) before it")
            }
            guard e.data.count <= StorageFormat.maxPayloadLength else {
                throw StorageError(
                    .invalidArgument, "entry \(e.index) has \(e.data.count) bytes, above the limit of \(StorageFormat.maxPayloadLength)")
            }
            expected += 1
            term = e.term
        }
        let hardTerm = (newHardState ?? hardState).term
        guard term <= hardTerm else {
            throw StorageError(
                .invalidArgument,
                "entry \(newEntries.last!.index) has term \(term), above the hard state's term \(hardTerm) (save the new term with it)")
        }
    }

    /// Switching from `.never` to `.everyBatch`: makes what `.never` left behind durable first, so
    /// that a synced batch never sits after (or in a segment named after) unsynced ones. Under
    /// `.never`, notes that the current segment now holds unsynced writes.
    /// If that sync fails, everything written since the last full sync is undone (§5.6).
    func syncWhatNeverLeftBehind(undo: inout FailureMarker.Undo?) throws(StorageError) {
        if syncPolicy == .everyBatch && unsyncedSince != nil {
            undo = rollBackToDurablePoint()
            try syncEverything()
            undo = nil
        }
        if syncPolicy == .never { unsyncedSince = min(unsyncedSince ?? segmentSequence, segmentSequence) }
    }

    /// §5.1 step 2: a full segment is synced and the next one created before a batch with entries
    /// goes to it — first, so that a hard state written next names the segment its batch goes to.
    /// Returns the segment to append to.
    func rotateIfFull(_ current: StorageFile, appending: Bool, undo: inout FailureMarker.Undo?) throws(StorageError) -> StorageFile {
        guard appending && segmentHasRecords && segmentOffset >= Int64(options.segmentSizeBytes) else { return current }
        undo = .truncate(file: StorageFormat.segmentFileName(sequence: segmentSequence), length: segmentOffset)
        try dropPreallocation(of: current)
        if syncPolicy == .everyBatch { try current.sync() }
        undo = .remove(file: StorageFormat.segmentFileName(sequence: segmentSequence + 1))
        let next = try Self.createSegment(
            dir: directory, fileSystem: fileSystem, logID: logID, sequence: segmentSequence + 1,
            firstIndex: lastIndex + 1, sync: syncPolicy == .everyBatch)
        undo = nil
        current.close()
        segment = next
        segmentSequence += 1
        segmentOffset = Int64(StorageFormat.segmentHeaderSize)
        segmentAllocatedEnd = segmentOffset  // the segment's first synced batch writes its zeros
        segmentHasRecords = false
        segmentStarts.append(SegmentStart(sequence: segmentSequence, firstIndex: lastIndex + 1, batchSequenceBefore: batchSequence))
        return next
    }

    /// §5.1 step 3: the hard state, synced before any entry of this save can be (a vote or term
    /// must be durable before the entries of that term: paper Figure 2). Its commit index is held
    /// below this save's first entry until those entries are synced (`commitHeldBack`). A save
    /// without entries always writes its slot. True when a slot was written.
    func writeHardStateFirst(
        _ newHardState: HardState?, entries newEntries: [Entry], to file: StorageFile,
        undo: inout FailureMarker.Undo?
    ) throws(StorageError) -> Bool {
        guard let firstState = newHardState.map({ Self.commitHeldBack($0, below: newEntries.first?.index) }),
            firstState != hardState || newEntries.isEmpty
        else { return false }
        undo = .dropHardStateSlot(slot: Int((hardStateSequence + 1) % 2))
        try writeHardState(firstState, to: file, sync: syncPolicy == .everyBatch)
        return true
    }

    /// §5.1 step 4: the entries and the marker in one write, then one sync; only then does the log
    /// in memory take the entries (a conflict supersedes the suffix from the first one's index).
    /// With preallocation the batch overwrites zeros already synced; the batch that reaches the
    /// end of that space writes the next stretch of zeros after itself, under the same sync.
    func writeBatch(_ newEntries: [Entry], to file: StorageFile, undo: inout FailureMarker.Undo?) throws(StorageError) {
        buffer.removeAll(keepingCapacity: true)
        for e in newEntries { RecordCodec.appendEntry(e, to: &buffer) }
        let lastAfter = newEntries.last.map { ($0.term, $0.index) } ?? (lastTerm, lastIndex)
        let marker = BatchMarker(
            batchSequence: batchSequence + 1, hardStateSequence: hardStateSequence,
            firstIndex: newEntries.first?.index ?? lastIndex + 1, entryCount: UInt32(newEntries.count),
            synced: syncPolicy == .everyBatch)
        RecordCodec.appendBatch(marker, lastTerm: lastAfter.0, lastIndex: lastAfter.1, to: &buffer)
        undo = .truncate(file: currentSegmentFileName(), length: segmentOffset)
        try file.write(buffer, at: segmentOffset)
        let batchEnd = segmentOffset + Int64(buffer.count)
        let zeros = preallocationAfter(batchBytes: buffer.count)
        if zeros > 0 { try writeZeros(zeros, at: batchEnd, to: file) }
        if syncPolicy == .everyBatch { try file.sync() }
        undo = nil
        segmentOffset = batchEnd
        segmentAllocatedEnd = max(segmentAllocatedEnd, batchEnd + Int64(zeros))
        segmentHasRecords = true
        batchSequence += 1
        if let first = newEntries.first {
            if first.index <= lastIndex { entries.removeSubrange(Int(first.index - firstIndex)...) }
            entries.append(contentsOf: newEntries)
        }
    }

    /// The current segment's file name (`StorageFormat.segmentFileName`), built once per segment.
    func currentSegmentFileName() -> String {
        if let cached = segmentNameCache, cached.sequence == segmentSequence { return cached.name }
        let name = StorageFormat.segmentFileName(sequence: segmentSequence)
        segmentNameCache = (segmentSequence, name)
        return name
    }

    /// §5.1 step 5: the commit index held back in step 3, now that the entries it names are synced.
    /// Without a sync (`.never`) it waits for a later save: nothing this save wrote is durable, so
    /// no write of it may claim more than the entries before it.
    func recordHeldBackCommit(_ newHardState: HardState?, to file: StorageFile, undo: inout FailureMarker.Undo?) throws(StorageError) {
        guard let newHardState, newHardState != hardState, syncPolicy == .everyBatch else { return }
        undo = .dropHardStateSlot(slot: Int((hardStateSequence + 1) % 2))
        try writeHardState(newHardState, to: file, sync: true)
        undo = nil
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
    func writeHardState(_ newHardState: HardState, to file: StorageFile, sync: Bool) throws(StorageError) {
        let sequence = hardStateSequence + 1
        let slot = Int(sequence % 2)
        let bytes = RecordCodec.hardStateSlot(
            newHardState, sequence: sequence, slot: slot, logID: logID,
            batchSequence: batchSequence, segmentSequence: segmentSequence, synced: sync)
        try file.write(bytes, at: Int64(slot * StorageFormat.hardStateSlotStride))
        if sync { try file.sync() }
        hardStateSequence = sequence
        hardState = newHardState
    }
}
