import RaftCore

/// One line of the REPL's language, parsed: what lessons, scripts, the explorer's reproduction
/// scripts and the fuzz target are written in. `Command.parse(line)` reads a line,
/// `description` writes the canonical spelling back (`Command.parse(c.description) == c`), and
/// `CommandTable` holds the help text and completion data of every command word.
public enum Command: Equatable, Sendable {
    /// `deliver SELECTOR`: deliver messages in flight.
    case deliver(Cluster.Selector)
    /// `drop SELECTOR`: lose messages in flight.
    case drop(Cluster.Selector)
    /// `duplicate SELECTOR`: put copies of messages in flight.
    case duplicate(Cluster.Selector)
    /// `tick [NODE…] [COUNT]`: advance logical time (no nodes: every running node; no count: 1).
    case tick(nodes: [NodeID], count: Int?)
    /// `crash NODE`.
    case crash(NodeID)
    /// `restart NODE`.
    case restart(NodeID)
    /// `crash NODE after K`: cut the node's power after K more file operations (in the middle of a write).
    case crashAfter(NodeID, operations: Int)
    /// `crash all`: every running node at once.
    case crashAll
    /// `restart all`: every crashed node.
    case restartAll
    /// `backup NODE`: copy the node's files aside.
    case backup(NodeID)
    /// `restore NODE`: put a crashed node's backup back in place of its files (unsafe).
    case restore(NodeID)
    /// `remove NODE NODE…`: one membership change removing these nodes (one joint step).
    case removeNodes([NodeID])
    /// `campaign NODE`: fire the node's election timeout now.
    case campaign(NodeID)
    /// `transfer NODE`: ask the leader to hand leadership to the node.
    case transfer(NodeID)
    /// `propose [NODE] TEXT…`: a client proposal (no node: the leader).
    case propose(node: NodeID?, text: String)
    /// `read [NODE] KEY`: a linearizable read.
    case read(node: NodeID?, key: String)
    /// `add NODE… [learner]`: one membership change adding these nodes.
    case add([NodeID], learner: Bool)
    /// `remove NODE`.
    case remove(NodeID)
    /// `promote NODE`: a learner becomes a voter.
    case promote(NodeID)
    /// `compact NODE [INDEX]`: a snapshot through INDEX (no index: the node's applied index).
    case compact(NodeID, through: UInt64?)
    /// `stabilize [LIMIT]`: deliver until nothing is in flight.
    case stabilize(limit: Int?)
    /// `partition NODE… | NODE… [| NODE…]`.
    case partition([[NodeID]])
    /// `cut FROM->TO`: cut one direction of one link.
    case cut(from: NodeID, to: NodeID)
    /// `heal`: restore every link.
    case heal
    /// `heal FROM->TO`: restore one direction of one link.
    case healLink(from: NodeID, to: NodeID)
    /// `replay ID`: put a copy of an already delivered message back in flight (a stale message).
    case replay(Int)
    /// `delay ID N`: hold an in-flight message back until N other messages have been delivered.
    case delay(Int, deliveries: Int)
    /// `status`.
    case status
    /// `log [NODE] [FROM]`.
    case log(node: NodeID?, from: UInt64?)
    /// `msgs`.
    case msgs
    /// `ladder [N]`.
    case ladder(count: Int?)
    /// `svg FILE`.
    case svg(path: String)
    /// `kv [NODE]`.
    case kv(NodeID?)
    /// `setlog NODE TERM… [term=T]`: lay down a crashed node's log.
    case setlog(NodeID, terms: [UInt64], hardTerm: UInt64?)
    /// `expect FORM ARGS…`: an assertion the REPL checks against the cluster.
    case expect(Expectation)
    /// `violations`.
    case violations
    /// `set …`: change a setting.
    case set(Setting)
    /// `disk export|tear|flip …`.
    case disk(Disk)
    /// `logdump SUBCOMMAND ARGS…`: the words go to logdump's own parser.
    case logdump([String])
    /// `undo`.
    case undo
    /// `save FILE`.
    case save(path: String)
    /// `load FILE [step]`.
    case load(path: String, step: Bool)
    /// `next [N|all]` (nil: one).
    case next(Count?)
    /// `run [TICKS]` (nil: the default, 10).
    case run(ticks: Int?)
    /// `reset [nodes=N] [voters=K] [seed=S]` (nil: the session's starting value).
    case reset(nodes: Int?, voters: Int?, seed: UInt64?)
    /// `help [COMMAND]`.
    case help(String?)
    /// `quit` (also `exit`).
    case quit

    /// What `set` changes.
    public enum Setting: Equatable, Sendable {
        /// `set prevote|checkquorum|leader-noop|read-quorum on|off`.
        case `protocol`(Cluster.Setting, Bool)
        /// `set unsafe KNOB on|off` (a name of `UnsafeKnobs.named`).
        case unsafe(knob: String, Bool)
        /// `set sync NODE on|off`.
        case sync(NodeID, Bool)
        /// `set local-reads on|off`.
        case localReads(Bool)
        /// `set crash-model pages|last-write`.
        case crashModel(pages: Bool)
        /// `set compact-threshold N` (0: off).
        case compactThreshold(Int)
        /// `set election-ticks N`.
        case electionTicks(Int)
        /// `set heartbeat-ticks N`.
        case heartbeatTicks(Int)
        /// `set election-ticks NODE N`: one node's own election timeout.
        case nodeElectionTicks(NodeID, Int)
        /// `set heartbeat-ticks NODE N`: one node's own heartbeat interval.
        case nodeHeartbeatTicks(NodeID, Int)
        /// `set on-violation stop|continue`.
        case onViolation(stop: Bool)
        /// `set color on|off` (also `colour`).
        case color(Bool)
    }

    /// What `disk` does to exported files.
    public enum Disk: Equatable, Sendable {
        /// `disk export NODE DIR`.
        case export(NodeID, directory: String)
        /// `disk tear DIR BYTES`.
        case tear(directory: String, bytes: Int64)
        /// `disk flip DIR FILE OFFSET [BIT]` (nil: bit 0).
        case flip(directory: String, file: String, offset: Int64, bit: Int?)
    }

    /// How many commands `next` runs.
    public enum Count: Equatable, Sendable {
        /// This many.
        case count(Int)
        /// The rest of the script.
        case all
    }

    /// The command word (`exit` is spelled `quit`), which names its entry in `CommandTable`.
    public var name: String {
        switch self {
        case .deliver: "deliver"
        case .drop: "drop"
        case .duplicate: "duplicate"
        case .tick: "tick"
        case .crash, .crashAfter, .crashAll: "crash"
        case .restart, .restartAll: "restart"
        case .backup: "backup"
        case .restore: "restore"
        case .campaign: "campaign"
        case .transfer: "transfer"
        case .propose: "propose"
        case .read: "read"
        case .add: "add"
        case .remove, .removeNodes: "remove"
        case .promote: "promote"
        case .compact: "compact"
        case .stabilize: "stabilize"
        case .partition: "partition"
        case .cut: "cut"
        case .heal, .healLink: "heal"
        case .replay: "replay"
        case .delay: "delay"
        case .status: "status"
        case .log: "log"
        case .msgs: "msgs"
        case .ladder: "ladder"
        case .svg: "svg"
        case .kv: "kv"
        case .setlog: "setlog"
        case .expect: "expect"
        case .violations: "violations"
        case .set: "set"
        case .disk: "disk"
        case .logdump: "logdump"
        case .undo: "undo"
        case .save: "save"
        case .load: "load"
        case .next: "next"
        case .run: "run"
        case .reset: "reset"
        case .help: "help"
        case .quit: "quit"
        }
    }
}

/// Why a line is not a command. The REPL renders it (`message(nodeCount:)`) with the usage of
/// `command`; node names are checked against a cluster only when the parser is given its size.
public struct CommandError: Error, Equatable, Sendable {
    /// What is wrong.
    public enum Reason: Equatable, Sendable {
        /// The first word is no command (with the closest command word, when one is close).
        case unknownCommand(String, suggestion: String?)
        /// A word where a node name was expected.
        case notANodeName(String)
        /// A node name beyond the cluster's nodes.
        case noSuchNode(NodeID)
        /// A word that names no node of the cluster (`or all`: where `all` would do too).
        case notAClusterNode(String, orAll: Bool)
        /// `expect progress` names no two nodes of the cluster (with the usage).
        case notTwoClusterNodes(usage: String)
        /// Anything else, in words.
        case invalid(String)
    }

    /// What is wrong.
    public var reason: Reason
    /// The command whose usage goes with the message (nil: none).
    public var command: String?

    /// An error of this reason.
    public init(_ reason: Reason, command: String?) {
        self.reason = reason
        self.command = command
    }

    /// An error in words.
    public init(_ message: String, command: String? = nil) {
        self.init(.invalid(message), command: command)
    }

    /// The message for a person, naming the nodes of a cluster of `nodeCount`.
    public func message(nodeCount: Int) -> String {
        switch reason {
        case .unknownCommand(let word, let suggestion):
            "unknown command '\(word)'" + (suggestion.map { " (did you mean \($0)?)" } ?? "") + "; type help for the list"
        case .notANodeName(let word): "'\(word)' is not a node name (n1…n\(nodeCount))"
        case .noSuchNode(let id): "no node n\(id): this cluster has n1…n\(nodeCount)"
        case .notAClusterNode(let word, let orAll): "'\(word)' is not a node of this cluster (n1…n\(nodeCount))" + (orAll ? " or all" : "")
        case .notTwoClusterNodes(let usage): "name two nodes of this cluster (n1…n\(nodeCount)) — \(usage)"
        case .invalid(let message): message
        }
    }
}
