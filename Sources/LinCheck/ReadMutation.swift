// Breaking a history on purpose: change what one read saw so that no linearization can exist.
// Tests use it to show the checker rejects what it must (a checker that always says "linearizable"
// would pass every generated history).

/// A history with one read changed, and what was changed.
public struct BrokenRead: Sendable {
    /// The history after the change.
    public var history: History
    /// Index of the changed read in `history.operations`.
    public var index: Int
    /// In words: which read now sees what, and why that is impossible.
    public var explanation: String
}

extension History {
    /// This history with one completed read changed to a value it cannot have seen, or nil without reads.
    ///
    /// Preferred: a *stale* value — one written by a single operation W1 that returned before some
    /// operation W2, which surely overwrote it with something else, was called, while W2 returned before
    /// the read was called. Real time forces W1 < W2 < read, and nothing else writes that value, so no
    /// order explains it. Otherwise the read sees text that no operation writes at all.
    public func breakingOneRead(seed: UInt64) -> BrokenRead? {
        var random = SplitMix64(seed: seed)
        let reads = operations.indices.filter {
            if case .read = operations[$0].action { return !operations[$0].isUnknown }
            return false
        }
        guard !reads.isEmpty else { return nil }
        let stale = reads.flatMap { read in staleValues(for: read).map { (read, $0) } }
        var broken = self
        if !stale.isEmpty {
            let (read, (value, writer, overwriter)) = stale[random.below(stale.count)]
            broken.operations[read].action = .read(observed: value)
            return BrokenRead(history: broken, index: read, explanation:
                "the read on line \(operations[read].callLine) now sees \(describe(value)), written on line " +
                "\(operations[writer].callLine) and overwritten on line \(operations[overwriter].callLine) before the read began")
        }
        let read = reads[random.below(reads.count)]
        let value = broken.value(of: "never written")
        precondition(!operations.contains { $0.writes(value) }, "the interned text is new")
        broken.operations[read].action = .read(observed: value)
        return BrokenRead(history: broken, index: read, explanation:
            "the read on line \(operations[read].callLine) now sees \(broken.describe(value)), which no operation writes")
    }

    /// Values the read at `read` provably cannot see, each with its only writer and a later overwriter.
    private func staleValues(for read: Int) -> [(Value, writer: Int, overwriter: Int)] {
        let r = operations[read]
        guard case .read(let observed) = r.action else { return [] }
        var found: [(Value, writer: Int, overwriter: Int)] = []
        for (w1, writer) in operations.enumerated() where writer.key == r.key && !writer.isUnknown {
            guard let value = writer.surelyWrittenValue, value != observed, value != .absent else { continue }
            // Only this operation may write the value (unknown writes and INCRs count as possible writers).
            guard operations.enumerated().allSatisfy({ $0.offset == w1 || $0.element.key != r.key || !$0.element.writes(value) })
            else { continue }
            let end1 = writer.returnTime!
            let overwriter = operations.indices.first { w2 in
                let op = operations[w2]
                guard op.key == r.key, let end2 = op.returnTime, end1 < op.callTime, end2 < r.callTime,
                      let after = op.surelyWrittenValue else { return false }
                return after != value
            }
            if let overwriter { found.append((value, w1, overwriter)) }
        }
        return found
    }
}

extension Operation {
    /// The value this completed operation surely left in its key, or nil when it may have changed nothing.
    var surelyWrittenValue: Value? {
        guard !isUnknown else { return nil }
        switch action {
        case .write(let value): return value
        case .cas(_, let new, let swapped): return swapped ? new : nil
        case .increment(let result): return result.map { .integer($0) }
        case .delete: return .absent
        case .read: return nil
        }
    }

    /// True when this operation might set its key to `value` (an INCR of unknown outcome might set any integer).
    func writes(_ value: Value) -> Bool {
        switch action {
        case .write(let written): return written == value
        case .cas(_, let new, let swapped): return new == value && (swapped || isUnknown)
        case .increment(let result):
            guard case .integer = value else { return false }
            return result.map { .integer($0) == value } ?? true
        case .delete: return value == .absent
        case .read: return false
        }
    }
}
