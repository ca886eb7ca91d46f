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
func searchPartition(_ operations: [Operation], budget: inout Int) -> PartitionOutcome {
    let count = operations.count
    let actions = operations.map(\.action)
    let unknown = operations.map(\.isUnknown)
    var definiteLeft = unknown.lazy.filter { !$0 }.count
    if definiteLeft == 0 { return .linearizable }  // unknown outcomes can all be placed last

    let order = eventOrder(operations)
    var list = EventList(order: order)
    let twin = earlierTwins(operations, order: order)
    var zobrist = [UInt64]()
    zobrist.reserveCapacity(count)
    var seed: UInt64 = 0x6C69_6E63_6865_636B  // any fixed value: the hash only has to spread
    for _ in 0..<count { zobrist.append(splitMix64(&seed)) }
    var rank = Array(repeating: Int32(0), count: 2 * count + 2)  // position of each node in time order
    var position: Int32 = 0
    var node = list.next[0]
    while node != list.tail { rank[Int(node)] = position; position += 1; node = list.next[Int(node)] }

    var taken = Array(repeating: UInt64(0), count: (count + 63) / 64)
    var fingerprint: UInt64 = 0
    var state = Model.initialState
    var seen = Set<Explored>()
    var stack: [(call: Int32, before: Value, pass: Bool)] = []
    var furthestStuck: Int32 = -1

    // The candidates at a node are the calls before the first return in the list. Operations of known
    // outcome are tried first (`lateUnknown` false), those of unknown outcome only when none of those
    // leads anywhere: an unknown write taken early mostly has to be undone, and trying them last finds
    // an order of a linearizable history with far fewer states.
    //
    // Two prunings, both for operations of unknown outcome, which return at +infinity:
    // - one that would not change the state is not taken: any order that takes it there can take it
    //   last instead (it constrains nothing after it and accepts any result), so nothing is lost;
    // - of several with the same action, only the earliest called one not yet taken is a candidate:
    //   both are pending with the same future, so taking the later one only repeats the search under
    //   another set (Jepsen histories have dozens of timed-out writes of the same few values).
    var lateUnknown = false
    var entry = list.next[0]
    while true {
        if definiteLeft == 0 { return .linearizable }
        let isCall = entry & 1 == 1
        let op = Int((entry - 1) / 2)
        if isCall {
            if unknown[op] == lateUnknown, !(unknown[op] && twinWaiting(twin[op], taken)),
               let after = Model.step(state, actions[op], unknown: unknown[op]), !unknown[op] || after != state {
                taken[op >> 6] |= 1 << UInt64(op & 63)
                fingerprint ^= zobrist[op]
                if seen.insert(Explored(fingerprint: fingerprint, state: after, taken: taken)).inserted {
                    if budget == 0 { return .cutOff }
                    budget -= 1
                    stack.append((entry, state, lateUnknown))
                    state = after
                    list.lift(call: entry)
                    if !unknown[op] { definiteLeft -= 1 }
                    entry = list.next[0]
                    lateUnknown = false
                    continue
                }
                taken[op >> 6] &= ~(1 << UInt64(op & 63))
                fingerprint ^= zobrist[op]
            }
            entry = list.next[Int(entry)]
        } else if !lateUnknown {
            lateUnknown = true  // the known candidates are done; now the unknown ones
            entry = list.next[0]
        } else {
            // A return whose operation has not taken effect: every order tried from here is dead.
            assert(!unknown[op], "returns of unknown outcomes sort last and are never reached first")
            if furthestStuck < 0 || rank[Int(entry)] > rank[Int(furthestStuck)] { furthestStuck = entry }
            guard let (call, before, pass) = stack.popLast() else {
                return .stuck(Int((furthestStuck - 1) / 2))
            }
            let undone = Int((call - 1) / 2)
            taken[undone >> 6] &= ~(1 << UInt64(undone & 63))
            fingerprint ^= zobrist[undone]
            state = before
            list.unlift(call: call)
            if !unknown[undone] { definiteLeft += 1 }
            entry = list.next[Int(call)]
            lateUnknown = pass
        }
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

/// True when `twin` is an operation that has not taken effect yet (so it, not its later twin, goes first).
private func twinWaiting(_ twin: Int, _ taken: [UInt64]) -> Bool {
    twin >= 0 && taken[twin >> 6] & (1 << UInt64(twin & 63)) == 0
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
