// Bookkeeping for one pruning of the search: which values can still appear, and which must.
//
// A read of value v that has not taken effect needs the state to be v when it does. If the state moves
// off v while no pending operation can leave v again, that read can never succeed: the step that moved
// the state is refused at once instead of being found wrong at the read's return.

/// For each value of one key's history: how many operations not yet taken may leave it (writers) and
/// how many not yet taken must see it (reads of it, a swapping CAS its expected value, an INCR the value it
/// incremented, a DEL that found nothing absent).
struct ValueLedger {
    private var index: [Value: Int] = [:]
    private var writersLeft: [Int] = []
    private var readersLeft: [Int] = []
    /// Per operation: the value it may leave and the value it must see (-1: none).
    private var leaves: [Int] = []
    private var sees: [Int] = []
    private let unknownIncrements: [Bool]
    /// INCRs of unknown outcome not yet taken: they may leave any integer.
    private var unknownIncrementsLeft = 0

    init(_ operations: [Operation]) {
        unknownIncrements = operations.map { op in
            if case .increment = op.action { return op.isUnknown }
            return false
        }
        for op in operations {
            leaves.append(op.mayLeave.map { slot(for: $0) } ?? -1)
            sees.append(op.mustSee.map { slot(for: $0) } ?? -1)
        }
        writersLeft = Array(repeating: 0, count: index.count)
        readersLeft = Array(repeating: 0, count: index.count)
        for op in operations.indices {
            if leaves[op] >= 0 { writersLeft[leaves[op]] += 1 }
            if sees[op] >= 0 { readersLeft[sees[op]] += 1 }
            if unknownIncrements[op] { unknownIncrementsLeft += 1 }
        }
    }

    private mutating func slot(for value: Value) -> Int {
        if let known = index[value] { return known }
        index[value] = index.count
        return index.count - 1
    }

    /// True when taking `op` away from the pending operations, while the state moves off `value`, leaves a
    /// pending read of `value` that nothing pending can satisfy any more.
    func strands(_ value: Value, takingAway op: Int) -> Bool {
        guard let slot = index[value] else { return false }  // nobody reads a value no operation names
        let readers = readersLeft[slot] - (sees[op] == slot ? 1 : 0)
        let writers = writersLeft[slot] - (leaves[op] == slot ? 1 : 0)
        if readers == 0 || writers > 0 { return false }
        if case .integer = value, unknownIncrementsLeft - (unknownIncrements[op] ? 1 : 0) > 0 { return false }
        return true
    }

    mutating func take(_ op: Int) { adjust(op, by: -1) }

    mutating func untake(_ op: Int) { adjust(op, by: 1) }

    private mutating func adjust(_ op: Int, by delta: Int) {
        if leaves[op] >= 0 { writersLeft[leaves[op]] += delta }
        if sees[op] >= 0 { readersLeft[sees[op]] += delta }
        if unknownIncrements[op] { unknownIncrementsLeft += delta }
    }
}

extension Operation {
    /// The value this operation may leave in its key, if it names one (an unknown INCR may leave any integer).
    var mayLeave: Value? {
        switch action {
        case .write(let value): return value
        case .cas(_, let new, let swapped): return swapped || isUnknown ? new : nil
        case .increment(let result): return result.map { .integer($0) }
        case .delete: return .absent
        case .read: return nil
        }
    }

    /// The value the state must hold when this operation takes effect, if it is of known outcome and names one.
    var mustSee: Value? {
        guard !isUnknown else { return nil }
        switch action {
        case .read(let observed): return observed
        case .cas(let expected, _, true): return expected
        case .delete(0): return .absent
        case .increment(let result?) where result != 1: return .integer(result - 1)  // 1 may come from absent or 0
        default: return nil
        }
    }
}
