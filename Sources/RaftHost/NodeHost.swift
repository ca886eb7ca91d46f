import RaftCore

/// The one Ready loop: a `RaftNode` with its storage, transport and state machine.
///
/// Every node in this repository runs through this type — the simulator's (simulated network,
/// `MemoryFileSystem`) and `raftd`'s (TCP, `PosixFileSystem`). Inputs go to the core; then
/// `handleReady()` does what the core asks, in the order the core's `Ready` documents:
/// 1. persist: a received snapshot, then the hard state and entries (durable when `mustSync`);
/// 2. send the messages;
/// 3. restore/apply: committed entries go to the state machine;
/// 4. reads: confirmed reads are answered once applied through their read index;
/// 5. `advance`.
///
/// Persisting before sending holds for leaders too, unless `leaderSendsBeforePersisting` is set
/// (`raftd` sets it; the simulator does not, so its narration keeps one order for every role).
/// The paper allows a leader to send its appends while its own write is in flight (dissertation
/// §10.2.1): here the leader's own entries are still durable before anything counts them, because
/// a follower's answer can only be stepped after this Ready's write returned (the host runs on one
/// thread), so the follower's fsync overlaps the leader's instead of following it.
///
/// **Deferred writes** (`writer` set: `raftd`). Step 1's write runs on the writer's thread while
/// the host keeps taking inputs, and what must follow the write waits for it: a Ready's messages
/// (unless a leader sends first, above), committed entries not yet durable here, a received
/// snapshot's restore — and every message and tick that arrives meanwhile, which is stepped once
/// the writes requested before it have finished, as if the network had delayed it. So a
/// follower's acknowledgement is still never counted before the leader's own write of what it
/// acknowledges is durable, without a change to the core. Writes requested while one runs go to
/// the writer together, as one save and one fsync. Reports of what waited come through
/// `onWriteFinished`.
///
/// **Commit by any durable majority** (`commitsWithoutOwnWrite`, off by default). Instead of
/// holding acknowledgements, the host steps them at once and the core counts the leader's own
/// copy only through `RaftNode.persisted(through:)`, which the host calls with its durable index
/// after every write. Why nothing committed is lost at any crash point: a committed entry is on a
/// majority's disks (followers persist before they answer); the on-disk commit index never passes
/// the durable log end, because it is written only with a term or vote change, behind the writes of
/// the entries it names (the writer keeps request order; within one merged save `LogStorage` holds
/// it back until the entries are synced); a compaction's snapshot is written behind the entries it
/// covers. No recovery rule is added. The cases, one by one: docs/raftd.md.
///
/// A host is not thread-safe: call it from one thread (the REPL's, or `raftd`'s event loop).
///
/// Its bookkeeping fields skip the run-time exclusivity check (`@exclusivity(unchecked)`): only
/// the host's own methods touch them, never while another access to them is open, and the checks
/// cost more than the bookkeeping itself. The node and the machine stay checked (`withNode` hands
/// the node to a caller's closure).
public final class NodeHost<Machine: StateMachine> {
    /// The Raft core. Hosts change it only through the inputs below. Read in place: callers in
    /// other modules (the simulator reads a few fields of every node at every step) borrow it
    /// instead of copying the whole struct.
    @inlinable public var node: RaftNode { _read { yield storedNode } }
    @usableFromInline var storedNode: RaftNode
    /// The replicated state machine, applied through `appliedIndex`.
    @inlinable public var machine: Machine { _read { yield storedMachine } }
    @usableFromInline var storedMachine: Machine
    /// Where Readys are persisted.
    public let storage: any NodeStorage
    /// Where messages go.
    public let transport: any Transport
    /// Whether reports list every applied entry with its response (off: faster, for hosts that
    /// neither narrate nor answer clients, such as the explorer's).
    @exclusivity(unchecked) public var recordsApplied = true
    /// The index the state machine reflects.
    /// - Invariant: `appliedIndex == node.appliedIndex` between Readys.
    @inlinable public var appliedIndex: UInt64 { storedAppliedIndex }
    @usableFromInline @exclusivity(unchecked) var storedAppliedIndex: UInt64
    /// Reads asked and not yet answered or abandoned, oldest first.
    @usableFromInline @exclusivity(unchecked) var reads: [PendingRead] = []
    /// Whether a leader hands a Ready's messages to the transport before persisting its entries
    /// (only when its term and vote are already on disk); see the type's comment.
    @exclusivity(unchecked) public var leaderSendsBeforePersisting = false
    /// Whether a leader with a `writer` writes inline when it is idle: nothing unfinished, and
    /// its one uncommitted entry in the Ready at hand (one client waiting, say). Its appends leave
    /// first as usual, so the followers' fsyncs still overlap its own, and the two hand-overs to
    /// the writer's thread and back leave the write's path; a busy leader keeps the writer, so
    /// its loop reads and proposes while the fsync runs. Acknowledgements that arrive during an
    /// inline write are read only after it returned: still never counted before the leader's own
    /// copy is durable. See "Deferred writes" in the type's comment.
    @exclusivity(unchecked) public var leaderWritesInlineWhenIdle = false
    /// Whether a leader with a `writer` counts followers' acknowledgements at once, instead of
    /// holding them until its own write of what they acknowledge is durable, and applies (answers)
    /// committed entries before they are durable here. Its own copy then counts only once durable
    /// (the host tells the core, `RaftNode.persisted(through:)`): an entry commits once any
    /// majority holds it durably, with or without the leader (dissertation §10.2.1). Requires the
    /// node's `Config.leaderCountsOwnCopyWhenPersisted` and a `writer`. Why a crash at any point
    /// loses nothing committed: "Commit by any durable majority" in docs/raftd.md.
    @exclusivity(unchecked) public var commitsWithoutOwnWrite = false {
        didSet {
            precondition(
                !commitsWithoutOwnWrite || storedNode.config.leaderCountsOwnCopyWhenPersisted,
                "commitsWithoutOwnWrite needs Config.leaderCountsOwnCopyWhenPersisted")
        }
    }
    /// The term and vote last written to storage: what a restart would find.
    @usableFromInline @exclusivity(unchecked) var persistedTermVote: (term: UInt64, vote: NodeID)
    /// Set (before the first Ready) to run storage writes on another thread (`raftd`); nil: the
    /// host writes inline, as the simulator's do. See "Deferred writes" in the type's comment.
    /// (Unchecked like the bookkeeping fields: every input reads it, through `isHoldingForWrite`.)
    @exclusivity(unchecked) public var writer: (any StorageWriter)?
    /// Called, on the host's thread, with what a host with a `writer` did once a write finished:
    /// messages that waited for it, entries it let apply, reads then answered, or a failure.
    public var onWriteFinished: ((ReadyReport<Machine>) -> Void)?
    /// The bookkeeping of deferred writes (unused without a `writer`).
    @usableFromInline @exclusivity(unchecked) var deferred: DeferredWrites

    @usableFromInline
    struct PendingRead {
        @usableFromInline var context: UInt64
        @usableFromInline var query: Machine.Query
        /// The leader the read was asked under: when it changes, the read is abandoned.
        @usableFromInline var leader: NodeID
        /// Set once the core confirmed the read.
        @usableFromInline var index: UInt64?
    }

    /// A host for a node built from what its storage recovered; the state machine is restored
    /// from the node's snapshot, if it has one.
    public init(node: RaftNode, storage: any NodeStorage, transport: any Transport) throws(StateMachineError) {
        var machine = Machine()
        if let snapshot = node.latestSnapshot { try machine.restore(snapshot.data) }
        self.storedMachine = machine
        self.storedAppliedIndex = node.latestSnapshot?.metadata.index ?? 0
        self.storedNode = node
        self.storage = storage
        self.transport = transport
        persistedTermVote = (storedNode.term, storedNode.vote)
        deferred = DeferredWrites(durableIndex: storedNode.lastIndex, term: storedNode.term, vote: storedNode.vote)
        precondition(appliedIndex == storedNode.appliedIndex, "a new node has applied exactly its snapshot")
    }

    // MARK: Inputs (follow each with `handleReady()`)

    /// Advances logical time by one tick.
    public func tick() {
        if isHoldingForWrite { return hold(.tick) }
        storedNode.tick()
    }
    /// Makes the election timeout fire now.
    public func campaign() { storedNode.campaign() }
    /// Hands a message from a peer to the core.
    @discardableResult
    public func step(_ message: Message) -> StepResult {
        // With a writer, a message that arrives while a write runs waits for it, as if the network
        // had delayed it: a follower's acknowledgement is never counted before the leader's own
        // write of what it acknowledges is durable (see the type's comment).
        if isHoldingForWrite {
            // A leader's acknowledgement need only wait for the write of what it acknowledges:
            // stepped now when that is durable, else as soon as it is, ahead of later writes. It
            // may then overtake other held inputs, as on a network that reorders; the leader still
            // counts its own copy of an entry only once it is on disk. Without this, under load every
            // acknowledgement waited for the latest write requested (entries proposed after it),
            // one fsync more on every write's path.
            if case .appendResponse(let response) = message, storedNode.role == .leader {
                // Counted at once when the leader's own copy counts only once durable (the core
                // then needs a majority of durable copies, with or without the leader's).
                if commitsWithoutOwnWrite || response.index <= deferred.durableIndex { return storedNode.step(message) }
                deferred.acks.append((response.index, message))
                return .handled
            }
            hold(.step(message))
            return .handled
        }
        return storedNode.step(message)
    }
    /// Proposes a command; returns its log index.
    public func propose(_ command: [UInt8]) throws(RaftError) -> UInt64 { try storedNode.propose(command) }
    /// Proposes several commands as one append; returns the last one's index.
    public func propose<Commands: Collection>(batch commands: Commands) throws(RaftError) -> UInt64
    where Commands.Element == [UInt8] {
        try storedNode.propose(batch: commands)
    }
    /// Proposes a membership change; returns its log index.
    public func proposeConfigChange(_ changes: [ConfigChange]) throws(RaftError) -> UInt64 {
        try storedNode.proposeConfigChange(changes)
    }
    /// Starts a leadership transfer to `target`.
    public func transferLeadership(to target: NodeID) throws(RaftError) { try storedNode.transferLeadership(to: target) }

    /// Starts a linearizable read (ReadIndex, dissertation §6.4): `query` is answered in a later
    /// report once the core confirmed the read and the machine applied through its index.
    /// `context` identifies the read and must be unique among pending reads.
    public func read(_ query: Machine.Query, context: UInt64) throws(RaftError) {
        precondition(!reads.contains { $0.context == context }, "read contexts are unique")
        try storedNode.readIndex(context)
        reads.append(PendingRead(context: context, query: query, leader: storedNode.leader))
    }

    /// The contexts of reads asked and not yet answered or abandoned, oldest first.
    public var pendingReadContexts: [UInt64] { reads.map(\.context) }

    /// Lets a caller change the core directly (the simulator's teaching commands); the host's own
    /// invariants must still hold afterwards.
    @inlinable
    public func withNode<T, Failure: Error>(_ body: (inout RaftNode) throws(Failure) -> T) throws(Failure) -> T {
        defer { assert(storedAppliedIndex == storedNode.appliedIndex, "only Readys apply entries") }
        return try body(&storedNode)
    }

    // MARK: The Ready loop
    //
    // Inlinable so that callers in other modules get it specialized for their state machine: run
    // generically, every report and pending-read array asks the runtime for its type metadata,
    // which cost more than the core's own work for a proposal.

    /// Whether the core has a Ready for `handleReady()`. Read through an in-place access: a
    /// plain read of a property of the node, stored in this class, copies the whole node first.
    @inlinable public var hasReady: Bool { Self.hasReady(&storedNode) }

    @inlinable
    static func hasReady(_ node: inout RaftNode) -> Bool { node.hasReady }

    /// Handles one Ready, if the core has one; nil when there was nothing to do.
    @inlinable
    public func handleReady() -> ReadyReport<Machine>? {
        guard let ready = storedNode.readyIfAny() else { return nil }
        var report = ReadyReport<Machine>()
        report.softState = ready.softState
        report.hardState = ready.hardState
        report.entries = ready.entries
        report.mustSync = ready.mustSync
        // With a writer, a busy leader's writes go to it, and anyone's while earlier ones are
        // unfinished. Another node with nothing unfinished writes inline: it would hold every input
        // during the write anyway, and the writer's thread would add two wake-ups to every
        // acknowledgement's path. So does an idle leader (`leaderWritesInlineWhenIdle`).
        let deferring =
            writer != nil
            && (deferred.isHolding
                || (storedNode.role == .leader && !(leaderWritesInlineWhenIdle && Self.isIdle(&storedNode, ready))))
        // 1. Persist.
        if let snapshot = ready.snapshot, deferring {
            requestWrite(.snapshot(snapshot, ready.hardState, received: true))
            hold(.restore(snapshot))
        } else if let snapshot = ready.snapshot {
            do { try storage.saveSnapshot(snapshot, hardState: ready.hardState, received: true) } catch {
                report.failure = HostFailure(stage: .saveSnapshot, message: "\(error)")
                return report
            }
            if let hard = ready.hardState { persistedTermVote = (hard.term, hard.vote) }
            if writer != nil { deferred.wroteInline(hardState: ready.hardState, lastIndex: snapshot.metadata.index) }
            report.installedSnapshot = snapshot
            do { try storedMachine.restore(snapshot.data) } catch {
                // Data from the network is validated where it enters: stop instead of trapping.
                report.failure = HostFailure(stage: .restore, message: "\(error)")
                return report
            }
            storedAppliedIndex = snapshot.metadata.index
        }
        // A leader whose term and vote are on disk may send first (see the type's comment).
        let sendsFirst =
            leaderSendsBeforePersisting && storedNode.role == .leader && ready.snapshot == nil
            && (ready.hardState.map { $0.term == persistedTermVote.term && $0.vote == persistedTermVote.vote } ?? true)
        if sendsFirst { send(ready.messages, into: &report) }
        if deferring, ready.hardState != nil || !ready.entries.isEmpty {
            // A hard state that changed only its commit index is not written on its own (the commit
            // index is volatile, paper Figure 2; `LogStorage` skips it too): no wait for nothing.
            if !ready.entries.isEmpty || ready.hardState.map({ !deferred.hasRequested(term: $0.term, vote: $0.vote) }) == true {
                requestWrite(.save(ready.hardState, ready.entries, mustSync: ready.mustSync))
            }
        } else if ready.hardState != nil || !ready.entries.isEmpty {
            do { try storage.save(hardState: ready.hardState, entries: ready.entries, mustSync: ready.mustSync) } catch {
                report.failure = HostFailure(stage: .save, message: "\(error)")
                return report
            }
            if let hard = ready.hardState { persistedTermVote = (hard.term, hard.vote) }
            if writer != nil { deferred.wroteInline(hardState: ready.hardState, lastIndex: ready.entries.last?.index) }
        }
        // 2. Send (with a writer: once the write is done).
        if !sendsFirst && isHoldingForWrite {
            hold(.send(ready.messages))
        } else if !sendsFirst {
            send(ready.messages, into: &report)
        }
        // 3. Apply (with a writer: entries not yet durable here wait for their write).
        if mayApplyNow(ready.committedEntries) {
            apply(ready.committedEntries, into: &report)
        } else {
            hold(.apply(ready.committedEntries))
        }
        // 4. Reads.
        confirm(ready.readStates, into: &report)
        abandonReadsOfAGoneLeader(into: &report)
        answerReads(into: &report)
        // 5. Advance.
        storedNode.advance(ready)
        // A leader that counts its own copy once durable learns how far it is (an inline write
        // above, or a new leader's log, written before its vote requests left). A new commit
        // index makes another Ready.
        if commitsWithoutOwnWrite { storedNode.persisted(through: deferred.durableIndex) }
        assert(
            deferring || appliedIndex == storedNode.appliedIndex, "the machine applied exactly what the core handed over")
        return report
    }

    /// Whether `ready` appends at most one entry and holds every entry the leader has not
    /// committed: no earlier write waits for acknowledgements, and one request came since the last
    /// flush, so no other is likely to arrive during an inline write. (A batch of many arrived
    /// together, from many clients or a pipeline: more are on their way, and the loop should read
    /// and propose them while the fsync runs. Measured with 50 clients pipelining 16, writing such
    /// batches inline cost about a seventh of the SETs per second.) Read in place (see `hasReady`).
    @inlinable
    static func isIdle(_ node: inout RaftNode, _ ready: Ready) -> Bool {
        ready.snapshot == nil && ready.entries.count <= 1 && node.lastIndex - node.commitIndex <= UInt64(ready.entries.count)
    }

    /// Handles Readys until the core has none (at most `maxRounds`), or until one fails.
    public func handleAllReady(maxRounds: Int = 16) -> [ReadyReport<Machine>] {
        var reports: [ReadyReport<Machine>] = []
        while reports.count < maxRounds, let report = handleReady() {
            reports.append(report)
            if report.failure != nil { break }
        }
        return reports
    }

    @inlinable
    func send(_ messages: [Message], into report: inout ReadyReport<Machine>) {
        if !messages.isEmpty { transport.send(messages) }
        report.messages = messages
    }

    @inlinable
    func apply(_ entries: [Entry], into report: inout ReadyReport<Machine>) {
        guard let last = entries.last else { return }
        precondition(entries.first!.index == appliedIndex + 1, "committed entries follow the applied index")
        for entry in entries {
            var response: Machine.Response?
            if entry.kind == .normal {
                response = storedMachine.apply(entry.data, index: entry.index)
            } else {
                storedMachine.skip(index: entry.index)
            }
            if recordsApplied { report.applied.append(.init(entry: entry, response: response)) }
        }
        storedAppliedIndex = last.index
        report.appliedThrough = last.index
    }

    @inlinable
    func confirm(_ states: [ReadState], into report: inout ReadyReport<Machine>) {
        report.confirmedReads = states
        for state in states {
            guard let position = reads.firstIndex(where: { $0.context == state.context }) else { continue }
            reads[position].index = state.index
        }
    }

    /// A read not yet confirmed when the leader it was asked under is gone will never be: the
    /// core forgets pending reads when it stops leading (its client must retry).
    @inlinable
    func abandonReadsOfAGoneLeader(into report: inout ReadyReport<Machine>) {
        guard !reads.isEmpty else { return }
        let leader = storedNode.leader
        reads.removeAll { read in
            guard read.index == nil, read.leader != leader else { return false }
            report.abandonedReads.append(read.context)
            return true
        }
    }

    @inlinable
    func answerReads(into report: inout ReadyReport<Machine>) {
        guard !reads.isEmpty else { return }
        reads.removeAll { read in
            guard let index = read.index, appliedIndex >= index else { return false }
            report.answeredReads.append(
                .init(
                    context: read.context, query: read.query,
                    result: storedMachine.query(read.query), appliedIndex: storedAppliedIndex))
            return true
        }
    }

    // MARK: Compaction

    /// Snapshots the state machine as it was right after applying `index` and drops the log it
    /// covers (dissertation §5.1); persisted before the core forgets the entries' bytes.
    public func compact(through index: UInt64) throws(HostFailure) -> Snapshot {
        precondition(index >= storedNode.firstIndex && index <= appliedIndex, "compaction covers applied entries after the snapshot")
        let data = state(at: index).snapshot()
        let taken: Snapshot
        do { taken = try storedNode.compact(through: index, data: data) } catch {
            preconditionFailure("compaction of an applied index failed: \(error)")
        }
        if writer != nil {
            requestWrite(.snapshot(taken, nil, received: false))
            return taken
        }
        do { try storage.saveSnapshot(taken, hardState: nil, received: false) } catch {
            throw HostFailure(stage: .compact, message: "\(error)")
        }
        return taken
    }

    /// Whether at least `thresholdEntries` applied entries follow the latest snapshot (0: never).
    public func isCompactionDue(thresholdEntries: Int) -> Bool {
        thresholdEntries > 0 && appliedIndex >= storedNode.firstIndex
            && appliedIndex - storedNode.firstIndex + 1 >= UInt64(thresholdEntries)
    }

    /// The machine right after applying `index`: the live one, or one replayed from the snapshot.
    private func state(at index: UInt64) -> Machine {
        if index == appliedIndex { return machine }
        var replay = Machine()
        if let snapshot = storedNode.latestSnapshot {
            do { try replay.restore(snapshot.data) } catch {
                preconditionFailure("the node's own snapshot does not restore: \(error)")
            }
        }
        for entry in storedNode.entries where entry.index <= index {
            if entry.kind == .normal { _ = replay.apply(entry.data, index: entry.index) } else { replay.skip(index: entry.index) }
        }
        return replay
    }
}
