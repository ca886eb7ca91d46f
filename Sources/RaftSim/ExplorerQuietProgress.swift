import RaftCore

/// The quiet period's progress (issue 18 §2): the writes and reads asked within the period, each
/// of which must finish within it — a write acknowledged by the leader that took it (the
/// checker's record of acknowledgements, made when the node answers), a read answered. At least
/// one of each must have been taken: a leader that refuses every proposal or read makes none.
struct QuietProgress {
    /// A write taken within the period: the leader that took it, its index and term.
    struct Write: Hashable {
        var node: NodeID
        var index: UInt64
        var term: UInt64
    }

    /// The writes the leader took within the period.
    var writes: [Write] = []
    /// The contexts of the reads the leader took within the period.
    var reads: [UInt64] = []

    /// What is missing, given the acknowledgements made and the reads answered since the period
    /// began (nil: nothing).
    func missing(
        acknowledged: ArraySlice<InvariantChecker.Acknowledgement>,
        served: ArraySlice<(context: UInt64, key: String, value: String?)>
    ) -> String? {
        if writes.isEmpty { return "the leader took none of the period's writes" }
        if reads.isEmpty { return "the leader took none of the period's reads" }
        let done = Set(acknowledged.map { Write(node: $0.node, index: $0.index, term: $0.term) })
        let acknowledgedCount = writes.filter(done.contains).count
        if acknowledgedCount < writes.count {
            return "\(acknowledgedCount) of the period's \(writes.count) writes were acknowledged"
        }
        let answered = Set(served.map(\.context))
        let answeredCount = reads.filter(answered.contains).count
        if answeredCount < reads.count { return "\(answeredCount) of the period's \(reads.count) reads were answered" }
        return nil
    }
}
