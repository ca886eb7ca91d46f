import RaftCore

/// Membership changes in the simulator: the leader proposes them; nodes outside the configuration
/// run but take no part until they are added.
extension Cluster {
    /// The configuration the cluster started with (every node, or n1…nK with `voterCount`).
    public var startingConfiguration: Configuration { configuration }

    /// The configuration in effect at a running node (from the latest config entry in its log or snapshot).
    public func configuration(of id: NodeID) -> Configuration? { node(id)?.configuration }

    /// Proposes membership changes on the leader, applied together in one joint step.
    @discardableResult
    public func changeMembership(_ changes: [ConfigChange]) throws(SimError) -> [String] {
        for change in changes { try validate(change.node) }
        guard let leaderID = leader else { throw SimError("there is no leader to propose the change to") }
        let i = Int(leaderID) - 1
        let before = narratedState(i)
        do {
            _ = try hosts[i]!.proposeConfigChange(changes)
        } catch {
            throw SimError("\(Describe.n(leaderID)) refuses \(changes.map(\.description).joined(separator: ", ")): \(error)")
        }
        begin()
        handleReady(i, before: before)
        checkInvariants()
        return finish()
    }

    /// Says why a leader stepped down when it is no longer a voter (C_new without it committed).
    func narrateRemoval(_ i: Int, wasLeader: Bool) {
        guard wasLeader, let node = hosts[i]?.node, node.role != .leader, !node.configuration.isVoter(node.id) else { return }
        say("  \(Describe.n(node.id)) is not in \(Describe.configEntry(node.configuration)), which has committed: it steps down")
    }

    /// Narrates configuration entries that a leader appends (its own Ready's entries are its appends).
    func narrateConfigEntries(_ i: Int, _ entries: [Entry]) {
        guard isNarrating, let node = hosts[i]?.node, node.role == .leader else { return }
        for entry in entries where entry.kind == .config && entry.term == node.term {
            guard let configuration = ConfigurationCodec.decode(entry.data) else { continue }
            say("  \(Describe.n(node.id)) appends \(Describe.configEntry(configuration)) at index \(entry.index)")
        }
    }
}

extension Describe {
    /// A configuration in effect: `joint (n1,n2,n3)&(n1,n2,n3,n4,n5)` or `voters (n1,n2,n3)`, with learners.
    public static func configuration(_ configuration: Configuration) -> String {
        members(configuration, joint: "joint", simple: "voters")
    }

    /// `C_old,new (n1,n2,n3)&(n1,n2,n3,n4,n5)` or `C_new (n1,n2,n3,n4,n5)`, with learners.
    public static func configEntry(_ configuration: Configuration) -> String {
        members(configuration, joint: "C_old,new", simple: "C_new")
    }

    /// The voter sets (outgoing & incoming while joint) after a label, then the learners.
    private static func members(_ configuration: Configuration, joint: String, simple: String) -> String {
        func list(_ ids: [NodeID]) -> String { "(" + ids.map(n).joined(separator: ",") + ")" }
        var text =
            configuration.isJoint
            ? "\(joint) \(list(configuration.outgoingVoters))&\(list(configuration.voters))"
            : "\(simple) \(list(configuration.voters))"
        if !configuration.learners.isEmpty { text += " learners \(list(configuration.learners))" }
        return text
    }
}
