import RaftCore

/// A replicated state machine: what a Raft cluster agrees to run (Rafter's `apply/1`).
///
/// The host hands it every committed command in log order, on every node, so each replica
/// must end up in the same state. The contract:
/// - `apply(_:index:)` is **deterministic**: its result and its effect depend only on the
///   machine's state and the command — no clock, no randomness, no I/O whose outcome can differ
///   between replicas, no iteration order of a `Set` or `Dictionary` that leaks into the result.
///   It must not fail: a command it cannot make sense of is answered with an error *response*
///   (every replica answers it the same way), never by throwing or trapping.
/// - `query(_:)` is read-only. The host calls it only after a ReadIndex confirmation and after
///   applying through the read index (dissertation §6.4), so its answer is linearizable.
/// - `snapshot()` returns the whole state as bytes; `restore(_:)` replaces *all* state with the
///   state those bytes encode (after `restore`, the machine equals the one that produced them).
///   `restore` may throw for bytes it cannot decode (they came from disk or the network).
/// - Every call happens on the host's one thread, one at a time; a call may block (a big
///   snapshot), but while it runs the node neither ticks nor answers its peers, so keep
///   `apply` and `query` short.
public protocol StateMachine {
    /// What `apply` answers to the client that proposed the command.
    associatedtype Response
    /// A read-only question (`GET key`, for a key-value store).
    associatedtype Query
    /// The answer to a `Query`.
    associatedtype QueryResult

    /// An empty machine: the state before any command.
    init()
    /// Applies one committed command (a normal entry's data) found at `index` of the log.
    mutating func apply(_ command: [UInt8], index: UInt64) -> Response
    /// Notes that the entry at `index` carried no command (the leader's no-op, a configuration change).
    mutating func skip(index: UInt64)
    /// Answers a read-only question from the current state.
    func query(_ query: Query) -> QueryResult
    /// The whole state, as bytes that `restore(_:)` reads back.
    func snapshot() -> [UInt8]
    /// Replaces all state with the state `bytes` encode.
    mutating func restore(_ bytes: [UInt8]) throws(StateMachineError)
}

extension StateMachine {
    /// By default an entry without a command changes nothing.
    public mutating func skip(index: UInt64) {}
}

/// Snapshot bytes a state machine cannot decode.
public struct StateMachineError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong, in words.
    public var message: String
    /// An error with this message.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}
