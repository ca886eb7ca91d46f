/// A requested membership change. Voter changes go through joint consensus (C_old,new, then
/// C_new); learner-only changes do not alter any quorum and take effect in one step.
public enum ConfigChange: Equatable, Sendable, CustomStringConvertible {
    /// Add a voting member.
    case addVoter(NodeID)
    /// Add a non-voting member that receives the log.
    case addLearner(NodeID)
    /// Remove a member (voter or learner).
    case remove(NodeID)
    /// Turn a learner into a voter.
    case promote(NodeID)

    /// The node the change is about.
    public var node: NodeID {
        switch self {
        case .addVoter(let id), .addLearner(let id), .remove(let id), .promote(let id): return id
        }
    }

    /// In words, as the REPL spells it (`add n4`, `add n4 learner`, `remove n2`, `promote n4`).
    public var description: String {
        switch self {
        case .addVoter(let id): return "add n\(id)"
        case .addLearner(let id): return "add n\(id) learner"
        case .remove(let id): return "remove n\(id)"
        case .promote(let id): return "promote n\(id)"
        }
    }
}

/// Pure functions of membership: validate a change and compute the configurations it passes through.
extension Configuration {
    /// The configuration that changes lead to first: joint (C_old,new) when the voters change,
    /// the final one when only learners change. The changes apply in order, so `[add n4, add n5]`
    /// grows three voters to five in one joint step. Returns a reason when a change is invalid.
    public func applying(_ changes: [ConfigChange]) -> Result<Configuration, ConfigChangeRejection> {
        if isJoint { return .failure(ConfigChangeRejection("a joint configuration is in effect; wait for C_new")) }
        if changes.isEmpty { return .failure(ConfigChangeRejection("no change given")) }
        var target = self
        for change in changes {
            switch target.applyingOne(change) {
            case .success(let next): target = next
            case .failure(let rejection): return .failure(rejection)
            }
        }
        if target.voters == voters { return .success(target) }
        return .success(Configuration(voters: target.voters, outgoingVoters: voters, learners: target.learners))
    }

    /// One change on a simple configuration, giving the simple configuration after it.
    private func applyingOne(_ change: ConfigChange) -> Result<Configuration, ConfigChangeRejection> {
        let id = change.node
        if id == .none { return .failure(ConfigChangeRejection("node id 0 is reserved")) }
        switch change {
        case .addVoter:
            if voters.contains(id) { return .failure(ConfigChangeRejection("n\(id) is already a voter")) }
            if learners.contains(id) { return .failure(ConfigChangeRejection("n\(id) is a learner; promote it instead")) }
            return .success(Configuration(voters: voters + [id], learners: learners))
        case .addLearner:
            if contains(id) { return .failure(ConfigChangeRejection("n\(id) is already a member")) }
            return .success(Configuration(voters: voters, learners: learners + [id]))
        case .remove:
            if learners.contains(id) {
                return .success(Configuration(voters: voters, learners: learners.filter { $0 != id }))
            }
            guard voters.contains(id) else { return .failure(ConfigChangeRejection("n\(id) is not a member")) }
            let remaining = voters.filter { $0 != id }
            if remaining.isEmpty { return .failure(ConfigChangeRejection("cannot remove the last voter")) }
            return .success(Configuration(voters: remaining, learners: learners))
        case .promote:
            guard learners.contains(id) else { return .failure(ConfigChangeRejection("n\(id) is not a learner")) }
            return .success(Configuration(voters: voters + [id], learners: learners.filter { $0 != id }))
        }
    }

    /// The final configuration C_new of a joint one (itself when not joint).
    public var leavingJoint: Configuration {
        Configuration(voters: voters, learners: learners)
    }
}

/// Why a membership change was refused.
public struct ConfigChangeRejection: Error, Equatable, Sendable, CustomStringConvertible {
    /// In words.
    public var description: String
    init(_ description: String) { self.description = description }
}

/// The payload of a configuration entry and of a snapshot's membership: little-endian,
/// `version u8 = 1`, then three lists (incoming voters, outgoing voters, learners), each
/// `count u16` followed by `count` node ids of 8 bytes in strictly ascending order.
public enum ConfigurationCodec {
    /// The largest list a decoder accepts (bounds allocation on hostile input).
    public static let maxMembers = 1024

    /// Encodes a configuration.
    public static func encode(_ configuration: Configuration) -> [UInt8] {
        var out: [UInt8] = [1]
        for list in [configuration.voters, configuration.outgoingVoters, configuration.learners] {
            let count = UInt16(list.count)
            out.append(UInt8(count & 0xff))
            out.append(UInt8(count >> 8))
            for id in list {
                for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: id >> UInt64(shift))) }
            }
        }
        return out
    }

    /// Decodes a configuration; nil when the bytes are not a valid encoding.
    public static func decode(_ bytes: [UInt8]) -> Configuration? {
        guard bytes.first == 1 else { return nil }
        var position = 1
        var lists: [[NodeID]] = []
        for _ in 0..<3 {
            guard position + 2 <= bytes.count else { return nil }
            let count = Int(bytes[position]) | Int(bytes[position + 1]) << 8
            position += 2
            guard count <= maxMembers, position + count * 8 <= bytes.count else { return nil }
            var list: [NodeID] = []
            for _ in 0..<count {
                var id: UInt64 = 0
                for k in 0..<8 { id |= UInt64(bytes[position + k]) << UInt64(8 * k) }
                position += 8
                // Canonical form: strictly ascending, so one configuration has one encoding.
                if let last = list.last, id <= last { return nil }
                list.append(id)
            }
            lists.append(list)
        }
        guard position == bytes.count else { return nil }
        let (voters, outgoing, learners) = (lists[0], lists[1], lists[2])
        // Reject what Configuration.init would refuse, instead of crashing on it.
        if voters.isEmpty || voters.contains(.none) || learners.contains(.none) || outgoing.contains(.none) { return nil }
        if learners.contains(where: { voters.contains($0) || outgoing.contains($0) }) { return nil }
        return Configuration(voters: voters, outgoingVoters: outgoing, learners: learners)
    }
}
