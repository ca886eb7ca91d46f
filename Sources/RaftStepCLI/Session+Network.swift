import RaftCore
import RaftSim

/// Handlers of the commands that move messages and time: `deliver`, `drop`, `duplicate`,
/// `stabilize`, `partition`, `cut`, `heal`, `replay`, `delay`, `tick`, `run`.
extension Session {
    func deliver(_ selector: Cluster.Selector) throws(CommandError) -> Outcome {
        Outcome(lines: try sim("deliver") { () throws(SimError) in try cluster.deliver(selector) }, mutates: true)
    }

    func drop(_ selector: Cluster.Selector) throws(CommandError) -> Outcome {
        Outcome(lines: try sim("drop") { () throws(SimError) in try cluster.drop(selector) }, mutates: true)
    }

    func duplicate(_ selector: Cluster.Selector) throws(CommandError) -> Outcome {
        Outcome(lines: try sim("duplicate") { () throws(SimError) in try cluster.duplicate(selector) }, mutates: true)
    }

    func stabilize(limit: Int) throws(CommandError) -> Outcome {
        Outcome(lines: try sim("stabilize") { () throws(SimError) in try cluster.stabilize(limit: limit) }, mutates: true)
    }

    func partition(_ groups: [[NodeID]]) throws(CommandError) -> Outcome {
        Outcome(lines: try sim("partition") { () throws(SimError) in try cluster.partition(groups) }, mutates: true)
    }

    func cut(from: NodeID, to: NodeID) throws(CommandError) -> Outcome {
        Outcome(lines: try sim("cut") { () throws(SimError) in try cluster.cutLink(from: from, to: to) }, mutates: true)
    }

    func heal() -> Outcome {
        Outcome(lines: cluster.heal(), mutates: true)
    }

    func healLink(from: NodeID, to: NodeID) throws(CommandError) -> Outcome {
        Outcome(lines: try sim("heal") { () throws(SimError) in try cluster.healLink(from: from, to: to) }, mutates: true)
    }

    func replay(_ id: Int) throws(CommandError) -> Outcome {
        Outcome(lines: try sim("replay") { () throws(SimError) in try cluster.replay(id) }, mutates: true)
    }

    func delay(_ id: Int, deliveries: Int) throws(CommandError) -> Outcome {
        Outcome(lines: try sim("delay") { () throws(SimError) in try cluster.delay(id, deliveries: deliveries) }, mutates: true)
    }

    func tick(_ nodes: [NodeID], count: Int) throws(CommandError) -> Outcome {
        Outcome(lines: try sim("tick") { () throws(SimError) in try cluster.tick(nodes, count: count) }, mutates: true)
    }

    func run(ticks: Int) throws(CommandError) -> Outcome {
        Outcome(lines: try sim("run") { () throws(SimError) in try cluster.run(ticks: ticks) }, mutates: true)
    }
}
