/// Why the node refused a request from its host (a proposal, a read, a transfer).
public enum RaftError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Only the leader accepts this; `leader` is the leader this node knows of, or `.none`.
    case notLeader(leader: NodeID)
    /// A leadership transfer is under way; proposals wait until it ends.
    case transferInProgress(to: NodeID)
    /// The node is not a voting member of the current configuration.
    case notAVoter(NodeID)
    /// The request names this node itself where another node is needed.
    case isSelf
    /// A read with this context is already pending.
    case duplicateReadContext(UInt64)
    /// A membership change is still in progress (its configuration entry is at `index`).
    case configChangeInProgress(index: UInt64)
    /// The leader has not yet committed an entry of its own term.
    case noCommitInTerm
    /// The membership change makes no sense for the current configuration.
    case invalidConfigChange(String)
    /// Compaction must stop at or below the applied index and beyond the current snapshot.
    case invalidCompaction(index: UInt64, snapshotIndex: UInt64, appliedIndex: UInt64)

    /// One line for a person.
    public var description: String {
        switch self {
        case .notLeader(let leader):
            return leader == .none
                ? "not the leader, and no leader is known"
                : "not the leader; the leader is n\(leader)"
        case .transferInProgress(let to): return "leadership transfer to n\(to) in progress"
        case .notAVoter(let id): return "n\(id) is not a voter in the current configuration"
        case .isSelf: return "the target is this node itself"
        case .duplicateReadContext(let context): return "a read with context \(context) is already pending"
        case .configChangeInProgress(let index):
            return "a membership change (entry \(index)) is still in progress; wait until it commits"
        case .noCommitInTerm:
            return "the leader has not committed an entry of its term yet; a membership change must wait"
        case .invalidConfigChange(let reason): return reason
        case .invalidCompaction(let index, let snapshotIndex, let appliedIndex):
            return
                "cannot compact through \(index): it must be above the snapshot index \(snapshotIndex) and at most the applied index \(appliedIndex)"
        }
    }
}

/// What `step(_:)` did with a message.
public enum StepResult: Equatable, Sendable {
    /// The message was processed.
    case handled
    /// The message was dropped; `reason` says why (stale term, invalid fields, wrong role…).
    case ignored(reason: String)

    /// The reason, when ignored.
    public var ignoredReason: String? {
        if case .ignored(let reason) = self { return reason }
        return nil
    }
}
