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
    public private(set) var cluster: Cluster
    /// Colour output.
    public var color: Bool
    /// The terminal's width in columns: the log grid and the ladder fit in it.
    public var width = 80
    /// Whether a violation stops a script (`set on-violation stop|continue`).
    public private(set) var stopsOnViolation = true
    /// Commands that changed the state, in order (what `undo` replays and `save` writes).
    public private(set) var history: [String] = []
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
        let words = Session.tokenize(line)
        guard let name = words.first else { return CommandResult(lines: [], status: .ok) }
        let args = Array(words.dropFirst())
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
        var recorded = false
        let result: CommandResult
        do {
            let outcome = try run(name, args, line: line)
            recorded = outcome.mutates
            result = CommandResult(lines: outcome.lines, status: outcome.status)
        } catch {
            let usage = CommandTable.info(error.command ?? name)?.usage
            return CommandResult(lines: ["error: \(error.message)" + (usage.map { " — usage: \($0)" } ?? "")], status: .error)
        }
        if recorded { history.append(Session.normalized(words)) }
        var final = result
        if color {
            final.lines = final.lines.map { $0.hasPrefix("  !!") ? paint($0, Style.red) : $0 }
        }
        if cluster.violations.count > violationsBefore && final.status == .ok {
            final.status = .violation
            let fresh = cluster.violations[violationsBefore...]
            final.lines.append(paint("!! \(fresh.count) invariant violation\(fresh.count == 1 ? "" : "s"): " + fresh.map(\.invariant).joined(separator: ", "), Style.red))
        }
        return final
    }

    struct Outcome {
        var lines: [String]
        var status: CommandStatus = .ok
        var mutates = false
    }

    struct UsageError: Error {
        var message: String
        var command: String?
        init(_ message: String, command: String? = nil) {
            self.message = message
            self.command = command
        }
    }

    /// Splits a line into words; `#` at the start of a word that is not a message id starts a comment;
    /// `|` is always a word of its own.
    static func tokenize(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var chars = Array(line)
        var i = 0
        func flush() { if !current.isEmpty { words.append(current); current = "" } }
        while i < chars.count {
            let c = chars[i]
            if c == "#" && current.isEmpty {
                let next = i + 1 < chars.count ? chars[i + 1] : " "
                if !(next.isASCII && next.isNumber) { break }
            }
            if c == "|" { flush(); words.append("|"); i += 1; continue }
            if c.isWhitespace { flush() } else { current.append(c) }
            i += 1
        }
        flush()
        chars.removeAll()
        return words
    }

    /// Splits `n1->n2` at the arrow.
    static func arrow(in word: String) -> (from: String, to: String)? {
        let chars = Array(word)
        guard chars.count >= 2 else { return nil }
        for i in 0..<(chars.count - 1) where chars[i] == "-" && chars[i + 1] == ">" {
            return (String(chars[..<i]), String(chars[(i + 2)...]))
        }
        return nil
    }

    static func normalized(_ words: [String]) -> String { words.joined(separator: " ") }

    private func node(_ word: String, for command: String) throws(UsageError) -> NodeID {
        guard let id = NodeName.parse(word) else { throw UsageError("'\(word)' is not a node name (n1…n\(cluster.ids.count))", command: command) }
        guard id <= UInt64(cluster.ids.count) else { throw UsageError("no node n\(id): this cluster has n1…n\(cluster.ids.count)", command: command) }
        return id
    }

    private func number(_ word: String, _ what: String, for command: String) throws(UsageError) -> Int {
        guard word.count <= 12, let value = Int(word), value >= 0 else { throw UsageError("'\(word)' is not a valid \(what)", command: command) }
        return value
    }

    private func onOff(_ word: String?, for command: String) throws(UsageError) -> Bool {
        switch word {
        case "on": return true
        case "off": return false
        default: throw UsageError("expected on or off\(word.map { ", not '\($0)'" } ?? "")", command: command)
        }
    }

    private func sim<T>(_ command: String, _ body: () throws(SimError) -> T) throws(UsageError) -> T {
        do { return try body() } catch { throw UsageError(error.message, command: command) }
    }

    private func run(_ name: String, _ args: [String], line: String) throws(UsageError) -> Outcome {
        switch name {
        case "deliver", "drop", "duplicate":
            let selector = try parseSelector(args, for: name)
            let lines = try sim(name) { () throws(SimError) in
                switch name {
                case "deliver": return try cluster.deliver(selector)
                case "drop": return try cluster.drop(selector)
                default: return try cluster.duplicate(selector)
                }
            }
            return Outcome(lines: lines, mutates: true)
        case "tick":
            var nodes: [NodeID] = []
            var count = 1
            for (position, word) in args.enumerated() {
                if NodeName.parse(word) != nil { nodes.append(try node(word, for: name)); continue }
                guard position == args.count - 1 else { throw UsageError("'\(word)' is neither a node nor a final count", command: name) }
                count = try number(word, "count", for: name)
            }
            let lines = try sim(name) { () throws(SimError) in try cluster.tick(nodes, count: count) }
            return Outcome(lines: lines, mutates: true)
        case "crash", "restart", "campaign", "transfer":
            guard args.count == 1 else { throw UsageError(args.isEmpty ? "name a node" : "expected one node", command: name) }
            let id = try node(args[0], for: name)
            let lines = try sim(name) { () throws(SimError) in
                switch name {
                case "crash": return try cluster.crash(id)
                case "restart": return try cluster.restart(id)
                case "campaign": return try cluster.campaign(id)
                default: return try cluster.transfer(to: id)
                }
            }
            return Outcome(lines: lines, mutates: true)
        case "propose":
            var rest = args
            var target: NodeID?
            if rest.count >= 2, NodeName.parse(rest[0]) != nil {
                target = try node(rest[0], for: name)
                rest.removeFirst()
            }
            guard !rest.isEmpty else { throw UsageError("nothing to propose", command: name) }
            let text = rest.joined(separator: " ")
            guard text.utf8.count <= 4096 else { throw UsageError("a proposal is at most 4096 bytes", command: name) }
            let lines = try sim(name) { () throws(SimError) in try cluster.propose(text, on: target) }
            return Outcome(lines: lines, mutates: true)
        case "read":
            var rest = args
            var target: NodeID?
            if rest.count == 2 {
                target = try node(rest[0], for: name)
                rest.removeFirst()
            }
            guard rest.count == 1 else { throw UsageError(rest.isEmpty ? "name a key" : "expected [NODE] KEY", command: name) }
            let key = rest[0]
            let lines = try sim(name) { () throws(SimError) in try cluster.read(key, on: target) }
            return Outcome(lines: lines, mutates: true)
        case "stabilize":
            guard args.count <= 1 else { throw UsageError("expected at most a limit", command: name) }
            let limit = try args.first.map { (w) throws(UsageError) in try number(w, "limit", for: name) } ?? Cluster.defaultStabilizeLimit
            guard limit >= 1 && limit <= 10_000_000 else { throw UsageError("the limit must be between 1 and 10000000", command: name) }
            let lines = try sim(name) { () throws(SimError) in try cluster.stabilize(limit: limit) }
            return Outcome(lines: lines, mutates: true)
        case "partition":
            var groups: [[NodeID]] = [[]]
            for word in args {
                if word == "|" { groups.append([]); continue }
                groups[groups.count - 1].append(try node(word, for: name))
            }
            if args.isEmpty { throw UsageError("name the groups", command: name) }
            let lines = try sim(name) { () throws(SimError) in try cluster.partition(groups) }
            return Outcome(lines: lines, mutates: true)
        case "heal", "cut":
            if name == "heal" && args.isEmpty { return Outcome(lines: cluster.heal(), mutates: true) }
            guard args.count == 1, let link = Session.arrow(in: args[0]) else { throw UsageError("expected one link, e.g. n1->n2", command: name) }
            let (from, to) = (try node(link.from, for: name), try node(link.to, for: name))
            let lines = try sim(name) { () throws(SimError) in name == "cut" ? try cluster.cutLink(from: from, to: to) : try cluster.healLink(from: from, to: to) }
            return Outcome(lines: lines, mutates: true)
        case "status":
            guard args.isEmpty else { throw UsageError("status takes no arguments", command: name) }
            return Outcome(lines: Render.status(cluster, color: color))
        case "log":
            var id: NodeID?
            var from: UInt64?
            for word in args {
                if NodeName.parse(word) != nil, id == nil { id = try node(word, for: name); continue }
                guard from == nil else { throw UsageError("unexpected '\(word)'", command: name) }
                let value = try number(word, "index", for: name)
                guard value >= 1 else { throw UsageError("indexes start at 1", command: name) }
                from = UInt64(value)
            }
            return Outcome(lines: Render.log(cluster, node: id, from: from, color: color, width: width))
        case "ladder":
            guard args.count <= 1 else { throw UsageError("expected at most a count", command: name) }
            let count = try args.first.map { (w) throws(UsageError) in try number(w, "count", for: name) } ?? Ladder.defaultCount
            guard count >= 1 && count <= 10_000 else { throw UsageError("the count must be between 1 and 10000", command: name) }
            return Outcome(lines: Ladder.render(cluster, count: count, width: width, color: color))
        case "svg":
            guard args.count == 1 else { throw UsageError("name one file", command: name) }
            let events = cluster.timeline.events.count
            let title = "raftstep: \(cluster.ids.count) nodes, seed \(cluster.options.seed), \(events) events"
            if let error = FileIO.write(args[0], SVGTimeline.render(cluster, title: title)) { throw UsageError(error.message, command: name) }
            return Outcome(lines: ["wrote the timeline of \(events) event\(events == 1 ? "" : "s") to \(args[0]) (open it in a browser; hover over an arrow for the message)"])
        case "msgs":
            guard args.isEmpty else { throw UsageError("msgs takes no arguments", command: name) }
            return Outcome(lines: Render.messages(cluster))
        case "kv":
            guard args.count <= 1 else { throw UsageError("expected at most one node", command: name) }
            let id = try args.first.map { (w) throws(UsageError) in try node(w, for: name) }
            return Outcome(lines: Render.kv(cluster, node: id))
        case "setlog":
            guard let first = args.first else { throw UsageError("name a node", command: name) }
            let id = try node(first, for: name)
            var terms: [UInt64] = []
            var hardTerm: UInt64?
            for word in args.dropFirst() {
                if word.hasPrefix("term=") {
                    guard hardTerm == nil else { throw UsageError("term= given twice", command: name) }
                    hardTerm = UInt64(try number(String(word.dropFirst(5)), "term", for: name))
                    continue
                }
                guard hardTerm == nil else { throw UsageError("term= comes last", command: name) }
                terms.append(UInt64(try number(word, "term", for: name)))
            }
            let lines = try sim(name) { () throws(SimError) in try cluster.setLog(id, terms: terms, hardTerm: hardTerm) }
            return Outcome(lines: lines, mutates: true)
        case "add", "remove", "promote", "compact":
            return try runMembership(name, args)
        case "expect":
            return try expect(args)
        case "violations":
            guard args.isEmpty else { throw UsageError("violations takes no arguments", command: name) }
            if cluster.violations.isEmpty { return Outcome(lines: ["no invariant violation so far"]) }
            return Outcome(lines: cluster.violations.map { paint("!! \($0)", Style.red) })
        case "set":
            return try set(args)
        case "disk":
            return try diskCommand(args)
        case "logdump":
            return try logdumpCommand(args)
        case "undo":
            guard args.isEmpty else { throw UsageError("undo takes no arguments", command: name) }
            return try undo()
        case "save":
            guard args.count == 1 else { throw UsageError("name one file", command: name) }
            if let error = FileIO.write(args[0], script()) { throw UsageError(error.message, command: name) }
            return Outcome(lines: ["saved \(history.count) command\(history.count == 1 ? "" : "s") to \(args[0])"])
        case "load":
            guard args.count == 1 || (args.count == 2 && args[1] == "step") else { throw UsageError("expected FILE or FILE step", command: name) }
            if args.count == 2 { return try loadStepped(args[0]) }
            return try load(args[0])
        case "next":
            return try next(args)
        case "run":
            guard args.count <= 1 else { throw UsageError("expected at most a tick count", command: name) }
            let count = try args.first.map { (w) throws(UsageError) in try number(w, "tick count", for: name) } ?? 10
            let lines = try sim(name) { () throws(SimError) in try cluster.run(ticks: count) }
            return Outcome(lines: lines, mutates: true)
        case "reset":
            return try reset(args)
        case "help":
            return Outcome(lines: try help(args))
        case "quit", "exit":
            guard args.isEmpty else { throw UsageError("\(name) takes no arguments", command: "quit") }
            return Outcome(lines: [], status: .quit)
        default:
            let suggestion = CommandTable.suggestion(for: name)
            throw UsageError("unknown command '\(name)'" + (suggestion.map { " (did you mean \($0)?)" } ?? "") + "; type help for the list", command: "help")
        }
    }

    private func parseSelector(_ args: [String], for command: String) throws(UsageError) -> Cluster.Selector {
        if args.isEmpty { return .oldest }
        if args == ["all"] { return .all }
        if args.count == 2 && (args[0] == "to" || args[0] == "from") {
            let id = try node(args[1], for: command)
            return args[0] == "to" ? .to(id) : .from(id)
        }
        if args.count == 1, let arrow = Session.arrow(in: args[0]) {
            let from = try node(arrow.from, for: command)
            let to = try node(arrow.to, for: command)
            if from == to { throw UsageError("a node does not send to itself", command: command) }
            return .link(from: from, to: to)
        }
        var ids: [Int] = []
        for word in args {
            let digits = word.hasPrefix("#") ? String(word.dropFirst()) : word
            guard !digits.isEmpty, digits.count <= 12, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let id = Int(digits) else {
                throw UsageError("'\(word)' is not a message id, FROM->TO, to NODE, from NODE or all", command: command)
            }
            ids.append(id)
        }
        return .ids(ids)
    }

    // MARK: set

    private func set(_ args: [String]) throws(UsageError) -> Outcome {
        let name = "set"
        guard let option = args.first else { throw UsageError("name an option (\(CommandTable.setOptions.joined(separator: ", ")))", command: name) }
        switch option {
        case "prevote", "checkquorum", "leader-noop":
            guard args.count == 2 else { throw UsageError("expected: set \(option) on|off", command: name) }
            let on = try onOff(args[1], for: name)
            return Outcome(lines: cluster.set(Cluster.Setting(rawValue: option)!, on), mutates: true)
        case "unsafe":
            guard args.count == 3 else { throw UsageError("expected: set unsafe KNOB on|off (knobs: \(UnsafeKnobs.named.map(\.name).joined(separator: ", ")))", command: name) }
            guard let knob = UnsafeKnobs(name: args[1]) else {
                throw UsageError("no knob '\(args[1])' (knobs: \(UnsafeKnobs.named.map(\.name).joined(separator: ", ")))", command: name)
            }
            let on = try onOff(args[2], for: name)
            return Outcome(lines: cluster.setUnsafe(knob, name: args[1], on), mutates: true)
        case "sync":
            guard args.count == 3 else { throw UsageError("expected: set sync NODE on|off", command: name) }
            let id = try node(args[1], for: name)
            let on = try onOff(args[2], for: name)
            let lines = try sim(name) { () throws(SimError) in try cluster.setSync(id, on) }
            return Outcome(lines: lines, mutates: true)
        case "election-ticks", "heartbeat-ticks":
            guard args.count == 2 else { throw UsageError("expected: set \(option) N", command: name) }
            let value = try number(args[1], "tick count", for: name)
            let lines = try sim(name) { () throws(SimError) in
                option == "election-ticks" ? try cluster.setTiming(electionTicks: value, heartbeatTicks: nil)
                    : try cluster.setTiming(electionTicks: nil, heartbeatTicks: value)
            }
            return Outcome(lines: lines, mutates: true)
        case "compact-threshold":
            return try setCompactThreshold(args)
        case "local-reads":
            guard args.count == 2 else { throw UsageError("expected: set local-reads on|off", command: name) }
            return Outcome(lines: cluster.setLocalReads(try onOff(args[1], for: name)), mutates: true)
        case "crash-model":
            guard args.count == 2, args[1] == "pages" || args[1] == "last-write" else {
                throw UsageError("expected: set crash-model pages|last-write", command: name)
            }
            return Outcome(lines: cluster.setCrashModel(pages: args[1] == "pages"), mutates: true)
        case "on-violation":
            guard args.count == 2, args[1] == "stop" || args[1] == "continue" else { throw UsageError("expected: set on-violation stop|continue", command: name) }
            stopsOnViolation = args[1] == "stop"
            return Outcome(lines: ["a violation \(stopsOnViolation ? "stops" : "does not stop") a script"], mutates: true)
        case "color", "colour":
            guard args.count == 2 else { throw UsageError("expected: set color on|off", command: name) }
            color = try onOff(args[1], for: name)
            return Outcome(lines: ["colour \(color ? "on" : "off")"])
        default:
            throw UsageError("no option '\(option)' (options: \(CommandTable.setOptions.joined(separator: ", ")))", command: name)
        }
    }

    // MARK: Session control

    private func rebuild(replaying lines: [String]) throws(UsageError) {
        let fresh: Cluster
        do { fresh = try Cluster(options: initialOptions.cluster) } catch { throw UsageError(error.message) }
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
                throw UsageError("replay failed at '\(line)': \(result.lines.first ?? "")")
            }
        }
        cluster.isNarrating = true
    }

    private func undo() throws(UsageError) -> Outcome {
        guard let group = historyGroups.last, group <= history.count else { throw UsageError("nothing to undo", command: "undo") }
        if initialOptions.cluster.dataDirectory != nil { throw UsageError("undo replays the session from the start, which needs simulated disks (not --data-dir)", command: "undo") }
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

    private func load(_ path: String) throws(UsageError) -> Outcome {
        guard loadDepth < 8 else { throw UsageError("load nests more than 8 deep", command: "load") }
        let text: String
        switch FileIO.read(path) {
        case .success(let t): text = t
        case .failure(let e): throw UsageError(e.message, command: "load")
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

    private func reset(_ args: [String]) throws(UsageError) -> Outcome {
        if initialOptions.cluster.dataDirectory != nil { throw UsageError("reset needs simulated disks (not --data-dir)", command: "reset") }
        var options = initialOptions.cluster
        options.voterCount = nil
        var seen: [String] = []
        for word in args {
            guard let eq = word.firstIndex(of: "=") else { throw UsageError("expected nodes=N, voters=K or seed=S, not '\(word)'", command: "reset") }
            let key = String(word[..<eq])
            let value = String(word[word.index(after: eq)...])
            guard !seen.contains(key) else { throw UsageError("\(key)= given twice", command: "reset") }
            seen.append(key)
            switch key {
            case "nodes": options.nodeCount = try number(value, "node count", for: "reset")
            case "voters": options.voterCount = try number(value, "voter count", for: "reset")
            case "seed":
                guard value.count <= 20, let seed = UInt64(value) else { throw UsageError("'\(value)' is not a seed", command: "reset") }
                options.seed = seed
            default: throw UsageError("expected nodes=N, voters=K or seed=S, not '\(word)'", command: "reset")
            }
        }
        let fresh: Cluster
        do { fresh = try Cluster(options: options) } catch { throw UsageError(error.message, command: "reset") }
        cluster = fresh
        return Outcome(lines: [banner], mutates: true)
    }

    private func help(_ args: [String]) throws(UsageError) -> [String] {
        if let name = args.first {
            guard args.count == 1, let info = CommandTable.info(name) else { throw UsageError("no command '\(args.joined(separator: " "))'", command: "help") }
            return ["usage: \(info.usage)", "  \(info.summary)"] + info.details.map { "  " + $0 }
        }
        var lines = ["commands (help COMMAND for details; NODE is n1…n\(cluster.ids.count), ID a message id like 12 or #12):"]
        for info in CommandTable.all {
            lines.append("  " + info.name.padding(11) + info.summary)
        }
        return lines
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
