import Foundation

/// SplitMix64: every random choice of a campaign comes from its printed seed.
public struct SeededRandom: Sendable {
    private var state: UInt64

    /// A generator for `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<bound.
    public mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "an empty range")
        return Int(next() % UInt64(bound))
    }

    /// A number of milliseconds in lower...upper.
    public mutating func milliseconds(_ lower: Int, _ upper: Int) -> Int { lower + below(upper - lower + 1) }
}

/// One client operation as recorded: what was asked, what came back, and when.
public struct Record: Sendable {
    /// The operation kinds of the kv model.
    public enum Kind: String, Sendable { case get, set, incr, del }
    /// The outcomes: happened, surely did not happen, or unknown (timeout, reset, dead node).
    public enum Outcome: String, Sendable { case ok, fail, unknown }

    /// The client number.
    public var client: Int
    /// What it did.
    public var kind: Kind
    /// The key.
    public var key: String
    /// The SET argument.
    public var written: String?
    /// What GET saw (nil: absent), INCR returned or DEL removed (as text).
    public var observed: String?
    /// When it was sent (monotonic ns).
    public var callNanoseconds: Int64
    /// When its answer arrived (monotonic ns), also for `fail` and `unknown` (when the client gave up).
    public var returnNanoseconds: Int64
    /// Its outcome.
    public var outcome: Outcome
    /// The node that answered (after a redirect, the one redirected to); 0 when unknown.
    public var node = 0

    /// True for SET, INCR and DEL.
    public var isWrite: Bool { kind != .get }
}

/// A client thread's loop: random operations on a small key set until told to stop. Writes go to
/// the node it believes leads (a `-MOVED` redirects it once); reads go to a random node, so that a
/// node answering reads it should not (the unsafe option) is asked.
///
/// Text keys `k0`… get SET and DEL; counter keys `n0`… get INCR only (never a text value, so an INCR
/// never fails for its type); GET reads both.
final class ClientWorker: @unchecked Sendable {
    let number: Int
    let keys: Int
    let counters: Int
    let endpoints: [Endpoint]
    let timeoutMilliseconds: Int
    private var random: SeededRandom
    private var leader: Endpoint
    private var connections: [Endpoint: RESPClient] = [:]
    private(set) var records: [Record] = []
    private var sequence = 0
    /// Where the last request went (the redirect target after a `-MOVED`).
    private var lastSent: Endpoint?

    init(number: Int, seed: UInt64, keys: Int, counters: Int, endpoints: [Endpoint], timeoutMilliseconds: Int) {
        precondition(keys >= 1 && counters >= 1 && !endpoints.isEmpty, "a client needs keys, counters and nodes")
        self.number = number
        self.keys = keys
        self.counters = counters
        self.endpoints = endpoints
        self.timeoutMilliseconds = timeoutMilliseconds
        random = SeededRandom(seed: seed ^ (UInt64(number) &* 0x9E37_79B9_7F4A_7C15))
        leader = endpoints[0]
    }

    /// Runs operations until `shouldStop` says so.
    func run(shouldStop: () -> Bool) {
        while !shouldStop() { records.append(step()) }
        connections.removeAll()
    }

    private func step() -> Record {
        let roll = random.below(100)
        let kind: Record.Kind = roll < 40 ? .get : roll < 70 ? .set : roll < 90 ? .incr : .del
        let key: String
        switch kind {
        case .incr: key = "n\(random.below(counters))"
        case .set, .del: key = "k\(random.below(keys))"
        case .get:
            let index = random.below(keys + counters)
            key = index < keys ? "k\(index)" : "n\(index - keys)"
        }
        sequence += 1
        let value = "c\(number)-\(sequence)"
        let words: [String]
        switch kind {
        case .get: words = ["GET", key]
        case .set: words = ["SET", key, value]
        case .incr: words = ["INCR", key]
        case .del: words = ["DEL", key]
        }
        let first = kind == .get ? endpoints[random.below(endpoints.count)] : leader
        let call = monotonicNanoseconds()
        var reply = send(words, to: first)
        if let moved = RESPClient.movedEndpoint(reply) {
            leader = moved
            reply = send(words, to: moved)
        }
        let done = monotonicNanoseconds()
        var record = Record(
            client: number, kind: kind, key: key, written: kind == .set ? value : nil, observed: nil,
            callNanoseconds: call, returnNanoseconds: done, outcome: .unknown)
        record.node = (endpoints.firstIndex(of: lastSent ?? first) ?? -1) + 1
        classify(reply, into: &record)
        if kind != .get, record.outcome == .unknown || reply == Self.refused {
            // The node it believed leads is dead or stuck: try the next one for the next write.
            leader = endpoints[(endpoints.firstIndex(of: leader).map { $0 + 1 } ?? 0) % endpoints.count]
        }
        if case .error(let text)? = reply, text.hasPrefix("TRYAGAIN") { usleep(20_000) }
        return record
    }

    /// Sets the outcome and observation from a reply (nil: no answer, so unknown).
    private func classify(_ reply: RESPClient.Value?, into record: inout Record) {
        switch reply {
        case nil:
            record.outcome = .unknown
        case .error(let text)?:
            // -MOVED twice, -TRYAGAIN, "the write was lost", a refused INCR: none of them happened.
            record.outcome = .fail
            _ = text
        case .status("OK")? where record.kind == .set:
            record.outcome = .ok
        case .bulk(let text)? where record.kind == .get:
            record.outcome = .ok
            record.observed = text
        case .integer(let number)? where record.kind == .incr || record.kind == .del:
            record.outcome = .ok
            record.observed = String(number)
        default:
            // An answer of the wrong shape: we cannot say what happened.
            record.outcome = .unknown
        }
    }

    /// The reply recorded when nothing listens (a `fail`: the request never left).
    static let refused = RESPClient.Value.error("connection refused")

    /// One request on a cached connection; nil (and the connection dropped) on timeout or reset.
    private func send(_ words: [String], to endpoint: Endpoint) -> RESPClient.Value? {
        lastSent = endpoint
        if connections[endpoint] == nil {
            connections[endpoint] = RESPClient(endpoint: endpoint, timeoutMilliseconds: timeoutMilliseconds)
        }
        // Nothing listens, or the connection could not be made: the request never left, so it surely did not happen.
        guard let client = connections[endpoint] else { usleep(50_000); return Self.refused }
        let reply = client.call(words)
        if reply == nil { connections[endpoint] = nil }
        return reply
    }
}
