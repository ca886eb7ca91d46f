/// The leader's work: proposals, replication with per-follower progress, the commit rule,
/// ReadIndex reads and leadership transfer.
extension RaftNode {
    /// Appends a client command to the leader's log; returns its index.
    /// Throws `notLeader` (naming the known leader) on any other node.
    @discardableResult
    public mutating func propose(_ data: [UInt8]) throws(RaftError) -> UInt64 {
        try propose(batch: CollectionOfOne(data))
    }

    /// Appends several client commands at once (one append message per follower); returns the
    /// index of the last.
    @discardableResult
    public mutating func propose<Commands: Collection>(batch commands: Commands) throws(RaftError) -> UInt64
    where Commands.Element == [UInt8] {
        guard role == .leader else { throw .notLeader(leader: leader) }
        guard leadTransferee == .none else { throw .transferInProgress(to: leadTransferee) }
        // Straight into the log: no array of new entries to build and copy for each proposal.
        for data in commands { log.append(Entry(term: term, index: log.lastIndex + 1, kind: .normal, data: mutated(data))) }
        didAppendLocally()
        isBroadcastPending = true
        assertInvariants()
        return log.lastIndex
    }

    /// Asks for a linearizable read: once confirmed, a `ReadState` with the leader's commit index
    /// at the time of the request appears in a `Ready`; serve the read after applying through it.
    /// On a follower that knows its leader, the read is forwarded to the leader, whose answer
    /// becomes the `ReadState` (dissertation §6.4; etcd forwards it too). Without a known leader
    /// it throws `notLeader`; a forwarded read that is lost is never answered (the host times out).
    /// - Precondition: contexts are unique among the reads in flight in the cluster.
    public mutating func readIndex(_ context: UInt64) throws(RaftError) {
        guard role == .leader else {
            guard role == .follower, leader != .none else { throw .notLeader(leader: leader) }
            send(.readIndex(ReadIndex(from: id, to: leader, term: term, context: context)))
            return
        }
        if isReadPending(context) { throw .duplicateReadContext(context) }
        acceptRead(ReadRequest(context: context, requester: id))
    }

    /// Hands leadership to `target`: brings its log up to date, then tells it to campaign now.
    public mutating func transferLeadership(to target: NodeID) throws(RaftError) {
        guard role == .leader else { throw .notLeader(leader: leader) }
        guard target != id else { throw .isSelf }
        guard configuration.isVoter(target), let index = progressIndex(of: target) else { throw .notAVoter(target) }
        if leadTransferee == target { return }
        leadTransferee = target
        // The transfer must finish within an election timeout or it is abandoned (tickLeader).
        electionElapsed = 0
        if progress[index].match == log.lastIndex {
            send(.timeoutNow(TimeoutNow(from: id, to: target, term: term)))
        } else {
            _ = sendAppend(to: index, evenIfEmpty: true)
        }
        assertInvariants()
    }

    // MARK: Replication

    /// Appends entries of this leader's term to its log, numbering them after its last entry.
    mutating func appendLocal(_ new: [Entry]) {
        precondition(role == .leader)
        for entry in new { log.append(Entry(term: term, index: log.lastIndex + 1, kind: entry.kind, data: entry.data)) }
        didAppendLocally()
    }

    /// What follows the leader's own append: the configuration it may carry, its own progress,
    /// and the commit a cluster of one makes on its own.
    mutating func didAppendLocally() {
        precondition(role == .leader)
        syncConfiguration()
        // The leader's own copy counts once durable: now, or when the host says so (`persisted(through:)`).
        if !config.leaderCountsOwnCopyWhenPersisted, let me = progressIndex(of: id) { _ = progress[me].maybeUpdate(log.lastIndex) }
        // A cluster of one commits on its own.
        commitWhatAQuorumHolds()
    }

    /// Tells a leader that its own log is durable through `index`
    /// (`Config.leaderCountsOwnCopyWhenPersisted`; ignored otherwise, and by other roles): its own
    /// copy now counts toward the commit quorum through there. The host must name only entries of
    /// the log as it is now: the core further caps `index` at what it has handed to the host for
    /// writing (`Ready.entries`), since a change not yet handed over is not on disk.
    public mutating func persisted(through index: UInt64) {
        guard config.leaderCountsOwnCopyWhenPersisted, role == .leader, let me = progressIndex(of: id) else { return }
        guard progress[me].maybeUpdate(min(index, log.stableIndex, log.lastIndex)) else { return }
        if commitWhatAQuorumHolds() {
            // As for a follower's answer that commits (`handleAppendResponse`).
            broadcastAppend()
            _ = stepDownIfRemoved()
        }
        assertInvariants()
    }

    /// Sends what each follower lacks (an empty append when it lacks nothing, to carry the commit).
    mutating func broadcastAppend() {
        isBroadcastPending = false
        for i in progress.indices where progress[i].id != id {
            _ = sendAppend(to: i, evenIfEmpty: true)
        }
    }

    /// Sends the appends that proposals made owed.
    mutating func flushBroadcast() {
        guard isBroadcastPending else { return }
        isBroadcastPending = false
        for i in progress.indices where progress[i].id != id {
            while sendAppend(to: i, evenIfEmpty: false) {}
        }
    }

    /// Sends one append to the follower at `progress[i]` unless it is paused; returns whether it did.
    mutating func sendAppend(to i: Int, evenIfEmpty: Bool) -> Bool {
        if progress[i].isPaused { return false }
        let next = progress[i].next
        let prevIndex = next - 1
        guard let prevTerm = log.term(at: prevIndex) else {
            return sendSnapshot(to: i)
        }
        let entries = log.entries(from: next, maxBytes: config.maxAppendBytes)
        if entries.isEmpty && !evenIfEmpty { return false }
        if !entries.isEmpty {
            let lastIndex = entries[entries.endIndex - 1].index
            switch progress[i].state {
            case .replicate:
                progress[i].next = lastIndex + 1
                progress[i].inflights.add(lastIndex)
            case .probe:
                progress[i].isProbeSent = true
            case .snapshot:
                preconditionFailure("a paused follower is never sent entries")
            }
        }
        send(
            .append(
                Append(
                    from: id, to: progress[i].id, term: term, prevLogIndex: prevIndex,
                    prevLogTerm: prevTerm, entries: entries, leaderCommit: log.committed)))
        return true
    }

    /// The follower needs entries the leader has compacted: send the latest snapshot instead.
    mutating func sendSnapshot(to i: Int) -> Bool {
        guard let snapshot else {
            preconditionFailure("entries before index \(log.firstIndex) are gone but there is no snapshot")
        }
        progress[i].becomeSnapshot(pending: snapshot.metadata.index)
        send(.installSnapshot(InstallSnapshot(from: id, to: progress[i].id, term: term, snapshot: snapshot)))
        return true
    }

    mutating func broadcastHeartbeat(readContext: UInt64?) {
        for i in progress.indices where progress[i].id != id { sendHeartbeat(to: i, readContext: readContext) }
    }

    mutating func sendHeartbeat(to i: Int, readContext: UInt64?) {
        // Never tell a follower to commit beyond what it is known to hold.
        send(
            .heartbeat(
                Heartbeat(
                    from: id, to: progress[i].id, term: term, commit: min(progress[i].match, log.committed),
                    readContext: readContext)))
    }

    /// Sends a read round's heartbeat to the fewest voters that make a quorum with the leader,
    /// those that most recently confirmed a read first (`Config.readRoundsAskQuorumOnly`): the
    /// followers that answered while a read still waited, not a slower one whose answer came after
    /// it was confirmed. Their answers confirm the round exactly as a broadcast's would: a quorum
    /// acknowledged a heartbeat sent after the read arrived. Should one of them not answer, the
    /// next periodic heartbeat (to everyone, with the newest read's context) confirms it through
    /// the others, which later rounds then ask.
    mutating func sendReadRoundToQuorum(readContext: UInt64) {
        let order = progress.indices.filter { progress[$0].id != id && configuration.isVoter(progress[$0].id) }
            .sorted { a, b in
                let (first, second) = (progress[a].lastReadAcknowledgement, progress[b].lastReadAcknowledgement)
                return first != second ? first > second : progress[a].id < progress[b].id
            }
        var asked = [id]
        for i in order {
            let incomingWon = Quorum.voteResult(voters: configuration.voters) { asked.contains($0) ? true : nil } == .won
            let outgoingWon = Quorum.voteResult(voters: configuration.outgoingVoters) { asked.contains($0) ? true : nil } == .won
            if incomingWon && outgoingWon { break }
            // While joint, a voter of a half that already has its quorum would be asked for nothing.
            let voter = progress[i].id
            guard (!incomingWon && configuration.voters.contains(voter)) || (!outgoingWon && configuration.outgoingVoters.contains(voter))
            else { continue }
            asked.append(voter)
            sendHeartbeat(to: i, readContext: readContext)
        }
    }

    /// Advances the commit index and does what a new commit index lets the leader do: answer the
    /// reads that waited for its term's first commit (dissertation §6.4) and leave a joint
    /// configuration whose C_old,new is now committed (dissertation §4.3). Returns whether it moved.
    @discardableResult
    mutating func commitWhatAQuorumHolds() -> Bool {
        let before = log.committed
        guard advanceCommitIndex() else { return false }
        // (Entries do not change when the commit index moves: the term at `before` is what it was.)
        let wasCurrentTermCommitted = log.term(at: before) == term
        if !wasCurrentTermCommitted && log.term(at: log.committed) == term {
            releaseReadsAwaitingCommit()
        }
        leaveJointIfCommitted()
        return true
    }

    /// The commit rule (paper §5.4.2, Figure 8): an index commits when a quorum of the
    /// configuration holds it AND its entry is of this leader's term; earlier entries commit only
    /// with it. Returns whether the commit index moved.
    mutating func advanceCommitIndex() -> Bool {
        let held = progress
        let counted = Quorum.committedIndex(configuration) { id in
            // By index: `first(where:)` would copy the whole Progress (retaining its in-flight buffer) per voter.
            held.firstIndex(where: { $0.id == id }).map { held[$0].match } ?? 0
        }
        let quorumIndex =
            config.unsafe.contains(.countLearnerAcks) && !configuration.isJoint
            ? held.map(\.match).sorted(by: >)[configuration.voters.count / 2] : counted
        guard quorumIndex > log.committed, quorumIndex <= log.lastIndex else { return false }
        if log.term(at: quorumIndex) != term && !config.unsafe.contains(.commitOldTerms) { return false }
        let before = log.committed
        log.commit(to: quorumIndex)
        assert(log.committed == quorumIndex && log.committed > before)
        return true
    }

    mutating func stepLeader(_ message: Message) -> StepResult {
        switch message {
        case .appendResponse(let response):
            handleAppendResponse(response)
        case .heartbeatResponse(let response):
            handleHeartbeatResponse(response)
        case .append, .heartbeat, .installSnapshot:
            return .ignored(reason: "n\(message.from) claims leadership of term \(message.term), which n\(id) leads")
        case .readIndex(let request):
            return handleForwardedRead(request)
        case .voteResponse, .timeoutNow, .vote, .readIndexResponse:
            return .ignored(reason: "a leader does not act on \(message.kindName)")
        }
        return .handled
    }

    mutating func handleAppendResponse(_ response: AppendResponse) {
        guard let i = progressIndex(of: response.from) else { return }
        progress[i].isRecentActive = true
        if response.isRejected && response.index == progress[i].match && response.rejectHintIndex < progress[i].match {
            // The follower no longer holds entries it acknowledged: it lost unsynced writes in a
            // crash (possible only with sync off, as in the durability lesson). Forget what it
            // acknowledged and probe again instead of waiting forever for a stale rejection.
            progress[i].match = 0
            progress[i].becomeProbe()
            progress[i].next = max(1, min(response.index, response.rejectHintIndex + 1))
            _ = sendAppend(to: i, evenIfEmpty: true)
            return
        }
        if response.isRejected {
            var hint = response.rejectHintIndex
            if response.rejectHintTerm > 0 {
                // Skip every entry of ours whose term is above the follower's term at the hint.
                hint = log.conflictHint(atOrBelow: response.rejectHintIndex, term: response.rejectHintTerm).index
            }
            if progress[i].maybeDecrease(rejected: response.index, hint: hint) {
                if progress[i].state == .replicate { progress[i].becomeProbe() }
                _ = sendAppend(to: i, evenIfEmpty: true)
            }
            return
        }
        let wasPaused = progress[i].isPaused
        guard progress[i].maybeUpdate(response.index) else { return }
        switch progress[i].state {
        case .probe: progress[i].becomeReplicate()
        case .replicate: progress[i].inflights.free(through: response.index)
        case .snapshot(let pending):
            // The follower installed the snapshot (or already had its entries): stream again.
            if progress[i].match >= pending { progress[i].becomeReplicate() }
        }
        if commitWhatAQuorumHolds() {
            // Tell every follower about the new commit index at once (as etcd does).
            broadcastAppend()
            if stepDownIfRemoved() { return }
        } else if wasPaused {
            _ = sendAppend(to: i, evenIfEmpty: true)
        }
        // A committed configuration change may have reshaped `progress`; look the follower up again.
        guard let current = progressIndex(of: response.from) else { return }
        while sendAppend(to: current, evenIfEmpty: false) {}
        if response.from == leadTransferee && progress[current].match == log.lastIndex {
            send(.timeoutNow(TimeoutNow(from: id, to: response.from, term: term)))
        }
    }

    mutating func handleHeartbeatResponse(_ response: HeartbeatResponse) {
        guard let i = progressIndex(of: response.from) else { return }
        progress[i].isRecentActive = true
        progress[i].isProbeSent = false
        if case .snapshot = progress[i].state {
            // The follower is alive but has not confirmed the snapshot (it may have been lost):
            // probe again, which resends it if it is still needed.
            progress[i].becomeProbe()
        }
        if progress[i].state == .replicate && progress[i].inflights.isFull {
            progress[i].inflights.freeFirst()
        }
        if progress[i].match < log.lastIndex {
            _ = sendAppend(to: i, evenIfEmpty: true)
        }
        if let context = response.readContext {
            acknowledgeRead(context, from: response.from)
        }
    }

    // MARK: ReadIndex

    func isReadPending(_ context: UInt64) -> Bool {
        pendingReads.contains { $0.context == context } || readsAwaitingCommit.contains { $0.context == context }
    }

    /// Leader: a read forwarded by a follower.
    mutating func handleForwardedRead(_ request: ReadIndex) -> StepResult {
        if isReadPending(request.context) {
            return .ignored(reason: "read \(request.context) is already pending")
        }
        acceptRead(ReadRequest(context: request.context, requester: request.from))
        return .handled
    }

    mutating func acceptRead(_ request: ReadRequest) {
        if log.term(at: log.committed) != term {
            // Until an entry of its own term commits, the leader does not know the true commit
            // index (dissertation §6.4); the read waits for it.
            readsAwaitingCommit.append(request)
            return
        }
        startRead(request)
    }

    mutating func startRead(_ request: ReadRequest) {
        if Quorum.voteResult(configuration, votes: { $0 == id ? true : nil }) == .won {
            // A cluster of one confirms itself.
            answerRead(request, index: log.committed)
            return
        }
        pendingReads.append(PendingRead(request: request, index: log.committed, acks: [id]))
        if config.readRoundsAskQuorumOnly {
            sendReadRoundToQuorum(readContext: request.context)
        } else {
            broadcastHeartbeat(readContext: request.context)
        }
    }

    /// Hands a confirmed read to the host, or to the follower that forwarded it.
    mutating func answerRead(_ request: ReadRequest, index: UInt64) {
        if request.requester == id {
            readStates.append(ReadState(index: index, context: request.context))
        } else {
            send(
                .readIndexResponse(
                    ReadIndexResponse(
                        from: id, to: request.requester, term: term,
                        context: request.context, index: index)))
        }
    }

    mutating func releaseReadsAwaitingCommit() {
        let waiting = readsAwaitingCommit
        readsAwaitingCommit.removeAll()
        for request in waiting { startRead(request) }
    }

    mutating func acknowledgeRead(_ context: UInt64, from voter: NodeID) {
        guard let position = pendingReads.firstIndex(where: { $0.context == context }) else { return }
        if let i = progressIndex(of: voter) {
            readAcknowledgements += 1
            progress[i].lastReadAcknowledgement = readAcknowledgements
        }
        if !pendingReads[position].acks.contains(voter) { pendingReads[position].acks.append(voter) }
        if isConfirmedByQuorum(pendingReads[position]) { answerReads(through: position) }
    }

    /// Counts the pending reads' acknowledgements again under the configuration now in effect
    /// (called where a configuration takes effect on a leader). A configuration that shrank can
    /// make the answers already held a quorum — the leader's own alone once every other voter is
    /// removed — and no later answer would come to confirm them (explorer seed 667 of 2,000 on 3
    /// nodes with the network faults: a read stuck forever).
    mutating func recountPendingReads() {
        guard role == .leader else { return }
        // The newest confirmed read confirms every older one (dissertation §6.4).
        if let position = pendingReads.lastIndex(where: { isConfirmedByQuorum($0) }) { answerReads(through: position) }
    }

    /// Whether a quorum of the configuration in effect acknowledged a round sent after `read` arrived.
    private func isConfirmedByQuorum(_ read: PendingRead) -> Bool {
        let acks = read.acks
        return Quorum.voteResult(configuration, votes: { acks.contains($0) ? true : nil }) == .won
    }

    /// Answers the pending reads through `position`: a quorum confirmed leadership after the read
    /// at `position` (and so every earlier one) arrived.
    private mutating func answerReads(through position: Int) {
        let confirmed = pendingReads[...position]
        pendingReads.removeSubrange(...position)
        for read in confirmed { answerRead(read.request, index: read.index) }
    }

    /// A proposal's data as the test-only mutations alter it (unchanged without them).
    private func mutated(_ data: [UInt8]) -> [UInt8] {
        if config.unsafe.contains(.dropProposalData) { return [] }
        if config.unsafe.contains(.rewriteProposalData) { return Array(data.dropLast()) }
        return data
    }
}
