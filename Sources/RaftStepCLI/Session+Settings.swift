import RaftCore
import RaftSim

/// The handler of `set`: protocol settings and knobs go to the cluster; `on-violation` and
/// `color` belong to the session.
extension Session {
    func set(_ setting: Command.Setting) throws(CommandError) -> Outcome {
        switch setting {
        case .protocol(let which, let on):
            return Outcome(lines: cluster.set(which, on), mutates: true)
        case .unsafe(let name, let on):
            guard let knob = UnsafeKnobs(name: name) else { throw CommandError("no knob '\(name)'", command: "set") }
            return Outcome(lines: cluster.setUnsafe(knob, name: name, on), mutates: true)
        case .sync(let id, let on):
            return Outcome(lines: try sim("set") { () throws(SimError) in try cluster.setSync(id, on) }, mutates: true)
        case .electionTicks(let ticks):
            return Outcome(
                lines: try sim("set") { () throws(SimError) in try cluster.setTiming(electionTicks: ticks, heartbeatTicks: nil) }, mutates: true)
        case .heartbeatTicks(let ticks):
            return Outcome(
                lines: try sim("set") { () throws(SimError) in try cluster.setTiming(electionTicks: nil, heartbeatTicks: ticks) }, mutates: true)
        case .nodeElectionTicks(let id, let ticks):
            return Outcome(
                lines: try sim("set") { () throws(SimError) in try cluster.setNodeTiming(id, electionTicks: ticks, heartbeatTicks: nil) },
                mutates: true)
        case .nodeHeartbeatTicks(let id, let ticks):
            return Outcome(
                lines: try sim("set") { () throws(SimError) in try cluster.setNodeTiming(id, electionTicks: nil, heartbeatTicks: ticks) },
                mutates: true)
        case .compactThreshold(let count):
            return Outcome(lines: try sim("set") { () throws(SimError) in try cluster.setCompactThreshold(count) }, mutates: true)
        case .localReads(let on):
            return Outcome(lines: cluster.setLocalReads(on), mutates: true)
        case .crashModel(let pages):
            return Outcome(lines: cluster.setCrashModel(pages: pages), mutates: true)
        case .onViolation(let stop):
            stopsOnViolation = stop
            return Outcome(lines: ["a violation \(stop ? "stops" : "does not stop") a script"], mutates: true)
        case .color(let on):
            color = on
            return Outcome(lines: ["colour \(on ? "on" : "off")"])
        }
    }
}
