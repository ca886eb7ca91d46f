/// One Raft node as a pure, deterministic state machine (in the style of etcd's raft).
///
/// Inputs are `tick()`, `step(_:)`, `propose(_:)`, `campaign()`, `transferLeadership(to:)` and
/// `readIndex(_:)`. Outputs are collected in a `Ready` that the host takes with `ready()`,
/// handles in order (persist, send, apply) and acknowledges with `advance(_:)`. The node never
/// does I/O, reads no clock and draws randomness only from its seeded generator.
public struct RaftNode: Sendable {
    /// The node's configuration (timing, features, knobs).
    public let config: Config
    /// This node's id.
    public var id: NodeID { config.id }
    /// The cluster membership this node currently acts on: that of the latest configuration
    /// entry in its log, committed or not (dissertation §4.1), else the one it started with.
    public internal(set) var configuration: Configuration
    /// Index of the configuration entry in effect (0: the starting configuration).
    public internal(set) var configurationIndex: UInt64 = 0
    /// Term of the configuration entry in effect (0 with `configurationIndex` 0). Index and term
    /// together name one entry (Log Matching), so a config entry replaced at the same index by
    /// one of another leader is seen as a change.
    public internal(set) var configurationTerm: UInt64 = 0
    /// The configuration in effect while the log holds no config entry: the one the node started
    /// with, or that of its latest snapshot.
    var baseConfiguration: Configuration
    /// The current role.
    public internal(set) var role: Role = .follower
    /// The current term.
    /// - Invariant: never decreases.
    public internal(set) var term: UInt64
    /// The vote cast in `term`, or `.none`.
    /// - Invariant: at most one vote per term; changes only together with a term change or
    ///   from `.none`.
    public internal(set) var vote: NodeID
    /// The leader of `term` as far as this node knows, or `.none`.
    public internal(set) var leader: NodeID = .none

    // Fields marked @usableFromInline are read by the inlinable views below (`hasReady`,
    // `commitIndex`, …), so hosts in other modules read them without a call or a copy.
    @usableFromInline var log: RaftLog
    var generator: SeededGenerator
    /// Ticks since the last election timeout reset (followers, candidates) or since the last
    /// check-quorum round (leaders).
    var electionElapsed = 0
    /// Ticks since the last heartbeat (leaders).
    var heartbeatElapsed = 0
    /// This term's election timeout, drawn from `electionTicks ..< 2 * electionTicks`.
    var randomizedElectionTimeout = 0
    /// Votes received in the current (pre-)election: `true` granted, `false` refused.
    var votes: [(id: NodeID, granted: Bool)] = []
    /// Leader only: one entry per member, sorted by id.
    var progress: [Progress] = []
    /// Leader only: the target of a leadership transfer in progress, or `.none`.
    var leadTransferee: NodeID = .none
    /// Leader only: reads waiting for a heartbeat quorum, oldest first.
    var pendingReads: [PendingRead] = []
    /// Leader only: reads that arrived before the leader committed an entry of its term.
    var readsAwaitingCommit: [ReadRequest] = []
    /// Leader only: answers that acknowledged a pending read, counted to order followers by how
    /// recently they confirmed one (`Progress.lastReadAcknowledgement`).
    var readAcknowledgements: UInt64 = 0
    /// Leader only: appends owed to followers, sent when the host takes the next `Ready`
    /// (so a burst of proposals leaves as one message per follower).
    @usableFromInline var isBroadcastPending = false

    /// The latest snapshot this node has (taken or received); sent to followers that lag behind
    /// the compaction point.
    var snapshot: Snapshot?
    /// A snapshot received from the leader that the host has not yet persisted and restored.
    @usableFromInline var pendingSnapshot: Snapshot?

    @usableFromInline var outbox: [Message] = []
    /// The message array of the last `Ready`, kept after `advance`: once the host has let go of
    /// it, the next outbox reuses its storage instead of allocating (hosts send every Ready).
    var spareOutbox: [Message] = []
    @usableFromInline var readStates: [ReadState] = []
    @usableFromInline var lastHardState: HardState
    @usableFromInline var lastSoftState: SoftState

    /// A read asked of the leader: on the leader itself, or on a follower that forwarded it.
    struct ReadRequest: Equatable {
        var context: UInt64
        /// Where the read was asked: the leader's own id, or the forwarding follower's.
        var requester: NodeID
    }

    /// A read waiting for a quorum of heartbeat answers.
    struct PendingRead {
        var request: ReadRequest
        var index: UInt64
        var acks: [NodeID]
        var context: UInt64 { request.context }
    }

    /// Starts a node from what its storage recovered (nothing, for a new node).
    /// - Parameters:
    ///   - config: identity, timing, features; must pass `Config.validationError()`.
    ///   - configuration: the membership to start with.
    ///   - hardState: the persisted term, vote and commit.
    ///   - entries: the persisted log, starting at index 1 (or right after the snapshot).
    ///   - snapshot: the persisted snapshot, if any; the host restores its state machine from it.
    public init(
        config: Config, configuration: Configuration, hardState: HardState = .empty, entries: [Entry] = [],
        snapshot: Snapshot? = nil
    ) {
        precondition(config.validationError() == nil, config.validationError() ?? "")
        precondition(
            (entries.last?.term ?? snapshot?.metadata.term ?? 0) <= hardState.term,
            "the hard state's term must be at least the last entry's term")
        let configuration = snapshot?.metadata.configuration ?? configuration
        self.config = config
        self.configuration = configuration
        self.baseConfiguration = configuration
        self.snapshot = snapshot
        self.term = hardState.term
        self.vote = hardState.vote
        self.log = RaftLog(snapshot: snapshot?.metadata, entries: entries, commit: hardState.commit)
        self.generator = SeededGenerator(seed: config.seed ^ (config.id &* 0x9E37_79B9_7F4A_7C15))
        self.lastHardState = HardState(term: hardState.term, vote: hardState.vote, commit: log.committed)
        self.lastSoftState = SoftState(role: .follower, leader: .none)
        becomeFollower(term: hardState.term, leader: .none)
        syncConfiguration()
    }

    // MARK: Read-only views for hosts and tests

    /// The highest committed index.
    @inlinable public var commitIndex: UInt64 { log.committed }
    /// The highest index handed to the state machine (after `advance`).
    @inlinable public var appliedIndex: UInt64 { log.applied }
    /// Index of the last entry.
    @inlinable public var lastIndex: UInt64 { log.lastIndex }
    /// Term of the last entry (0 for an empty log).
    @inlinable public var lastTerm: UInt64 { log.lastTerm }
    /// The hard state as it is now (persisted or not).
    @inlinable public var hardState: HardState { HardState(term: term, vote: vote, commit: log.committed) }
    /// Every entry in memory, oldest first (those after the latest snapshot).
    public var entries: [Entry] { log.entries }
    /// Index of the first entry in memory (1 unless the log was compacted).
    @inlinable public var firstIndex: UInt64 { log.firstIndex }
    /// The latest snapshot this node has taken or received.
    public var latestSnapshot: Snapshot? { snapshot }
    /// The term of the entry at `index`, or nil when the log does not hold it.
    public func term(at index: UInt64) -> UInt64? { log.term(at: index) }
    /// The current election timeout in ticks (randomized per term).
    public var electionTimeoutTicks: Int { randomizedElectionTimeout }
    /// Ticks since the last reset of the election timer.
    public var electionElapsedTicks: Int { electionElapsed }
    /// The target of a leadership transfer in progress, or `.none`.
    public var transferTarget: NodeID { leadTransferee }
    /// Whether this node is the leader.
    @inlinable public var isLeader: Bool { role == .leader }

    /// The leader's view of a follower's log, for display.
    public struct FollowerProgress: Equatable, Sendable {
        /// The follower.
        public var id: NodeID
        /// Highest index known replicated there.
        public var match: UInt64
        /// Next index to send.
        public var next: UInt64
        /// `probe`, `replicate` or `snapshot(INDEX)`.
        public var state: String
        /// Appends in flight.
        public var inflightCount: Int
    }

    /// Per-follower progress when this node is the leader; empty otherwise.
    public var followerProgress: [FollowerProgress] {
        guard role == .leader else { return [] }
        return progress.filter { $0.id != id }.map {
            FollowerProgress(
                id: $0.id, match: $0.match, next: $0.next,
                state: $0.stateName, inflightCount: $0.inflights.count)
        }
    }

    // MARK: Inputs

    /// Advances logical time by one tick.
    public mutating func tick() {
        switch role {
        case .leader: tickLeader()
        case .follower, .preCandidate, .candidate: tickElection()
        }
        assertInvariants()
    }

    /// Makes the election timeout fire now (used by hosts, lessons and tests).
    public mutating func campaign() {
        startElection(transfer: false)
        assertInvariants()
    }

    /// Handles a message from another node. Invalid or stale messages are dropped with a reason.
    @discardableResult
    public mutating func step(_ message: Message) -> StepResult {
        if let problem = validationProblem(message) {
            return .ignored(reason: problem)
        }
        let result = stepValidated(message)
        assertInvariants()
        return result
    }

    // MARK: Output

    /// Whether `ready()` would return anything.
    @inlinable public var hasReady: Bool {
        @inline(__always) get {
            // `pendingSnapshot != nil` copied the snapshot (retaining its four arrays) to compare it.
            if case .some = pendingSnapshot { return true }
            return isBroadcastPending || !outbox.isEmpty || !readStates.isEmpty
                || hardState != lastHardState || SoftState(role: role, leader: leader) != lastSoftState
                || log.stableIndex < log.lastIndex || log.applied < log.committed
        }
    }

    /// `ready()` when `hasReady`, else nil. Hosts keep the node in a class, where reading
    /// `hasReady` first copies the whole node; this mutating call reads it in place.
    public mutating func readyIfAny() -> Ready? {
        hasReady ? ready() : nil
    }

    /// Collects what the host must do now. Call `advance(_:)` with the result before the next input.
    public mutating func ready() -> Ready {
        if isBroadcastPending { flushBroadcast() }
        // Each field is computed first and the Ready built once at the end: filling in a
        // `var ready` field by field made the optimizer copy the whole value (retaining each of
        // its arrays) on the way out, on every Ready of every node.
        let hard = hardState
        var hardState = hard != lastHardState ? hard : nil
        if config.unsafe.contains(.selfVoteNotPersisted), role == .candidate, hard.vote == id, lastHardState.term != hard.term {
            hardState?.vote = .none
        }
        let soft = SoftState(role: role, leader: leader)
        let entries = log.unstableEntries()
        var isSnapshotPending = false
        if case .some = pendingSnapshot { isSnapshotPending = true }  // (`!= nil` would copy it)
        let mustSync = isSnapshotPending || !entries.isEmpty || hard.term != lastHardState.term || hard.vote != lastHardState.vote
        let messages = outbox
        outbox = []
        let applyThrough = config.unsafe.contains(.applyBeyondCommit) ? min(log.lastIndex, log.committed + 1) : log.committed
        let committedEntries = log.applied < applyThrough ? log.copyOfEntries(from: log.applied + 1, through: applyThrough) : []
        let confirmedReads = readStates
        readStates = []
        return Ready(
            hardState: hardState, mustSync: mustSync, snapshot: pendingSnapshot, entries: entries, messages: messages,
            committedEntries: committedEntries, readStates: confirmedReads, softState: soft != lastSoftState ? soft : nil)
    }

    /// Tells the node that the host has handled `ready` (persisted, sent and applied it).
    public mutating func advance(_ ready: Ready) {
        if let hard = ready.hardState { lastHardState = hard }
        if let soft = ready.softState { lastSoftState = soft }
        if case .some = ready.snapshot { advanceSnapshot(ready) }  // (`!= nil` would copy it)
        // The last entries' fields are read in place (`last` would copy the entry, retaining its payload).
        if !ready.entries.isEmpty {
            let last = ready.entries.endIndex - 1
            log.stable(to: ready.entries[last].index, term: ready.entries[last].term)
        }
        if !ready.committedEntries.isEmpty {
            let last = ready.committedEntries.endIndex - 1
            log.applied(to: ready.committedEntries[last].index, unchecked: config.unsafe.contains(.applyBeyondCommit))
        }
        if ready.messages.capacity > 0 && ready.messages.capacity <= 64 { spareOutbox = ready.messages }
    }

    /// The host restored the state machine from `ready`'s snapshot (kept out of `advance`,
    /// whose every call would otherwise pay for the comparison's copies).
    @inline(never)
    mutating func advanceSnapshot(_ ready: Ready) {
        guard let received = ready.snapshot else { return }
        log.applied(to: received.metadata.index)
        if pendingSnapshot == received { pendingSnapshot = nil }
    }

    // MARK: Role changes

    mutating func reset(term newTerm: UInt64) {
        if newTerm != term {
            precondition(newTerm > term, "terms never decrease")
            term = newTerm
            vote = .none
        }
        leader = .none
        electionElapsed = 0
        heartbeatElapsed = 0
        randomizedElectionTimeout = config.electionTicks + generator.next(in: 0..<config.electionTicks)
        votes.removeAll()
        progress.removeAll()
        leadTransferee = .none
        pendingReads.removeAll()
        readsAwaitingCommit.removeAll()
        isBroadcastPending = false
    }

    mutating func becomeFollower(term newTerm: UInt64, leader newLeader: NodeID) {
        reset(term: newTerm)
        role = .follower
        leader = newLeader
    }

    mutating func becomePreCandidate() {
        precondition(role != .leader, "a leader does not pre-campaign")
        // A pre-candidate changes neither term nor vote (dissertation §9.6): losing costs nobody anything.
        votes.removeAll()
        role = .preCandidate
        leader = .none
    }

    mutating func becomeCandidate() {
        precondition(role != .leader, "a leader does not campaign")
        reset(term: term + 1)
        vote = id
        role = .candidate
    }

    mutating func becomeLeader() {
        precondition(role == .candidate, "only a candidate becomes leader")
        reset(term: term)
        role = .leader
        leader = id
        let next = log.lastIndex + 1
        progress = configuration.members.map { Progress(id: $0, next: next, maxInflight: config.maxInflightAppends) }
        if let me = progressIndex(of: id) {
            // Its log is durable here when it leads: its vote requests left after its last write.
            // With `leaderCountsOwnCopyWhenPersisted` the host says so anyway (`persisted(through:)`).
            progress[me].match = config.leaderCountsOwnCopyWhenPersisted ? 0 : log.lastIndex
            progress[me].becomeReplicate()
            progress[me].isRecentActive = true
        }
        if config.leaderNoop {
            appendLocal([Entry(term: term, index: 0, kind: .noop)])
        } else if configuration.isJoint && !config.unsafe.contains(.noAutoLeaveJoint) {
            leaveInheritedJoint()
        }
    }

    /// A new leader without the no-op that inherits C_old,new must still leave it by itself
    /// (dissertation §4.3: once C_old,new commits the leader creates C_new). Nothing else would
    /// move its commit index until a client proposes, and every change would be refused as in
    /// progress meanwhile. Known committed: append C_new now. Not known: append a no-op, an
    /// entry of this term, whose commit carries C_old,new with it (Figure 8) and then appends
    /// C_new (`commitWhatAQuorumHolds`). Appending C_new before C_old,new is known committed would let
    /// C_new decide alone while C_old may still elect (dissertation §4.3). etcd's leader leaves a joint
    /// configuration on its own as well (auto-leave), with an entry of its own term.
    mutating func leaveInheritedJoint() {
        precondition(role == .leader && configuration.isJoint)
        if configurationIndex <= log.committed {
            leaveJointIfCommitted()
        } else {
            appendLocal([Entry(term: term, index: 0, kind: .noop)])
        }
    }

    /// The election timeout fired (or the host asked for an election).
    mutating func startElection(transfer: Bool) {
        guard role != .leader, mayCampaign else { return }
        // A server outside its latest configuration (a removal in flight, see `mayCampaign`)
        // always asks with pre-vote first, even when pre-vote is off: its campaign is speculative,
        // and a real one would spend its vote in every term it raises to, which can starve a
        // voter that needs exactly that vote (the explorer found two such servers in lockstep forever).
        if (config.preVote || !configuration.isVoter(id)) && !transfer {
            campaign(preVote: true, transfer: false)
        } else {
            campaign(preVote: false, transfer: transfer)
        }
    }

    mutating func campaign(preVote: Bool, transfer: Bool) {
        let voteTerm: UInt64
        if preVote {
            becomePreCandidate()
            voteTerm = term + 1
        } else {
            becomeCandidate()
            voteTerm = term
        }
        if poll(id, granted: true) == .won {
            // A cluster of one wins at once.
            if preVote { campaign(preVote: false, transfer: false) } else { becomeLeader() }
            return
        }
        for voter in configuration.members where voter != id && configuration.isVoter(voter) {
            send(
                .vote(
                    Vote(
                        from: id, to: voter, term: voteTerm, lastLogIndex: log.lastIndex,
                        lastLogTerm: log.lastTerm, isPreVote: preVote, isTransfer: transfer)))
        }
    }

    /// Records a vote answer (the first from each voter counts) and returns the tally.
    mutating func poll(_ voter: NodeID, granted: Bool) -> VoteResult {
        if !votes.contains(where: { $0.id == voter }) { votes.append((voter, granted)) }
        let cast = votes
        return Quorum.voteResult(configuration) { id in cast.first(where: { $0.id == id })?.granted }
    }

    // MARK: Time

    mutating func tickElection() {
        electionElapsed += 1
        if electionElapsed >= randomizedElectionTimeout && mayCampaign {
            electionElapsed = 0
            startElection(transfer: false)
        }
    }

    mutating func tickLeader() {
        heartbeatElapsed += 1
        electionElapsed += 1
        if electionElapsed >= config.electionTicks {
            electionElapsed = 0
            if config.checkQuorum && !isQuorumActive() {
                becomeFollower(term: term, leader: .none)
                return
            }
            // A transfer that has not finished within an election timeout is abandoned, so the
            // leader accepts proposals again.
            leadTransferee = .none
        }
        if heartbeatElapsed >= config.heartbeatTicks {
            heartbeatElapsed = 0
            // Every heartbeat carries the newest pending read's context (as etcd's leader does):
            // a quorum of answers to any later round confirms that read and every older one
            // (dissertation §6.4), so a read whose first round was lost is retried, not stuck.
            let isRetryOff = config.unsafe.contains(.readContextFirstRoundOnly)
            broadcastHeartbeat(readContext: isRetryOff ? nil : pendingReads.last?.context)
        }
    }

    /// Whether a quorum answered during the last election timeout; resets the flags for the next.
    mutating func isQuorumActive() -> Bool {
        let active = progress.filter { $0.isRecentActive || $0.id == id }.map(\.id)
        for i in progress.indices where progress[i].id != id { progress[i].isRecentActive = false }
        return Quorum.voteResult(configuration) { active.contains($0) } == .won
    }

    // MARK: Helpers

    mutating func send(_ message: consuming Message) {
        assert(message.from == id && message.to != id, "a node only sends its own messages to others")
        if outbox.capacity == 0 {
            // Reuse the last Ready's array (no allocation once the host has dropped it), or start
            // one with room for a message to each peer.
            swap(&outbox, &spareOutbox)
            if !outbox.isEmpty { outbox.removeAll(keepingCapacity: true) }
            if outbox.capacity < 4 { outbox.reserveCapacity(4) }
        }
        outbox.append(message)
    }

    func progressIndex(of node: NodeID) -> Int? {
        progress.firstIndex { $0.id == node }
    }

    /// Checks the invariants documented on the fields; debug builds only (they cost time).
    func assertInvariants() {
        assert(log.committed <= log.lastIndex, "commit beyond the log")
        assert(log.applied <= log.committed || config.unsafe.contains(.applyBeyondCommit), "applied beyond commit")
        assert(log.lastTerm <= term, "an entry from the future")
        assert(role != .leader || (leader == id && vote == id), "a leader votes for itself and leads")
        assert(role != .candidate || vote == id, "a candidate votes for itself")
    }
}
