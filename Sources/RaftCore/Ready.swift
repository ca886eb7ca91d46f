/// A node's role.
public enum Role: String, Sendable, Equatable, CaseIterable {
    /// Follows a leader (or waits for one).
    case follower
    /// Asking for pre-votes without having raised its term (dissertation §9.6).
    case preCandidate = "pre-candidate"
    /// Asking for votes in a new term.
    case candidate
    /// Replicating its log.
    case leader
}

/// The volatile state a host may want to show; it is not persisted.
public struct SoftState: Equatable, Sendable {
    /// The node's role.
    public var role: Role
    /// The leader this node knows of, or `.none`.
    public var leader: NodeID

    @usableFromInline
    init(role: Role, leader: NodeID) {
        self.role = role
        self.leader = leader
    }
}

/// A linearizable read that the leader has confirmed: once the state machine has applied
/// through `index`, the read may be served.
public struct ReadState: Equatable, Sendable {
    /// The commit index at the time the read was requested.
    public var index: UInt64
    /// The caller's request id, as given to `readIndex(_:)`.
    public var context: UInt64
}

/// Everything a node asks its host to do, in the order the host must do it:
/// 1. persist `snapshot` (replacing the log through its index), `hardState` and `entries`
///    (fsync first when `mustSync`),
/// 2. send `messages`,
/// 3. restore the state machine from `snapshot`, apply `committedEntries`, answer `readStates`,
/// then call `advance(_:)` with this value.
public struct Ready: Equatable, Sendable {
    /// The hard state to persist, when it changed since the last `advance`.
    public var hardState: HardState?
    /// Whether the host must sync before sending: true when entries, term or vote changed.
    /// (Declared here, in the padding after `hardState`, it keeps the Ready at 128 bytes, which
    /// the compiler copies with a few moves instead of a call to `memcpy`.)
    public var mustSync: Bool = false
    /// A snapshot received from the leader, replacing the log and the state machine through its
    /// index. Persist it before `entries` and restore the state machine from it before applying.
    public var snapshot: Snapshot?
    /// Entries to append to stable storage. An entry whose index is at or below the stored last
    /// index supersedes the stored suffix from that index on.
    /// - Invariant: consecutive indexes.
    public var entries: [Entry] = []
    /// Messages to send after persisting.
    public var messages: [Message] = []
    /// Committed entries to apply to the state machine, in order.
    public var committedEntries: [Entry] = []
    /// Confirmed reads.
    public var readStates: [ReadState] = []
    /// Role and leader, when they changed since the last `advance`.
    public var softState: SoftState?

    /// Whether there is nothing to do.
    public var isEmpty: Bool {
        hardState == nil && snapshot == nil && entries.isEmpty && messages.isEmpty && committedEntries.isEmpty
            && readStates.isEmpty && softState == nil
    }
}
