import RaftCore

/// Random schedules over a simulated cluster with the invariant checker on: deliveries, drops,
/// duplicated-by-delay reorderings, ticks, proposals, crashes, restarts, partitions, campaigns.
///
/// Every random choice comes from one `SeededGenerator`, so a seed reproduces a run exactly; the
/// run is recorded as a `raftstep` script that replays it (`raftstep --script FILE`).
public enum Explorer {
    /// What to explore.
    public struct Options: Sendable {
        /// Cluster size.
        public var nodes = 5
        /// Actions per run.
        public var steps = 2000
        /// Teaching knobs to switch on (each breaks one rule; the checker should catch it).
        public var unsafe: UnsafeKnobs = []
        /// Whether nodes may run with sync off (a crash then loses acknowledged writes — unsafe).
        public var allowSyncOff = false
        /// Pre-vote, check-quorum and leader no-op are drawn per run when nil.
        public var preVote: Bool?
        public var checkQuorum: Bool?
        public var leaderNoop: Bool?
        /// Defaults.
        public init() {}

        /// Switches on the knob with this name; false when there is none.
        public mutating func enableKnob(named name: String) -> Bool {
            guard let knob = UnsafeKnobs(name: name) else { return false }
            unsafe.insert(knob)
            return true
        }
    }

    /// The names of the teaching knobs.
    public static var knobNames: [String] { UnsafeKnobs.named.map(\.name) }

    /// The outcome of one run.
    public struct Result: Sendable {
        /// The seed.
        public var seed: UInt64
        /// The first violation found, if any.
        public var violation: InvariantViolation?
        /// The run as a script (through the step that found the violation).
        public var script: [String]
        /// Actions that took effect.
        public var steps: Int
        /// The highest commit index any node reached.
        public var maxCommit: UInt64
        /// The highest term any node reached.
        public var maxTerm: UInt64
    }

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
        clusterOptions.unsafe = options.unsafe
        var script = ["# raftstep explore: seed \(seed), \(options.steps) steps", "reset nodes=\(options.nodes) seed=\(seed)"]
        if !clusterOptions.preVote { script.append("set prevote off") }
        if !clusterOptions.checkQuorum { script.append("set checkquorum off") }
        if !clusterOptions.leaderNoop { script.append("set leader-noop off") }
        for (name, knob) in UnsafeKnobs.named where options.unsafe.contains(knob) { script.append("set unsafe \(name) on") }
        guard let cluster = try? Cluster(options: clusterOptions) else {
            return Result(seed: seed, violation: nil, script: script, steps: 0, maxCommit: 0, maxTerm: 0)
        }
        cluster.isNarrating = false
        let n = UInt64(options.nodes)
        var steps = 0
        var proposals = 0
        for _ in 0..<options.steps {
            let node = NodeID(1 + rng.next(below: n))
            let roll = rng.next(below: 1000)
            var line: String?
            switch roll {
            case 0..<380:
                // Mostly the oldest message, sometimes a random one (reordering).
                if cluster.inFlight.isEmpty { break }
                if rng.next(below: 4) == 0 {
                    let item = cluster.inFlight[Int(rng.next(below: UInt64(cluster.inFlight.count)))]
                    if (try? cluster.deliver(.ids([item.id]))) != nil { line = "deliver \(item.id)" }
                } else if (try? cluster.deliver(.oldest)) != nil {
                    line = "deliver"
                }
            case 380..<440:
                if cluster.inFlight.isEmpty { break }
                let item = cluster.inFlight[Int(rng.next(below: UInt64(cluster.inFlight.count)))]
                if (try? cluster.drop(.ids([item.id]))) != nil { line = "drop \(item.id)" }
            case 440..<600:
                if (try? cluster.tick([], count: 1)) != nil { line = "tick" }
            case 600..<680:
                proposals += 1
                let text = "set k\(rng.next(below: 5)) \(proposals)"
                if let leader = cluster.leader, (try? cluster.propose(text, on: leader)) != nil { line = "propose \(text)" }
            case 680..<715:
                if (try? cluster.crash(node)) != nil { line = "crash \(Describe.n(node))" }
            case 715..<790:
                if (try? cluster.restart(node)) != nil { line = "restart \(Describe.n(node))" }
            case 790..<810:
                let other = NodeID(1 + rng.next(below: n))
                if (try? cluster.partition(other == node ? [[node]] : [[node], [other]])) != nil {
                    line = other == node ? "partition \(Describe.n(node))" : "partition \(Describe.n(node)) | \(Describe.n(other))"
                }
            case 810..<840:
                cluster.heal()
                line = "heal"
            case 840..<870:
                if (try? cluster.campaign(node)) != nil { line = "campaign \(Describe.n(node))" }
            case 870..<880:
                if (try? cluster.transfer(to: node)) != nil { line = "transfer \(Describe.n(node))" }
            case 900..<915:
                if cluster.inFlight.isEmpty { break }
                let item = cluster.inFlight[Int(rng.next(below: UInt64(cluster.inFlight.count)))]
                if (try? cluster.duplicate(.ids([item.id]))) != nil { line = "duplicate \(item.id)" }
            case 915..<935:
                let key = "k\(rng.next(below: 5))"
                if let leader = cluster.leader, (try? cluster.read(key, on: leader)) != nil { line = "read \(key)" }
            case 880..<900:
                guard options.allowSyncOff else { break }
                let on = rng.next(below: 2) == 0
                if (try? cluster.setSync(node, on)) != nil { line = "set sync \(Describe.n(node)) \(on ? "on" : "off")" }
            default:
                if (try? cluster.stabilize(limit: 30)) != nil { line = "stabilize 30" }
            }
            if let line {
                script.append(line)
                steps += 1
            }
            if let violation = cluster.violations.first {
                script.append("# \(violation)")
                script.append("expect violation \(violation.invariant)")
                return Result(seed: seed, violation: violation, script: script, steps: steps,
                              maxCommit: maxCommit(cluster), maxTerm: maxTerm(cluster))
            }
        }
        script.append("expect invariants ok")
        return Result(seed: seed, violation: nil, script: script, steps: steps, maxCommit: maxCommit(cluster), maxTerm: maxTerm(cluster))
    }

    static func maxCommit(_ cluster: Cluster) -> UInt64 {
        cluster.ids.compactMap { cluster.node($0)?.commitIndex }.max() ?? 0
    }

    static func maxTerm(_ cluster: Cluster) -> UInt64 {
        cluster.ids.compactMap { cluster.node($0)?.term }.max() ?? 0
    }
}
