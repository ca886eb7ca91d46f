/// What a snapshot stands for: the log through `index`, whose last entry had `term`, and the
/// membership in effect at that point.
public struct SnapshotMetadata: Equatable, Hashable, Sendable {
    /// The last log index the snapshot replaces.
    /// - Invariant: `index >= 1` for a real snapshot.
    public var index: UInt64
    /// The term of the entry at `index`.
    /// - Invariant: `term >= 1`.
    public var term: UInt64
    /// The configuration in effect at `index`.
    public var configuration: Configuration

    /// Creates the metadata.
    public init(index: UInt64, term: UInt64, configuration: Configuration) {
        self.index = index
        self.term = term
        self.configuration = configuration
    }
}

/// A state-machine snapshot: the metadata plus the state machine's own bytes (opaque to Raft).
public struct Snapshot: Equatable, Hashable, Sendable {
    /// Which log prefix the snapshot replaces.
    public var metadata: SnapshotMetadata
    /// The state machine's serialized state.
    public var data: [UInt8]

    /// Creates a snapshot.
    public init(metadata: SnapshotMetadata, data: [UInt8]) {
        self.metadata = metadata
        self.data = data
    }
}

/// Leader → follower: the follower lacks entries the leader has compacted; replace its state.
public struct InstallSnapshot: Equatable, Sendable {
    /// Sender (the leader).
    public var from: NodeID
    /// Receiver.
    public var to: NodeID
    /// The leader's term.
    /// - Invariant: `snapshot.metadata.term <= term`.
    public var term: UInt64
    /// The snapshot.
    public var snapshot: Snapshot

    /// Creates the message.
    public init(from: NodeID, to: NodeID, term: UInt64, snapshot: Snapshot) {
        self.from = from
        self.to = to
        self.term = term
        self.snapshot = snapshot
    }
}
