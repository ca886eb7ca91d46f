/// Validation of messages as they enter the node: everything a peer sends is untrusted input.
extension RaftNode {
    /// Why `message` must be dropped, or nil when it is well formed.
    ///
    /// Always inlined into `step`: called there as a function of a non-mutating `self`, it made
    /// the caller copy the whole node (about 500 bytes) onto the stack for every message.
    @inline(__always)
    func validationProblem(_ message: Message) -> String? {
        if message.to != id { return "addressed to n\(message.to), not n\(id)" }
        if message.from == id { return "a message from itself" }
        // Requests that carry a candidate's or a leader's authority are handled whoever sends
        // them: Raft does not consult the configuration there (dissertation §4.1), and a server
        // added by a change we have not seen yet may need our vote, or may lead us into that
        // change. The leader lease keeps removed servers from disrupting. Answers and TimeoutNow
        // only make sense from members, so those from strangers are dropped.
        let isRequest: Bool
        switch message {
        case .vote, .append, .heartbeat, .installSnapshot: isRequest = true
        case .appendResponse, .voteResponse, .heartbeatResponse, .timeoutNow, .readIndex, .readIndexResponse: isRequest = false
        }
        if !isRequest && !configuration.contains(message.from) {
            return "unknown sender n\(message.from)"
        }
        if message.term == 0 { return "term 0 is not a valid term" }
        // Terms grow by one per election: a term this large is garbage, and accepting it would
        // overflow the next election's `term + 1`.
        if message.term > UInt64.max / 2 { return "term \(message.term) is absurd" }
        switch message {
        case .append(let append):
            return appendProblem(append)
        case .appendResponse(let response):
            if !response.isRejected && role == .leader && message.term == term && response.index > log.lastIndex {
                return "claims to match through \(response.index), beyond the leader's last index \(log.lastIndex)"
            }
            if response.index > UInt64.max / 2 { return "index \(response.index) is absurd" }
            if response.isRejected && response.rejectHintTerm > message.term {
                return "reject hint term \(response.rejectHintTerm) exceeds the message term"
            }
            if response.isRejected && response.rejectHintIndex > response.index {
                return "reject hint \(response.rejectHintIndex) is beyond the rejected index \(response.index)"
            }
        case .vote(let request):
            if request.lastLogTerm > request.term { return "last log term \(request.lastLogTerm) exceeds term \(request.term)" }
            if request.lastLogTerm == 0 && request.lastLogIndex != 0 { return "a non-empty log with last term 0" }
        case .installSnapshot(let install):
            let metadata = install.snapshot.metadata
            if metadata.index == 0 || metadata.term == 0 { return "a snapshot must cover index and term at least 1" }
            if metadata.index > UInt64.max / 2 { return "snapshot index \(metadata.index) is absurd" }
            if metadata.term > install.term { return "snapshot term \(metadata.term) exceeds the message term \(install.term)" }
            if metadata.configuration.voters.isEmpty { return "a snapshot whose configuration has no voters" }
        case .readIndexResponse(let response):
            if response.index > UInt64.max / 2 { return "read index \(response.index) is absurd" }
        case .heartbeat, .voteResponse, .heartbeatResponse, .timeoutNow, .readIndex:
            // A heartbeat's commit beyond our log is clamped on receipt: a follower that lost
            // unsynced entries in a crash must still answer its leader.
            break
        }
        return nil
    }

    private func appendProblem(_ append: Append) -> String? {
        if append.prevLogTerm > append.term { return "prev log term \(append.prevLogTerm) exceeds term \(append.term)" }
        if append.prevLogTerm == 0 && append.prevLogIndex != 0 { return "prev log index \(append.prevLogIndex) with term 0" }
        if append.prevLogIndex > UInt64.max / 2 { return "prev log index \(append.prevLogIndex) is absurd" }
        if let problem = RaftLog.sequenceProblem(append.entries, after: append.prevLogIndex, term: append.prevLogTerm) {
            return problem
        }
        for position in append.entries.indices {
            // Fields read in place: iterating would copy each entry (and retain its payload).
            let index = append.entries[position].index
            let term = append.entries[position].term
            if term > append.term { return "entry \(index) has term \(term) above the leader's \(append.term)" }
            if append.entries[position].kind == .config && ConfigurationCodec.decode(append.entries[position].data) == nil {
                return "entry \(index) is a configuration entry that does not decode"
            }
        }
        return nil
    }
}
