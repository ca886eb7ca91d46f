import RaftCore
import RaftHost

/// The clients' acknowledgements, recorded when a node makes them (issue 18 §1): a leader that
/// applies a proposal it took, with the entry still of the term it took it in, answers its
/// client then. Each acknowledgement is judged at the end of its step against the committed
/// history the checker keeps: an acknowledgement of an entry that has not committed is
/// Acknowledged Before Commit, whatever the node believes (the driver, which learns of
/// acknowledgements only by looking, used to drop such a proposal as never acknowledged).
extension InvariantChecker {
    /// A client proposal a node took, not yet answered.
    struct ClientProposal {
        var index: UInt64
        var term: UInt64
        var data: [UInt8]
    }

    /// A client's proposal answered by the node that took it.
    struct Acknowledgement: Equatable {
        /// The node that answered (it took the proposal as leader).
        var node: NodeID
        /// Where the proposal was appended.
        var index: UInt64
        /// The term the node took the proposal in.
        var term: UInt64
        /// The client's command.
        var data: [UInt8]
    }

    /// Node `i`, leader, took a client proposal at `index` in `term`.
    mutating func proposalTaken(_ i: Int, index: UInt64, term: UInt64, data: [UInt8]) {
        proposals[i].append(ClientProposal(index: index, term: term, data: data))
    }

    /// Node `i`'s state machine applied through `through`: the proposals it took at or below are
    /// answered now — acknowledged when its log still holds the proposal's term there (the entry
    /// is the proposal), otherwise failed (the client retries; nothing is recorded).
    mutating func appliedThrough(_ i: Int, _ through: UInt64, node: borrowing RaftNode) {
        guard let first = proposals[i].first, first.index <= through else { return }
        var kept: [ClientProposal] = []
        for proposal in proposals[i] {
            guard proposal.index <= through else { kept.append(proposal); continue }
            guard node.term(at: proposal.index) == proposal.term else { continue }
            acknowledgements.append(Acknowledgement(node: node.id, index: proposal.index, term: proposal.term, data: proposal.data))
        }
        proposals[i] = kept
    }

    /// Judges the acknowledgements made since the last check against the committed history:
    /// the entry at each index must be committed, of the proposal's term, and hold the client's
    /// command.
    mutating func checkAcknowledgements() {
        while acknowledgementsJudged < acknowledgements.count {
            let ack = acknowledgements[acknowledgementsJudged]
            let data = ack.data
            acknowledgementsJudged += 1
            var what: String {
                "\(Describe.n(ack.node)) acknowledged '\(String(decoding: data, as: UTF8.self))' at index \(ack.index) (term \(ack.term))"
            }
            guard let entry = committedEntry(at: ack.index) else {
                report(
                    "\(ack.node)|\(ack.index)", "Acknowledged Before Commit",
                    "\(what), but the committed history reaches only index \(committed.count)")
                continue
            }
            let isPlaceholder = entry.kind == .noop && entry.data == InvariantChecker.compactedMark
            if isPlaceholder && entry.term == 0 { continue }  // Known by nothing but its index.
            if entry.term != ack.term {
                report(
                    "\(ack.node)|\(ack.index)", "Acknowledged Before Commit",
                    "\(what), but the entry committed there is of term \(entry.term)")
            } else if entry.data != data && !isPlaceholder {
                report(
                    "\(ack.node)|\(ack.index)", "Client Write Record",
                    "\(what), but the entry committed there holds \(entry.kind == .normal ? "'\(String(decoding: entry.data, as: UTF8.self))'" : "a \(entry.kind) entry")"
                )
            }
        }
    }
}

extension Cluster {
    /// Every client acknowledgement a node made, in order (the checker's record).
    var clientAcknowledgements: [InvariantChecker.Acknowledgement] { checker.acknowledgements }
}
