/// A node's identity inside a cluster. `NodeID.none` (0) means "nobody".
public typealias NodeID = UInt64

extension NodeID {
    /// The absent node: no vote cast, no leader known.
    public static let none: NodeID = 0
}

/// What a log entry carries, as stored on disk and replicated.
public enum EntryKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// A client command for the state machine.
    case normal = 0
    /// The empty entry a new leader appends to commit entries of earlier terms (paper §5.4.2).
    case noop = 1
    /// A cluster configuration change (joint consensus); the payload encodes the configuration.
    case config = 2

    /// The lower-case name used by the REPL, `logdump` and the on-disk documentation.
    public var description: String {
        switch self {
        case .normal: return "normal"
        case .noop: return "noop"
        case .config: return "config"
        }
    }

    /// Parses a lower-case name as printed by `description`.
    public init?(name: String) {
        guard let kind = EntryKind.allCases.first(where: { $0.description == name }) else { return nil }
        self = kind
    }
}

/// One entry of the replicated log.
public struct Entry: Equatable, Hashable, Sendable {
    /// The leader's term when the entry was created.
    /// - Invariant: `term >= 1` for every entry in a log.
    public var term: UInt64
    /// The entry's position in the log.
    /// - Invariant: `index >= 1`; entries of a log have consecutive indexes.
    public var index: UInt64
    /// What the payload means.
    public var kind: EntryKind
    /// The opaque payload (a command for `.normal`, empty for `.noop`).
    public var data: [UInt8]

    /// Creates an entry.
    public init(term: UInt64, index: UInt64, kind: EntryKind = .normal, data: [UInt8] = []) {
        self.term = term
        self.index = index
        self.kind = kind
        self.data = data
    }
}

/// The state a node must persist before it acts on it: a vote or a term is never acted on
/// before it is durable (Raft Figure 2, "Persistent state on all servers").
public struct HardState: Equatable, Hashable, Sendable {
    /// The latest term this node has seen.
    public var term: UInt64
    /// The candidate this node voted for in `term`, or `.none`.
    public var vote: NodeID
    /// The highest log index known to be committed.
    /// - Invariant: never decreases while a node lives; never exceeds the last log index.
    public var commit: UInt64

    /// Creates a hard state.
    public init(term: UInt64 = 0, vote: NodeID = .none, commit: UInt64 = 0) {
        self.term = term
        self.vote = vote
        self.commit = commit
    }

    /// The state of a node that has never run.
    public static let empty = HardState()
}
