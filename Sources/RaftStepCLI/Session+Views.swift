import RaftCore
import RaftSim

/// Handlers of the commands that only look: `status`, `log`, `msgs`, `ladder`, `svg`, `kv`,
/// `violations`, `help`.
extension Session {
    func status() -> Outcome {
        Outcome(lines: Render.status(cluster, color: color))
    }

    func log(_ id: NodeID?, from: UInt64?) -> Outcome {
        Outcome(lines: Render.log(cluster, node: id, from: from, color: color, width: width))
    }

    func msgs() -> Outcome {
        Outcome(lines: Render.messages(cluster))
    }

    func ladder(count: Int) -> Outcome {
        Outcome(lines: Ladder.render(cluster, count: count, width: width, color: color))
    }

    func svg(_ path: String) throws(CommandError) -> Outcome {
        let events = cluster.timeline.events.count
        let title = "raftstep: \(cluster.ids.count) nodes, seed \(cluster.options.seed), \(events) events"
        if let error = FileIO.write(path, SVGTimeline.render(cluster, title: title)) { throw CommandError(error.message, command: "svg") }
        return Outcome(lines: [
            "wrote the timeline of \(events) event\(events == 1 ? "" : "s") to \(path) (open it in a browser; hover over an arrow for the message)"
        ])
    }

    func kv(_ id: NodeID?) -> Outcome {
        Outcome(lines: Render.kv(cluster, node: id))
    }

    func violations() -> Outcome {
        if cluster.violations.isEmpty { return Outcome(lines: ["no invariant violation so far"]) }
        return Outcome(lines: cluster.violations.map { paint("!! \($0)", Style.red) })
    }

    /// `help`: the table of commands; `help NAME`: one command's usage and details.
    func help(_ name: String?) -> Outcome {
        if let name, let info = CommandTable.info(name) {
            return Outcome(lines: ["usage: \(info.usage)", "  \(info.summary)"] + info.details.map { "  " + $0 })
        }
        var lines = ["commands (help COMMAND for details; NODE is n1…n\(cluster.ids.count), ID a message id like 12 or #12):"]
        for info in CommandTable.all {
            lines.append("  " + info.name.padding(11) + info.summary)
        }
        return Outcome(lines: lines)
    }
}
