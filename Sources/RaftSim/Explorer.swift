import RaftCore

/// A kind of fault (or client activity) the explorer may inject; `--faults` names them.
public enum Fault: String, CaseIterable, Sendable {
    case reorder, drop, duplicate, partition, crash, torn, proposals, reads, elections, membership, compaction
    // Network and time faults (issue 18 §3; ExplorerDriver+Network.swift).
    case skew, timing, split, bridge, replay, delay
    case oneWay = "one-way"
    case syncOff = "sync-off"
    case localReads = "local-reads"
    case oldDisk = "old-disk"

    /// What the fault does, for `--help`.
    public var help: String {
        switch self {
        case .reorder: return "deliver a random in-flight message instead of the oldest (delay and reordering)"
        case .drop: return "lose a random in-flight message"
        case .duplicate: return "put a copy of a random in-flight message in flight (delivered twice)"
        case .partition: return "cut a node off, or the links between two nodes, and heal again later"
        case .crash: return "crash a node, half the time the leader (volatile state lost), and restart it from its disk later"
        case .torn:
            return
                "crash a node in the middle of a write: a follower's append torn without syncing, or a power cut after a drawn number of file operations of a vote, a leader's own append, a snapshot install or a compaction; nothing it would have sent after the crash point leaves"
        case .proposals: return "client proposals (set kN V) on the leader; a proposal is acknowledged when the leader applies it"
        case .reads: return "client ReadIndex reads on the leader; each answer is checked against the committed history"
        case .elections: return "force campaigns and leadership transfers"
        case .membership:
            return
                "the leader proposes adding a voter or a learner, promoting a learner, or removing a member (the leader too); some runs start with spare nodes outside the configuration"
        case .compaction:
            return
                "a node snapshots its store through an applied index and drops the log before it; some runs compact automatically (lagging followers then catch up by InstallSnapshot)"
        case .skew: return "tick one node or a few, 1-5 times, while the others' clocks stand still (nodes' clocks run at different rates)"
        case .timing:
            return
                "about half the nodes run with their own election timeout (4-24 ticks with pre-vote, 10-12 without) and heartbeat interval (1-3), drawn per run (set election-ticks NODE N)"
        case .split:
            return
                "partition the nodes into two or three groups at random: majority/minority splits of any sizes, and splits with no majority anywhere"
        case .oneWay:
            return
                "cut one direction only: one link, every link out of a node (it hears all, none hears it) or every link into it; half the time the node is the leader"
        case .bridge:
            return
                "a non-transitive partition: two sides that do not see each other and a node that sees both (a stale leader may keep it as a follower)"
        case .replay: return "put a copy of a message delivered long ago back in flight (a stale append, vote or snapshot from earlier terms)"
        case .delay: return "hold an in-flight message back for 20-400 deliveries (a long delay, beyond reordering what is in flight)"
        case .syncOff: return "UNSAFE storage shortcut: nodes acknowledge writes before syncing them (a crash loses them); off unless named"
        case .localReads: return "UNSAFE read shortcut: the leader answers reads from its own state at once, without ReadIndex; off unless named"
        case .oldDisk:
            return
                "UNSAFE operator error: back a node's files up, and later restart it from that older copy (it forgets votes and entries it gave since); off unless named"
        }
    }

    /// Whether the fault is an unsafe shortcut (it breaks a guarantee; the checker should notice).
    public var isUnsafe: Bool { self == .syncOff || self == .localReads || self == .oldDisk }

    /// Every fault except the unsafe ones.
    public static let safe: [Fault] = allCases.filter { !$0.isUnsafe }

    /// The network and time faults of issue 18 §3 (seed windows measured before them leave them out).
    public static let networkAndTime: [Fault] = [.skew, .timing, .split, .oneWay, .bridge, .replay, .delay]

    /// Parses `reorder,drop,…`; `all` (every safe fault) and `none` are accepted too, and `-NAME`
    /// takes a fault out of what the words before it named (`all,-membership`).
    public static func parseList(_ text: String) -> Result<[Fault], FaultListError> {
        var faults: [Fault] = []
        for word in text.split(separator: ",", omittingEmptySubsequences: true).map({ String($0).lowercased() }) {
            if word == "all" { faults += safe; continue }
            if word == "none" { continue }
            let name = word.hasPrefix("-") ? String(word.dropFirst()) : word
            guard let fault = Fault(rawValue: name) else { return .failure(FaultListError(word: word)) }
            if word.hasPrefix("-") { faults.removeAll { $0 == fault } } else { faults.append(fault) }
        }
        return .success(Fault.allCases.filter { faults.contains($0) })
    }

    /// An unknown name in a fault list.
    public struct FaultListError: Error, CustomStringConvertible {
        /// The word that names no fault.
        public var word: String
        /// The word, and the names that would have been accepted.
        public var description: String {
            "no fault '\(word)' (faults: \(Fault.allCases.map(\.rawValue).joined(separator: ", ")), all, none; -NAME leaves one out)"
        }
    }
}

/// Random schedules over a simulated cluster with the invariant checker on: deliveries (in order
/// and reordered), drops, duplicates, ticks, proposals, reads, crashes (clean and torn), restarts,
/// partitions, campaigns and transfers; then a liveness phase (faults stop, the network heals,
/// every node comes up) that must elect a leader and apply every acknowledged proposal everywhere.
///
/// Every random choice comes from one `SeededGenerator`, so a seed reproduces a run exactly. The
/// run is kept as a list of actions, not text, so a run costs no string building; a failing run
/// is shortened by delta debugging and rendered as a `raftstep` script that replays it.
public enum Explorer {
    /// What to explore.
    public struct Options: Sendable {
        /// Cluster size.
        public var nodes = 5
        /// Actions per run (before the liveness phase).
        public var steps = 2000
        /// The faults to inject.
        public var faults: [Fault] = Fault.safe
        /// Teaching knobs to switch on (each breaks one rule; the checker should catch it).
        public var unsafe: UnsafeKnobs = []
        /// Pre-vote, check-quorum and leader no-op are drawn per run when nil.
        public var preVote: Bool?
        /// Check-quorum in every run, or drawn per run when nil.
        public var checkQuorum: Bool?
        /// The leader's no-op entry in every run, or drawn per run when nil.
        public var leaderNoop: Bool?
        /// Read rounds asking only a quorum (`raftd`'s setting) in every run, or drawn per run when nil.
        public var readQuorum: Bool?
        /// Tick rounds the liveness phase may take (each: one tick of every node, then deliver
        /// until nothing is in flight).
        /// 500: after a run full of membership changes with pre-vote and check-quorum off, a
        /// removed server's campaigns can cost several elections before the last joint change
        /// completes (seeds 882 and 2932 of the first campaigns needed 200–400; none failed at 400).
        public var livenessRounds = 500
        /// Whether to run the liveness phase at all.
        public var liveness = true
        /// Crashes keep any subset of unsynced 4 KiB pages (`--crash-model pages`) instead of a
        /// prefix of the last write.
        public var pageCrashes = false
        /// Replays the shortening of a failing run may take.
        public var shrinkBudget = 600
        /// Defaults.
        public init() {}

        /// Whether nodes may run with sync off (a crash then loses acknowledged writes — unsafe).
        public var allowSyncOff: Bool {
            get { faults.contains(.syncOff) }
            set {
                faults.removeAll { $0 == .syncOff }
                if newValue { faults.append(.syncOff) }
            }
        }

        /// Switches on the knob with this name; false when there is none.
        public mutating func enableKnob(named name: String) -> Bool {
            guard let knob = UnsafeKnobs(name: name) else { return false }
            unsafe.insert(knob)
            return true
        }
    }

    /// The names of the teaching knobs.
    public static var knobNames: [String] { UnsafeKnobs.named.map(\.name) }

    /// Counts of what a run did.
    public struct Stats: Sendable, Equatable {
        /// Actions that took effect.
        public var actions = 0
        /// Simulated events: inputs the nodes handled (deliveries, node ticks, proposals, reads…).
        public var events = 0
        /// Faults injected (reorderings, drops, duplicates, partitions, crashes, torn writes, sync-offs).
        public var faults = 0
        /// Proposals acknowledged to the client.
        public var acknowledged = 0
        /// Reads answered.
        public var reads = 0
        /// Membership changes the leader accepted.
        public var configChanges = 0
        /// Compactions asked for by the schedule (automatic ones are not counted).
        public var compactions = 0
        /// Tick rounds the liveness phase took.
        public var livenessRounds = 0
        /// The network and time faults, kind by kind.
        public var network = NetworkStats()
        /// No counts yet.
        public init() {}
    }

    /// The outcome of one run.
    public struct Result: Sendable {
        /// The seed.
        public var seed: UInt64
        /// The first violation found (a safety invariant, `Liveness` or `Acknowledged Write Lost`).
        public var violation: InvariantViolation?
        /// The run as a `raftstep` script: empty after `run` (rendering replays the run, so it is
        /// done on request: `Explorer.script(for:options:)`, `shrink`, `fullScript`).
        public var script: [String]
        /// Actions that took effect.
        public var steps: Int
        /// The highest commit index any node reached.
        public var maxCommit: UInt64
        /// The highest term any node reached.
        public var maxTerm: UInt64
        /// What the run did.
        public var stats: Stats
        /// The actions of the run (for shortening).
        var actions: [Action]
        /// The cluster options of the run.
        var clusterOptions: ClusterOptions

        /// The result without the actions only shortening and rendering need: what a report
        /// keeps once the script has been made (a run's actions are most of its memory).
        public var withoutActions: Result {
            var copy = self
            copy.actions = []
            return copy
        }
    }

    /// One step of a schedule. Messages are named by link and position among the messages in
    /// flight on that link, so a schedule stays meaningful when earlier steps are removed.
    enum Action: Sendable, Equatable {
        case deliverOldest
        case deliver(MessageRef)
        case drop(MessageRef)
        case duplicate(MessageRef)
        case torn(MessageRef)
        case tick
        case propose(key: UInt8, value: Int)
        case read(key: UInt8)
        case crash(NodeID)
        case restart(NodeID)
        case partition(NodeID, NodeID)
        case heal
        case campaign(NodeID)
        case transfer(NodeID)
        case sync(NodeID, Bool)
        case stabilize
        /// A membership change proposed on the leader.
        case member(ConfigChange)
        /// Cut the leader off, then propose a write and this change on it (left uncommitted, so
        /// that a new leader may append a competing change at the same index).
        case competingChange(ConfigChange, value: Int)
        /// Compact the node's log through its applied index minus `back` (at least its first index).
        case compact(NodeID, back: UInt64)
        /// A node or disk fault (`ExplorerDriver+NodeFaults.swift`).
        case node(NodeFault)
        // Network and time faults (ExplorerDriver+Network.swift).
        /// Tick these nodes only, `count` times.
        case tickSome([NodeID], count: Int)
        /// Partition into these groups (every node named).
        case split([[NodeID]])
        /// Cut every link from a node of `from` to a node of `to` (one direction).
        case oneWay(from: [NodeID], to: [NodeID])
        /// Heal, then cut both directions between `left` and `right`; the other nodes see both.
        case bridge(left: [NodeID], right: [NodeID])
        /// Put a copy of a kept delivered message back in flight.
        case replay(KeptRef)
        /// Hold an in-flight message back for this many deliveries.
        case delay(MessageRef, deliveries: Int)
    }

    struct MessageRef: Sendable, Equatable {
        var from: NodeID
        var to: NodeID
        var ordinal: Int
    }

    // MARK: Running

    /// Runs one seed.
    public static func run(seed: UInt64, options: Options) -> Result {
        var rng = SeededGenerator(seed: seed)
        func coin(_ fixed: Bool?) -> Bool { fixed ?? (rng.next(below: 2) == 0) }
        var clusterOptions = ClusterOptions()
        clusterOptions.nodeCount = options.nodes
        clusterOptions.seed = seed
        clusterOptions.preVote = coin(options.preVote)
        clusterOptions.checkQuorum = coin(options.checkQuorum)
        clusterOptions.leaderNoop = coin(options.leaderNoop)
        // Drawn from a generator of its own, so that every other choice of a seed stays what it was
        // before this setting existed (the seeds' recorded outcomes and shortened scripts).
        var readQuorumGenerator = SeededGenerator(seed: seed ^ 0x7265_6164_7175_6f72)  // "readquor"
        clusterOptions.readQuorum = options.readQuorum ?? (readQuorumGenerator.next(below: 2) == 0)
        clusterOptions.unsafe = options.unsafe
        // Power cuts into preallocated zeros (row R11, rule D inside zeros), as raftd writes: 3,000
        // bytes, not a multiple of a sector or a page, a few KiB of memory per node.
        clusterOptions.preallocateBytes = 3_000
        // Spare nodes outside the starting configuration give `add` something to add.
        if options.faults.contains(.membership), options.nodes > 1, rng.next(below: 2) == 0 {
            clusterOptions.voterCount = options.nodes - 1 - Int(rng.next(below: UInt64(min(2, options.nodes - 1))))
        }
        // Automatic compaction in some runs: small thresholds make InstallSnapshot common.
        if options.faults.contains(.compaction) {
            clusterOptions.compactThreshold = [0, 0, 3, 10][Int(rng.next(below: 4))]
        }
        if options.faults.contains(.timing) { clusterOptions.nodeTiming = drawTiming(&rng, nodes: options.nodes, preVote: clusterOptions.preVote) }
        guard let cluster = makeCluster(clusterOptions, options) else {
            return Result(
                seed: seed, violation: nil, script: [], steps: 0, maxCommit: 0, maxTerm: 0,
                stats: Stats(), actions: [], clusterOptions: clusterOptions)
        }
        var driver = Driver(cluster: cluster, record: false)
        driver.stats.network.timedNodes = clusterOptions.nodeTiming.count
        var generator = Generator(options: options)
        // Vary the load per run: one run in three proposes sparsely.
        if rng.next(below: 3) == 0 { generator.sparseness = 12 }
        var actions: [Action] = []
        actions.reserveCapacity(options.steps)
        for _ in 0..<options.steps {
            let action = generator.next(&rng, cluster)
            guard let action else { continue }
            if driver.apply(action) { actions.append(action) }
            if driver.failure != nil { break }
        }
        if driver.failure == nil && options.liveness { driver.liveness(rounds: options.livenessRounds) }
        if driver.failure == nil { cluster.fullCheck() }
        var result = Result(
            seed: seed, violation: driver.failure, script: [], steps: actions.count,
            maxCommit: maxCommit(cluster), maxTerm: maxTerm(cluster),
            stats: driver.stats, actions: actions, clusterOptions: clusterOptions)
        result.stats.events = cluster.stepCount
        return result
    }

    /// The run as a script (replays the recorded actions; for a failing run, the shortened one
    /// comes from `shrink`).
    public static func script(for result: Result, options: Options) -> [String] {
        render(seed: result.seed, clusterOptions: result.clusterOptions, actions: result.actions, options: options).script
    }

    /// Shortens a failing run as far as it still fails with the same invariant: delta debugging
    /// over the actions (remove chunks, halving their size), within `options.shrinkBudget` replays.
    /// Returns the result with the shorter schedule and its script.
    public static func shrink(_ result: Result, options: Options) -> Result {
        guard let violation = result.violation else { return result }
        var best = result.actions
        var replays = 0
        func fails(_ candidate: [Action]) -> [Action]? {
            replays += 1
            let outcome = replay(clusterOptions: result.clusterOptions, actions: candidate, options: options, record: false)
            return outcome.failure?.invariant == violation.invariant ? outcome.applied : nil
        }
        var chunk = max(1, best.count / 2)
        while replays < options.shrinkBudget {
            var removedAny = false
            var start = 0
            while start < best.count && replays < options.shrinkBudget {
                var candidate = best
                candidate.removeSubrange(start..<min(best.count, start + chunk))
                if let kept = fails(candidate) {
                    best = kept
                    removedAny = true
                } else {
                    start += chunk
                }
            }
            if chunk == 1 && !removedAny { break }
            if !removedAny || chunk > 1 { chunk = max(1, chunk / 2) }
        }
        let rendered = render(seed: result.seed, clusterOptions: result.clusterOptions, actions: best, options: options)
        var shorter = result
        shorter.actions = best
        shorter.steps = best.count
        shorter.violation = rendered.failure ?? violation
        shorter.script = rendered.script
        return shorter
    }

    /// Renders a failing run's script without shortening it.
    public static func fullScript(_ result: Result, options: Options) -> Result {
        var copy = result
        let rendered = render(seed: result.seed, clusterOptions: result.clusterOptions, actions: result.actions, options: options)
        copy.script = rendered.script
        if let failure = rendered.failure { copy.violation = failure }
        return copy
    }

    struct Outcome {
        var failure: InvariantViolation?
        var applied: [Action]
        var lines: [String]
    }

    /// A quiet cluster for one run (or its replay), with the run's read shortcut.
    static func makeCluster(_ clusterOptions: ClusterOptions, _ options: Options) -> Cluster? {
        guard let cluster = try? Cluster(options: clusterOptions) else { return nil }
        cluster.isNarrating = false
        // With the page model a crash keeps any subset of unsynced 4 KiB pages (the CLI's default);
        // otherwise a prefix of the last unsynced write.
        if options.pageCrashes { cluster.setCrashModel(pages: true) }
        if options.faults.contains(.localReads) { _ = cluster.setLocalReads(true) }
        return cluster
    }

    static func replay(clusterOptions: ClusterOptions, actions: [Action], options: Options, record: Bool) -> Outcome {
        guard let cluster = makeCluster(clusterOptions, options) else { return Outcome(failure: nil, applied: [], lines: []) }
        var driver = Driver(cluster: cluster, record: record)
        var applied: [Action] = []
        for action in actions {
            if driver.apply(action) { applied.append(action) }
            if driver.failure != nil { break }
        }
        if driver.failure == nil && options.liveness { driver.liveness(rounds: options.livenessRounds) }
        if driver.failure == nil { cluster.fullCheck() }
        return Outcome(failure: driver.failure, applied: applied, lines: driver.lines)
    }

    static func render(seed: UInt64, clusterOptions: ClusterOptions, actions: [Action], options: Options) -> (
        script: [String], failure: InvariantViolation?
    ) {
        let outcome = replay(clusterOptions: clusterOptions, actions: actions, options: options, record: true)
        let voters = clusterOptions.voterCount.map { " voters=\($0)" } ?? ""
        var script = [
            "# raftstep explore: seed \(seed), \(options.nodes) nodes, \(options.steps) steps, faults \(options.faults.map(\.rawValue).joined(separator: ","))",
            "reset nodes=\(clusterOptions.nodeCount)\(voters) seed=\(seed)",
        ]
        if options.pageCrashes { script.append("set crash-model pages") }
        if clusterOptions.preallocateBytes > 0 {
            script.append(
                "# the explorer's disks preallocate \(clusterOptions.preallocateBytes) bytes (the REPL's do not): a failure that needs it replays with `raftstep explore --seeds \(seed)`"
            )
        }
        if clusterOptions.compactThreshold > 0 { script.append("set compact-threshold \(clusterOptions.compactThreshold)") }
        for (id, timing) in clusterOptions.nodeTiming.sorted(by: { $0.key < $1.key }) {
            if let ticks = timing.electionTicks { script.append(Command.set(.nodeElectionTicks(id, ticks)).description) }
            if let ticks = timing.heartbeatTicks { script.append(Command.set(.nodeHeartbeatTicks(id, ticks)).description) }
        }
        if !clusterOptions.preVote { script.append("set prevote off") }
        if !clusterOptions.checkQuorum { script.append("set checkquorum off") }
        if !clusterOptions.leaderNoop { script.append("set leader-noop off") }
        if clusterOptions.readQuorum { script.append("set read-quorum on") }
        for (name, knob) in UnsafeKnobs.named where clusterOptions.unsafe.contains(knob) { script.append("set unsafe \(name) on") }
        if options.faults.contains(.localReads) { script.append("set local-reads on") }
        script += outcome.lines
        if let failure = outcome.failure {
            if !(script.last?.hasPrefix("# \(failure)") ?? false) && !(script.dropLast().last?.hasPrefix("# \(failure)") ?? false) {
                script.append("# \(failure)")
            }
        } else {
            script.append("expect invariants ok")
        }
        return (script, outcome.failure)
    }

    static func maxCommit(_ cluster: Cluster) -> UInt64 {
        cluster.ids.compactMap { cluster.node($0)?.commitIndex }.max() ?? 0
    }

    static func maxTerm(_ cluster: Cluster) -> UInt64 {
        cluster.ids.compactMap { cluster.node($0)?.term }.max() ?? 0
    }
}
