import RaftCore
import RaftSim

/// Handlers of the commands addressed to one node or its client: `crash`, `restart`,
/// `campaign`, `transfer`, `propose`, `read`, `setlog`; `crash NODE after K`, `crash all`,
/// `restart all`, `backup`, `restore`.
extension Session {
    func crash(_ id: NodeID) throws(CommandError) -> Outcome {
        Outcome(lines: try sim("crash") { () throws(SimError) in try cluster.crash(id) }, mutates: true)
    }

    func restart(_ id: NodeID) throws(CommandError) -> Outcome {
        Outcome(lines: try sim("restart") { () throws(SimError) in try cluster.restart(id) }, mutates: true)
    }

    func crash(_ id: NodeID, afterOperations operations: Int) throws(CommandError) -> Outcome {
        Outcome(lines: try sim("crash") { () throws(SimError) in try cluster.crash(id, afterOperations: operations) }, mutates: true)
    }

    func crashAll() throws(CommandError) -> Outcome {
        Outcome(lines: try sim("crash") { () throws(SimError) in try cluster.crashAll() }, mutates: true)
    }

    func restartAll() throws(CommandError) -> Outcome {
        Outcome(lines: try sim("restart") { () throws(SimError) in try cluster.restartAll() }, mutates: true)
    }

    func backup(_ id: NodeID) throws(CommandError) -> Outcome {
        Outcome(lines: try sim("backup") { () throws(SimError) in try cluster.backup(id) }, mutates: true)
    }

    func restore(_ id: NodeID) throws(CommandError) -> Outcome {
        Outcome(lines: try sim("restore") { () throws(SimError) in try cluster.restore(id) }, mutates: true)
    }

    func campaign(_ id: NodeID) throws(CommandError) -> Outcome {
        Outcome(lines: try sim("campaign") { () throws(SimError) in try cluster.campaign(id) }, mutates: true)
    }

    func transfer(to id: NodeID) throws(CommandError) -> Outcome {
        Outcome(lines: try sim("transfer") { () throws(SimError) in try cluster.transfer(to: id) }, mutates: true)
    }

    func propose(_ text: String, on target: NodeID?) throws(CommandError) -> Outcome {
        Outcome(lines: try sim("propose") { () throws(SimError) in try cluster.propose(text, on: target) }, mutates: true)
    }

    func read(_ key: String, on target: NodeID?) throws(CommandError) -> Outcome {
        Outcome(lines: try sim("read") { () throws(SimError) in try cluster.read(key, on: target) }, mutates: true)
    }

    func setlog(_ id: NodeID, terms: [UInt64], hardTerm: UInt64?) throws(CommandError) -> Outcome {
        Outcome(lines: try sim("setlog") { () throws(SimError) in try cluster.setLog(id, terms: terms, hardTerm: hardTerm) }, mutates: true)
    }
}
