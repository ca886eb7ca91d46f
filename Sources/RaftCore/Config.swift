/// How a node behaves: its identity, timing and the optional protocol features.
public struct Config: Sendable, Equatable {
    /// This node's id.
    /// - Invariant: not `.none`.
    public var id: NodeID
    /// Base election timeout in ticks; each election draws a timeout from
    /// `electionTicks ..< 2 * electionTicks`.
    /// - Invariant: `electionTicks > heartbeatTicks`.
    public var electionTicks: Int = 10
    /// A leader sends heartbeats every this many ticks.
    /// - Invariant: `heartbeatTicks >= 1`.
    public var heartbeatTicks: Int = 1
    /// Seeds the node's PRNG (election timeouts). The node mixes in its id, so one cluster seed
    /// gives every node its own sequence.
    public var seed: UInt64 = 1
    /// Pre-vote (dissertation §9.6): a candidate first asks whether it could win, without
    /// raising anyone's term.
    public var preVote: Bool = true
    /// Check-quorum: a leader that has not heard from a quorum for an election timeout steps
    /// down, and followers that heard from a leader recently ignore vote requests.
    public var checkQuorum: Bool = true
    /// A new leader appends an empty entry of its term so that earlier entries commit promptly.
    /// Off, a new leader still appends one when it inherits a joint configuration not known to
    /// be committed: it must commit C_old,new to leave it (`leaveInheritedJoint`).
    public var leaderNoop: Bool = true
    /// At most this many append messages may be in flight to one follower in replicate state.
    /// - Invariant: `>= 1`.
    public var maxInflightAppends: Int = 256
    /// An append message carries entries of at most this many payload bytes (at least one entry).
    /// - Invariant: `>= 1`.
    public var maxAppendBytes: Int = 1 << 20
    /// A leader counts its own copy of an entry toward the commit quorum only once its host says
    /// that copy is durable (`RaftNode.persisted(through:)`), not as soon as it appends. A host
    /// that writes the leader's entries on another thread and steps followers' acknowledgements
    /// meanwhile sets it: a majority of durable copies then commits an entry with or without
    /// the leader's own (dissertation §10.2.1). Off (the default), the host persists each Ready
    /// before it steps anything later, so the leader's appended copy is durable when counted.
    public var leaderCountsOwnCopyWhenPersisted: Bool = false
    /// A ReadIndex round's heartbeat goes only to as many voters as make a quorum with the leader
    /// (those that answered the leader most recently), not to every member: a round is confirmed
    /// by a quorum's answers either way (dissertation §6.4), and the other members are spared a
    /// message and an answer per round. The periodic heartbeat still goes to everyone and carries
    /// the newest pending read, so a round whose voters fell silent is confirmed by the next one.
    /// Off by default (the simulator and the lessons show every member's heartbeat); `raftd` turns it on.
    public var readRoundsAskQuorumOnly: Bool = false
    /// Deliberately unsafe behaviours for teaching; empty in production.
    public var unsafe: UnsafeKnobs = []

    /// Creates a configuration with defaults for everything but the id.
    public init(id: NodeID) {
        self.id = id
    }

    /// Checks the invariants above; returns a description of the first violated one.
    public func validationError() -> String? {
        if id == .none { return "node id 0 is reserved" }
        if heartbeatTicks < 1 { return "heartbeatTicks must be at least 1" }
        if electionTicks <= heartbeatTicks { return "electionTicks must exceed heartbeatTicks" }
        if maxInflightAppends < 1 { return "maxInflightAppends must be at least 1" }
        if maxAppendBytes < 1 { return "maxAppendBytes must be at least 1" }
        return nil
    }
}
