// The checker: split a history by key, search each key, and say what was found.

import JSONText

/// Why a history is not linearizable: the smallest prefix that has no linearization, and who is in it.
public struct Violation: Equatable, Sendable {
    /// The key whose operations have no valid order ("" for a lone register).
    public var key: String
    /// The operation whose return no order could reach: the history up to that return is already
    /// not linearizable, and every shorter prefix is.
    public var stuck: Operation
    /// Operations of the same key that overlap `stuck` in real time (the candidates for reordering).
    public var concurrent: [Operation]
    /// How many operations of the key were called before `stuck` returned (the size of that prefix), or nil
    /// when the search for the smallest prefix ran out of states (`stuck` is then where the verdict's search
    /// stopped, which is no later than that prefix's end).
    public var prefixOperations: Int?
}

/// The answer for one history.
public enum Verdict: Equatable, Sendable {
    /// Some order of the operations is legal for the model and respects real time.
    case linearizable
    /// No such order exists.
    case notLinearizable(Violation)
    /// No answer: the search was cut off, or the history does not fit the model. The text says why.
    case unknown(String)
}

/// A linearizability checker for one model with a bound on the work it may do.
public struct Checker: Sendable {
    /// The default bound on explored (set of operations taken, state) pairs per history.
    public static let defaultMaxStates = 2_000_000

    /// The default bound on the memory that remembered states may take in one search: 1 GiB.
    public static let defaultMaxMemoryBytes = 1 << 30

    /// The sequential specification.
    public var model: Model
    /// The bound on explored states for one history, over all its keys; past it the verdict is unknown.
    public var maxStates: Int
    /// The bound on the memory of one search's remembered states. Each holds a bitset of all the key's
    /// operations, so a key with 100,000 operations costs about 12.6 KB a state: this bound, not
    /// `maxStates`, then decides when to give up (verdict unknown), rather than the machine running out.
    public var maxMemoryBytes: Int

    /// Creates a checker for `model` that gives up after `maxStates` explored states per history, or when
    /// one search's remembered states would take more than `maxMemoryBytes`.
    public init(model: Model, maxStates: Int = Checker.defaultMaxStates, maxMemoryBytes: Int = Checker.defaultMaxMemoryBytes) {
        precondition(maxStates > 0 && maxMemoryBytes > 0, "the search needs room for at least one state")
        self.model = model
        self.maxStates = maxStates
        self.maxMemoryBytes = maxMemoryBytes
    }

    /// An estimate of the bytes one remembered state takes for a key with `operations` operations: the
    /// bitset (8 bytes a word, 32 of array header, 16 of allocator overhead) and the hash set's slot
    /// (32 bytes at a load of about 3/4).
    static func bytesPerState(operations: Int) -> Int { 8 * ((operations + 63) / 64) + 32 + 16 + 43 }

    /// One search within both bounds; `memoryBound` is true when memory, not `budget`, stopped it.
    private func search(_ operations: [Operation], budget: inout Int, pruneStranded: Bool)
        -> (outcome: PartitionOutcome, memoryBound: Bool)
    {
        let fits = max(1, maxMemoryBytes / Checker.bytesPerState(operations: operations.count))
        var allowed = min(budget, fits)
        let start = allowed
        let outcome = searchPartition(operations, budget: &allowed, pruneStranded: pruneStranded)
        budget -= start - allowed
        return (outcome, outcome == .cutOff && fits < budget + (start - allowed))
    }

    /// Checks `history`; `statesExplored` is how many states the search stored (a measure of its work).
    public func check(_ history: History) -> (verdict: Verdict, statesExplored: Int) {
        if let foreign = history.operations.first(where: { !model.allows($0.action) }) {
            return (.unknown("\(history.describe(foreign)) is not an operation of the \(model.rawValue) model"), 0)
        }
        var budget = maxStates
        var worst: Violation?
        var cutOff: (key: String, memoryBound: Bool)?
        for (key, operations) in partitions(history) {
            let first = search(operations, budget: &budget, pruneStranded: true)
            switch first.outcome {
            case .linearizable:
                continue
            case .stuck(let index):
                // The verdict is final; search again, without the pruning that looks ahead, for the
                // smallest prefix that has no order (what the report shows).
                var found = violation(key: key, operations: operations, stuck: index)
                switch search(operations, budget: &budget, pruneStranded: false).outcome {
                case .stuck(let smallest): found = violation(key: key, operations: operations, stuck: smallest)
                case .cutOff: found.prefixOperations = nil
                case .linearizable: assertionFailure("the prunings never change the verdict")
                }
                // Report the key whose violation shows earliest: the smallest stuck prefix overall.
                if worst.map({ found.stuck.returnTime! < $0.stuck.returnTime! }) ?? true { worst = found }
            case .cutOff:
                cutOff = (key, first.memoryBound)
            }
            if cutOff != nil { break }
        }
        let used = maxStates - budget
        if let worst { return (.notLinearizable(worst), used) }
        if let cutOff {
            let which = cutOff.key.isEmpty ? "" : " on key \(jsonQuoted(cutOff.key))"
            let bound =
                cutOff.memoryBound
                ? "\(used) states, at the memory bound of \(maxMemoryBytes >> 20) MiB; raise --max-memory-mb"
                : "\(maxStates) states; raise --max-states"
            return (.unknown("search cut off\(which) after \(bound)"), used)
        }
        return (.linearizable, used)
    }

    /// The operations of each key, keys in sorted order so runs are reproducible.
    private func partitions(_ history: History) -> [(String, [Operation])] {
        var byKey: [String: [Operation]] = [:]
        for op in history.operations { byKey[op.key, default: []].append(op) }
        return byKey.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    private func violation(key: String, operations: [Operation], stuck index: Int) -> Violation {
        let stuck = operations[index]
        let end = stuck.returnTime!  // the search only gets stuck at known returns
        // Completed operations first, in call order: they are the informative ones; operations of unknown
        // outcome overlap everything after their call.
        let concurrent = operations.enumerated().filter { other, op in
            other != index && op.callTime <= end && (op.returnTime.map { $0 >= stuck.callTime } ?? true)
        }.map(\.element).sorted { a, b in
            a.isUnknown != b.isUnknown ? !a.isUnknown : a.callTime < b.callTime
        }
        let prefix = operations.lazy.filter { $0.callTime <= end }.count
        return Violation(key: key, stuck: stuck, concurrent: concurrent, prefixOperations: prefix)
    }
}
