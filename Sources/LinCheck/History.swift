// The operations a checker reads: what each client asked, what it saw, and when.
// Both input formats (JSON lines and Jepsen logs) parse into these types; the search never sees text.

import JSONText

/// The value of one register or one key: absent (nil / missing key), an integer, or other text.
///
/// Text that spells a canonical integer ("42", "-7") is stored as `.integer`, so `SET k "5"` then `INCR k`
/// reads back as 6 whichever way the history wrote it. Other text is interned: `.text(id)` indexes
/// `History.texts`, so comparing and hashing a state is comparing two machine words.
public enum Value: Hashable, Sendable {
    /// No value: a register never written (Jepsen's `nil`) or a missing key.
    case absent
    /// An integer (64-bit signed, like Redis's INCR).
    case integer(Int64)
    /// A non-integer string, by its index in `History.texts`.
    case text(Int)
}

/// What an operation did, with its argument and, for completed operations, what it observed.
public enum Action: Hashable, Sendable {
    /// A read (register) or GET (kv) that returned `observed`.
    case read(observed: Value)
    /// A write (register) or SET (kv) of `value`.
    case write(Value)
    /// Compare-and-set: when the value is `expected`, replace it by `new`. `swapped` is the reported outcome
    /// (false: the compare failed, so the value was not `expected` and did not change).
    case cas(expected: Value, new: Value, swapped: Bool)
    /// INCR: add one to an integer (a missing key counts as 0) and return the result (nil when unknown).
    case increment(result: Int64?)
    /// DEL of one key, returning how many keys it removed, 0 or 1 (nil when unknown).
    case delete(removed: Int?)
}

/// One operation of a history: a client's call, its effect and, unless its outcome is unknown, its return.
public struct Operation: Hashable, Sendable {
    /// The client (Jepsen: the process) that issued it; a client has one operation outstanding at a time.
    public var client: String
    /// The key it acts on; operations on different keys are checked separately. "" for a lone register.
    public var key: String
    /// What it did and what it observed.
    public var action: Action
    /// When it was called (monotonic nanoseconds in JSON lines; the line number in Jepsen logs).
    public var callTime: Int64
    /// When it returned, or nil when its outcome is unknown: it may take effect at any time after its
    /// call, or never (its return time is +infinity).
    public var returnTime: Int64?
    /// The input line of its call (1-based), for messages.
    public var callLine: Int
    /// The input line of its return (1-based), or nil when it never returned.
    public var returnLine: Int?

    /// Creates an operation; a known return must not precede the call.
    public init(
        client: String, key: String, action: Action, callTime: Int64, returnTime: Int64?,
        callLine: Int, returnLine: Int?
    ) {
        precondition(returnTime.map { $0 >= callTime } ?? true, "an operation returns after its call")
        self.client = client
        self.key = key
        self.action = action
        self.callTime = callTime
        self.returnTime = returnTime
        self.callLine = callLine
        self.returnLine = returnLine
    }

    /// True when the outcome is unknown (a timeout, a crashed client): it may or may not have happened.
    public var isUnknown: Bool { returnTime == nil }
}

/// A parsed history: its operations and the interned text values they mention.
public struct History: Sendable, Equatable {
    /// Every operation that can affect the verdict, in input order. Reads whose outcome is unknown and
    /// operations that failed without effect are left out by the parsers: they constrain nothing.
    public var operations: [Operation]
    /// The text values, indexed by `Value.text`.
    public private(set) var texts: [String]
    /// Each text's index in `texts`, so interning stays O(1) on long histories.
    private var textIndex: [String: Int]

    /// Creates a history from operations and the text table their values index.
    public init(operations: [Operation] = [], texts: [String] = []) {
        self.operations = operations
        self.texts = texts
        self.textIndex = Dictionary(texts.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The canonical value of a string: an integer when it spells one canonically, else interned text.
    public mutating func value(of string: String) -> Value {
        if let number = Value.canonicalInteger(string) { return .integer(number) }
        if let index = textIndex[string] { return .text(index) }
        textIndex[string] = texts.count
        texts.append(string)
        return .text(texts.count - 1)
    }

    /// How a value reads in messages: `nil`, `42` or a JSON-style quoted string.
    public func describe(_ value: Value) -> String {
        switch value {
        case .absent: return "nil"
        case .integer(let number): return String(number)
        case .text(let index): return jsonQuoted(texts[index])
        }
    }

    /// A one-phrase description of an operation for verdicts: `client 3 read -> 2 (lines 7-9)`; the kv
    /// model's names (get, set) for `model: .kv`.
    public func describe(_ op: Operation, model: Model = .register) -> String {
        let (readName, writeName) = model == .kv ? ("get", "set") : ("read", "write")
        let key = op.key.isEmpty ? "" : " " + jsonQuoted(op.key)
        let what: String
        switch op.action {
        case .read(let observed):
            what = "\(readName)\(key) -> \(describe(observed))"
        case .write(let value):
            what = "\(writeName)\(key) \(describe(value))"
        case .cas(let expected, let new, let swapped):
            let outcome = op.isUnknown ? "" : (swapped ? " ok" : " failed")
            what = "cas\(key) \(describe(expected))->\(describe(new))\(outcome)"
        case .increment(let result):
            what = "incr\(key)" + (result.map { " -> \($0)" } ?? "")
        case .delete(let removed):
            what = "del\(key)" + (removed.map { " -> \($0)" } ?? "")
        }
        let lines: String
        if let end = op.returnLine, end != op.callLine {
            lines = "lines \(op.callLine)-\(end)"
        } else {
            lines = "line \(op.callLine)"
        }
        return "client \(op.client) \(what)\(op.isUnknown ? " (unknown outcome)" : "") (\(lines))"
    }
}

extension Value {
    /// The integer a string spells in canonical decimal (no sign but `-`, no leading zero, fits Int64), as
    /// Redis's INCR accepts it; nil otherwise.
    public static func canonicalInteger(_ string: String) -> Int64? {
        let bytes = Array(string.utf8)
        let digits = bytes.first == UInt8(ascii: "-") ? bytes.dropFirst() : bytes[...]
        guard let first = digits.first, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        if first == 48 && (digits.count > 1 || bytes.count != digits.count) { return nil }  // "007", "-0"
        return Int64(string)
    }
}
