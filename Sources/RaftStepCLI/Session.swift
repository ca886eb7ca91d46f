import RaftCore
import RaftSim

/// How a session starts.
public struct SessionOptions: Sendable {
    /// The cluster to build.
    public var cluster = ClusterOptions()
    /// Colour in `log`, `status` and violations.
    public var color = false
    /// Creates default options.
    public init() {}
}

/// What a command did.
public enum CommandStatus: Equatable, Sendable {
    /// It worked (or was a comment or blank line).
    case ok
    /// Bad input: the cluster is unchanged.
    case error
    /// An `expect` did not hold.
    case expectationFailed
    /// The command ran, and the invariant checker found a violation.
    case violation
    /// The user asked to leave.
    case quit
}

/// The output of one command.
public struct CommandResult: Sendable {
    /// Lines to print.
    public var lines: [String]
    /// How it went.
    public var status: CommandStatus
}

/// A REPL session: one cluster, the command history (for `undo` and `save`), and the settings
/// of the session itself. Every line goes through `execute(_:)`; nothing here touches a terminal.
public final class Session {
    /// The options the session started with.
    public let initialOptions: SessionOptions
    /// The cluster.
    public internal(set) var cluster: Cluster
    /// Colour output.
    public var color: Bool
    /// The terminal's width in columns: the log grid and the ladder fit in it.
    public var width = 80
    /// Whether a violation stops a script (`set on-violation stop|continue`).
    public internal(set) var stopsOnViolation = true
    /// Commands that changed the state, in order (what `undo` replays and `save` writes).
    public internal(set) var history: [String] = []
    /// How many lines of `history` each top-level command added (a `load` adds many; `undo`
    /// takes back one group).
    var historyGroups: [Int] = []
    /// For each group of `historyGroups`, where the stepped script stood before it (`undo` of a
    /// `next` puts its command back).
    var cursorBeforeGroup: [Int] = []
    var loadDepth = 0
    /// A script loaded with `load FILE step`, run one command at a time by `next`.
    var steppedScript: SteppedScript?
    /// The exit code of the last `logdump` command (`expect exit N`).
    var lastLogdumpExit: Int32?

    /// Starts a session; fails when the cluster options are invalid or the data directory is not empty.
    public init(options: SessionOptions) throws(SimError) {
        initialOptions = options
        color = options.color
        cluster = try Cluster(options: options.cluster)
    }

    /// The first lines to print: what cluster this is, and its seed.
    public var banner: String {
        let o = cluster.options
        let names = cluster.ids.map { "n\($0)" }.joined(separator: " ")
        var text = "raftstep: \(o.nodeCount) node\(o.nodeCount == 1 ? "" : "s") (\(names)), seed \(o.seed)"
        if let voters = o.voterCount, voters < o.nodeCount { text += ", voters n1…n\(voters)" }
        if let dir = o.dataDirectory { text += ", data in \(dir)" }
        for line in cluster.startupLines { text += "\n" + line }
        return text
    }

    // MARK: Executing

    /// Runs one line and says what happened.
    public func execute(_ line: String) -> CommandResult {
        let words = Command.tokenize(line)
        guard !words.isEmpty else { return CommandResult(lines: [], status: .ok) }
        let violationsBefore = cluster.violations.count
        let historyBefore = history.count
        let groupsBefore = historyGroups.count
        let cursorBefore = steppedScript?.cursor ?? 0
        defer {
            if loadDepth == 0 && history.count > historyBefore && historyGroups.count == groupsBefore {
                historyGroups.append(history.count - historyBefore)
                cursorBeforeGroup.append(cursorBefore)
            }
        }
        let outcome: Outcome
        do {
            try checkState(before: words[0])
            outcome = try perform(try Command.parse(words: words, nodeCount: cluster.ids.count))
        } catch {
            return CommandResult(lines: [render(error)], status: .error)
        }
        // What `undo` replays and `save` writes is the line as typed (its words), not the canonical spelling.
        if outcome.mutates { history.append(Session.normalized(words)) }
        var final = CommandResult(lines: outcome.lines, status: outcome.status)
        if color {
            final.lines = final.lines.map { $0.hasPrefix("  !!") ? paint($0, Style.red) : $0 }
        }
        if cluster.violations.count > violationsBefore && final.status == .ok {
            final.status = .violation
            let fresh = cluster.violations[violationsBefore...]
            final.lines.append(
                paint(
                    "!! \(fresh.count) invariant violation\(fresh.count == 1 ? "" : "s"): " + fresh.map(\.invariant).joined(separator: ", "),
                    Style.red))
        }
        return final
    }

    /// What the session's state rules out whatever the arguments say: `next` without a script
    /// to step through, `reset` on real disks. These are reported before the arguments' problems,
    /// as the REPL always has.
    func checkState(before name: String) throws(CommandError) {
        switch name {
        case "next":
            guard let script = steppedScript else { throw CommandError("no script is loaded for stepping (`load FILE step`)", command: "next") }
            guard !script.isFinished else { throw CommandError("end of \(script.path): every command ran", command: "next") }
        case "reset":
            if initialOptions.cluster.dataDirectory != nil { throw CommandError("reset needs simulated disks (not --data-dir)", command: "reset") }
        default:
            break
        }
    }

    /// `error: MESSAGE — usage: USAGE`, naming this cluster's nodes.
    func render(_ error: CommandError) -> String {
        let usage = error.command.flatMap { CommandTable.info($0)?.usage }
        return "error: \(error.message(nodeCount: cluster.ids.count))" + (usage.map { " — usage: \($0)" } ?? "")
    }

    /// What a handler did.
    struct Outcome {
        var lines: [String]
        var status: CommandStatus = .ok
        /// Whether the command changed the cluster or the session (it goes into the history).
        var mutates = false
    }

    /// Refusals from handlers: the same type the parser throws.
    typealias UsageError = CommandError

    /// Splits a line into words (`Command.tokenize`).
    static func tokenize(_ line: String) -> [String] { Command.tokenize(line) }

    static func normalized(_ words: [String]) -> String { words.joined(separator: " ") }

    /// Runs a simulator call for `command`, its refusal becoming the command's error.
    func sim<T>(_ command: String, _ body: () throws(SimError) -> T) throws(CommandError) -> T {
        do { return try body() } catch { throw CommandError(error.message, command: command) }
    }

    /// Runs one parsed command: one handler per command, grouped in files by what they touch.
    func perform(_ command: Command) throws(CommandError) -> Outcome {
        switch command {
        case .deliver(let selector): return try deliver(selector)
        case .drop(let selector): return try drop(selector)
        case .duplicate(let selector): return try duplicate(selector)
        case .tick(let nodes, let count): return try tick(nodes, count: count ?? 1)
        case .run(let ticks): return try run(ticks: ticks ?? 10)
        case .stabilize(let limit): return try stabilize(limit: limit ?? Cluster.defaultStabilizeLimit)
        case .partition(let groups): return try partition(groups)
        case .cut(let from, let to): return try cut(from: from, to: to)
        case .heal: return heal()
        case .healLink(let from, let to): return try healLink(from: from, to: to)
        case .replay(let id): return try replay(id)
        case .delay(let id, let deliveries): return try delay(id, deliveries: deliveries)
        case .crash(let id): return try crash(id)
        case .restart(let id): return try restart(id)
        case .crashAfter(let id, let operations): return try crash(id, afterOperations: operations)
        case .crashAll: return try crashAll()
        case .restartAll: return try restartAll()
        case .backup(let id): return try backup(id)
        case .restore(let id): return try restore(id)
        case .removeNodes(let ids): return try remove(ids)
        case .campaign(let id): return try campaign(id)
        case .transfer(let id): return try transfer(to: id)
        case .propose(let node, let text): return try propose(text, on: node)
        case .read(let node, let key): return try read(key, on: node)
        case .setlog(let id, let terms, let hardTerm): return try setlog(id, terms: terms, hardTerm: hardTerm)
        case .add(let ids, let learner): return try add(ids, learner: learner)
        case .remove(let id): return try remove(id)
        case .promote(let id): return try promote(id)
        case .compact(let id, let index): return try compact(id, through: index)
        case .status: return status()
        case .log(let node, let from): return log(node, from: from)
        case .msgs: return msgs()
        case .ladder(let count): return ladder(count: count ?? Ladder.defaultCount)
        case .svg(let path): return try svg(path)
        case .kv(let node): return kv(node)
        case .violations: return violations()
        case .help(let name): return help(name)
        case .expect(let words): return try expect(words)
        case .set(let setting): return try set(setting)
        case .disk(let disk): return try diskCommand(disk)
        case .logdump(let args): return logdumpCommand(args)
        case .undo: return try undo()
        case .save(let path): return try save(path)
        case .load(let path, let step): return step ? try loadStepped(path) : try load(path)
        case .next(let count): return try next(count)
        case .reset(let nodes, let voters, let seed): return try reset(nodes: nodes, voters: voters, seed: seed)
        case .quit: return Outcome(lines: [], status: .quit)
        }
    }

    // MARK: Colour

    enum Style {
        static let red = "31"
        static let bold = "1"
        static let dim = "2"
    }

    func paint(_ text: String, _ code: String) -> String {
        color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
    func leftPadding(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
