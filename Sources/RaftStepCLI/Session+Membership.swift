import RaftCore
import RaftSim

/// Handlers of the membership and snapshot commands: `add`, `remove`, `promote`, `compact`;
/// `expect config` and `expect snapshot`.
extension Session {
    func add(_ ids: [NodeID], learner: Bool) throws(CommandError) -> Outcome {
        let changes: [ConfigChange] = ids.map { learner ? .addLearner($0) : .addVoter($0) }
        return Outcome(lines: try sim("add") { () throws(SimError) in try cluster.changeMembership(changes) }, mutates: true)
    }

    func remove(_ id: NodeID) throws(CommandError) -> Outcome {
        Outcome(lines: try sim("remove") { () throws(SimError) in try cluster.changeMembership([.remove(id)]) }, mutates: true)
    }

    func remove(_ ids: [NodeID]) throws(CommandError) -> Outcome {
        Outcome(lines: try sim("remove") { () throws(SimError) in try cluster.changeMembership(ids.map { .remove($0) }) }, mutates: true)
    }

    func promote(_ id: NodeID) throws(CommandError) -> Outcome {
        Outcome(lines: try sim("promote") { () throws(SimError) in try cluster.changeMembership([.promote(id)]) }, mutates: true)
    }

    func compact(_ id: NodeID, through index: UInt64?) throws(CommandError) -> Outcome {
        Outcome(lines: try sim("compact") { () throws(SimError) in try cluster.compact(id, through: index) }, mutates: true)
    }

    /// `expect snapshot NODE|all INDEX[@TERM]|none`: the node's latest snapshot ends at INDEX (of TERM).
    func checkSnapshot(_ nodes: Expectation.Nodes, index wantIndex: UInt64?, term wantTerm: UInt64?) throws(CommandError) -> ExpectationCheck {
        let ids = try expectedNodes(nodes)
        let through = wantIndex.map { "\($0)" + (wantTerm.map { "@\($0)" } ?? "") } ?? "none"
        var failures: [String] = []
        for id in ids {
            guard let node = cluster.node(id) else { failures.append("n\(id) is down"); continue }
            let have = node.latestSnapshot?.metadata
            let haveText = have.map { "a snapshot through \($0.index)@\($0.term)" } ?? "no snapshot"
            let ok = wantIndex == nil ? have == nil : (have?.index == wantIndex && (wantTerm == nil || have?.term == wantTerm))
            if !ok { failures.append("n\(id) has \(haveText), expected \(wantIndex == nil ? "none" : "one through \(through)")") }
        }
        return ExpectationCheck(failures: failures, summary: "\(nodes) has \(wantIndex == nil ? "no snapshot" : "a snapshot through \(through)")")
    }

    /// `expect config NODE|all voters=n1,n2,n3 [old=n1,n2,n3] [learners=n4]`: the configuration in
    /// effect at each node; `old=` names C_old of a joint configuration (without it: not joint).
    func checkConfig(_ nodes: Expectation.Nodes, voters: [NodeID], old: [NodeID], learners: [NodeID]) throws(CommandError) -> ExpectationCheck {
        let ids = try expectedNodes(nodes)
        let want = Configuration(voters: voters, outgoingVoters: old, learners: learners)
        var failures: [String] = []
        for id in ids {
            guard let have = cluster.configuration(of: id) else { failures.append("n\(id) is down"); continue }
            if have != want { failures.append("n\(id) has \(Describe.configuration(have)), expected \(Describe.configuration(want))") }
        }
        return ExpectationCheck(failures: failures, summary: "configuration of \(nodes) is \(Describe.configuration(want))")
    }
}
