/// The cluster membership as a value: who votes, who only learns.
///
/// During joint consensus (C_old,new) `outgoingVoters` holds C_old and decisions need a majority
/// of both sets. The membership-change issue fills in the transitions; the core already reads
/// every quorum through this type, so nothing assumes a constant cluster.
public struct Configuration: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Voters of the (incoming) configuration.
    /// - Invariant: sorted, no duplicates, not empty for a running cluster.
    public private(set) var voters: [NodeID]
    /// Voters of the outgoing configuration while joint; empty otherwise.
    /// - Invariant: sorted, no duplicates.
    public private(set) var outgoingVoters: [NodeID]
    /// Non-voting members that receive the log.
    /// - Invariant: sorted, no duplicates, disjoint from `voters` and `outgoingVoters`.
    public private(set) var learners: [NodeID]

    /// Creates a configuration; the inputs are sorted and de-duplicated.
    public init(voters: [NodeID], outgoingVoters: [NodeID] = [], learners: [NodeID] = []) {
        self.voters = Configuration.normalized(voters)
        self.outgoingVoters = Configuration.normalized(outgoingVoters)
        self.learners = Configuration.normalized(learners)
        precondition(!self.voters.contains(.none) && !self.learners.contains(.none), "node id 0 is reserved")
        precondition(
            self.learners.allSatisfy { !self.voters.contains($0) && !self.outgoingVoters.contains($0) },
            "a learner cannot also be a voter")
    }

    private static func normalized(_ ids: [NodeID]) -> [NodeID] {
        var sorted = ids.sorted()
        var i = 1
        while i < sorted.count {
            if sorted[i] == sorted[i - 1] { sorted.remove(at: i) } else { i += 1 }
        }
        return sorted
    }

    /// Whether the configuration is joint (C_old,new).
    public var isJoint: Bool { !outgoingVoters.isEmpty }

    /// Every member, voters first then learners, sorted within each group and without duplicates.
    public var members: [NodeID] {
        var all = voters
        for id in outgoingVoters where !all.contains(id) { all.append(id) }
        all.sort()
        return all + learners
    }

    /// Whether `id` votes in either half of the configuration.
    public func isVoter(_ id: NodeID) -> Bool {
        voters.contains(id) || outgoingVoters.contains(id)
    }

    /// Whether `id` belongs to the cluster at all.
    public func contains(_ id: NodeID) -> Bool { isVoter(id) || learners.contains(id) }

    /// A compact description such as `voters=1,2,3 learners=4` or `joint (1,2,3)&(1,2,3,4,5)`.
    public var description: String {
        func list(_ ids: [NodeID]) -> String { ids.map { "n\($0)" }.joined(separator: ",") }
        var text = isJoint ? "joint (\(list(outgoingVoters)))&(\(list(voters)))" : "voters=\(list(voters))"
        if !learners.isEmpty { text += " learners=\(list(learners))" }
        return text
    }
}

/// The outcome of counting votes.
public enum VoteResult: Equatable, Sendable {
    /// A quorum has granted.
    case won
    /// A quorum can no longer be reached.
    case lost
    /// Not decided yet.
    case pending
}

/// Quorum arithmetic as pure functions: majorities of one voter set, and of both sets while joint.
public enum Quorum {
    /// The number of voters that form a majority of `count` voters.
    public static func majority(of count: Int) -> Int { count / 2 + 1 }

    /// The highest index that a majority of `voters` has reached, given each voter's match index.
    /// An empty voter set commits everything (it places no constraint on a joint decision).
    public static func committedIndex(voters: [NodeID], match: (NodeID) -> UInt64) -> UInt64 {
        if voters.isEmpty { return UInt64.max }
        // Sorted descending, the majority-th value is the largest index that at least a majority
        // holds. The leader asks on every acknowledgement: a stack buffer (voter sets are small)
        // and an insertion sort keep that free of heap allocations.
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: voters.count) { indexes in
            for (position, voter) in voters.enumerated() {
                let value = match(voter)
                var slot = position
                while slot > 0 && indexes[slot - 1] < value {
                    indexes[slot] = indexes[slot - 1]
                    slot -= 1
                }
                indexes[slot] = value
            }
            return indexes[majority(of: voters.count) - 1]
        }
    }

    /// The committed index of a (possibly joint) configuration: the smaller of both halves.
    public static func committedIndex(_ configuration: Configuration, match: (NodeID) -> UInt64) -> UInt64 {
        let incoming = committedIndex(voters: configuration.voters, match: match)
        let outgoing = committedIndex(voters: configuration.outgoingVoters, match: match)
        return min(incoming, outgoing)
    }

    /// Counts votes of one voter set: `votes(id)` is `true` granted, `false` refused, `nil` unknown.
    public static func voteResult(voters: [NodeID], votes: (NodeID) -> Bool?) -> VoteResult {
        if voters.isEmpty { return .won }
        var granted = 0
        var missing = 0
        for id in voters {
            switch votes(id) {
            case .some(true): granted += 1
            case .some(false): break
            case .none: missing += 1
            }
        }
        let needed = majority(of: voters.count)
        if granted >= needed { return .won }
        if granted + missing >= needed { return .pending }
        return .lost
    }

    /// Counts votes of a (possibly joint) configuration: both halves must win.
    public static func voteResult(_ configuration: Configuration, votes: (NodeID) -> Bool?) -> VoteResult {
        let incoming = voteResult(voters: configuration.voters, votes: votes)
        let outgoing = voteResult(voters: configuration.outgoingVoters, votes: votes)
        if incoming == .won && outgoing == .won { return .won }
        if incoming == .lost || outgoing == .lost { return .lost }
        return .pending
    }
}
