import RaftCore

/// What `expect` asserts about the cluster: the words after `expect`, parsed. The REPL checks
/// it against the cluster; `description` spells it as `expect` reads it.
public enum Expectation: Equatable, Sendable {
    /// `NODE|all`: one node, or every node that is up when the expectation is checked.
    public enum Nodes: Equatable, Sendable {
        /// Every node that is up.
        case all
        /// This node.
        case node(NodeID)
    }

    /// `NODE|all|none`, where a second node is named (`none`: nobody).
    public enum Target: Equatable, Sendable {
        /// Nobody.
        case none
        /// One node (`all`: the first node that is up).
        case nodes(Nodes)
    }

    /// A counter `expect term|commit|applied` reads.
    public enum Counter: String, Equatable, Sendable, CaseIterable {
        /// The node's current term.
        case term
        /// Its commit index.
        case commit
        /// Its state machine's last applied index.
        case applied
    }

    /// `KEY=VALUE` (`KEY=`: the key is absent).
    public struct KeyValue: Equatable, Sendable {
        /// The key.
        public var key: String
        /// The value; nil for absent.
        public var value: String?
        /// A pair.
        public init(key: String, value: String?) {
            self.key = key
            self.value = value
        }
    }

    /// `leader NODE|none`.
    case leader(Target)
    /// `role NODE|all ROLE` (`down`, or a `Role` raw value).
    case role(Nodes, String)
    /// `term|commit|applied NODE|all N`.
    case counter(Counter, Nodes, UInt64)
    /// `log NODE|all TERM…`.
    case log(Nodes, [UInt64])
    /// `kv NODE|all KEY=VALUE…`.
    case kv(Nodes, [KeyValue])
    /// `msgs N`: messages in flight.
    case msgs(UInt64)
    /// `voted NODE NODE|none`.
    case voted(Nodes, Target)
    /// `reads NODE|all N`: reads started there and not yet answered.
    case reads(Nodes, UInt64)
    /// `up NODE|all` (`up` true) or `down NODE|all`.
    case up(Nodes, Bool)
    /// `refused COMMAND… [because WORD…]`.
    case refused(command: [String], because: [String])
    /// `known-leader NODE|all NODE|none`.
    case knownLeader(Nodes, Target)
    /// `transfer NODE|all NODE|none`: the leader's transfer target.
    case transfer(Nodes, Target)
    /// `progress LEADER FOLLOWER probe|replicate|snapshot [match=N] [next=N]`.
    case progress(leader: NodeID, follower: NodeID, state: String, match: UInt64?, next: UInt64?)
    /// `read N KEY=VALUE|KEY= [index=I]`: how read N was answered.
    case read(context: UInt64, KeyValue, index: UInt64?)
    /// `config NODE|all voters=… [old=…] [learners=…]`.
    case config(Nodes, voters: [NodeID], old: [NodeID], learners: [NodeID])
    /// `snapshot NODE|all INDEX[@TERM]|none` (index nil: none).
    case snapshot(Nodes, index: UInt64?, term: UInt64?)
    /// `exit N`: the exit code of the last logdump command.
    case exit(Int32)
    /// `invariants ok`.
    case invariantsHold
    /// `violation NAME…`.
    case violation([String])

    /// Every form, in the order completion offers them.
    public static let forms = [
        "leader", "role", "term", "commit", "applied", "log", "kv", "msgs", "reads", "voted",
        "config", "snapshot", "up", "down", "exit", "invariants", "violation",
        "refused", "known-leader", "transfer", "progress", "read",
    ]
}

extension Expectation.Nodes: CustomStringConvertible {
    /// `all` or `nK`.
    public var description: String {
        switch self {
        case .all: "all"
        case .node(let id): NodeName.of(id)
        }
    }
}

extension Expectation.Target: CustomStringConvertible {
    /// `none`, `all` or `nK`.
    public var description: String {
        switch self {
        case .none: "none"
        case .nodes(let nodes): nodes.description
        }
    }
}

extension Expectation.KeyValue: CustomStringConvertible {
    /// `KEY=VALUE` or `KEY=`.
    public var description: String { "\(key)=\(value ?? "")" }
}

extension Expectation: CustomStringConvertible {
    /// The words after `expect`, canonically spelled.
    public var words: [String] {
        func list(_ ids: [NodeID]) -> String { ids.map(NodeName.of).joined(separator: ",") }
        switch self {
        case .leader(let target): return ["leader", target.description]
        case .role(let nodes, let role): return ["role", nodes.description, role]
        case .counter(let counter, let nodes, let value): return [counter.rawValue, nodes.description, String(value)]
        case .log(let nodes, let terms): return ["log", nodes.description] + terms.map(String.init)
        case .kv(let nodes, let pairs): return ["kv", nodes.description] + pairs.map(\.description)
        case .msgs(let count): return ["msgs", String(count)]
        case .voted(let nodes, let target): return ["voted", nodes.description, target.description]
        case .reads(let nodes, let count): return ["reads", nodes.description, String(count)]
        case .up(let nodes, let up): return [up ? "up" : "down", nodes.description]
        case .refused(let command, let reason): return ["refused"] + command + (reason.isEmpty ? [] : ["because"] + reason)
        case .knownLeader(let nodes, let target): return ["known-leader", nodes.description, target.description]
        case .transfer(let nodes, let target): return ["transfer", nodes.description, target.description]
        case .progress(let leader, let follower, let state, let match, let next):
            return ["progress", NodeName.of(leader), NodeName.of(follower), state]
                + (match.map { ["match=\($0)"] } ?? []) + (next.map { ["next=\($0)"] } ?? [])
        case .read(let context, let pair, let index): return ["read", String(context), pair.description] + (index.map { ["index=\($0)"] } ?? [])
        case .config(let nodes, let voters, let old, let learners):
            return ["config", nodes.description, "voters=\(list(voters))"]
                + (old.isEmpty ? [] : ["old=\(list(old))"]) + (learners.isEmpty ? [] : ["learners=\(list(learners))"])
        case .snapshot(let nodes, let index, let term):
            return ["snapshot", nodes.description, index.map { "\($0)" + (term.map { "@\($0)" } ?? "") } ?? "none"]
        case .exit(let code): return ["exit", String(code)]
        case .invariantsHold: return ["invariants", "ok"]
        case .violation(let name): return ["violation"] + name
        }
    }

    /// The words after `expect`, joined.
    public var description: String { words.joined(separator: " ") }
}
