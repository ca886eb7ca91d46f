import RaftCore

/// Consecutive entries of one term that a repair would remove.
public struct LostRun: Sendable, Equatable {
    /// Their term.
    public var term: UInt64
    /// The first and last index of the run.
    public var first: UInt64
    /// The last index of the run.
    public var last: UInt64
}

/// Why a repair cannot be planned, in words for the operator.
public struct RepairRefusal: Error, Sendable, CustomStringConvertible {
    /// What is wrong and what to do instead.
    public var message: String
    /// The message.
    public var description: String { message }
}

/// The one repair planner (what `logdump repair` shows and carries out): a proven torn tail, a
/// failure marker's undo and a torn hard-state slot, which lose nothing acknowledged; or, with data
/// loss accepted, a cut at a batch boundary that the operator names. The plans for a torn tail
/// start from `ScanResult.repairPlan()`, the one `LogStorage.open` applies itself.
public struct RepairPlanner {
    /// The scanner that read the directory (the planner reads the records again to list what goes).
    public let scanner: LogScanner
    /// What the scan found.
    public let scan: ScanResult

    /// A planner for what `scanner` found (`scan` is its `verify()`).
    public init(scanner: LogScanner, scan: ScanResult) {
        self.scanner = scanner
        self.scan = scan
    }

    // MARK: Nothing acknowledged is lost

    /// Cuts a proven torn tail, carries out a failure marker's undo, and rewrites a torn hard-state
    /// slot (row H6) from the good one, with the entries that go and why that is safe.
    public func tornTailPlan() throws(RepairRefusal) -> RepairPlan {
        var plan = scan.repairPlan() ?? RepairPlan(actions: [], onlyTornTail: true, lostIndexes: nil, summary: [])
        plan.summary = plan.summary.filter { !$0.hasPrefix("nothing to cut") }
        if scan.tornTail != nil || scan.failureMarker != nil {
            plan.lostRuns = try lostRuns { r in scan.isInTornTail(file: r.file, offset: r.offset) }
        }
        if let t = scan.tornTail {
            let point =
                scan.lastBatch.map { "batch \($0.batchSequence), which ends the log at index \(scan.lastIndex), term \(scan.lastTerm)" }
                ?? "the segment header"
            if t.removeFile {
                plan.explanation.append(
                    t.unacknowledgedEntries == 0
                        ? "why it is safe: \(t.file) is the last segment and its header was never completely written: it holds nothing, so removing it loses nothing"
                        : "why it is safe: \(t.file) is the last segment, its header never reached the disk and none of its batches was synced (sync policy never): nothing in it was acknowledged"
                )
            } else {
                plan.explanation.append(
                    "why it is safe: the damage at \(t.file):\(t.damageOffset) lies after the last batch marker (\(point)) in the last segment, and no synced batch marker after it is followed by more data."
                )
                plan.explanation.append(
                    "  A batch marker is written before every fsync, a save is acknowledged only after it, and the next save writes only after that: what follows offset \(t.cutOffset) is the write(s) of saves whose sync never returned, so nothing there was ever acknowledged (a crash may keep a later page of such a write and lose an earlier one)."
                )
            }
        }
        if scan.failureMarker != nil {
            plan.explanation.append(
                "why the failure marker's undo is safe: the write whose sync failed was never acknowledged (a save returns only after its sync), so cutting it back loses nothing; storage could not do it itself"
            )
        }
        if let rewrite = tornSlotRewrite() {
            plan.actions.append(rewrite.action)
            plan.summary.append(rewrite.summary)
            plan.explanation.append(
                "why the hard-state rewrite is safe: it writes the state of the good slot (the last durable one) into both slots, atomically (temp file, fsync, rename, directory fsync)"
            )
        }
        return plan
    }

    /// Row H6: a rewrite of the hard-state file from its good slot when the other slot is torn.
    func tornSlotRewrite() -> (action: RepairAction, summary: String)? {
        guard let hs = scan.hardState, let chosen = hs.chosen, let state = chosen.hardState, let sequence = chosen.sequence, let logID = chosen.logID,
            scan.problems.contains(where: { $0.row == .H6 })
        else { return nil }
        let action = RepairAction.replaceHardState(
            path: hs.path, state: state, sequence: sequence, batchSequence: chosen.batchSequence ?? 0,
            segmentSequence: chosen.segmentSequence ?? 0, logID: logID)
        return (
            action,
            "rewrite the torn hard-state slot from slot \(chosen.slot) (sequence \(sequence)): term \(state.term), vote \(state.vote), commit \(state.commit)"
        )
    }

    /// The entries (not superseded, after the snapshot) of the records `goes` selects, as runs of one term.
    func lostRuns(superseded: Bool = false, _ goes: (ScannedRecord) -> Bool) throws(RepairRefusal) -> [LostRun] {
        var runs: [LostRun] = []
        do {
            _ = try scanner.scan(computeSuperseded: superseded) { r, _ in
                guard r.kind == .entry, !r.superseded, goes(r) else { return }
                if let last = runs.last, last.term == r.term, last.last + 1 == r.index {
                    runs[runs.count - 1].last = r.index
                } else {
                    runs.append(LostRun(term: r.term, first: r.index, last: r.index))
                }
            }
        } catch {
            throw RepairRefusal(message: error.description)
        }
        return runs
    }
}
