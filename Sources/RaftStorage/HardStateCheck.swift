import RaftCore

extension LogScanner {
    // MARK: Hard state against the log (rows H of docs/storage-format.md §5.3)

    /// Reads the hard-state file and checks it against the log the scan read: rows H1–H15.
    func checkHardState(_ result: inout ScanResult, markerHardStateSequence: UInt64) throws(StorageError) {
        guard let path = hardStatePath else {
            if directory != nil && (!segmentPaths.isEmpty || !snapshotPaths.isEmpty) {
                result.problems.append(
                    StorageProblem(
                        .H1, .inconsistency, file: StorageFormat.hardStateFileName, offset: 0,
                        message: segmentPaths.isEmpty
                            ? "the hard-state file is missing but the log has a snapshot"
                            : "the hard-state file is missing but the log has segments"))
            }
            return
        }
        let name = Path.name(of: path)
        let inspection = try HardStateInspection.inspect(path: path, fileSystem: fileSystem)
        result.hardState = inspection
        if inspection.fileSize != Int64(StorageFormat.hardStateFileSize) {
            result.problems.append(
                StorageProblem(
                    .H2, .corruption, file: name, offset: 0,
                    message:
                        "the hard-state file is \(inspection.fileSize) bytes, expected \(StorageFormat.hardStateFileSize) (it is only ever replaced whole)"
                ))
        }
        guard let chosen = inspection.chosen, let state = chosen.hardState, let sequence = chosen.sequence else {
            reportNoValidSlot(inspection, name: name, into: &result)
            return
        }
        result.hardStateSequence = sequence
        let other = inspection.slots.first { $0.slot != chosen.slot }
        if let other {
            guard checkOtherSlot(other, chosen: chosen, name: name, markerHardStateSequence: markerHardStateSequence, into: &result) else { return }
        }
        if let logID = result.logID, chosen.logID != logID {
            result.problems.append(
                StorageProblem(
                    .H8, .inconsistency, file: name, offset: chosen.offset,
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
            result.problems.append(
                StorageProblem(
                    .H9, .inconsistency, file: name, offset: chosen.offset,
                    message:
                        "the hard state (sequence \(sequence)) is older than the log's last batch marker says (sequence \(markerHardStateSequence))"))
        }
        checkWrittenAfter(chosen, name: name, into: &result)
        result.recoveredHardState = recover(
            state, sequence: sequence, chosen: chosen, name: name,
            markerHardStateSequence: markerHardStateSequence, into: &result)
        if let marker = result.lastBatch, !marker.synced, marker.hardStateSequence > sequence { result.notedRows.insert(.H15) }
    }

    /// Row H3: no slot is valid.
    private func reportNoValidSlot(_ inspection: HardStateInspection, name: String, into result: inout ScanResult) {
        for slot in inspection.slots where slot.status != .valid {
            result.problems.append(
                StorageProblem(
                    .H3, .corruption, file: name, offset: slot.offset,
                    expectedChecksum: slot.status == .invalid ? slot.storedChecksum : nil,
                    computedChecksum: slot.status == .invalid ? slot.computedChecksum : nil,
                    message: "hard-state slot \(slot.slot) is \(slot.status == .empty ? "empty" : (slot.reason ?? "invalid")) and no slot is valid"))
        }
        if inspection.slots.isEmpty && inspection.fileSize == Int64(StorageFormat.hardStateFileSize) {
            result.problems.append(StorageProblem(.H3, .corruption, file: name, offset: 0, message: "no hard-state slot is valid"))
        }
    }

    /// Rows H4–H7 and H14: the slot that was not chosen. False when the chosen slot is proven older
    /// than what was acknowledged (H7), so comparing it with the log says nothing more.
    private func checkOtherSlot(
        _ other: HardStateSlot, chosen: HardStateSlot, name: String, markerHardStateSequence: UInt64,
        into result: inout ScanResult
    ) -> Bool {
        let sequence = chosen.sequence!
        switch other.status {
        case .valid:
            let otherSequence = other.sequence!
            if otherSequence + 1 != sequence && !chosen.synced && otherSequence < sequence {
                // Several slot writes under sync policy never, and the power loss kept the newest in
                // one slot and an older one in the other: nothing unsynced was acknowledged.
                result.notes.append(
                    "hard-state slots hold sequences \(otherSequence) and \(sequence): the writes between them were not synced (sync policy never) and were lost"
                )
                result.notedRows.insert(.H14)
            } else if otherSequence + 1 != sequence {
                result.problems.append(
                    StorageProblem(
                        .H4, .inconsistency, file: name, offset: other.offset,
                        message: "hard-state slots hold sequences \(otherSequence) and \(sequence); they must be consecutive"))
            }
            if other.logID != chosen.logID {
                result.problems.append(
                    StorageProblem(
                        .H4, .inconsistency, file: name, offset: other.offset,
                        message: "hard-state slots belong to different logs (\(other.logID!) and \(chosen.logID!))"))
            }
        case .empty where sequence == 0:
            result.notedRows.insert(.H5)
        case .empty, .invalid:
            let what = other.status == .empty ? "is zeroed" : "does not read back (\(other.reason ?? "invalid"))"
            if sequence >= markerHardStateSequence {
                result.problems.append(
                    StorageProblem(
                        .H6, .tornTail, file: name, offset: other.offset,
                        expectedChecksum: other.storedChecksum, computedChecksum: other.computedChecksum,
                        message:
                            "hard-state slot \(other.slot) \(what): an interrupted hard-state write; slot \(chosen.slot) (sequence \(sequence)) holds the last durable state"
                    ))
            } else {
                result.problems.append(
                    StorageProblem(
                        .H7, .corruption, file: name, offset: other.offset,
                        expectedChecksum: other.storedChecksum, computedChecksum: other.computedChecksum,
                        message:
                            "hard-state slot \(other.slot) \(what), but the log's last batch marker proves hard-state sequence \(markerHardStateSequence) was durable"
                    ))
                return false
            }
        }
        return true
    }

    /// Rows H10 and H11: a synced slot names batches or segments the log does not have.
    private func checkWrittenAfter(_ chosen: HardStateSlot, name: String, into result: inout ScanResult) {
        guard chosen.synced else { return }
        let lastBatchSequence = max(result.lastBatch?.batchSequence ?? 0, result.snapshot?.batchSequence ?? 0)
        if let written = chosen.batchSequence, written > lastBatchSequence {
            result.problems.append(
                StorageProblem(
                    .H10, .inconsistency, file: name, offset: chosen.offset,
                    message:
                        "the hard state was written after batch \(written), but the log ends at batch \(lastBatchSequence): synced batches or segments are missing"
                ))
        }
        let tornTail = result.tornTail
        let lastSegmentSequence =
            result.segments.last(where: { $0.header != nil && !(tornTail?.removeFile == true && tornTail?.path == $0.path) })?.header?.sequence
            ?? (result.snapshot?.firstSegment).map { $0 - 1 } ?? 0
        if let written = chosen.segmentSequence, written > lastSegmentSequence {
            result.problems.append(
                StorageProblem(
                    .H11, .inconsistency, file: name, offset: chosen.offset,
                    message:
                        "the hard state was written while segment \(written) existed, but the log's last segment is \(lastSegmentSequence): segments are missing"
                ))
        }
    }

    /// Rows H12 and H13: a term below the log's last, a commit past its end. Returns the hard state
    /// recovery uses (adjusted when the writes that would have matched were never acknowledged).
    private func recover(
        _ state: HardState, sequence: UInt64, chosen: HardStateSlot, name: String, markerHardStateSequence: UInt64,
        into result: inout ScanResult
    ) -> HardState {
        var recovered = state
        if state.term < result.lastTerm {
            if result.unsyncedBatchesAtEnd > 0 {
                recovered.term = result.lastTerm
                recovered.vote = .none
                result.notes.append(
                    "term raised from \(state.term) to \(result.lastTerm) (the term of the last entry) with no vote: the hard-state write was lost while unsynced batches survived (sync policy never)"
                )
                result.notedRows.insert(.H12)
            } else {
                result.problems.append(
                    StorageProblem(
                        .H12, .inconsistency, file: name, offset: chosen.offset, term: state.term,
                        message: "the hard state's term \(state.term) is below the term \(result.lastTerm) of the log's last entry"))
            }
        }
        if state.commit > result.lastIndex {
            if sequence > markerHardStateSequence || result.unsyncedBatchesAtEnd > 0 {
                recovered.commit = result.lastIndex
                result.notes.append(
                    "commit index \(state.commit) lowered to the last durable index \(result.lastIndex): the save that wrote it lost its entries to a crash"
                )
                result.notedRows.insert(.H13)
            } else {
                result.problems.append(
                    StorageProblem(
                        .H13, .inconsistency, file: name, offset: chosen.offset, index: state.commit,
                        message: "the hard state's commit index \(state.commit) is past the log's last index \(result.lastIndex)"))
            }
        }
        return recovered
    }
}
