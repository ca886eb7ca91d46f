import RaftCore

/// The explorer's network and time faults (issue 18 §3): nodes ticking at different rates and
/// with their own election and heartbeat settings, majority/minority splits, one-way cuts,
/// non-transitive partitions, stale messages replayed long after delivery, and long delays.
extension Explorer {
    /// Which network and time faults a run's schedule draws.
    struct NetworkFaults: Sendable {
        var skew, split, oneWay, bridge, replay, delay: Bool

        init(_ faults: [Fault]) {
            skew = faults.contains(.skew); split = faults.contains(.split); oneWay = faults.contains(.oneWay)
            bridge = faults.contains(.bridge); replay = faults.contains(.replay); delay = faults.contains(.delay)
        }

        /// Whether a fault that cuts links is on (the schedule then heals too).
        var cutsLinks: Bool { split || oneWay || bridge }
    }

    /// How often each network and time fault took effect in a run.
    public struct NetworkStats: Sendable, Equatable {
        /// Ticks of one node or a subset (the others' clocks stand still meanwhile).
        public var skewedTicks = 0
        /// Nodes that ran with their own election and heartbeat settings.
        public var timedNodes = 0
        /// Partitions into two or three groups of any sizes.
        public var splits = 0
        /// One-way cut actions (one link, or every link into or out of a node).
        public var oneWayCuts = 0
        /// Non-transitive partitions.
        public var bridges = 0
        /// Delivered messages put back in flight.
        public var replays = 0
        /// In-flight messages held back.
        public var delays = 0
        /// Counts all zero.
        public init() {}
    }

    /// A delivered message the network keeps, named by link and position among the kept
    /// messages on that link (oldest first), so a schedule stays meaningful when shortened.
    struct KeptRef: Sendable, Equatable {
        var from: NodeID
        var to: NodeID
        var ordinal: Int
    }

    /// The heartbeat intervals `timing` draws from.
    static let drawnHeartbeatTicks = 1...3
    /// The election timeouts `timing` draws from in runs with pre-vote: above every drawn
    /// heartbeat, so a node's election timer outlasts any leader's heartbeat interval (the core's
    /// rule, across nodes).
    static let drawnElectionTicks = 4...24
    /// The election timeouts drawn in runs without pre-vote: near the cluster's 10. There a
    /// candidate's higher term resets every node's election timer (the core steps down and
    /// restarts its timer, as etcd does), so a node whose whole timeout range lies below the
    /// others' and whose log is behind campaigns first every time and no one can win: the first
    /// campaigns with 4…24 found this (seeds 1, 6 and 14 of 30 failed liveness, all without
    /// pre-vote). Raft's randomized timeouts assume one interval for all servers (paper §5.2).
    static let drawnElectionTicksWithoutPreVote = 10...12

    /// Election and heartbeat settings for about half the nodes, drawn from the run's seed.
    static func drawTiming(_ rng: inout SeededGenerator, nodes: Int, preVote: Bool) -> [NodeID: NodeTiming] {
        let elections = preVote ? drawnElectionTicks : drawnElectionTicksWithoutPreVote
        assert(elections.lowerBound > drawnHeartbeatTicks.upperBound)
        var timing: [NodeID: NodeTiming] = [:]
        for id in 1...max(1, nodes) where rng.next(below: 2) == 0 {
            let election = elections.lowerBound + Int(rng.next(below: UInt64(elections.count)))
            let heartbeat = drawnHeartbeatTicks.lowerBound + Int(rng.next(below: UInt64(drawnHeartbeatTicks.count)))
            timing[NodeID(id)] = NodeTiming(electionTicks: election, heartbeatTicks: heartbeat)
        }
        return timing
    }
}

extension Explorer.Generator {
    /// A tick of one running node (half the time) or a random subset, 1…5 times: those clocks run
    /// ahead of the others'.
    func skewedTick(_ rng: inout SeededGenerator, _ cluster: Cluster) -> Explorer.Action? {
        let up = cluster.ids.filter { cluster.isUp($0) }
        guard up.count >= 2 else { return nil }
        var chosen: [NodeID] = []
        if rng.next(below: 2) == 0 {
            chosen = [up[Int(rng.next(below: UInt64(up.count)))]]
        } else {
            for id in up where rng.next(below: 2) == 0 { chosen.append(id) }
            if chosen.isEmpty || chosen.count == up.count { return nil }
        }
        return .tickSome(chosen, count: 1 + Int(rng.next(below: 5)))
    }

    /// The partition-like action of the partition roll: the classic one (a node, or two nodes,
    /// cut off) or one of the new kinds, evenly among those switched on.
    func partitionAction(_ rng: inout SeededGenerator, _ cluster: Cluster, _ node: NodeID) -> Explorer.Action? {
        var kinds: [Int] = []
        if partition { kinds.append(0) }
        if network.split { kinds.append(1) }
        if network.oneWay { kinds.append(2) }
        if network.bridge { kinds.append(3) }
        guard !kinds.isEmpty else { return nil }
        // With only the classic partition on no extra draw is made (the runs stay as before).
        let kind = kinds.count == 1 ? kinds[0] : kinds[Int(rng.next(below: UInt64(kinds.count)))]
        switch kind {
        case 0: return .partition(node, NodeID(1 + rng.next(below: nodes)))
        case 1: return split(&rng)
        case 2: return oneWay(&rng, cluster, node)
        default: return bridge(&rng, cluster)
        }
    }

    /// Every node joins one of two or three groups at random: majority/minority splits of any
    /// sizes, and three-way splits where no side may have a majority.
    private func split(_ rng: inout SeededGenerator) -> Explorer.Action? {
        let count = 2 + Int(rng.next(below: 2))
        var groups = Array(repeating: [NodeID](), count: count)
        for id in 1...nodes { groups[Int(rng.next(below: UInt64(count)))].append(NodeID(id)) }
        groups.removeAll { $0.isEmpty }
        return groups.count >= 2 ? .split(groups) : nil
    }

    /// One direction of links cut: one link, every link out of a node (it hears everyone and
    /// no one hears it) or every link into it. Half the time the node is the leader.
    private func oneWay(_ rng: inout SeededGenerator, _ cluster: Cluster, _ drawn: NodeID) -> Explorer.Action? {
        guard nodes >= 2 else { return nil }
        let node = rng.next(below: 2) == 0 ? cluster.leader ?? drawn : drawn
        let others = (1...nodes).map { NodeID($0) }.filter { $0 != node }
        switch rng.next(below: 3) {
        case 0: return .oneWay(from: [node], to: [others[Int(rng.next(below: UInt64(others.count)))]])
        case 1: return .oneWay(from: [node], to: others)
        default: return .oneWay(from: others, to: [node])
        }
    }

    /// A non-transitive partition: a left side, one bridge node, a right side; the bridge sees
    /// both sides, the sides do not see each other. Half the time the leader is on the left
    /// (a small side), so it may keep the bridge as its follower while the right side, with the
    /// bridge's vote, elects another leader.
    private func bridge(_ rng: inout SeededGenerator, _ cluster: Cluster) -> Explorer.Action? {
        guard nodes >= 3 else { return nil }
        var order = (1...nodes).map { NodeID($0) }
        for k in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(k, Int(rng.next(below: UInt64(k + 1)))) }
        if rng.next(below: 2) == 0, let leader = cluster.leader, let at = order.firstIndex(of: leader) { order.swapAt(0, at) }
        let leftCount = 1 + Int(rng.next(below: (nodes - 1) / 2))
        return .bridge(left: Array(order[..<leftCount]), right: Array(order[(leftCount + 1)...]))
    }

    /// A delivered message to put back in flight: half the time one of the oldest quarter the
    /// network keeps (a stale append or vote from many terms ago), else any kept one.
    func staleMessage(_ rng: inout SeededGenerator, _ cluster: Cluster) -> Explorer.KeptRef? {
        let count = cluster.keptDeliveredCount
        guard count > 0 else { return nil }
        let position = Int(rng.next(below: UInt64(rng.next(below: 2) == 0 ? max(1, count / 4) : count)))
        let chosen = cluster.keptDelivered(at: position).message
        var ordinal = 0
        for k in 0..<position {
            let other = cluster.keptDelivered(at: k).message
            if other.from == chosen.from && other.to == chosen.to { ordinal += 1 }
        }
        return Explorer.KeptRef(from: chosen.from, to: chosen.to, ordinal: ordinal)
    }

    /// An in-flight message to hold back for 20…400 deliveries.
    func delayed(_ rng: inout SeededGenerator, _ cluster: Cluster) -> Explorer.Action? {
        guard let ref = randomMessage(&rng, cluster) else { return nil }
        return .delay(ref, deliveries: 20 + Int(rng.next(below: 381)))
    }
}

extension Explorer.Driver {
    /// The id of the kept delivered message `ref` names (nil: none now).
    private func resolveKept(_ ref: Explorer.KeptRef) -> Int? {
        var ordinal = 0
        for position in 0..<cluster.keptDeliveredCount {
            let item = cluster.keptDelivered(at: position)
            guard item.message.from == ref.from && item.message.to == ref.to else { continue }
            if ordinal == ref.ordinal { return item.id }
            ordinal += 1
        }
        return nil
    }

    /// Cuts the link from → to unless it is cut already; whether it was cut now.
    private mutating func cut(_ from: NodeID, _ to: NodeID) -> Bool {
        guard from != to, !cluster.isLinkCut(from: from, to: to), (try? cluster.cutLink(from: from, to: to)) != nil else { return false }
        line(.cut(from: from, to: to))
        return true
    }

    /// Applies one of the network and time actions; false when it could not take effect.
    mutating func performNetwork(_ action: Explorer.Action) -> Bool {
        let cluster = self.cluster
        switch action {
        case .tickSome(let ids, let count):
            guard (try? cluster.tick(ids, count: count)) != nil else { return false }
            stats.network.skewedTicks += 1
            line(.tick(nodes: ids, count: count))
        case .split(let groups):
            guard (try? cluster.partition(groups)) != nil else { return false }
            stats.faults += 1
            stats.network.splits += 1
            line(.partition(groups))
        case .oneWay(let from, let to):
            var any = false
            for a in from { for b in to where cut(a, b) { any = true } }
            guard any else { return false }
            stats.faults += 1
            stats.network.oneWayCuts += 1
        case .bridge(let left, let right):
            line(
                "# a non-transitive partition: \(left.map(Describe.n).joined(separator: " ")) and \(right.map(Describe.n).joined(separator: " ")) do not see each other; the others see both"
            )
            if cluster.hasCutLinks {
                cluster.heal()
                line(.heal)
            }
            for a in left {
                for b in right {
                    _ = cut(a, b)
                    _ = cut(b, a)
                }
            }
            stats.faults += 1
            stats.network.bridges += 1
        case .replay(let ref):
            guard let id = resolveKept(ref), (try? cluster.replay(id)) != nil else { return false }
            stats.faults += 1
            stats.network.replays += 1
            line(.replay(id))
        case .delay(let ref, let deliveries):
            guard let id = resolve(ref), (try? cluster.delay(id, deliveries: deliveries)) != nil else { return false }
            stats.faults += 1
            stats.network.delays += 1
            line(.delay(id, deliveries: deliveries))
        default:
            assertionFailure("\(action) is not a network action")
            return false
        }
        return true
    }
}
