/// The command language: names, usages and one-line summaries. This is a stable interface:
/// lessons, sample scripts and outside scenario scripts are written in it.
public struct CommandInfo: Sendable {
    /// The command word.
    public var name: String
    /// Its usage line.
    public var usage: String
    /// What it does.
    public var summary: String
}

public enum CommandTable {
    /// Every command, in the order `help` lists them.
    public static let all: [CommandInfo] = [
        CommandInfo(name: "deliver", usage: "deliver [ID…|FROM->TO|to NODE|from NODE|all]",
                    summary: "deliver the oldest message / these ids / all from FROM to TO / all to or from NODE / everything now in flight"),
        CommandInfo(name: "drop", usage: "drop [ID…|FROM->TO|to NODE|from NODE|all]",
                    summary: "lose messages (same selectors as deliver)"),
        CommandInfo(name: "duplicate", usage: "duplicate [ID…|FROM->TO|to NODE|from NODE|all]",
                    summary: "put a copy of messages in flight under new ids (the network delivers them twice)"),
        CommandInfo(name: "tick", usage: "tick [NODE…] [COUNT]",
                    summary: "advance logical time on the named nodes (all running nodes when none is named)"),
        CommandInfo(name: "crash", usage: "crash NODE",
                    summary: "lose the node's volatile state (and its unsynced writes when sync is off)"),
        CommandInfo(name: "restart", usage: "restart NODE",
                    summary: "bring a crashed node back from its disk through storage recovery"),
        CommandInfo(name: "propose", usage: "propose [NODE] TEXT…",
                    summary: "client proposal to NODE (default: the leader); `set KEY VALUE`, `del KEY`, anything else is opaque"),
        CommandInfo(name: "campaign", usage: "campaign NODE",
                    summary: "make NODE's election timeout fire now"),
        CommandInfo(name: "transfer", usage: "transfer NODE",
                    summary: "ask the leader to hand leadership to NODE (TimeoutNow)"),
        CommandInfo(name: "read", usage: "read [NODE] KEY",
                    summary: "linearizable read (ReadIndex) on the leader or NODE: answered after a heartbeat round confirms leadership"),
        CommandInfo(name: "add", usage: "add NODE… [learner]",
                    summary: "the leader proposes the nodes as voters in one joint step (C_old,new, then C_new), or as learners"),
        CommandInfo(name: "remove", usage: "remove NODE",
                    summary: "the leader proposes removing NODE (a removed leader steps down once C_new commits)"),
        CommandInfo(name: "promote", usage: "promote NODE",
                    summary: "the leader proposes making the learner NODE a voter"),
        CommandInfo(name: "compact", usage: "compact NODE [INDEX]",
                    summary: "NODE snapshots its key-value store through INDEX (default: its applied index) and drops the log it covers"),
        CommandInfo(name: "stabilize", usage: "stabilize [LIMIT]",
                    summary: "deliver the oldest message until none is in flight (at most LIMIT deliveries, default 100000)"),
        CommandInfo(name: "partition", usage: "partition NODE… | NODE… [| NODE…]",
                    summary: "cut the links between the groups (unnamed nodes form one more group); replaces an earlier partition"),
        CommandInfo(name: "heal", usage: "heal", summary: "restore every link"),
        CommandInfo(name: "status", usage: "status", summary: "the table of nodes: role, term, vote, commit, applied, leader"),
        CommandInfo(name: "log", usage: "log [NODE] [FROM]",
                    summary: "the grid of logs by index (terms; `|` follows the last committed entry); with NODE also its entries"),
        CommandInfo(name: "msgs", usage: "msgs", summary: "the messages in flight: id, sender, receiver, type, key fields"),
        CommandInfo(name: "kv", usage: "kv [NODE]", summary: "the key-value state machine of every node, or of NODE"),
        CommandInfo(name: "setlog", usage: "setlog NODE TERM… [term=T]",
                    summary: "while NODE is crashed, lay down entries of these terms at 1…k, hard-state term T (default: the last entry's), no vote"),
        CommandInfo(name: "expect", usage: "expect leader NODE|none · role NODE ROLE · term|commit|applied NODE|all N · log NODE|all TERM… · kv NODE|all K=V… · msgs N · reads NODE N · voted NODE NODE|none · config NODE|all voters=N,… [old=N,…] [learners=N,…] · snapshot NODE|all INDEX[@TERM]|none · up|down NODE · exit N · invariants ok · violation NAME…",
                    summary: "assert something about the cluster; fails with what was found"),
        CommandInfo(name: "violations", usage: "violations", summary: "every invariant violation found so far"),
        CommandInfo(name: "undo", usage: "undo", summary: "restore the state before the last command (replays the session from its start)"),
        CommandInfo(name: "save", usage: "save FILE", summary: "write the session as a script that replays to the same state"),
        CommandInfo(name: "load", usage: "load FILE", summary: "run the commands of a script file"),
        CommandInfo(name: "reset", usage: "reset [nodes=N] [voters=K] [seed=S]", summary: "start over with a fresh cluster"),
        CommandInfo(name: "set", usage: "set prevote|checkquorum|leader-noop on|off · set unsafe KNOB on|off · set sync NODE on|off · set local-reads on|off · set compact-threshold N · set election-ticks N · set heartbeat-ticks N · set on-violation stop|continue · set color on|off",
                    summary: "change a setting (protocol settings apply at once on a fresh cluster, otherwise at each node's restart)"),
        CommandInfo(name: "disk", usage: "disk export NODE DIR · disk tear DIR BYTES · disk flip DIR FILE OFFSET [BIT]",
                    summary: "write the node's disk as real files that logdump reads (replacing an earlier export in DIR); cut BYTES off the last segment of an exported DIR; flip a bit of one of its files"),
        CommandInfo(name: "logdump", usage: "logdump dump|verify|repair|stats|hardstate|diff ARGS…",
                    summary: "run logdump on exported files, as the logdump program (`expect exit N` checks its exit code)"),
        CommandInfo(name: "help", usage: "help [COMMAND]", summary: "list the commands, or explain one"),
        CommandInfo(name: "quit", usage: "quit", summary: "leave (also `exit` or end of input)"),
    ]

    /// The command with this name.
    public static func info(_ name: String) -> CommandInfo? {
        all.first { $0.name == name } ?? (name == "exit" ? all.first { $0.name == "quit" } : nil)
    }

    /// Options of `set`.
    public static let setOptions = ["prevote", "checkquorum", "leader-noop", "unsafe", "sync", "local-reads", "compact-threshold", "election-ticks",
                                    "heartbeat-ticks", "on-violation", "color"]
    /// Forms of `expect`.
    public static let expectForms = ["leader", "role", "term", "commit", "applied", "log", "kv", "msgs", "reads", "voted",
                                     "config", "snapshot", "up", "down", "exit", "invariants", "violation"]
}
