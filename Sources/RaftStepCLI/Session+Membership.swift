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

    func promote(_ id: NodeID) throws(CommandError) -> Outcome {
        Outcome(lines: try sim("promote") { () throws(SimError) in try cluster.changeMembership([.promote(id)]) }, mutates: true)
    }

    func compact(_ id: NodeID, through index: UInt64?) throws(CommandError) -> Outcome {
        Outcome(lines: try sim("compact") { () throws(SimError) in try cluster.compact(id, through: index) }, mutates: true)
    }

    func memberNode(_ word: String, for command: String) throws(CommandError) -> NodeID {
        guard let id = NodeName.parse(word) else { throw CommandError(.notANodeName(word), command: command) }
        guard id >= 1 && id <= UInt64(cluster.ids.count) else { throw CommandError(.noSuchNode(id), command: command) }
        return id
    }

    /// `expect snapshot NODE|all INDEX[@TERM]|none`: the node's latest snapshot ends at INDEX (of TERM).
    func expectSnapshot(_ rest: [String]) throws(CommandError) -> Outcome {
        let name = "expect"
        let usage = "expected: expect snapshot NODE|all INDEX[@TERM]|none"
        guard rest.count == 2 else { throw CommandError(usage, command: name) }
        var ids: [NodeID]
        if rest[0] == "all" {
            ids = cluster.upNodes
            if ids.isEmpty { throw CommandError("every node is down, so 'all' names nobody", command: name) }
        } else {
            ids = [try memberNode(rest[0], for: name)]
        }
        var wantIndex: UInt64?
        var wantTerm: UInt64?
        if rest[1] != "none" {
            let parts = rest[1].split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count <= 2, parts[0].count <= 20, let index = UInt64(parts[0]), index >= 1 else { throw CommandError(usage, command: name) }
            wantIndex = index
            if parts.count == 2 {
                guard parts[1].count <= 20, let term = UInt64(parts[1]) else { throw CommandError(usage, command: name) }
                wantTerm = term
            }
        }
        var failures: [String] = []
        for id in ids {
            guard let node = cluster.node(id) else { failures.append("n\(id) is down"); continue }
            let have = node.latestSnapshot?.metadata
            let haveText = have.map { "a snapshot through \($0.index)@\($0.term)" } ?? "no snapshot"
            let ok = wantIndex == nil ? have == nil : (have?.index == wantIndex && (wantTerm == nil || have?.term == wantTerm))
            if !ok { failures.append("n\(id) has \(haveText), expected \(wantIndex == nil ? "none" : "one through \(rest[1])")") }
        }
        if failures.isEmpty { return Outcome(lines: ["ok: \(rest[0]) has \(wantIndex == nil ? "no snapshot" : "a snapshot through \(rest[1])")"]) }
        return Outcome(lines: failures.map { "expect failed: \($0)" }, status: .expectationFailed)
    }

    /// `expect config NODE|all voters=n1,n2,n3 [old=n1,n2,n3] [learners=n4]`: the configuration in
    /// effect at each node; `old=` names C_old of a joint configuration (without it: not joint).
    func expectConfig(_ rest: [String]) throws(CommandError) -> Outcome {
        let name = "expect"
        let usage = "expected: expect config NODE|all voters=n1,n2,… [old=n1,n2,…] [learners=n4,…]"
        guard let target = rest.first, rest.count >= 2 else { throw CommandError(usage, command: name) }
        var ids: [NodeID]
        if target == "all" {
            ids = cluster.upNodes
            if ids.isEmpty { throw CommandError("every node is down, so 'all' names nobody", command: name) }
        } else {
            ids = [try memberNode(target, for: name)]
        }
        var voters: [NodeID]?
        var old: [NodeID] = []
        var learners: [NodeID] = []
        for word in rest.dropFirst() {
            guard let eq = word.firstIndex(of: "=") else { throw CommandError(usage, command: name) }
            let key = String(word[..<eq])
            let listText = word[word.index(after: eq)...]
            var list: [NodeID] = []
            for item in listText.split(separator: ",") {
                list.append(try memberNode(String(item), for: name))
            }
            switch key {
            case "voters", "new": voters = list
            case "old": old = list
            case "learners": learners = list
            default: throw CommandError(usage, command: name)
            }
        }
        guard let voters, !voters.isEmpty else { throw CommandError(usage, command: name) }
        guard !learners.contains(where: { voters.contains($0) || old.contains($0) }) else { throw CommandError("a learner is not also a voter", command: name) }
        let want = Configuration(voters: voters, outgoingVoters: old, learners: learners)
        var failures: [String] = []
        for id in ids {
            guard let have = cluster.configuration(of: id) else { failures.append("n\(id) is down"); continue }
            if have != want { failures.append("n\(id) has \(Describe.configuration(have)), expected \(Describe.configuration(want))") }
        }
        if failures.isEmpty { return Outcome(lines: ["ok: configuration of \(target) is \(Describe.configuration(want))"]) }
        return Outcome(lines: failures.map { "expect failed: \($0)" }, status: .expectationFailed)
    }
}
