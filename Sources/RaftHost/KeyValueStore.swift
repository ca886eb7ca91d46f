/// A key-value store, the state machine of the REPL's cluster and of `raftd`.
///
/// Commands come in two spellings. Text, as typed at the REPL: `set KEY VALUE…`, `del KEY`; any
/// other text is an opaque command that is counted but changes no key. Binary, as `raftd` writes
/// them (`BinaryCommand`), so keys and values may hold spaces: a first byte of 0xFF (never the
/// first byte of UTF-8 text), then the operation.
public struct KeyValueStore: StateMachine, Equatable, Sendable {
    /// The keys and their values (printed sorted by key).
    public private(set) var values: [String: String] = [:]
    /// Normal entries applied (including opaque ones).
    public private(set) var commandCount = 0
    /// Index of the last applied entry (commands or not).
    public private(set) var lastApplied: UInt64 = 0

    /// An empty store.
    public init() {}

    /// What applying a command did: the answer a client gets.
    public enum Response: Equatable, Sendable {
        /// The key now holds the value.
        case set(key: String, value: String)
        /// `count` of these keys existed and were removed.
        case deleted(keys: [String], count: Int)
        /// The key now holds this integer.
        case incremented(key: String, value: Int64)
        /// Text that is no command: counted, changes nothing.
        case opaque
        /// The command was refused (every replica refuses it the same way); nothing changed.
        case error(String)
    }

    /// The keys whose values a read asks for.
    public typealias Query = [String]
    /// Each asked key's value, nil when absent.
    public typealias QueryResult = [String?]

    /// Applies one command (text or binary) found at `index`.
    public mutating func apply(_ command: [UInt8], index: UInt64) -> Response {
        lastApplied = index
        commandCount += 1
        switch KeyValueStore.command(in: command) {
        case .set(let key, let value):
            values[key] = value
            return .set(key: key, value: value)
        case .del(let key):
            return .deleted(keys: [key], count: values.removeValue(forKey: key) == nil ? 0 : 1)
        case .delete(let keys):
            var count = 0
            for key in keys where values.removeValue(forKey: key) != nil { count += 1 }
            return .deleted(keys: keys, count: count)
        case .increment(let key, let amount):
            var current: Int64 = 0
            if let text = values[key] {
                guard let number = Int64(text) else { return .error("value is not an integer or out of range") }
                current = number
            }
            let (sum, overflow) = current.addingReportingOverflow(amount)
            if overflow { return .error("increment or decrement would overflow") }
            values[key] = String(sum)
            return .incremented(key: key, value: sum)
        case .opaque:
            return .opaque
        case .malformed(let problem):
            return .error(problem)
        }
    }

    /// Records the index of an entry without a command.
    public mutating func skip(index: UInt64) { lastApplied = index }

    /// The values of the asked keys.
    public func query(_ keys: [String]) -> [String?] { keys.map { values[$0] } }

    /// `serialized()`.
    public func snapshot() -> [UInt8] { serialized() }

    /// Replaces the store with the one `serialized()` wrote into `bytes`.
    public mutating func restore(_ bytes: [UInt8]) throws(StateMachineError) {
        guard let restored = KeyValueStore(serialized: bytes) else {
            throw StateMachineError("\(bytes.count) bytes are not a key-value store snapshot")
        }
        self = restored
    }

    /// What a command does to the store.
    enum Command: Equatable {
        case set(key: String, value: String)
        case del(key: String)
        /// Binary only: several keys removed at once.
        case delete(keys: [String])
        /// Binary only: add to an integer value (a missing key counts as 0).
        case increment(key: String, by: Int64)
        /// Any other text: counted, changes no key.
        case opaque
        /// Binary bytes that do not decode (written by no tool of ours).
        case malformed(String)
    }

    /// The command in an entry's bytes: the text split on spaces (empty words dropped); `set KEY
    /// VALUE...` (the value is the remaining words joined by one space) or `del KEY`.
    static func command(in data: [UInt8]) -> Command {
        if data.first == BinaryCommand.marker { return BinaryCommand.decode(data) }
        // ASCII (every command the tools write) is split as bytes: there each byte is one
        // Character and no grapheme cluster holds a space, so the words are the same as the
        // String split's. Other text goes through the String split, whose grapheme rules decide.
        if data.allSatisfy({ $0 < 0x80 }) {
            return data.withUnsafeBufferPointer { asciiCommand($0) }
        }
        let text = String(decoding: data, as: UTF8.self)
        let words = text.split(separator: " ", omittingEmptySubsequences: true)
        if words.count >= 3, words[0] == "set" { return .set(key: String(words[1]), value: words[2...].joined(separator: " ")) }
        if words.count == 2, words[0] == "del" { return .del(key: String(words[1])) }
        return .opaque
    }

    /// `command(in:)` for ASCII bytes, without building the words.
    private static func asciiCommand(_ bytes: UnsafeBufferPointer<UInt8>) -> Command {
        let space = UInt8(ascii: " ")
        var position = 0
        func nextWord() -> UnsafeBufferPointer<UInt8>? {
            while position < bytes.count && bytes[position] == space { position += 1 }
            guard position < bytes.count else { return nil }
            let start = position
            while position < bytes.count && bytes[position] != space { position += 1 }
            return UnsafeBufferPointer(rebasing: bytes[start..<position])
        }
        func string(_ word: UnsafeBufferPointer<UInt8>) -> String { String(decoding: word, as: UTF8.self) }
        guard let verb = nextWord(), let key = nextWord() else { return .opaque }
        let isSet = verb.elementsEqual("set".utf8), isDel = verb.elementsEqual("del".utf8)
        let first = nextWord()
        if isDel && first == nil { return .del(key: string(key)) }
        guard isSet, let first else { return .opaque }
        guard let second = nextWord() else { return .set(key: string(key), value: string(first)) }
        // Several value words: joined by one space, as the String split's `joined` does.
        var value = Array(first)
        var word: UnsafeBufferPointer<UInt8>? = second
        while let next = word {
            value.append(space)
            value.append(contentsOf: next)
            word = nextWord()
        }
        return .set(key: string(key), value: String(decoding: value, as: UTF8.self))
    }

    /// The store as bytes (a snapshot's data): `KV1`, last applied and command count (u64 LE),
    /// the pair count (u32 LE), then per pair sorted by key: key and value, each u32 LE length + UTF-8.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = Array("KV1".utf8)
        func u64(_ v: UInt64) { for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> UInt64(8 * k))) } }
        func u32(_ v: Int) { for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: UInt32(v) >> UInt32(8 * k))) } }
        u64(lastApplied)
        u64(UInt64(commandCount))
        let pairs = sortedPairs
        u32(pairs.count)
        for (key, value) in pairs {
            u32(key.utf8.count); out.append(contentsOf: key.utf8)
            u32(value.utf8.count); out.append(contentsOf: value.utf8)
        }
        return out
    }

    /// A store restored from `serialized()` bytes; nil when they are not a valid encoding.
    public init?(serialized bytes: [UInt8]) {
        // Decoded through the buffer (restarts and received snapshots decode whole stores).
        guard let decoded = bytes.withUnsafeBufferPointer(KeyValueStore.decode) else { return nil }
        (values, commandCount, lastApplied) = decoded
    }

    /// `init(serialized:)`'s parts: values, command count, last applied.
    private static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> ([String: String], Int, UInt64)? {
        guard bytes.count >= 23, bytes.prefix(3).elementsEqual("KV1".utf8) else { return nil }
        var position = 3
        func u64() -> UInt64? {
            guard position + 8 <= bytes.count else { return nil }
            var v: UInt64 = 0
            for k in 0..<8 { v |= UInt64(bytes[position + k]) << UInt64(8 * k) }
            position += 8
            return v
        }
        func u32() -> Int? {
            guard position + 4 <= bytes.count else { return nil }
            var v = 0
            for k in 0..<4 { v |= Int(bytes[position + k]) << (8 * k) }
            position += 4
            return v
        }
        func string() -> String? {
            guard let count = u32(), count <= bytes.count - position else { return nil }
            defer { position += count }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[position..<(position + count)]), as: UTF8.self)
        }
        guard let applied = u64(), let commands = u64(), commands <= UInt64(Int.max), let count = u32() else { return nil }
        var values: [String: String] = [:]
        for _ in 0..<count {
            guard let key = string(), let value = string() else { return nil }
            values[key] = value
        }
        guard position == bytes.count else { return nil }
        return (values, Int(commands), applied)
    }

    /// Pairs sorted by key.
    public var sortedPairs: [(key: String, value: String)] {
        values.keys.sorted().map { ($0, values[$0]!) }
    }

    /// The pairs as `k=v` sorted by key, or `(empty)`: stable across runs (for `kv` and `expect kv`).
    public var contentsDescription: String {
        let pairs = sortedPairs
        if pairs.isEmpty { return "(empty)" }
        return pairs.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }
}
