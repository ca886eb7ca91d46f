import RaftCore

/// The command language: names, usages, one-line summaries and what tab completion offers after
/// each word. This is a stable interface: lessons, sample scripts and outside scenario scripts
/// are written in it. `Command` parses and spells the commands this table describes.
public struct CommandInfo: Sendable {
    /// The command word.
    public var name: String
    /// Its usage line.
    public var usage: String
    /// What it does.
    public var summary: String
    /// More lines for `help NAME`: what each column or mark of its output means.
    public var details: [String]
    /// What may follow the words typed so far (the command word first).
    public var completion: @Sendable (_ words: [String]) -> [CompletionItem]

    /// An entry of the table.
    public init(
        name: String, usage: String, summary: String, details: [String] = [],
        completion: @escaping @Sendable (_ words: [String]) -> [CompletionItem] = { _ in [] }
    ) {
        self.name = name
        self.usage = usage
        self.summary = summary
        self.details = details
        self.completion = completion
    }
}

/// Something tab completion may offer; the REPL fills in the cluster's part.
public enum CompletionItem: Equatable, Sendable {
    /// The node names, n1…nN.
    case nodes
    /// The ids of the messages in flight.
    case messageIDs
    /// FROM->TO of the messages in flight.
    case links
    /// These words.
    case words([String])
}

/// The completion of each command's arguments, by the words typed so far.
enum CompletionRule {
    static let nodes: @Sendable ([String]) -> [CompletionItem] = { _ in [.nodes] }
    static let firstNode: @Sendable ([String]) -> [CompletionItem] = { $0.count == 1 ? [.nodes] : [] }
    static let selector: @Sendable ([String]) -> [CompletionItem] = { words in
        words.last == "to" || words.last == "from" ? [.nodes] : [.messageIDs, .words(["all", "to", "from"]), .links]
    }
    static let propose: @Sendable ([String]) -> [CompletionItem] = { words in
        words.count == 1 ? [.nodes, .words(["set", "del"])] : (words.count == 2 && NodeName.parse(words[1]) != nil ? [.words(["set", "del"])] : [])
    }
    static let crash: @Sendable ([String]) -> [CompletionItem] = { words in
        words.count == 1 ? [.nodes, .words(["all"])] : (words.count == 2 && words[1] != "all" ? [.words(["after"])] : [])
    }
    static let nodeOrAll: @Sendable ([String]) -> [CompletionItem] = { $0.count == 1 ? [.nodes, .words(["all"])] : [] }
    static let firstMessage: @Sendable ([String]) -> [CompletionItem] = { $0.count == 1 ? [.messageIDs] : [] }
    static let setlog: @Sendable ([String]) -> [CompletionItem] = { $0.count == 1 ? [.nodes] : [.words(["term="])] }
    static let add: @Sendable ([String]) -> [CompletionItem] = { $0.count > 1 ? [.nodes, .words(["learner"])] : [.nodes] }
    static let set: @Sendable ([String]) -> [CompletionItem] = { words in
        if words.count == 1 { return [.words(CommandTable.setOptions)] }
        switch words[1] {
        case "unsafe": return [.words(words.count == 2 ? UnsafeKnobs.named.map(\.name) : ["on", "off"])]
        case "sync": return words.count == 2 ? [.nodes] : [.words(["on", "off"])]
        case "on-violation": return [.words(["stop", "continue"])]
        case "election-ticks", "heartbeat-ticks": return words.count == 2 ? [.nodes] : []
        case "compact-threshold": return []
        default: return [.words(["on", "off"])]
        }
    }
    static let expect: @Sendable ([String]) -> [CompletionItem] = { words in
        if words.count == 1 { return [.words(CommandTable.expectForms)] }
        let first = words.count == 2
        switch words[1] {
        case "leader": return [.nodes, .words(["none"])]
        case "role": return first ? [.nodes, .words(["all"])] : [.words(Role.allCases.map(\.rawValue) + ["down"])]
        case "invariants": return [.words(["ok"])]
        case "voted": return [.nodes, .words(first ? ["all"] : ["none"])]
        case "violation": return [.words(["Election", "Leader", "Log", "State", "Term", "Commit", "Vote"])]
        case "config": return first ? [.nodes, .words(["all"])] : [.words(["voters=", "old=", "learners="])]
        default: return first ? [.nodes, .words(["all"])] : []
        }
    }
    static let disk: @Sendable ([String]) -> [CompletionItem] = { words in
        if words.count == 1 { return [.words(["export", "tear", "flip"])] }
        return words[1] == "export" && words.count == 2 ? [.nodes] : []
    }
    static let logdump: @Sendable ([String]) -> [CompletionItem] = {
        $0.count == 1 ? [.words(["dump", "verify", "repair", "stats", "hardstate", "diff"])] : []
    }
    static let commandNames: @Sendable ([String]) -> [CompletionItem] = { _ in [.words(CommandTable.all.map(\.name))] }
    static let reset: @Sendable ([String]) -> [CompletionItem] = { _ in [.words(["nodes=", "voters=", "seed="])] }
    static let next: @Sendable ([String]) -> [CompletionItem] = { $0.count == 1 ? [.words(["all"])] : [] }
    static let load: @Sendable ([String]) -> [CompletionItem] = { $0.count == 2 ? [.words(["step"])] : [] }
}

/// The table of commands: help, completion and "did you mean".
public enum CommandTable {
    /// Every command, in the order `help` lists them.
    public static let all: [CommandInfo] = [
        CommandInfo(
            name: "deliver", usage: "deliver [ID…|FROM->TO|to NODE|from NODE|all]",
            summary: "deliver the oldest message / these ids / all from FROM to TO / all to or from NODE / everything now in flight",
            completion: CompletionRule.selector),
        CommandInfo(
            name: "drop", usage: "drop [ID…|FROM->TO|to NODE|from NODE|all]",
            summary: "lose messages (same selectors as deliver)",
            completion: CompletionRule.selector),
        CommandInfo(
            name: "duplicate", usage: "duplicate [ID…|FROM->TO|to NODE|from NODE|all]",
            summary: "put a copy of messages in flight under new ids (the network delivers them twice; at most 1000 per command)",
            completion: CompletionRule.selector),
        CommandInfo(
            name: "tick", usage: "tick [NODE…] [COUNT]",
            summary: "advance logical time on the named nodes (all running nodes when none is named)",
            completion: CompletionRule.nodes),
        CommandInfo(
            name: "crash", usage: "crash NODE [after K] · crash all",
            summary:
                "lose the node's volatile state (and its unsynced writes when sync is off); `after K`: its power goes after K more file operations, in the middle of a write; `all`: every node at once",
            completion: CompletionRule.crash),
        CommandInfo(
            name: "restart", usage: "restart NODE|all",
            summary: "bring a crashed node (or every crashed node) back from its disk through storage recovery",
            completion: CompletionRule.nodeOrAll),
        CommandInfo(
            name: "backup", usage: "backup NODE",
            summary: "copy the node's files aside, as an operator's backup (the latest copy is kept)",
            completion: CompletionRule.firstNode),
        CommandInfo(
            name: "restore", usage: "restore NODE",
            summary:
                "UNSAFE: replace a crashed node's files with its backup; it restarts having forgotten the votes and entries it gave since (the checker should object)",
            completion: CompletionRule.firstNode),
        CommandInfo(
            name: "propose", usage: "propose [NODE] TEXT…",
            summary: "client proposal to NODE (default: the leader); `set KEY VALUE`, `del KEY`, anything else is opaque",
            completion: CompletionRule.propose),
        CommandInfo(
            name: "campaign", usage: "campaign NODE",
            summary: "make NODE's election timeout fire now",
            completion: CompletionRule.nodes),
        CommandInfo(
            name: "transfer", usage: "transfer NODE",
            summary: "ask the leader to hand leadership to NODE (TimeoutNow)",
            completion: CompletionRule.nodes),
        CommandInfo(
            name: "read", usage: "read [NODE] KEY",
            summary: "linearizable read (ReadIndex) on the leader or NODE: answered after a heartbeat round confirms leadership",
            completion: CompletionRule.nodes),
        CommandInfo(
            name: "add", usage: "add NODE… [learner]",
            summary: "the leader proposes the nodes as voters in one joint step (C_old,new, then C_new), or as learners",
            completion: CompletionRule.add),
        CommandInfo(
            name: "remove", usage: "remove NODE…",
            summary: "the leader proposes removing the nodes in one joint step (a removed leader steps down once C_new commits)",
            completion: CompletionRule.nodes),
        CommandInfo(
            name: "promote", usage: "promote NODE",
            summary: "the leader proposes making the learner NODE a voter",
            completion: CompletionRule.firstNode),
        CommandInfo(
            name: "compact", usage: "compact NODE [INDEX]",
            summary: "NODE snapshots its key-value store through INDEX (default: its applied index) and drops the log it covers",
            completion: CompletionRule.firstNode),
        CommandInfo(
            name: "stabilize", usage: "stabilize [LIMIT]",
            summary: "deliver the oldest message until none is in flight (at most LIMIT deliveries, default 100000)"),
        CommandInfo(
            name: "partition", usage: "partition NODE… | NODE… [| NODE…]",
            summary: "cut the links between the groups (unnamed nodes form one more group); replaces an earlier partition",
            completion: CompletionRule.nodes),
        CommandInfo(
            name: "cut", usage: "cut NODE->NODE",
            summary: "cut one direction of one link: messages from the first node to the second are lost (the other way still works)"),
        CommandInfo(name: "heal", usage: "heal [NODE->NODE]", summary: "restore every link, or one direction of one link"),
        CommandInfo(
            name: "replay", usage: "replay ID",
            summary:
                "put a copy of an already delivered message back in flight, as a stale message the network delivers again long after (it keeps the last 256 delivered and about one in 16 of the 4096 before)"
        ),
        CommandInfo(
            name: "delay", usage: "delay ID N",
            summary:
                "hold an in-flight message back: deliver, drop, stabilize and run pass over it until N other messages have been delivered (deliver ID still delivers it)",
            completion: CompletionRule.firstMessage),
        CommandInfo(
            name: "status", usage: "status", summary: "the table of nodes: role, term, vote, commit, applied, leader",
            details: statusDetails),
        CommandInfo(
            name: "log", usage: "log [NODE] [FROM]",
            summary: "the grid of logs by index (terms; `|` follows the last committed entry); with NODE also its entries",
            details: logDetails,
            completion: CompletionRule.nodes),
        CommandInfo(
            name: "msgs", usage: "msgs", summary: "the messages in flight: id, sender, receiver, type, key fields",
            details: msgsDetails),
        CommandInfo(
            name: "ladder", usage: "ladder [N]",
            summary: "the last N events (default 24) as a message sequence diagram: a lane per node, an arrow per message",
            details: ladderDetails),
        CommandInfo(
            name: "svg", usage: "svg FILE",
            summary: "write the session as an SVG timeline a browser shows: a lane per node, messages as arrows, terms as bands, crashes as gaps"),
        CommandInfo(
            name: "kv", usage: "kv [NODE]", summary: "the key-value state machine of every node, or of NODE",
            completion: CompletionRule.nodes),
        CommandInfo(
            name: "setlog", usage: "setlog NODE TERM… [term=T]",
            summary: "while NODE is crashed, lay down entries of these terms at 1…k, hard-state term T (default: the last entry's), no vote",
            completion: CompletionRule.setlog),
        CommandInfo(
            name: "expect",
            usage:
                "expect leader NODE|none · role NODE ROLE · term|commit|applied NODE|all N · log NODE|all TERM… · kv NODE|all K=V… · msgs N · reads NODE N · voted NODE NODE|none · config NODE|all voters=N,… [old=N,…] [learners=N,…] · snapshot NODE|all INDEX[@TERM]|none · up|down NODE · exit N · invariants ok · violation NAME… · refused COMMAND… [because WORD…] · known-leader NODE|all NODE|none · transfer NODE NODE|none · progress LEADER FOLLOWER STATE [match=N] [next=N] · read N KEY=VALUE [index=I]",
            summary: "assert something about the cluster; fails with what was found",
            completion: CompletionRule.expect),
        CommandInfo(name: "violations", usage: "violations", summary: "every invariant violation found so far"),
        CommandInfo(name: "undo", usage: "undo", summary: "restore the state before the last command (replays the session from its start)"),
        CommandInfo(name: "save", usage: "save FILE", summary: "write the session as a script that replays to the same state"),
        CommandInfo(
            name: "load", usage: "load FILE [step]",
            summary:
                "run the commands of a script file (`undo` takes it back whole); with step, run none yet: `next` runs them one at a time, each undone alone",
            completion: CompletionRule.load),
        CommandInfo(
            name: "next", usage: "next [N|all]",
            summary: "run the next command (or N, or all the rest) of the script loaded with `load FILE step`",
            completion: CompletionRule.next),
        CommandInfo(
            name: "run", usage: "run [TICKS]",
            summary:
                "let the cluster run by itself for TICKS ticks (default 10): each tick, every node ticks and the network delivers everything; tells what changed"
        ),
        CommandInfo(
            name: "reset", usage: "reset [nodes=N] [voters=K] [seed=S]", summary: "start over with a fresh cluster",
            completion: CompletionRule.reset),
        CommandInfo(
            name: "set",
            usage:
                "set prevote|checkquorum|leader-noop|read-quorum on|off · set unsafe KNOB on|off · set sync NODE on|off · set local-reads on|off · set crash-model pages|last-write · set compact-threshold N · set election-ticks [NODE] N · set heartbeat-ticks [NODE] N · set on-violation stop|continue · set color on|off",
            summary: "change a setting (protocol settings apply at once on a fresh cluster, otherwise at each node's restart)",
            completion: CompletionRule.set),
        CommandInfo(
            name: "disk", usage: "disk export NODE DIR · disk tear DIR BYTES · disk flip DIR FILE OFFSET [BIT]",
            summary:
                "write the node's disk as real files that logdump reads (replacing an earlier export in DIR); cut BYTES off the last segment of an exported DIR; flip a bit of one of its files",
            completion: CompletionRule.disk),
        CommandInfo(
            name: "logdump", usage: "logdump dump|verify|repair|stats|hardstate|diff ARGS…",
            summary: "run logdump on exported files, as the logdump program (`expect exit N` checks its exit code)",
            completion: CompletionRule.logdump),
        CommandInfo(
            name: "help", usage: "help [COMMAND]", summary: "list the commands, or explain one",
            completion: CompletionRule.commandNames),
        CommandInfo(name: "quit", usage: "quit", summary: "leave (also `exit` or end of input)"),
    ]

    /// `help ladder`: the marks of the diagram.
    static let ladderDetails = [
        "time goes down; one lane per node (`:` while the node is down); each row one event:",
        "  #12 |--App-->|   message #12 delivered from the left lane to the right one",
        "  #12 |--App--x|   delivered, but lost (receiver down or link cut; the note says)",
        "  #12 |--X     |   dropped by `drop`",
        "  ?  campaign (election timeout or `campaign`)   *  elected leader",
        "  v  a leader stops leading    C  the leader's commit point moves",
        "  !  crash   o  restart        tick  ticks pass",
        "the note on the right gives the message's term (t2) and what a mark means",
    ]

    /// `help status`: every column of the node table and every line under it (fits 80 columns).
    static let statusDetails = [
        "columns:",
        "  node     n1…nN",
        "  role     follower, pre-candidate (asking for pre-votes; its term is not",
        "           raised yet), candidate, leader; DOWN when crashed",
        "  term     the node's current term (persisted: it survives a crash)",
        "  vote     whom it voted for in that term, - for nobody (persisted)",
        "  commit   the highest index it knows is committed",
        "  applied  the highest index its key-value store applied (at most commit)",
        "  last     its last log entry as INDEX@TERM (0@0: an empty log)",
        "  leader   the leader it knows of in its term, - when none",
        "  timer    ticks since it last heard from a leader (or began an election)",
        "           / its randomized election timeout: it campaigns when the first",
        "           reaches the second; - on the leader",
        "  disk     sync: it fsyncs before it answers; NO SYNC after",
        "           `set sync NODE off` (a crash loses its unsynced writes)",
        "under the table:",
        "  progress at LEADER: per follower, what the leader knows of its log:",
        "    match      the highest index known to be on the follower",
        "    next       the next index the leader will send it",
        "    probe      where the logs agree is unknown: one append at a time,",
        "               backing up on each refusal",
        "    replicate  the logs agree through match: appends are streamed",
        "    snapshot(I)  an InstallSnapshot through index I is on its way",
        "    inflight K   K appends streamed and not answered yet (bounded)",
        "  configuration …  the voters each node has in effect, and non-members",
        "  snapshots: NODE through INDEX@TERM   what each node has compacted",
        "  last line: messages in flight, the partition, the protocol settings,",
        "             unsafe knobs, violations",
    ]

    /// `help log`: the grid's marks.
    static let logDetails = [
        "one row per node, one column per index; a cell is the term of the entry",
        "  bright: committed on that node; dim: not committed yet (with colour)",
        "  |        follows the node's last committed entry",
        "  c        a configuration entry (membership change)",
        "  s        compacted into the node's snapshot",
        "  DOWN     the node is crashed: its row (dim) shows what its disk holds",
        "  ‹ ›      more indexes before / after the window (it fits the terminal)",
        "after each row: last INDEX, commit INDEX, leader, snapshot INDEX@TERM",
        "with NODE: also its entries (index, term, kind, command, applied)",
    ]

    /// `help msgs`: one line per message in flight.
    static let msgsDetails = [
        "#ID FROM->TO TYPE term T, then the type's fields; oldest first. Ids only",
        "grow, so `deliver 12` always means one message.",
        "  PreVote/Vote last I@T    the candidate's last entry (up-to-date check)",
        "  PreVoteResp/VoteResp     granted or refused",
        "  App prev I@T entries A..B commit C",
        "                           the entry before the new ones (log-matching",
        "                           check), the entries, the leader's commit",
        "  AppResp match M          the follower's log agrees through M",
        "  AppResp rejects I hint I@T   the check failed at I; the hint says where",
        "                           the leader should back up to",
        "  Heartbeat commit C [read R]  the leader's commit (and a ReadIndex round)",
        "  Snapshot through I@T     InstallSnapshot: replaces the log up to I",
        "  (will be lost: …)        a partition or crash drops it when delivered",
    ]

    /// The command closest to a mistyped word (for "did you mean"), or nil when none is close.
    public static func suggestion(for word: String) -> String? {
        closest(to: word, among: all.map(\.name) + ["exit"])
    }

    /// The candidate closest to `word`: one that `word` begins (3 letters or more), else one within
    /// a small edit distance (a letter added, dropped, changed, or two swapped) — nil when none is.
    public static func closest(to word: String, among candidates: [String]) -> String? {
        let typed = word.lowercased()
        guard !typed.isEmpty else { return nil }
        let limit = typed.count <= 4 ? 1 : 2
        var best: (name: String, score: Int)?
        for name in candidates {
            let distance = editDistance(typed, name)
            let isPrefix = typed.count >= 3 && name.hasPrefix(typed)
            guard isPrefix || distance <= limit else { continue }
            // A prefix ranks first; then the fewest edits; ties keep the table's order.
            let score = (isPrefix ? 0 : 100) + distance
            if best == nil || score < best!.score { best = (name, score) }
        }
        return best?.name
    }

    /// Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`.
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty || y.isEmpty { return max(x.count, y.count) }
        var table = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in 0...x.count { table[i][0] = i }
        for j in 0...y.count { table[0][j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[x.count][y.count]
    }

    /// What tab completion offers after these words (a line's words before the one being typed).
    public static func completions(after words: [String]) -> [CompletionItem] {
        guard let command = words.first else { return [.words(all.map(\.name) + ["exit"])] }
        return all.first { $0.name == command }?.completion(words) ?? []
    }

    /// The command with this name.
    public static func info(_ name: String) -> CommandInfo? {
        all.first { $0.name == name } ?? (name == "exit" ? all.first { $0.name == "quit" } : nil)
    }

    /// Options of `set`.
    public static let setOptions = [
        "prevote", "checkquorum", "leader-noop", "read-quorum", "unsafe", "sync", "local-reads", "crash-model", "compact-threshold", "election-ticks",
        "heartbeat-ticks", "on-violation", "color",
    ]
    /// Forms of `expect`.
    public static let expectForms = Expectation.forms
}
