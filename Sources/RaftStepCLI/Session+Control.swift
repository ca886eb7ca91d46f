import RaftCore
import RaftSim

/// Session control: `undo`, `save`, `load`, `reset` (`load FILE step` and `next` are in
/// Session+Stepping.swift).
extension Session {
    /// Replays `lines` on a fresh cluster (what `undo` does); on a failure the session is as it was.
    func rebuild(replaying lines: [String]) throws(CommandError) {
        let fresh: Cluster
        do { fresh = try Cluster(options: initialOptions.cluster) } catch { throw CommandError(error.message) }
        let saved = (cluster, history, stopsOnViolation, historyGroups)
        cluster = fresh
        history = []
        stopsOnViolation = true
        cluster.isNarrating = false
        loadDepth += 1
        defer { loadDepth -= 1 }
        for line in lines {
            let result = execute(line)
            if result.status == .error {
                (cluster, history, stopsOnViolation, historyGroups) = saved
                throw CommandError("replay failed at '\(line)': \(result.lines.first ?? "")")
            }
        }
        cluster.isNarrating = true
    }

    /// `undo`: replays the history without its last group.
    func undo() throws(CommandError) -> Outcome {
        guard let group = historyGroups.last, group <= history.count else { throw CommandError("nothing to undo", command: "undo") }
        if initialOptions.cluster.dataDirectory != nil {
            throw CommandError("undo replays the session from the start, which needs simulated disks (not --data-dir)", command: "undo")
        }
        let undone = history.suffix(group)
        let groups = Array(historyGroups.dropLast())
        let cursors = Array(cursorBeforeGroup.dropLast())
        let cursor = cursorBeforeGroup.last
        try rebuild(replaying: Array(history.dropLast(group)))
        historyGroups = groups
        cursorBeforeGroup = cursors
        if let cursor, steppedScript != nil { steppedScript!.cursor = cursor }
        let what = group == 1 ? "'\(undone.first!)'" : "\(group) commands ('\(undone.first!)' … '\(undone.last!)')"
        return Outcome(lines: ["undid \(what) (replayed \(history.count) command\(history.count == 1 ? "" : "s"))"])
    }

    /// The session as a script that replays to the same state.
    public func script() -> String {
        let o = initialOptions.cluster
        var text = "# raftstep session: replay with `raftstep --script FILE` or `load FILE`\n"
        text += "reset nodes=\(o.nodeCount)\(o.voterCount.map { " voters=\($0)" } ?? "") seed=\(o.seed)\n"
        if o.electionTicks != ClusterOptions().electionTicks { text += "set election-ticks \(o.electionTicks)\n" }
        if o.heartbeatTicks != ClusterOptions().heartbeatTicks { text += "set heartbeat-ticks \(o.heartbeatTicks)\n" }
        for line in history { text += line + "\n" }
        return text
    }

    /// `load FILE`: runs a script's commands (`undo` takes them back whole).
    func load(_ path: String) throws(CommandError) -> Outcome {
        guard loadDepth < 8 else { throw CommandError("load nests more than 8 deep", command: "load") }
        let text: String
        switch FileIO.read(path) {
        case .success(let t): text = t
        case .failure(let e): throw CommandError(e.message, command: "load")
        }
        loadDepth += 1
        defer { loadDepth -= 1 }
        var lines: [String] = []
        var status = CommandStatus.ok
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let command = String(line)
            if Session.tokenize(command).isEmpty { continue }
            lines.append("> " + command)
            let result = execute(command)
            lines.append(contentsOf: result.lines)
            if result.status == .error || result.status == .expectationFailed {
                lines.append("load stopped at \(path):\(number + 1)")
                status = result.status
                break
            }
            if result.status == .quit { break }
        }
        return Outcome(lines: lines, status: status)
    }

    /// `reset [nodes=N] [voters=K] [seed=S]`: a fresh cluster (voters: all unless given).
    func reset(nodes: Int?, voters: Int?, seed: UInt64?) throws(CommandError) -> Outcome {
        try checkState(before: "reset")
        var options = initialOptions.cluster
        options.voterCount = voters
        if let nodes { options.nodeCount = nodes }
        if let seed { options.seed = seed }
        let fresh: Cluster
        do { fresh = try Cluster(options: options) } catch { throw CommandError(error.message, command: "reset") }
        cluster = fresh
        return Outcome(lines: [banner], mutates: true)
    }

    /// `save FILE`: the session as a script.
    func save(_ path: String) throws(CommandError) -> Outcome {
        if let error = FileIO.write(path, script()) { throw CommandError(error.message, command: "save") }
        return Outcome(lines: ["saved \(history.count) command\(history.count == 1 ? "" : "s") to \(path)"])
    }

}
