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
        var reads = operations.indices.filter {
            if case .read = operations[$0].action { return !operations[$0].isUnknown }
            return false
        }
        guard !reads.isEmpty else { return nil }
        for i in stride(from: reads.count - 1, to: 0, by: -1) { reads.swapAt(i, random.below(i + 1)) }  // Fisher–Yates
        let writers = WriterIndex(self)
        var broken = self
        for read in reads {
            let stale = writers.staleValues(for: read, in: self)
            guard !stale.isEmpty else { continue }
            let (value, writer, overwriter) = stale[random.below(stale.count)]
            broken.operations[read].action = .read(observed: value)
            return BrokenRead(
                history: broken, index: read,
                explanation:
                    "the read on line \(operations[read].callLine) now sees \(describe(value)), written on line "
                    + "\(operations[writer].callLine) and overwritten on line \(operations[overwriter].callLine) before the read began")
        }
        let read = reads[0]
        let value = broken.value(of: "never written")
        precondition(!operations.contains { $0.writes(value) }, "the interned text is new")
        broken.operations[read].action = .read(observed: value)
        return BrokenRead(
            history: broken, index: read,
            explanation:
                "the read on line \(operations[read].callLine) now sees \(broken.describe(value)), which no operation writes")
    }
}

/// Who may write what, per key, so that finding stale values is quadratic in the writes of one key.
private struct WriterIndex {
    /// Per key: how many operations might leave each value (unknown outcomes included).
    var possibleWriters: [String: [Value: Int]] = [:]
    /// Keys with an INCR of unknown outcome, which might leave any integer.
    var anyInteger: Set<String> = []
    /// Per key: completed operations that surely left a value, with that value.
    var sureWrites: [String: [(index: Int, value: Value)]] = [:]

    init(_ history: History) {
        for (index, op) in history.operations.enumerated() {
            switch op.action {
            case .write(let value): possibleWriters[op.key, default: [:]][value, default: 0] += 1
            case .cas(_, let new, let swapped) where swapped || op.isUnknown:
                possibleWriters[op.key, default: [:]][new, default: 0] += 1
            case .increment(let result?): possibleWriters[op.key, default: [:]][.integer(result), default: 0] += 1
            case .increment(nil): anyInteger.insert(op.key)
            default: break
            }
            if let value = op.surelyWrittenValue { sureWrites[op.key, default: []].append((index, value)) }
        }
    }

    /// True when exactly one operation might leave `value` in `key`.
    func hasOneWriter(_ value: Value, key: String) -> Bool {
        if case .integer = value, anyInteger.contains(key) { return false }
        return possibleWriters[key]?[value] == 1
    }

    /// Values the read at `read` provably cannot see, each with its only writer and a later overwriter.
    func staleValues(for read: Int, in history: History) -> [(Value, writer: Int, overwriter: Int)] {
        let r = history.operations[read]
        guard case .read(let observed) = r.action else { return [] }
        let writes = sureWrites[r.key] ?? []
        var found: [(Value, writer: Int, overwriter: Int)] = []
        for (w1, value) in writes where value != observed && value != .absent && hasOneWriter(value, key: r.key) {
            let end1 = history.operations[w1].returnTime!
            let overwriter = writes.first { w2, after in
                let op = history.operations[w2]
                return after != value && end1 < op.callTime && op.returnTime! < r.callTime
            }
            if let overwriter { found.append((value, w1, overwriter.index)) }
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
