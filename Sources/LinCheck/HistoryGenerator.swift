// Seeded random histories for testing the checker: concurrent clients against one sequential object,
// so every generated history is linearizable by construction (each operation takes effect at one
// instant between its call and its return). No clock and no system randomness: the seed fixes all.

/// Generates linearizable concurrent histories for a model from a seed.
public struct HistoryGenerator: Sendable {
    /// The model the clients use.
    public var model: Model
    /// The seed; the same seed and settings give the same history on every platform.
    public var seed: UInt64
    /// How many clients run concurrently (each has at most one operation outstanding).
    public var clients = 4
    /// How many operations are issued in all.
    public var operations = 60
    /// How many keys the kv model uses (the register model uses one, "").
    public var keys = 3
    /// Percent of operations whose outcome is recorded as unknown (half of them took effect).
    public var unknownPercent = 10
    /// Percent of kv operations that fail without effect (recorded as `fail`, then dropped).
    public var failPercent = 5

    /// A generator for `model` whose every choice comes from `seed`.
    public init(model: Model, seed: UInt64) {
        self.model = model
        self.seed = seed
    }

    /// An operation between its call and its return.
    private struct InFlight {
        var op: Operation
        var fate: Fate
        var done = false
    }

    private enum Fate { case ok, fails, unknownApplied, unknownSkipped }

    /// A linearizable history: a random interleaving of calls, effects and returns.
    public func generate() -> History {
        precondition(clients > 0 && operations >= 0 && keys > 0, "a history needs clients and keys")
        precondition(operations < 1000, "kv values are multiples of 1000, so INCR never reaches another SET's value")
        var random = SplitMix64(seed: seed)
        var history = History()
        var state: [String: Value] = [:]
        var inFlight: [InFlight?] = Array(repeating: nil, count: clients)
        var issued = 0, uniqueValue = 0
        var time: Int64 = 0
        while issued < operations || inFlight.contains(where: { $0 != nil }) {
            time += 1 + Int64(random.below(1000))
            let client = random.below(clients)
            guard var current = inFlight[client] else {
                if issued < operations {
                    inFlight[client] = call(client: client, time: time, &random, &history, &state, &uniqueValue)
                    issued += 1
                }
                continue
            }
            if !current.done {
                apply(&current, &state, &random)
                inFlight[client] = current
                continue
            }
            inFlight[client] = nil
            switch current.fate {
            case .fails: continue  // did not happen: the parsers drop such operations too
            case .unknownApplied, .unknownSkipped:
                if case .read = current.op.action { continue }  // an unknown read constrains nothing
                if case .cas(let expected, let new, _) = current.op.action {  // whether it swapped is unknown too
                    current.op.action = .cas(expected: expected, new: new, swapped: false)
                }
                current.op.returnTime = nil
                current.op.returnLine = nil
            case .ok:
                current.op.returnTime = time
            }
            history.operations.append(current.op)
        }
        history.operations.sort { $0.callTime < $1.callTime }
        return renumbered(history)
    }

    /// The history as if written out one operation per line in call order: lines numbered from 1 and
    /// texts interned in that order (dropping those of failed operations), as a parser would build it.
    private func renumbered(_ history: History) -> History {
        var out = History()
        func intern(_ value: Value) -> Value {
            guard case .text(let index) = value else { return value }
            return out.value(of: history.texts[index])
        }
        for (index, var op) in history.operations.enumerated() {
            op.callLine = index + 1
            op.returnLine = op.isUnknown ? nil : index + 1
            switch op.action {
            case .read(let observed): op.action = .read(observed: intern(observed))
            case .write(let value): op.action = .write(intern(value))
            case .cas(let expected, let new, let swapped):
                op.action = .cas(expected: intern(expected), new: intern(new), swapped: swapped)
            case .increment, .delete: break
            }
            out.operations.append(op)
        }
        return out
    }

    /// A new operation with its argument chosen; its output is filled in when it takes effect.
    private func call(
        client: Int, time: Int64, _ random: inout SplitMix64, _ history: inout History,
        _ state: inout [String: Value], _ uniqueValue: inout Int
    ) -> InFlight {
        let key = model == .register ? "" : "k\(random.below(keys))"
        let roll = random.below(100)
        uniqueValue += 1
        let action: Action
        switch model {
        case .register:
            if roll < 40 {
                action = .read(observed: .absent)
            } else if roll < 70 {
                action = .write(.integer(Int64(uniqueValue)))
            } else {
                // Mostly the value now, so that some swaps succeed; otherwise an older one or nil.
                let expected: Value =
                    random.below(100) < 60
                    ? state[key, default: .absent]
                    : random.below(4) == 0 ? .absent : .integer(Int64(random.below(uniqueValue) + 1))
                action = .cas(expected: expected, new: .integer(Int64(uniqueValue)), swapped: false)
            }
        case .kv:
            if roll < 40 {
                action = .read(observed: .absent)
            } else if roll < 65 {
                action = .write(random.below(2) == 0 ? history.value(of: "v\(uniqueValue)") : .integer(Int64(uniqueValue) * 1000))
            } else if roll < 85 {
                action = .increment(result: nil)
            } else {
                action = .delete(removed: nil)
            }
        }
        let fateRoll = random.below(100)
        let fate: Fate
        if fateRoll < unknownPercent {
            fate = random.below(2) == 0 ? .unknownApplied : .unknownSkipped
        } else if model == .kv && fateRoll < unknownPercent + failPercent {
            fate = .fails
        } else {
            fate = .ok
        }
        let op = Operation(
            client: "c\(client)", key: key, action: action, callTime: time, returnTime: time,
            callLine: 0, returnLine: 0)
        return InFlight(op: op, fate: fate)
    }

    /// The operation's atomic effect on the real state, and the output its client sees.
    private func apply(_ flight: inout InFlight, _ state: inout [String: Value], _ random: inout SplitMix64) {
        flight.done = true
        guard flight.fate == .ok || flight.fate == .unknownApplied else { return }
        let key = flight.op.key
        let before = state[key, default: .absent]
        switch flight.op.action {
        case .read:
            flight.op.action = .read(observed: before)
        case .write(let value):
            state[key] = value
        case .cas(let expected, let new, _):
            flight.op.action = .cas(expected: expected, new: new, swapped: before == expected)
            if before == expected { state[key] = new }
        case .increment:
            let current: Int64
            switch before {
            case .absent: current = 0
            case .integer(let number): current = number
            case .text:
                flight.fate = .fails  // Redis: "value is not an integer"; nothing changed
                return
            }
            state[key] = .integer(current + 1)
            flight.op.action = .increment(result: flight.fate == .ok ? current + 1 : nil)
        case .delete:
            state[key] = .absent
            flight.op.action = .delete(removed: flight.fate == .ok ? (before == .absent ? 0 : 1) : nil)
        }
    }
}

/// SplitMix64 as a generator: small, fixed across platforms and Swift versions.
struct SplitMix64: Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 { splitMix64(&state) }

    /// A draw from `0..<bound`. The modulo bias is below bound/2^64: irrelevant for test histories.
    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        return Int(next() % UInt64(bound))
    }
}
