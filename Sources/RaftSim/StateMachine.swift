import RaftCore

/// The replicated state machine behind the cluster: entries go in, a result comes out.
/// The REPL's is a key-value store; any other state machine can be plugged in the same way.
public protocol ReplicatedStateMachine {
    /// Applies one committed entry and says what it did, in a few words.
    mutating func apply(_ entry: Entry) -> String
    /// The state as text, stable across runs (for `kv` and `expect kv`).
    var contentsDescription: String { get }
}

/// A key-value store: `set KEY VALUE` and `del KEY`; any other text is an opaque command that
/// is counted but changes no key.
public struct KeyValueStore: ReplicatedStateMachine, Equatable, Sendable {
    /// The keys and their values (printed sorted by key).
    public private(set) var values: [String: String] = [:]
    /// Normal entries applied (including opaque ones).
    public private(set) var commandCount = 0
    /// Index of the last applied entry.
    public private(set) var lastApplied: UInt64 = 0

    /// An empty store.
    public init() {}

    public mutating func apply(_ entry: Entry) -> String {
        lastApplied = entry.index
        guard entry.kind == .normal else { return entry.kind.description }
        commandCount += 1
        let text = String(decoding: entry.data, as: UTF8.self)
        let words = text.split(separator: " ", omittingEmptySubsequences: true)
        if words.count >= 3, words[0] == "set" {
            let key = String(words[1])
            let value = words[2...].joined(separator: " ")
            values[key] = value
            return "\(key)=\(value)"
        }
        if words.count == 2, words[0] == "del" {
            let key = String(words[1])
            if values.removeValue(forKey: key) != nil { return "del \(key)" }
            return "del \(key) (absent)"
        }
        return "'\(text)' (opaque)"
    }

    /// Pairs sorted by key.
    public var sortedPairs: [(key: String, value: String)] {
        values.keys.sorted().map { ($0, values[$0]!) }
    }

    public var contentsDescription: String {
        let pairs = sortedPairs
        if pairs.isEmpty { return "(empty)" }
        return pairs.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }
}
