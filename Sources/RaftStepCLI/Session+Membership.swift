import RaftCore
import RaftSim

/// Membership and snapshot commands: `add`, `remove`, `promote`, `compact`, `set compact-threshold`,
/// `expect config`.
extension Session {
    /// Commands handled here.
    static let membershipCommands = ["add", "remove", "promote", "compact"]

    private func memberNode(_ word: String, for command: String) throws(UsageError) -> NodeID {
        guard let id = NodeName.parse(word) else { throw UsageError("'\(word)' is not a node name (n1…n\(cluster.ids.count))", command: command) }
        guard id >= 1 && id <= UInt64(cluster.ids.count) else { throw UsageError("no node n\(id): this cluster has n1…n\(cluster.ids.count)", command: command) }
        return id
    }

    func runMembership(_ name: String, _ args: [String]) throws(UsageError) -> Outcome {
        func sim(_ body: () throws(SimError) -> [String]) throws(UsageError) -> [String] {
            do { return try body() } catch { throw UsageError(error.message, command: name) }
        }
        switch name {
        case "add":
            // `add n4 n5` adds both in one joint step; `learner` at the end makes them learners.
            let learner = args.last == "learner"
            let names = learner ? Array(args.dropLast()) : args
            guard !names.isEmpty else { throw UsageError("name a node", command: name) }
            var changes: [ConfigChange] = []
            for word in names {
                let id = try memberNode(word, for: name)
                if changes.contains(where: { $0.node == id }) { throw UsageError("\(word) is named twice", command: name) }
                changes.append(learner ? .addLearner(id) : .addVoter(id))
            }
            return Outcome(lines: try sim { () throws(SimError) in try cluster.changeMembership(changes) }, mutates: true)
        case "remove", "promote":
            guard args.count == 1 else { throw UsageError(args.isEmpty ? "name a node" : "expected one node", command: name) }
            let id = try memberNode(args[0], for: name)
            let change: ConfigChange = name == "remove" ? .remove(id) : .promote(id)
            return Outcome(lines: try sim { () throws(SimError) in try cluster.changeMembership([change]) }, mutates: true)
        case "compact":
            guard args.count == 1 || args.count == 2 else { throw UsageError(args.isEmpty ? "name a node" : "expected: compact NODE [INDEX]", command: name) }
            let id = try memberNode(args[0], for: name)
            var index: UInt64?
            if args.count == 2 {
                guard args[1].count <= 20, let value = UInt64(args[1]), value >= 1 else { throw UsageError("'\(args[1])' is not a valid index", command: name) }
                index = value
            }
            return Outcome(lines: try sim { () throws(SimError) in try cluster.compact(id, through: index) }, mutates: true)
        default:
            throw UsageError("unknown command '\(name)'", command: "help")
        }
    }

    /// `set compact-threshold N`.
    func setCompactThreshold(_ args: [String]) throws(UsageError) -> Outcome {
        guard args.count == 2, args[1].count <= 8, let value = Int(args[1]), value >= 0 else {
            throw UsageError("expected: set compact-threshold N (0: off)", command: "set")
        }
        do { return Outcome(lines: try cluster.setCompactThreshold(value), mutates: true) } catch { throw UsageError(error.message, command: "set") }
    }

    /// `expect snapshot NODE|all INDEX[@TERM]|none`: the node's latest snapshot ends at INDEX (of TERM).
    func expectSnapshot(_ rest: [String]) throws(UsageError) -> Outcome {
        let name = "expect"
        let usage = "expected: expect snapshot NODE|all INDEX[@TERM]|none"
        guard rest.count == 2 else { throw UsageError(usage, command: name) }
        var ids: [NodeID]
        if rest[0] == "all" {
            ids = cluster.upNodes
            if ids.isEmpty { throw UsageError("every node is down, so 'all' names nobody", command: name) }
        } else {
            ids = [try memberNode(rest[0], for: name)]
        }
        var wantIndex: UInt64?
        var wantTerm: UInt64?
        if rest[1] != "none" {
            let parts = rest[1].split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count <= 2, parts[0].count <= 20, let index = UInt64(parts[0]), index >= 1 else { throw UsageError(usage, command: name) }
            wantIndex = index
            if parts.count == 2 {
                guard parts[1].count <= 20, let term = UInt64(parts[1]) else { throw UsageError(usage, command: name) }
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
    func expectConfig(_ rest: [String]) throws(UsageError) -> Outcome {
        let name = "expect"
        let usage = "expected: expect config NODE|all voters=n1,n2,… [old=n1,n2,…] [learners=n4,…]"
        guard let target = rest.first, rest.count >= 2 else { throw UsageError(usage, command: name) }
        var ids: [NodeID]
        if target == "all" {
            ids = cluster.upNodes
            if ids.isEmpty { throw UsageError("every node is down, so 'all' names nobody", command: name) }
        } else {
            ids = [try memberNode(target, for: name)]
        }
        var voters: [NodeID]?
        var old: [NodeID] = []
        var learners: [NodeID] = []
        for word in rest.dropFirst() {
            guard let eq = word.firstIndex(of: "=") else { throw UsageError(usage, command: name) }
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
            default: throw UsageError(usage, command: name)
            }
        }
        guard let voters, !voters.isEmpty else { throw UsageError(usage, command: name) }
        guard !learners.contains(where: { voters.contains($0) || old.contains($0) }) else { throw UsageError("a learner is not also a voter", command: name) }
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
