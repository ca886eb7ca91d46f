// The Wing–Gong–Lowe search for one key's operations.
//
// Facts used (from the papers, not from any implementation): Wing and Gong, "Testing and verifying
// concurrent objects", 1993 — try each operation that is minimal in real-time order as the next one
// to take effect, backtrack when a return is reached whose operation has not taken effect; Lowe,
// "Testing for linearizability", 2017, §4 — keep calls and returns in one doubly linked list so that
// taking an operation out ("lift") and putting it back ("unlift") are O(1), and remember every
// (set of operations taken, state) pair already explored, since the rest of the search depends on
// nothing else.

/// How the search of one key's operations ended.
enum PartitionOutcome: Equatable {
    /// An order was found (every operation of known outcome took effect).
    case linearizable
    /// No order exists. `stuck` is the operation whose return the search could never get past; its
    /// index is into the operations given to the search.
    case stuck(Int)
    /// The budget of explored states ran out before an answer.
    case cutOff
}

/// One explored node of the search: which operations have taken effect, and the state they left.
/// `fingerprint` is a Zobrist hash of `taken`, updated in O(1) per step, so hashing is cheap.
private struct Explored: Hashable {
    let fingerprint: UInt64
    let state: Value
    let taken: [UInt64]

    func hash(into hasher: inout Hasher) {
        hasher.combine(fingerprint)
        hasher.combine(state)
    }

    static func == (a: Explored, b: Explored) -> Bool {
        a.fingerprint == b.fingerprint && a.state == b.state && a.taken == b.taken
    }
}

/// The calls and returns of a set of operations in time order, as a doubly linked list over arrays.
/// Node 0 is the head sentinel and node `2n + 1` the tail; node `2i + 1` is operation i's call and
/// `2i + 2` its return.
private struct EventList {
    var next: [Int32]
    var prev: [Int32]
    let tail: Int32

    init(order: [Int32]) {
        let count = order.count + 2
        next = Array(repeating: 0, count: count)
        prev = Array(repeating: 0, count: count)
        tail = Int32(count - 1)
        var last: Int32 = 0
        for node in order {
            next[Int(last)] = node
            prev[Int(node)] = last
            last = node
        }
        next[Int(last)] = tail
        prev[Int(tail)] = last
    }

    /// Takes a call and its return out of the list (the operation has taken effect).
    mutating func lift(call: Int32) {
        unlink(call)
        unlink(call + 1)
    }

    /// Puts a lifted call and its return back where they were; undoes `lift` exactly (LIFO order).
    mutating func unlift(call: Int32) {
        relink(call + 1)
        relink(call)
    }

    private mutating func unlink(_ node: Int32) {
        let before = prev[Int(node)], after = next[Int(node)]
        next[Int(before)] = after
        prev[Int(after)] = before
    }

    private mutating func relink(_ node: Int32) {
        next[Int(prev[Int(node)])] = node
        prev[Int(next[Int(node)])] = node
    }
}

/// Runs the search over `operations` (all of one key), spending at most `budget` new explored states.
/// On return `budget` holds what is left.
///
/// `pruneStranded` turns on the refusal of steps that strand a read (see `PartitionSearch`): it never
/// changes the verdict, but it looks at reads beyond the point where the search stands, so a search with
/// it may stop before the smallest prefix that has no order. Search again without it to find that prefix.
func searchPartition(_ operations: [Operation], budget: inout Int, pruneStranded: Bool = true) -> PartitionOutcome {
    var search = PartitionSearch(operations, pruneStranded: pruneStranded)
    return search.run(budget: &budget)
}

/// Which candidates of a node are being tried.
private enum Pass {
    /// Observations (see `isObservation`): the first that succeeds is the only one tried.
    case observations
    /// The other operations of known outcome, in call order.
    case known
    /// Operations of unknown outcome, in call order.
    case unknown
}

/// The state of one Wing–Gong–Lowe search.
///
/// The candidates at a node are the calls before the first return in the list. They are tried in
/// three passes: observations, then the other operations of known outcome, then those of unknown
/// outcome, each pass in call order. Unknown outcomes come last because an unknown write taken early
/// mostly has to be undone.
///
/// Observations are operations of known outcome that can only succeed where they leave the state as it
/// is (a read, a failed CAS, a DEL that found nothing). When one succeeds at a node it is the only
/// candidate tried there: if any order goes on from the node, the one that moves the observation first
/// does too — it sees the same state there, changes nothing, and every operation that had to precede it
/// already has (its call comes before every pending return). Other candidates would repeat the search,
/// and a read is never taken after a write it should not see yet.
///
/// A step is refused when it overwrites a value that a read not yet taken saw, and no operation not yet
/// taken can leave that value again: that read could never succeed (`ValueLedger`). With unique write
/// values, as Jepsen-style clients use, this cuts a wrong order of writes at once instead of at the
/// read's return.
///
/// Two prunings for operations of unknown outcome, which return at +infinity:
/// - one that would not change the state is not taken: any order that takes it there can take it last
///   instead (it constrains nothing after it and accepts any result), so nothing is lost;
/// - of several with the same action, only the earliest called one not yet taken is a candidate: both
///   are pending with the same future, so taking the later one only repeats the search under another set
///   (Jepsen histories have dozens of timed-out writes of the same few values).
private struct PartitionSearch {
    let actions: [Action]
    let unknown: [Bool]
    let observation: [Bool]
    let twin: [Int]
    let zobrist: [UInt64]
    /// Each node's position in time order, to find the furthest return the search got stuck at.
    let rank: [Int32]
    var list: EventList

    /// Who may still leave or must still see each value (see `ValueLedger`).
    var ledger: ValueLedger
    var definiteLeft: Int
    var taken: [UInt64]
    var fingerprint: UInt64 = 0
    var state = Model.initialState
    var seen = Set<Explored>()
    var stack: [(call: Int32, before: Value, pass: Pass, only: Bool)] = []
    var furthestStuck: Int32 = -1

    /// The node being explored: which pass, and the pass's cursor in the list.
    var pass = Pass.observations
    var entry: Int32 = 0

    let pruneStranded: Bool

    init(_ operations: [Operation], pruneStranded: Bool) {
        self.pruneStranded = pruneStranded
        let count = operations.count
        actions = operations.map(\.action)
        unknown = operations.map(\.isUnknown)
        observation = operations.map(isObservation)
        definiteLeft = unknown.lazy.filter { !$0 }.count
        let order = eventOrder(operations)
        list = EventList(order: order)
        twin = earlierTwins(operations, order: order)
        var seed: UInt64 = 0x6C69_6E63_6865_636B  // any fixed value: the hash only has to spread
        zobrist = (0..<count).map { _ in splitMix64(&seed) }
        var rank = Array(repeating: Int32(0), count: 2 * count + 2)
        for (position, node) in order.enumerated() { rank[Int(node)] = Int32(position) }
        self.rank = rank
        taken = Array(repeating: 0, count: (count + 63) / 64)
        ledger = ValueLedger(operations)
        entry = list.next[0]
    }

    mutating func run(budget: inout Int) -> PartitionOutcome {
        while definiteLeft > 0 {
            if entry & 1 == 0 {  // the first return: this pass is over
                switch pass {
                case .observations: pass = .known
                case .known: pass = .unknown
                case .unknown:
                    // A return whose operation has not taken effect, and every candidate tried: dead end.
                    if furthestStuck < 0 || rank[Int(entry)] > rank[Int(furthestStuck)] { furthestStuck = entry }
                    guard backtrack() else { return .stuck(Int((furthestStuck - 1) / 2)) }
                    continue
                }
                entry = list.next[0]
                continue
            }
            let candidate = entry
            entry = list.next[Int(entry)]
            let op = Int((candidate - 1) / 2)
            let inPass =
                switch pass {
                case .observations: observation[op]
                case .known: !observation[op] && !unknown[op]
                case .unknown: unknown[op]
                }
            guard inPass else { continue }
            switch take(candidate, budget: &budget) {
            case .taken, .refused: continue
            case .deadNode: guard backtrack() else { return .stuck(Int((furthestStuck - 1) / 2)) }
            case .outOfBudget: return .cutOff
            }
        }
        return .linearizable  // unknown outcomes left over can all be placed last
    }

    enum TakeResult { case taken, refused, deadNode, outOfBudget }

    /// Tries `call`'s operation as the next to take effect; on success moves to the new node.
    mutating func take(_ call: Int32, budget: inout Int) -> TakeResult {
        let op = Int((call - 1) / 2)
        if unknown[op] && twin[op] >= 0 && !isTaken(twin[op]) { return .refused }
        guard let after = Model.step(state, actions[op], unknown: unknown[op]) else { return .refused }
        if unknown[op] && after == state { return .refused }
        if pruneStranded && after != state && ledger.strands(state, takingAway: op) { return .refused }
        flip(op)
        guard seen.insert(Explored(fingerprint: fingerprint, state: after, taken: taken)).inserted else {
            flip(op)
            // An observation that succeeds is the node's only candidate; explored before means dead.
            return observation[op] ? .deadNode : .refused
        }
        if budget == 0 { return .outOfBudget }
        budget -= 1
        stack.append((call, state, pass, observation[op]))
        ledger.take(op)
        state = after
        list.lift(call: call)
        if !unknown[op] { definiteLeft -= 1 }
        enterNode()
        return .taken
    }

    /// Starts on the candidates of a node just reached.
    mutating func enterNode() {
        pass = .observations
        entry = list.next[0]
    }

    /// Undoes the last step, and those that were their node's only candidate, and resumes the node it
    /// returns to at its next candidate; false when there is none (the search is over).
    mutating func backtrack() -> Bool {
        while let (call, before, pass, only) = stack.popLast() {
            let op = Int((call - 1) / 2)
            flip(op)
            ledger.untake(op)
            state = before
            list.unlift(call: call)
            if !unknown[op] { definiteLeft += 1 }
            if !only {
                self.pass = pass
                entry = list.next[Int(call)]
                return true
            }
        }
        return false
    }

    func isTaken(_ op: Int) -> Bool { taken[op >> 6] & (1 << UInt64(op & 63)) != 0 }

    /// Adds or removes `op` from the taken set and its fingerprint.
    mutating func flip(_ op: Int) {
        taken[op >> 6] ^= 1 << UInt64(op & 63)
        fingerprint ^= zobrist[op]
    }
}

/// True for an operation of known outcome that can only succeed where it leaves the state unchanged.
private func isObservation(_ op: Operation) -> Bool {
    guard !op.isUnknown else { return false }
    switch op.action {
    case .read: return true
    case .cas(let expected, let new, let swapped): return !swapped || expected == new
    case .delete(let removed): return removed == 0
    case .write, .increment: return false
    }
}

/// For each operation of unknown outcome, the previous one in call order with the same action (-1 if none).
private func earlierTwins(_ operations: [Operation], order: [Int32]) -> [Int] {
    var twin = Array(repeating: -1, count: operations.count)
    var lastWith: [Action: Int] = [:]
    for node in order where node & 1 == 1 {
        let op = Int((node - 1) / 2)
        guard operations[op].isUnknown else { continue }
        twin[op] = lastWith[operations[op].action] ?? -1
        lastWith[operations[op].action] = op
    }
    return twin
}

/// The list nodes of `operations` in time order. A call and a return at the same instant count as
/// overlapping (the call sorts first), so equal timestamps never invent a real-time order; unknown
/// outcomes return at +infinity, after everything.
private func eventOrder(_ operations: [Operation]) -> [Int32] {
    struct Event { let time: Int64; let isReturn: Bool; let node: Int32 }
    var events: [Event] = []
    events.reserveCapacity(2 * operations.count)
    for (index, op) in operations.enumerated() {
        let call = Int32(2 * index + 1)
        events.append(Event(time: op.callTime, isReturn: false, node: call))
        events.append(Event(time: op.returnTime ?? .max, isReturn: true, node: call + 1))
    }
    events.sort { a, b in
        if a.time != b.time { return a.time < b.time }
        if a.isReturn != b.isReturn { return !a.isReturn }
        return a.node < b.node
    }
    return events.map(\.node)
}

/// SplitMix64 (Steele, Lea and Flood, 2014): a fixed, portable stream of well-mixed 64-bit words.
func splitMix64(_ state: inout UInt64) -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}
