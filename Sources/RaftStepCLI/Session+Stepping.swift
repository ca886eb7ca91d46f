import RaftSim

/// Stepping through a script one command at a time (`load FILE step`, then `next`), so that a
/// learner can watch a saved session or an explorer failure unfold and `undo` any one step.
struct SteppedScript {
    /// The file it came from.
    var path: String
    /// Its commands (blank and comment lines left out), with their line numbers.
    var commands: [(line: Int, text: String)]
    /// The index of the next command to run.
    var cursor = 0

    var isFinished: Bool { cursor >= commands.count }

    /// `next: > COMMAND (line L, K of N)` or the end.
    var upcoming: String {
        guard !isFinished else { return "end of \(path): every command ran (`undo` steps back)" }
        let next = commands[cursor]
        return "next (\(cursor + 1) of \(commands.count), line \(next.line)): \(next.text)"
    }
}

extension Session {
    /// `load FILE step`: reads a script without running it.
    func loadStepped(_ path: String) throws(CommandError) -> Outcome {
        let text: String
        switch FileIO.read(path) {
        case .success(let t): text = t
        case .failure(let e): throw CommandError(e.message, command: "load")
        }
        var commands: [(line: Int, text: String)] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let command = String(line).trimmingTrailingSpaces()
            if !Session.tokenize(command).isEmpty { commands.append((number + 1, command)) }
        }
        guard !commands.isEmpty else { throw CommandError("\(path) has no command", command: "load") }
        steppedScript = SteppedScript(path: path, commands: commands)
        return Outcome(lines: [
            "loaded \(commands.count) command\(commands.count == 1 ? "" : "s") from \(path) without running them;",
            "`next` runs one (`next N`: N, `next all`: the rest), `undo` takes one back",
            steppedScript!.upcoming,
        ])
    }

    /// `next [N|all]`: runs the stepped script's next commands (one step for `undo`).
    func next(_ requested: Command.Count?) throws(CommandError) -> Outcome {
        try checkState(before: "next")
        guard var script = steppedScript else { preconditionFailure("checkState lets `next` through only with a script") }
        let count: Int
        switch requested {
        case nil: count = 1
        case .all: count = script.commands.count - script.cursor
        case .count(let value): count = value
        }
        // The commands run as part of this `next`: together they are one step for `undo`.
        loadDepth += 1
        defer { loadDepth -= 1 }
        var lines: [String] = []
        var status = CommandStatus.ok
        for _ in 0..<count where !script.isFinished {
            let command = script.commands[script.cursor]
            script.cursor += 1
            steppedScript = script
            lines.append("> " + command.text)
            let result = execute(command.text)
            lines.append(contentsOf: result.lines)
            if result.status == .error || result.status == .expectationFailed || result.status == .quit {
                lines.append("stopped at \(script.path):\(command.line)")
                status = result.status == .quit ? .ok : result.status
                break
            }
        }
        lines.append(script.upcoming)
        return Outcome(lines: lines, status: status)
    }
}
