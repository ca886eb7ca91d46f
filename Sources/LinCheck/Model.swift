// The sequential specifications: what one register, or one key of a Redis-like store, may answer.
// Both models keep one `Value` per key and never relate two keys, which is what makes checking each
// key on its own sound (P-compositionality: Horn and Kroening, "Faster linearizability checking via
// P-compositionality", FORTE 2015, §3; linearizability is local, Herlihy and Wing 1990, Theorem 1).

/// The sequential object a history is checked against.
public enum Model: String, Sendable, CaseIterable {
    /// One register per key holding nil or a value: read, write, compare-and-set (Jepsen's etcd test).
    case register
    /// String keys with string or integer values: GET, SET, INCR, DEL (Redis semantics).
    case kv

    /// Every key starts absent: Jepsen's registers start as nil, a fresh store has no keys.
    public static let initialState = Value.absent

    /// True when the model has this kind of operation (register: read/write/cas; kv: get/set/incr/del).
    public func allows(_ action: Action) -> Bool {
        switch (self, action) {
        case (.register, .read), (.register, .write), (.register, .cas): return true
        case (.kv, .read), (.kv, .write), (.kv, .increment), (.kv, .delete): return true
        default: return false
        }
    }

    /// The state after `op` runs atomically in `state`, or nil when `op`'s reported result is impossible there.
    ///
    /// An operation of unknown outcome is always possible: it takes its effect when it can (a CAS whose
    /// compare holds swaps, an INCR of a non-integer changes nothing, as the error would). "Never took
    /// effect" needs no rule here: its return time is +infinity, so the search may place it after everything.
    public static func step(_ state: Value, _ op: Operation) -> Value? {
        step(state, op.action, unknown: op.isUnknown)
    }

    /// `step(_:_:)` on an operation's parts, so the search can keep them in flat arrays.
    static func step(_ state: Value, _ action: Action, unknown: Bool) -> Value? {
        switch action {
        case .read(let observed):
            return unknown || observed == state ? state : nil
        case .write(let value):
            return value
        case .cas(let expected, let new, let swapped):
            if unknown { return state == expected ? new : state }
            if swapped { return state == expected ? new : nil }
            return state != expected ? state : nil
        case .increment(let result):
            let current: Int64
            switch state {
            case .absent: current = 0  // Redis: INCR of a missing key starts from 0
            case .integer(let number): current = number
            case .text: return unknown ? state : nil  // "value is not an integer": no effect
            }
            let (sum, overflow) = current.addingReportingOverflow(1)
            if overflow { return unknown ? state : nil }  // Redis refuses; nothing changes
            return unknown || result == sum ? .integer(sum) : nil
        case .delete(let removed):
            if unknown { return .absent }
            return removed == (state == .absent ? 0 : 1) ? .absent : nil
        }
    }
}
