import RaftCore

extension RepairPlanner {
    // MARK: With data loss accepted

    /// The highest `cutPlan(at:)` the damage allows: the first index after the last batch that ends
    /// before the first damage in a segment (or before the first problem in the segments' order).
    /// With only the hard state damaged, the end of the log + 1. Nil when the first segment's header is damaged.
    public var largestCut: UInt64? {
        let segmentProblems = scan.problems.filter { $0.class != .tornTail && isSegmentFile($0.file) }
        guard let first = segmentProblems.min(by: { position($0) < position($1) }),
            let ordinal = scan.segments.firstIndex(where: { $0.name == first.file })
        else {
            return max(scan.lastAcknowledged?.lastIndex ?? 0, scan.snapshot?.index ?? 0, scan.firstIndex - 1) + 1
        }
        let segment = scan.segments[ordinal]
        if segment.header == nil && ordinal == 0 { return nil }
        let point = scan.batchEnds[segment.name]?.last(where: { $0.end <= first.offset }) ?? segment.acknowledgedAtStart
        return max(point?.lastIndex ?? 0, scan.snapshot?.index ?? 0) + 1
    }

    private func position(_ p: StorageProblem) -> (Int, Int64) {
        (scan.segments.firstIndex { $0.name == p.file } ?? Int.max, p.offset)
    }

    func isSegmentFile(_ file: String) -> Bool { StorageFormat.segmentSequence(fileName: Path.name(of: file)) != nil }

    /// Where a cut leaves the log: the end of a batch marker (or of the first segment's header).
    struct CutPoint { var ordinal: Int; var end: Int64; var marker: BatchMarker?; var lastIndex: UInt64; var lastTerm: UInt64 }

    /// Cuts the log so that it keeps `1..<cutAt` (after the snapshot): at the batch boundary with
    /// that end which lies before any damage; later segments go; the hard state is rewritten to
    /// match (its commit index lowered to what the kept log still shares with the committed one).
    public func cutPlan(at cutAt: UInt64) throws(RepairRefusal) -> RepairPlan {
        var ordinals: [String: Int] = [:]
        for (i, s) in scan.segments.enumerated() where ordinals[s.name] == nil { ordinals[s.name] = i }
        // The first damage in the segments (torn tails count: nothing after them is kept either).
        let firstDamage = scan.problems.compactMap { p -> (Int, Int64)? in ordinals[p.file].map { ($0, p.offset) } }.min { $0 < $1 }
        guard let firstSegment = scan.segments.first, let firstHeader = firstSegment.header else {
            throw RepairRefusal(message: "the first segment's header does not decode: no cut can leave a readable log")
        }
        let point = try cutPoint(cutAt, before: firstDamage)
        if let d = firstDamage, (point.ordinal, point.end) > d {
            throw RepairRefusal(
                message: "the damage starts at \(scan.segments[d.0].name):\(d.1), inside the part of the log a cut would keep: no cut can repair it")
        }
        var plan = try cutActions(point, firstHeader: firstHeader)
        let ordinalsCopy = ordinals
        let unreadable = scan.problems.filter { $0.class == .corruption && ordinalsCopy[$0.file] != nil }
        if !unreadable.isEmpty {
            plan.explanation.append(
                "records that do not read back at \(unreadable.map { "\($0.file):\($0.offset)" }.joined(separator: ", ")) go too; their contents are unknown (one of them may have rewritten kept entries: check the commit index against a peer)"
            )
        }
        return plan
    }

    /// The batch boundary that ends the log at `cutAt - 1`, before the first damage.
    func cutPoint(_ cutAt: UInt64, before firstDamage: (Int, Int64)?) throws(RepairRefusal) -> CutPoint {
        // A compacted log starts after its snapshot: the earliest cut keeps nothing but the snapshot.
        let firstIndex = scan.firstIndex
        guard cutAt >= firstIndex else {
            throw RepairRefusal(
                message:
                    "--cut-at \(cutAt) is inside the snapshot (the log starts at index \(firstIndex)); the earliest cut is --cut-at \(firstIndex)")
        }
        var point: CutPoint? =
            cutAt == firstIndex
            ? CutPoint(
                ordinal: 0, end: Int64(StorageFormat.segmentHeaderSize), marker: nil, lastIndex: firstIndex - 1, lastTerm: scan.snapshot?.term ?? 0)
            : nil
        var below: UInt64?, above: UInt64?
        do {
            _ = try scanner.scan { r, _ in
                guard r.kind == .batch, let b = r.batch else { return }
                if let d = firstDamage, (r.segmentOrdinal, r.offset) >= d { return }
                let end = r.index + 1
                if end == cutAt {
                    point = CutPoint(ordinal: r.segmentOrdinal, end: r.offset + Int64(r.size), marker: b, lastIndex: r.index, lastTerm: r.term)
                } else if end < cutAt {
                    below = max(below ?? 0, end)
                } else {
                    above = min(above ?? UInt64.max, end)
                }
            }
        } catch {
            throw RepairRefusal(message: error.description)
        }
        guard let point else {
            let hint = ["\(below ?? firstIndex)"] + (above.map { ["\($0)"] } ?? [])
            throw RepairRefusal(
                message: "--cut-at \(cutAt) is not a batch boundary before the first damage: the log can only be cut where a batch marker ends it"
                    + " (nearest: --cut-at \(hint.joined(separator: " or ")))")
        }
        return point
    }

    /// The cut itself: truncate, remove later segments, rewrite the hard state; what goes.
    func cutActions(_ point: CutPoint, firstHeader: SegmentHeader) throws(RepairRefusal) -> RepairPlan {
        let firstIndex = scan.firstIndex
        var lowestAfter = UInt64.max  // the lowest index written after the cut point: below it, the kept log is the later log
        let runs = try lostRuns(superseded: true) { r in
            let after = (r.segmentOrdinal, r.offset) >= (point.ordinal, point.end)
            if after { lowestAfter = min(lowestAfter, r.index) }
            return after && r.index >= firstIndex && !scan.isInTornTail(file: r.file, offset: r.offset)
        }
        let segment = scan.segments[point.ordinal]
        var actions: [RepairAction] = []
        var summary: [String] = []
        if segment.size > point.end {
            actions.append(.truncate(path: segment.path, toLength: point.end))
            summary.append(
                "cut \(segment.name) at offset \(point.end), the end of batch \(point.marker?.batchSequence ?? 0) (\(segment.size - point.end) bytes go)"
            )
        }
        let later = scan.segments[(point.ordinal + 1)...]
        for s in later.reversed() { actions.append(.remove(path: s.path)) }
        if !later.isEmpty { summary.append("remove \(later.count) later segment(s): \(later.map(\.name).joined(separator: ", "))") }
        var state = scan.hardState?.chosen?.hardState ?? HardState(term: point.lastTerm)
        if point.lastTerm > state.term { state = HardState(term: point.lastTerm, vote: .none, commit: state.commit) }
        let oldCommit = state.commit
        // Entries the kept log shares with the log that was committed: up to its end, and below any
        // index rewritten after the cut point (a kept entry that a later leader replaced was not the committed one).
        state.commit = min(state.commit, point.lastIndex, lowestAfter == UInt64.max ? UInt64.max : lowestAfter - 1)
        let sequence = max(scan.hardStateSequence, point.marker?.hardStateSequence ?? 0) + 1
        let hsPath = scan.hardState?.path ?? Path.join(scanner.directory ?? Path.directory(of: segment.path), StorageFormat.hardStateFileName)
        actions.append(
            .replaceHardState(
                path: hsPath, state: state, sequence: sequence,
                batchSequence: point.marker?.batchSequence ?? scan.snapshot?.batchSequence ?? 0,
                segmentSequence: segment.header?.sequence ?? firstHeader.sequence, logID: firstHeader.logID))
        summary.append("rewrite the hard state: term \(state.term), vote \(state.vote), commit \(state.commit) (sequence \(sequence + 1))")
        let lost: ClosedRange<UInt64>? = runs.isEmpty ? nil : runs.map(\.first).min()!...runs.map(\.last).max()!
        let committed: ClosedRange<UInt64>? = oldCommit > state.commit ? (state.commit + 1)...oldCommit : nil
        var plan = RepairPlan(actions: actions, onlyTornTail: false, lostIndexes: lost, summary: summary)
        plan.lostRuns = runs
        plan.committedLost = committed
        plan.explanation = [
            lost.map {
                "this is NOT safe: entries that were acknowledged as durable are lost (indexes \($0.lowerBound)…\($0.upperBound) of the current log)"
            }
                ?? "no entry that reads back is lost, but this is NOT a torn-tail repair: the files are rewritten to fit what the segments hold"
        ]
        if let committed {
            plan.explanation.append(
                "committed entries \(committed.lowerBound)…\(committed.upperBound) are lost: the cluster considers them permanent; restore this node from a peer instead if you can"
            )
        }
        return plan
    }
}
