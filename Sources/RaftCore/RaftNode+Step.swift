/// `step`: terms first, then votes, then the role's own handling (etcd's layout).
extension RaftNode {
    mutating func stepValidated(_ message: Message) -> StepResult {
        if message.term > term {
            if let ignored = stepHigherTerm(message) { return ignored }
        } else if message.term < term {
            return stepLowerTerm(message)
        }
        if case .vote(let request) = message {
            return handleVoteRequest(request)
        }
        switch role {
        case .follower: return stepFollower(message)
        case .preCandidate, .candidate: return stepCandidate(message)
        case .leader: return stepLeader(message)
        }
    }

    /// A message from a later term. Returns a reason when the message is to be ignored.
    mutating func stepHigherTerm(_ message: Message) -> StepResult? {
        switch message {
        case .vote(let request):
            // Leader lease (dissertation §4.2.3, and §9.6 for pre-votes): a node that heard from a leader
            // within the minimum election timeout does not help anyone unseat it. A transfer
            // is the leader's own wish and overrides the lease.
            let isLeaseHeld = leader != .none && electionElapsed < config.electionTicks
            if !request.isTransfer && isLeaseHeld && (config.checkQuorum || request.isPreVote) {
                if leader == id {
                    return .ignored(reason: "n\(id) leads term \(term) under a leader lease; ignoring \(message.kindName) for term \(request.term)")
                }
                return .ignored(
                    reason:
                        "n\(leader) is leader and was heard from \(electionElapsed) ticks ago; ignoring \(message.kindName) for term \(request.term)")
            }
            // A pre-vote never changes the receiver's term.
            if request.isPreVote { return nil }
            becomeFollower(term: message.term, leader: .none)
        case .voteResponse(let response) where response.isPreVote && response.isGranted:
            // A granted pre-vote carries the term we would campaign in; it is not a newer term.
            return nil
        case .append, .heartbeat, .installSnapshot, .readIndexResponse:
            // Only the leader of that term sends these.
            becomeFollower(term: message.term, leader: message.from)
        case .appendResponse, .voteResponse, .heartbeatResponse, .timeoutNow, .readIndex:
            becomeFollower(term: message.term, leader: .none)
        }
        return nil
    }

    /// A message from an earlier term: answer so the stale sender learns the term, or ignore.
    mutating func stepLowerTerm(_ message: Message) -> StepResult {
        switch message {
        case .append(let append) where config.unsafe.contains(.ignoreStaleTerm):
            // UNSAFE teaching knob: treat a deposed leader's append as if it were current.
            handleAppend(append)
            return .handled
        case .append, .heartbeat, .installSnapshot:
            // Tell a deposed leader about the newer term (Figure 2: the reply carries currentTerm
            // "for leader to update itself"). Without this a node whose term was raised could never
            // rejoin: with pre-vote its pre-votes are refused; and a learner, or a server whose
            // configuration does not let it campaign, sends no vote request that would carry the
            // term to the leader — the explorer found a learner whose term a removed server had
            // raised, ignoring its leader forever. (etcd answers only with check-quorum or pre-vote
            // and otherwise relies on vote requests, which such a node never sends.)
            send(.appendResponse(AppendResponse(from: id, to: message.from, term: term, index: 0)))
            return .handled
        case .vote(let request):
            // Refuse with our term (Figure 2), so a candidate stuck below it learns the term: the
            // explorer found a candidate that alone could win, campaigning forever a few terms
            // below a voter that never wrote to it (its configuration did not include it).
            send(.voteResponse(VoteResponse(from: id, to: request.from, term: term, isGranted: false, isPreVote: request.isPreVote)))
            return .handled
        default:
            break
        }
        return .ignored(reason: "stale term \(message.term) < \(term)")
    }

    mutating func handleVoteRequest(_ request: Vote) -> StepResult {
        // We can vote for the candidate we already voted for, for anyone when we have neither voted
        // nor know a leader in this term, and pre-vote for a later term.
        let canVote =
            vote == request.from
            || (vote == .none && leader == .none)
            || (request.isPreVote && request.term > term)
        let isUpToDate =
            config.unsafe.contains(.voteWithoutLogCheck)
            || log.isAtLeastAsRecent(lastIndex: request.lastLogIndex, lastTerm: request.lastLogTerm)
        if canVote && isUpToDate {
            send(
                .voteResponse(
                    VoteResponse(
                        from: id, to: request.from, term: request.term, isGranted: true,
                        isPreVote: request.isPreVote)))
            if !request.isPreVote {
                electionElapsed = 0
                vote = request.from
            }
        } else {
            send(
                .voteResponse(
                    VoteResponse(
                        from: id, to: request.from, term: term, isGranted: false,
                        isPreVote: request.isPreVote)))
        }
        return .handled
    }

    mutating func stepFollower(_ message: Message) -> StepResult {
        switch message {
        case .append(let append):
            if !config.unsafe.contains(.noTimerResetOnAppend) { electionElapsed = 0 }
            leader = append.from
            handleAppend(append)
        case .heartbeat(let heartbeat):
            if !config.unsafe.contains(.noTimerResetOnAppend) { electionElapsed = 0 }
            leader = heartbeat.from
            handleHeartbeat(heartbeat)
        case .installSnapshot(let install):
            electionElapsed = 0
            leader = install.from
            handleSnapshot(install)
        case .timeoutNow:
            guard configuration.isVoter(id) else { return .ignored(reason: "a non-voter cannot campaign") }
            startElection(transfer: true)
        case .readIndexResponse(let response):
            // Only the leader of this term answers reads; a second "leader" is a broken peer.
            guard leader == .none || leader == response.from else {
                return .ignored(reason: "a read answer from n\(response.from), but n\(leader) leads term \(term)")
            }
            readStates.append(ReadState(index: response.index, context: response.context))
        case .readIndex:
            return .ignored(reason: "n\(id) is not the leader; a forwarded read is not forwarded again")
        case .appendResponse, .heartbeatResponse, .voteResponse, .vote:
            return .ignored(reason: "a follower does not act on \(message.kindName)")
        }
        return .handled
    }

    mutating func stepCandidate(_ message: Message) -> StepResult {
        switch message {
        case .append(let append):
            becomeFollower(term: term, leader: append.from)
            handleAppend(append)
        case .heartbeat(let heartbeat):
            becomeFollower(term: term, leader: heartbeat.from)
            handleHeartbeat(heartbeat)
        case .installSnapshot(let install):
            becomeFollower(term: term, leader: install.from)
            handleSnapshot(install)
        case .voteResponse(let response):
            guard response.isPreVote == (role == .preCandidate) else {
                return .ignored(reason: "\(message.kindName) does not match a \(role.rawValue)'s election")
            }
            switch poll(response.from, granted: response.isGranted) {
            case .won:
                if role == .preCandidate {
                    campaign(preVote: false, transfer: false)
                } else {
                    becomeLeader()
                    broadcastAppend()
                }
            case .lost:
                becomeFollower(term: term, leader: .none)
            case .pending:
                break
            }
        case .readIndexResponse(let response):
            // Confirmed by the leader of this term whatever we are now: still a valid read.
            readStates.append(ReadState(index: response.index, context: response.context))
        case .timeoutNow, .appendResponse, .heartbeatResponse, .vote, .readIndex:
            return .ignored(reason: "a \(role.rawValue) does not act on \(message.kindName)")
        }
        return .handled
    }

    /// The follower's side of AppendEntries.
    mutating func handleAppend(_ append: Append) {
        if append.prevLogIndex < log.committed {
            // Everything through our commit index is settled; tell the leader where we stand.
            // This is also why no append can replace a committed entry, whoever sends it (a
            // leader that lacks a committed entry, or a deposed one under `ignoreStaleTerm`):
            // past this check every entry sent lies after `prevLogIndex >= committed`.
            send(.appendResponse(AppendResponse(from: id, to: append.from, term: term, index: log.committed)))
            return
        }
        if let lastNew = log.maybeAppend(
            prevIndex: append.prevLogIndex, prevTerm: append.prevLogTerm,
            leaderCommit: append.leaderCommit, entries: append.entries)
        {
            syncConfiguration()
            send(.appendResponse(AppendResponse(from: id, to: append.from, term: term, index: lastNew)))
            return
        }
        let hint = log.conflictHint(atOrBelow: append.prevLogIndex, term: append.prevLogTerm)
        send(
            .appendResponse(
                AppendResponse(
                    from: id, to: append.from, term: term, index: append.prevLogIndex,
                    isRejected: true, rejectHintIndex: hint.index, rejectHintTerm: hint.term)))
    }

    /// The follower's side of InstallSnapshot.
    mutating func handleSnapshot(_ install: InstallSnapshot) {
        let metadata = install.snapshot.metadata
        if metadata.index <= log.committed {
            // We already hold (and committed) everything it covers.
            send(.appendResponse(AppendResponse(from: id, to: install.from, term: term, index: log.committed)))
            return
        }
        if log.matchTerm(metadata.index, metadata.term) {
            // Our log already contains the snapshot's last entry: it is committed, keep the rest.
            log.commit(to: metadata.index)
            send(.appendResponse(AppendResponse(from: id, to: install.from, term: term, index: log.lastIndex)))
            return
        }
        log.restore(metadata)
        snapshot = install.snapshot
        pendingSnapshot = install.snapshot
        baseConfiguration = metadata.configuration
        syncConfiguration(baseChanged: true)
        send(.appendResponse(AppendResponse(from: id, to: install.from, term: term, index: metadata.index)))
    }

    mutating func handleHeartbeat(_ heartbeat: Heartbeat) {
        // The leader never sends a commit beyond what it knows we hold (validation checked our end).
        log.commit(to: min(heartbeat.commit, log.lastIndex))
        send(
            .heartbeatResponse(
                HeartbeatResponse(
                    from: id, to: heartbeat.from, term: term,
                    readContext: heartbeat.readContext)))
    }
}
