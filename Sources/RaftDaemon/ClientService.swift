import RaftCore
import RaftHost

/// A reply to a client, as RESP2 spells it.
public enum Reply: Equatable, Sendable {
    /// `+TEXT`.
    case status(String)
    /// `-TEXT` (the text starts with the error code: `ERR …`, `MOVED …`, `TRYAGAIN …`).
    case error(String)
    /// `:N`.
    case integer(Int64)
    /// `$N` and the bytes; nil is the null bulk string `$-1`.
    case bulk([UInt8]?)
    /// `*N` and the elements; nil is the null array `*-1`.
    case array([Reply]?)

    /// A bulk string of UTF-8 text.
    public static func text(_ text: String) -> Reply { .bulk(Array(text.utf8)) }
}

/// What a client command asks of the node.
public enum ClientRoute<Machine: StateMachine> {
    /// Propose the command; once applied, answer from the machine's response.
    case write([UInt8], answer: (Machine.Response) -> Reply)
    /// Read through ReadIndex; once confirmed and applied, answer from the query's result.
    case read(Machine.Query, answer: (Machine.QueryResult) -> Reply)
    /// Answer at once (bad arguments, a refusal).
    case reply(Reply)
    /// Not a command of this service.
    case unknown
}

/// Maps client commands onto a state machine: the part of a RESP service that is the
/// application's. `raftd` handles connection, administration and Raft commands itself (PING,
/// QUIT, SELECT, `RAFT …`), and hands every other command to `route`.
public protocol ClientService {
    /// The replicated state machine the commands act on.
    associatedtype Machine: StateMachine
    /// How the command `name` (upper case) with these arguments is served.
    static func route(_ name: String, _ arguments: [[UInt8]]) -> ClientRoute<Machine>
}

extension Reply {
    /// Redis's reply to a command with the wrong number of arguments.
    public static func wrongArity(_ name: String) -> Reply {
        .error("ERR wrong number of arguments for '\(name.lowercased())' command")
    }
}

/// The key-value store as Redis clients see it: GET, SET, DEL, EXISTS, INCR, INCRBY, DECR, DECRBY.
/// Keys and values must be UTF-8 (the store keeps text); other bytes are refused, never mangled.
public enum KeyValueService: ClientService {
    /// The key-value store.
    public typealias Machine = KeyValueStore

    /// Routes one command.
    public static func route(_ name: String, _ arguments: [[UInt8]]) -> ClientRoute<KeyValueStore> {
        switch name {
        case "GET":
            guard arguments.count == 1 else { return .reply(.wrongArity(name)) }
            guard let key = text(arguments[0]) else { return .reply(notText) }
            return .read([key]) { result in .bulk((result.first ?? nil).map { Array($0.utf8) }) }
        case "EXISTS":
            guard !arguments.isEmpty else { return .reply(.wrongArity(name)) }
            let keys = arguments.compactMap(text)
            guard keys.count == arguments.count else { return .reply(notText) }
            return .read(keys) { result in .integer(Int64(result.filter { $0 != nil }.count)) }
        case "SET":
            guard arguments.count >= 2 else { return .reply(.wrongArity(name)) }
            guard arguments.count == 2 else { return .reply(.error("ERR syntax error (raftd's SET takes no options)")) }
            guard let key = text(arguments[0]), let value = text(arguments[1]) else { return .reply(notText) }
            return .write(BinaryCommand.set(key: key, value: value)) { answer($0) }
        case "DEL":
            guard !arguments.isEmpty, arguments.count <= BinaryCommand.maxDeleteKeys else { return .reply(.wrongArity(name)) }
            let keys = arguments.compactMap(text)
            guard keys.count == arguments.count else { return .reply(notText) }
            return .write(BinaryCommand.delete(keys: keys)) { answer($0) }
        case "INCR", "DECR":
            guard arguments.count == 1 else { return .reply(.wrongArity(name)) }
            return increment(arguments[0], by: name == "INCR" ? 1 : -1)
        case "INCRBY", "DECRBY":
            guard arguments.count == 2 else { return .reply(.wrongArity(name)) }
            guard let amount = text(arguments[1]).flatMap({ Int64($0) }), name == "INCRBY" || amount != .min else {
                return .reply(.error("ERR value is not an integer or out of range"))
            }
            return increment(arguments[0], by: name == "INCRBY" ? amount : -amount)
        default:
            return .unknown
        }
    }

    private static let notText = Reply.error("ERR raftd keeps keys and values as UTF-8 text; these bytes are not")

    /// The bytes as text, or nil when they are not UTF-8. ASCII (keys and values as clients
    /// usually send them) is valid as it is and skips `String(validating:as:)`, which the standard
    /// library runs unspecialized (generic metadata looked up on every call).
    static func text(_ bytes: [UInt8]) -> String? {
        if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func increment(_ key: [UInt8], by amount: Int64) -> ClientRoute<KeyValueStore> {
        guard let key = text(key) else { return .reply(notText) }
        return .write(BinaryCommand.increment(key: key, by: amount)) { answer($0) }
    }

    /// The reply to a write, from what the store did.
    static func answer(_ response: KeyValueStore.Response) -> Reply {
        switch response {
        case .set: return .status("OK")
        case .deleted(_, let count): return .integer(Int64(count))
        case .incremented(_, let value): return .integer(value)
        case .opaque: return .status("OK")
        case .error(let problem): return .error("ERR \(problem)")
        }
    }
}
