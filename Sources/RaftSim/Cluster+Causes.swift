import RaftCore

/// Why a node did what it did with a message, derived in the simulator from the message and the
/// receiver's state before the step (the core only acts; these sentences explain). Narration
/// attaches them to the effects it already tells: a refused vote, a reply carrying a newer term,
/// entries discarded on a conflict, an unsafe knob that acted.
struct DeliveryCause {
    /// Why the receiver refuses the vote or pre-vote it is asked for (nil: it grants, or ignores).
    var voteRefusal: String?
    /// Set when the receiver answers a message of an older term with its own term: the sender is stale.
    var staleSender: (from: NodeID, theirTerm: UInt64, ourTerm: UInt64)?
    /// Why the receiver's log fails the consistency check of an append (Figure 2, receiver step 2).
    var appendMismatch: String?
    /// The entries the receiver discarded because they conflict with the leader's (Figure 2,
    /// receiver step 3), with their terms, and the leader's entry that replaced the first.
    var discarded: (first: UInt64, terms: [UInt64], leaderTerm: UInt64)?
    /// What the append would discard if the receiver accepts it (confirmed after the step).
    var discardCandidate: (first: UInt64, terms: [UInt64], leaderTerm: UInt64)?
    /// Why the receiver ignores a vote request under a leader lease, in a learner's words.
    var leaseSentence: String?
    /// A line marking an unsafe knob that acted on this message, if one did.
    var unsafeAct: String?

}

extension Cluster {
    /// The cause of what `node` will do with `message`, derived before the step.
    func cause(of message: Message, at node: RaftNode) -> DeliveryCause {
        var cause = DeliveryCause()
        let receiver = Describe.n(node.id)
        switch message {
        case .vote(let request):
            cause.voteRefusal = Cluster.voteRefusal(request, node)
            cause.leaseSentence = leaseSentence(message, before: node)
            if cause.voteRefusal == nil, node.config.unsafe.contains(.voteWithoutLogCheck),
                !Cluster.isAtLeastAsRecent(request, node), !Cluster.isLeaseHeld(request, node)
            {
                cause.unsafeAct =
                    "!! vote-without-log-check: \(receiver) grants \(Describe.n(request.from)) a \(request.isPreVote ? "pre-vote" : "vote") although the candidate's log (last \(Describe.at(request.lastLogIndex, request.lastLogTerm))) is less up to date than its own (last \(Describe.at(node.lastIndex, node.lastTerm))) — paper §5.4.1"
            }
        case .append(let append) where append.term < node.term:
            if node.config.unsafe.contains(.ignoreStaleTerm) {
                cause.unsafeAct =
                    "!! ignore-stale-term: \(receiver) accepts an append of term \(append.term) from \(Describe.n(append.from)) although its own term is \(node.term) — paper §5.1"
            } else {
                cause.staleSender = (append.from, append.term, node.term)
            }
        case .append(let append):
            cause.appendMismatch = Cluster.appendMismatch(append, node)
            cause.discardCandidate = Cluster.discardCandidate(append, node)
        case .heartbeat, .installSnapshot:
            if message.term < node.term { cause.staleSender = (message.from, message.term, node.term) }
        default:
            break
        }
        return cause
    }

    /// Why `node`'s log does not hold the entry the append follows, or nil when it does.
    static func appendMismatch(_ append: Append, _ node: RaftNode) -> String? {
        let prev = append.prevLogIndex
        guard prev >= node.commitIndex else { return nil }
        guard let ours = node.term(at: prev) else {
            return prev > node.lastIndex ? "its log ends at \(node.lastIndex), before \(prev)" : nil
        }
        return ours == append.prevLogTerm ? nil : "its entry \(prev) has term \(ours), not \(append.prevLogTerm)"
    }

    /// The entries `node` holds that `append` would replace: from the first index where the
    /// append's entry and the node's differ in term through the node's last index (nil when none
    /// differ). The caller confirms after the step that the node now holds the leader's entry.
    static func discardCandidate(_ append: Append, _ node: RaftNode) -> (first: UInt64, terms: [UInt64], leaderTerm: UInt64)? {
        guard
            let conflict = append.entries.first(where: { entry in
                entry.index > node.commitIndex && node.term(at: entry.index).map { $0 != entry.term } ?? false
            })
        else { return nil }
        let terms = (conflict.index...node.lastIndex).map { node.term(at: $0) ?? 0 }
        return (conflict.index, terms, conflict.term)
    }

    /// Whether a leader lease makes `node` ignore the vote request (mirrors the core's rule,
    /// dissertation §4.2.3 with check-quorum and §9.6 for pre-votes).
    static func isLeaseHeld(_ request: Vote, _ node: RaftNode) -> Bool {
        guard request.term > node.term, !request.isTransfer, node.leader != .none else { return false }
        guard node.electionElapsedTicks < node.config.electionTicks else { return false }
        return node.config.checkQuorum || request.isPreVote
    }

    /// The up-to-date rule of paper §5.4.1: a later last term wins; with the same last term, the
    /// longer log.
    static func isAtLeastAsRecent(_ request: Vote, _ node: RaftNode) -> Bool {
        request.lastLogTerm > node.lastTerm || (request.lastLogTerm == node.lastTerm && request.lastLogIndex >= node.lastIndex)
    }

    /// Why `node` would refuse `request`, or nil when it grants it or ignores it (a lease).
    static func voteRefusal(_ request: Vote, _ node: RaftNode) -> String? {
        let what = request.isPreVote ? "pre-vote" : "vote"
        if request.term < node.term {
            return "its term \(node.term) is newer than the \(what)'s term \(request.term)"
        }
        if isLeaseHeld(request, node) { return nil }
        // A vote request of a later term moves the voter to that term with no vote and no leader.
        let movesTerm = request.term > node.term && !request.isPreVote
        let vote = movesTerm ? NodeID.none : node.vote
        let leader = movesTerm ? NodeID.none : node.leader
        let canVote =
            vote == request.from || (vote == .none && leader == .none)
            || (request.isPreVote && request.term > node.term)
        if !canVote {
            if vote == node.id { return "it voted for itself in term \(node.term)" }
            if vote != .none { return "it already voted for \(Describe.n(vote)) in term \(node.term)" }
            if leader != .none { return "it already follows leader \(Describe.n(leader)) in term \(node.term)" }
            return "a pre-vote must be for a term after its own (\(node.term))"
        }
        if !node.config.unsafe.contains(.voteWithoutLogCheck) && !isAtLeastAsRecent(request, node) {
            let reason = request.lastLogTerm < node.lastTerm ? "an earlier last term" : "same last term, shorter log"
            return
                "the candidate's log (last \(Describe.at(request.lastLogIndex, request.lastLogTerm))) is less up to date than its own (last \(Describe.at(node.lastIndex, node.lastTerm))) — \(reason), paper §5.4.1"
        }
        return nil
    }

    /// Says why node `i` ignored a vote request under a leader lease, in a learner's words, or
    /// nil when the core's reason is not that.
    func leaseSentence(_ message: Message, before node: RaftNode) -> String? {
        guard case .vote(let request) = message, Cluster.isLeaseHeld(request, node) else { return nil }
        let rule = node.config.checkQuorum ? "check-quorum's leader lease, dissertation §4.2.3" : "the pre-vote rule, dissertation §9.6"
        let what = request.isPreVote ? "pre-vote" : "vote"
        if node.leader == node.id {
            return
                "it leads term \(node.term) and its lease holds, so it refuses to help unseat itself (\(rule)); the \(what) for term \(request.term) gets no answer"
        }
        return
            "it heard from leader \(Describe.n(node.leader)) \(node.electionElapsedTicks) tick\(node.electionElapsedTicks == 1 ? "" : "s") ago (less than an election timeout, \(node.config.electionTicks)), so it will not help unseat it (\(rule)); the \(what) for term \(request.term) gets no answer"
    }

    /// The sentence for a response of a newer term reaching a node of an older term: it learns
    /// the term (and, when it led, that it was deposed) before anything else happens.
    func newerTermSentence(_ message: Message, before: NarratedState) -> String? {
        guard message.term > before.term else { return nil }
        let from = Describe.n(message.from)
        let name = Describe.n(message.to)
        switch message {
        case .appendResponse, .heartbeatResponse:
            break
        case .voteResponse(let response):
            if response.isPreVote && response.isGranted { return nil }
        default:
            return nil
        }
        switch before.role {
        case .leader:
            return "  \(from)'s reply carries term \(message.term), newer than \(name)'s \(before.term): \(name) learns it was deposed and steps down"
        case .candidate, .preCandidate:
            return "  \(from)'s reply carries term \(message.term), newer than \(name)'s \(before.term): \(name) gives up its election"
        case .follower:
            return "  \(from)'s reply carries term \(message.term), newer than \(name)'s \(before.term)"
        }
    }
}
