import RaftCore

extension Command {
    /// Parses one line. With `nodeCount`, node names are checked against a cluster of that many
    /// nodes (as the REPL does); without, any positive node number is accepted.
    public static func parse(_ line: String, nodeCount: Int? = nil) throws(CommandError) -> Command {
        try parse(words: tokenize(line), nodeCount: nodeCount)
    }

    /// Parses the words of a line (`tokenize`).
    public static func parse(words: [String], nodeCount: Int? = nil) throws(CommandError) -> Command {
        guard let name = words.first else { throw CommandError("the line is blank or a comment: no command") }
        let parser = CommandParser(name: name, args: Array(words.dropFirst()), nodeCount: nodeCount)
        return try parser.parse()
    }

    /// Splits a line into words; `#` at the start of a word that is not a message id starts a
    /// comment; `|` is always a word of its own.
    public static func tokenize(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        let chars = Array(line)
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
        return words
    }

    /// Splits `n1->n2` at the arrow.
    public static func arrow(in word: String) -> (from: String, to: String)? {
        let chars = Array(word)
        guard chars.count >= 2 else { return nil }
        for i in 0..<(chars.count - 1) where chars[i] == "-" && chars[i + 1] == ">" {
            return (String(chars[..<i]), String(chars[(i + 2)...]))
        }
        return nil
    }
}

/// The arguments of one command word, checked in the order the REPL has always checked them (the
/// first problem found is the one reported).
struct CommandParser {
    let name: String
    let args: [String]
    let nodeCount: Int?

    func fail(_ message: String) -> CommandError { CommandError(message, command: name) }

    func node(_ word: String) throws(CommandError) -> NodeID {
        guard let id = NodeName.parse(word) else { throw CommandError(.notANodeName(word), command: name) }
        if let nodeCount, id > UInt64(nodeCount) { throw CommandError(.noSuchNode(id), command: name) }
        return id
    }

    func number(_ word: String, _ what: String) throws(CommandError) -> Int {
        guard word.count <= 12, let value = Int(word), value >= 0 else { throw fail("'\(word)' is not a valid \(what)") }
        return value
    }

    func onOff(_ word: String?) throws(CommandError) -> Bool {
        switch word {
        case "on": return true
        case "off": return false
        default: throw fail("expected on or off\(word.map { ", not '\($0)'" } ?? "")")
        }
    }

    func noArguments() throws(CommandError) {
        guard args.isEmpty else { throw fail("\(name) takes no arguments") }
    }

    func oneNode() throws(CommandError) -> NodeID {
        guard args.count == 1 else { throw fail(args.isEmpty ? "name a node" : "expected one node") }
        return try node(args[0])
    }

    func optionalCount(_ what: String, tooMany: String) throws(CommandError) -> Int? {
        guard args.count <= 1 else { throw fail(tooMany) }
        return try args.first.map { (w) throws(CommandError) in try number(w, what) }
    }

    func parse() throws(CommandError) -> Command {
        switch name {
        case "deliver": return .deliver(try selector())
        case "drop": return .drop(try selector())
        case "duplicate": return .duplicate(try selector())
        case "tick": return try tick()
        case "crash": return try crash()
        case "restart":
            if args == ["all"] { return .restartAll }
            return .restart(try oneNode())
        case "backup": return .backup(try oneNode())
        case "restore": return .restore(try oneNode())
        case "campaign": return .campaign(try oneNode())
        case "transfer": return .transfer(try oneNode())
        case "propose": return try propose()
        case "read": return try read()
        case "add": return try add()
        case "remove": return try remove()
        case "promote": return .promote(try oneNode())
        case "compact": return try compact()
        case "stabilize":
            let limit = try optionalCount("limit", tooMany: "expected at most a limit")
            guard (1...10_000_000).contains(limit ?? 1) else { throw fail("the limit must be between 1 and 10000000") }
            return .stabilize(limit: limit)
        case "partition": return try partition()
        case "heal", "cut": return try link()
        case "replay", "delay": return try staleOrLate()
        case "status": try noArguments(); return .status
        case "log": return try log()
        case "msgs": try noArguments(); return .msgs
        case "ladder":
            let count = try optionalCount("count", tooMany: "expected at most a count")
            guard (1...10_000).contains(count ?? 1) else { throw fail("the count must be between 1 and 10000") }
            return .ladder(count: count)
        case "svg":
            guard args.count == 1 else { throw fail("name one file") }
            return .svg(path: args[0])
        case "kv":
            guard args.count <= 1 else { throw fail("expected at most one node") }
            return .kv(try args.first.map { (w) throws(CommandError) in try node(w) })
        case "setlog": return try setlog()
        case "expect": return .expect(try expectation())
        case "violations": try noArguments(); return .violations
        case "set": return .set(try setting())
        case "disk": return .disk(try disk())
        case "logdump":
            guard !args.isEmpty else { throw fail("name a subcommand: dump, verify, repair, stats, hardstate or diff") }
            return .logdump(args)
        case "undo": try noArguments(); return .undo
        case "save":
            guard args.count == 1 else { throw fail("name one file") }
            return .save(path: args[0])
        case "load":
            guard args.count == 1 || (args.count == 2 && args[1] == "step") else { throw fail("expected FILE or FILE step") }
            return .load(path: args[0], step: args.count == 2)
        case "next": return try next()
        case "run": return .run(ticks: try optionalCount("tick count", tooMany: "expected at most a tick count"))
        case "reset": return try reset()
        case "help":
            guard let word = args.first else { return .help(nil) }
            guard args.count == 1, CommandTable.info(word) != nil else { throw fail("no command '\(args.joined(separator: " "))'") }
            return .help(word)
        case "quit", "exit":
            guard args.isEmpty else { throw CommandError("\(name) takes no arguments", command: "quit") }
            return .quit
        default:
            throw CommandError(.unknownCommand(name, suggestion: CommandTable.suggestion(for: name)), command: "help")
        }
    }

    func selector() throws(CommandError) -> Cluster.Selector {
        if args.isEmpty { return .oldest }
        if args == ["all"] { return .all }
        if args.count == 2 && (args[0] == "to" || args[0] == "from") {
            let id = try node(args[1])
            return args[0] == "to" ? .to(id) : .from(id)
        }
        if args.count == 1, let arrow = Command.arrow(in: args[0]) {
            let from = try node(arrow.from)
            let to = try node(arrow.to)
            if from == to { throw fail("a node does not send to itself") }
            return .link(from: from, to: to)
        }
        var ids: [Int] = []
        for word in args {
            let digits = word.hasPrefix("#") ? String(word.dropFirst()) : word
            guard !digits.isEmpty, digits.count <= 12, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let id = Int(digits) else {
                throw fail("'\(word)' is not a message id, FROM->TO, to NODE, from NODE or all")
            }
            ids.append(id)
        }
        return .ids(ids)
    }

    func tick() throws(CommandError) -> Command {
        var nodes: [NodeID] = []
        var count: Int?
        for (position, word) in args.enumerated() {
            if NodeName.parse(word) != nil { nodes.append(try node(word)); continue }
            guard position == args.count - 1 else { throw fail("'\(word)' is neither a node nor a final count") }
            count = try number(word, "count")
        }
        return .tick(nodes: nodes, count: count)
    }

    func propose() throws(CommandError) -> Command {
        var rest = args
        var target: NodeID?
        if rest.count >= 2, NodeName.parse(rest[0]) != nil {
            target = try node(rest[0])
            rest.removeFirst()
        }
        guard !rest.isEmpty else { throw fail("nothing to propose") }
        let text = rest.joined(separator: " ")
        guard text.utf8.count <= 4096 else { throw fail("a proposal is at most 4096 bytes") }
        return .propose(node: target, text: text)
    }

    func read() throws(CommandError) -> Command {
        var rest = args
        var target: NodeID?
        if rest.count == 2 {
            target = try node(rest[0])
            rest.removeFirst()
        }
        guard rest.count == 1 else { throw fail(rest.isEmpty ? "name a key" : "expected [NODE] KEY") }
        return .read(node: target, key: rest[0])
    }

    func add() throws(CommandError) -> Command {
        // `add n4 n5` adds both in one joint step; `learner` at the end makes them learners.
        let learner = args.last == "learner"
        let names = learner ? Array(args.dropLast()) : args
        guard !names.isEmpty else { throw fail("name a node") }
        var ids: [NodeID] = []
        for word in names {
            let id = try node(word)
            if ids.contains(id) { throw fail("\(word) is named twice") }
            ids.append(id)
        }
        return .add(ids, learner: learner)
    }

    /// `crash NODE`, `crash NODE after K`, `crash all`.
    func crash() throws(CommandError) -> Command {
        if args == ["all"] { return .crashAll }
        guard args.count == 1 || (args.count == 3 && args[1] == "after") else {
            throw fail(args.isEmpty ? "name a node (or all)" : "expected: crash NODE [after K] or crash all")
        }
        let id = try node(args[0])
        guard args.count == 3 else { return .crash(id) }
        let operations = try number(args[2], "count of file operations")
        guard operations <= 1000 else { throw fail("the count of file operations must be between 0 and 1000") }
        return .crashAfter(id, operations: operations)
    }

    /// `remove NODE…`: one node, or several in one joint step.
    func remove() throws(CommandError) -> Command {
        guard !args.isEmpty else { throw fail("name a node") }
        var ids: [NodeID] = []
        for word in args {
            let id = try node(word)
            if ids.contains(id) { throw fail("\(word) is named twice") }
            ids.append(id)
        }
        return ids.count == 1 ? .remove(ids[0]) : .removeNodes(ids)
    }

    func compact() throws(CommandError) -> Command {
        guard args.count == 1 || args.count == 2 else { throw fail(args.isEmpty ? "name a node" : "expected: compact NODE [INDEX]") }
        let id = try node(args[0])
        var index: UInt64?
        if args.count == 2 {
            guard args[1].count <= 20, let value = UInt64(args[1]), value >= 1 else { throw fail("'\(args[1])' is not a valid index") }
            index = value
        }
        return .compact(id, through: index)
    }

    func partition() throws(CommandError) -> Command {
        var groups: [[NodeID]] = [[]]
        for word in args {
            if word == "|" { groups.append([]); continue }
            groups[groups.count - 1].append(try node(word))
        }
        if args.isEmpty { throw fail("name the groups") }
        return .partition(groups)
    }

    /// `replay ID` and `delay ID N`.
    func staleOrLate() throws(CommandError) -> Command {
        let usage =
            name == "replay" ? "expected: replay ID (a delivered message)" : "expected: delay ID N (an in-flight message, held back for N deliveries)"
        guard args.count == (name == "replay" ? 1 : 2) else { throw fail(usage) }
        let digits = args[0].hasPrefix("#") ? String(args[0].dropFirst()) : args[0]
        guard !digits.isEmpty, digits.count <= 12, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let id = Int(digits), id >= 1 else {
            throw fail("'\(args[0])' is not a message id")
        }
        if name == "replay" { return .replay(id) }
        let count = try number(args[1], "delivery count")
        guard (1...Cluster.maxDelayDeliveries).contains(count) else { throw fail("the delay is 1 to \(Cluster.maxDelayDeliveries) deliveries") }
        return .delay(id, deliveries: count)
    }

    func link() throws(CommandError) -> Command {
        if name == "heal" && args.isEmpty { return .heal }
        guard args.count == 1, let link = Command.arrow(in: args[0]) else { throw fail("expected one link, e.g. n1->n2") }
        let (from, to) = (try node(link.from), try node(link.to))
        return name == "cut" ? .cut(from: from, to: to) : .healLink(from: from, to: to)
    }

    func log() throws(CommandError) -> Command {
        var id: NodeID?
        var from: UInt64?
        for word in args {
            if NodeName.parse(word) != nil, id == nil { id = try node(word); continue }
            guard from == nil else { throw fail("unexpected '\(word)'") }
            let value = try number(word, "index")
            guard value >= 1 else { throw fail("indexes start at 1") }
            from = UInt64(value)
        }
        return .log(node: id, from: from)
    }

    func setlog() throws(CommandError) -> Command {
        guard let first = args.first else { throw fail("name a node") }
        let id = try node(first)
        var terms: [UInt64] = []
        var hardTerm: UInt64?
        for word in args.dropFirst() {
            if word.hasPrefix("term=") {
                guard hardTerm == nil else { throw fail("term= given twice") }
                hardTerm = UInt64(try number(String(word.dropFirst(5)), "term"))
                continue
            }
            guard hardTerm == nil else { throw fail("term= comes last") }
            terms.append(UInt64(try number(word, "term")))
        }
        return .setlog(id, terms: terms, hardTerm: hardTerm)
    }

    func next() throws(CommandError) -> Command {
        guard let word = args.first else { return .next(nil) }
        guard args.count == 1 else { throw fail("expected at most a count or all") }
        if word == "all" { return .next(.all) }
        guard let value = Int(word), value >= 1, value <= 100_000 else { throw fail("'\(word)' is not a count") }
        return .next(.count(value))
    }

    func reset() throws(CommandError) -> Command {
        var nodes: Int?, voters: Int?, seed: UInt64?
        var seen: [String] = []
        for word in args {
            guard let eq = word.firstIndex(of: "=") else { throw fail("expected nodes=N, voters=K or seed=S, not '\(word)'") }
            let key = String(word[..<eq])
            let value = String(word[word.index(after: eq)...])
            guard !seen.contains(key) else { throw fail("\(key)= given twice") }
            seen.append(key)
            switch key {
            case "nodes": nodes = try number(value, "node count")
            case "voters": voters = try number(value, "voter count")
            case "seed":
                guard value.count <= 20, let parsed = UInt64(value) else { throw fail("'\(value)' is not a seed") }
                seed = parsed
            default: throw fail("expected nodes=N, voters=K or seed=S, not '\(word)'")
            }
        }
        return .reset(nodes: nodes, voters: voters, seed: seed)
    }

    func setting() throws(CommandError) -> Command.Setting {
        let knobs = UnsafeKnobs.named.map(\.name).joined(separator: ", ")
        guard let option = args.first else { throw fail("name an option (\(CommandTable.setOptions.joined(separator: ", ")))") }
        switch option {
        case "prevote", "checkquorum", "leader-noop", "read-quorum":
            guard args.count == 2 else { throw fail("expected: set \(option) on|off") }
            return .protocol(Cluster.Setting(rawValue: option)!, try onOff(args[1]))
        case "unsafe":
            guard args.count == 3 else { throw fail("expected: set unsafe KNOB on|off (knobs: \(knobs))") }
            guard UnsafeKnobs(name: args[1]) != nil else { throw fail("no knob '\(args[1])' (knobs: \(knobs))") }
            return .unsafe(knob: args[1], try onOff(args[2]))
        case "sync":
            guard args.count == 3 else { throw fail("expected: set sync NODE on|off") }
            let id = try node(args[1])
            return .sync(id, try onOff(args[2]))
        case "election-ticks", "heartbeat-ticks":
            guard args.count == 2 || args.count == 3 else { throw fail("expected: set \(option) [NODE] N") }
            let value = try number(args[args.count - 1], "tick count")
            if args.count == 3 {
                let id = try node(args[1])
                return option == "election-ticks" ? .nodeElectionTicks(id, value) : .nodeHeartbeatTicks(id, value)
            }
            return option == "election-ticks" ? .electionTicks(value) : .heartbeatTicks(value)
        case "compact-threshold":
            guard args.count == 2, args[1].count <= 8, let value = Int(args[1]), value >= 0 else {
                throw fail("expected: set compact-threshold N (0: off)")
            }
            return .compactThreshold(value)
        case "local-reads":
            guard args.count == 2 else { throw fail("expected: set local-reads on|off") }
            return .localReads(try onOff(args[1]))
        case "crash-model":
            guard args.count == 2, args[1] == "pages" || args[1] == "last-write" else { throw fail("expected: set crash-model pages|last-write") }
            return .crashModel(pages: args[1] == "pages")
        case "on-violation":
            guard args.count == 2, args[1] == "stop" || args[1] == "continue" else { throw fail("expected: set on-violation stop|continue") }
            return .onViolation(stop: args[1] == "stop")
        case "color", "colour":
            guard args.count == 2 else { throw fail("expected: set color on|off") }
            return .color(try onOff(args[1]))
        default:
            throw fail("no option '\(option)' (options: \(CommandTable.setOptions.joined(separator: ", ")))")
        }
    }

    func disk() throws(CommandError) -> Command.Disk {
        switch args.first {
        case "export":
            guard args.count == 3 else { throw fail("expected: disk export NODE DIR") }
            guard let id = NodeName.parse(args[1]), id >= 1, id <= UInt64(nodeCount ?? Int.max) else {
                throw CommandError(.notAClusterNode(args[1], orAll: false), command: name)
            }
            return .export(id, directory: args[2])
        case "tear":
            guard args.count == 3, let bytes = Int64(args[2]), bytes > 0 else {
                throw fail("expected: disk tear DIR BYTES (a positive number of bytes)")
            }
            return .tear(directory: args[1], bytes: bytes)
        case "flip":
            guard args.count == 4 || args.count == 5 else { throw fail("expected: disk flip DIR FILE OFFSET [BIT]") }
            guard let offset = Int64(args[3]), offset >= 0 else { throw fail("OFFSET must be a byte offset, not '\(args[3])'") }
            let bit = args.count == 5 ? Int(args[4]) : 0
            guard let bit, (0...7).contains(bit) else { throw fail("BIT must be 0…7, not '\(args[4])'") }
            return .flip(directory: args[1], file: args[2], offset: offset, bit: args.count == 5 ? bit : nil)
        default:
            throw fail("expected: disk export NODE DIR · disk tear DIR BYTES · disk flip DIR FILE OFFSET [BIT]")
        }
    }
}
