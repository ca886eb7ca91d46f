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
        if entry.kind == .config, let configuration = ConfigurationCodec.decode(entry.data) {
            return Describe.configEntry(configuration)
        }
        guard entry.kind == .normal else { return entry.kind.description }
        commandCount += 1
        switch KeyValueStore.command(in: entry.data) {
        case .set(let key, let value):
            values[key] = value
            return "\(key)=\(value)"
        case .del(let key):
            if values.removeValue(forKey: key) != nil { return "del \(key)" }
            return "del \(key) (absent)"
        case .opaque:
            return "'\(String(decoding: entry.data, as: UTF8.self))' (opaque)"
        }
    }

    /// `apply` of each entry in order, without the descriptions: the same change to the store,
    /// for hosts that do not narrate (the explorer re-applies whole logs at every restart;
    /// building the text was most of that cost).
    mutating func applyQuietly(_ entries: [Entry]) {
        for entry in entries {
            lastApplied = entry.index
            guard entry.kind == .normal else { continue }
            commandCount += 1
            switch KeyValueStore.command(in: entry.data) {
            case .set(let key, let value): values[key] = value
            case .del(let key): values.removeValue(forKey: key)
            case .opaque: break
            }
        }
    }

    /// What a command does to the store.
    enum Command: Equatable {
        case set(key: String, value: String)
        case del(key: String)
        /// Any other text: counted, changes no key.
        case opaque
    }

    /// The command in an entry's bytes: the text split on spaces (empty words dropped); `set KEY
    /// VALUE...` (the value is the remaining words joined by one space) or `del KEY`.
    static func command(in data: [UInt8]) -> Command {
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

    public var contentsDescription: String {
        let pairs = sortedPairs
        if pairs.isEmpty { return "(empty)" }
        return pairs.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }
}
