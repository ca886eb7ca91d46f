import Foundation

/// One injected fault and when it was in force (monotonic ns).
public struct FaultInterval: Sendable {
    /// The kinds of fault: process faults (any network) and partitions (network namespaces only).
    public enum Kind: String, Sendable, CaseIterable {
        case killLeader = "kill-9-leader"
        case killFollower = "kill-9-follower"
        case pause = "sigstop"
        case transfer = "transfer"
        case membership = "remove-readd"
        case fullDisk = "disk-full"
        /// One node cut from every other (the leader two times in three); clients still reach it.
        case isolate = "isolate"
        /// A minority (1 of 3, 2 of 5) cut from the majority.
        case split = "split"
        /// Non-transitive: two groups cut from each other, one node (the bridge) reaching both.
        case bridge = "bridge"
        /// A node's link down: cut from peers and clients alike.
        case linkDown = "link-down"

        /// The partitions, which need each node in its own network namespace.
        public static let partitions: [Kind] = [.isolate, .split, .bridge, .linkDown]
        /// True for a partition.
        public var isPartition: Bool { Self.partitions.contains(self) }
    }

    /// What was done.
    public var kind: Kind
    /// To which node.
    public var node: Int
    /// When it started.
    public var startNanoseconds: Int64
    /// When it was healed (the node restarted, resumed, re-added).
    public var endNanoseconds: Int64
    /// What happened, for the report (a failed step says so).
    public var note: String
    /// The nodes the fault left without a majority of the cluster on their side (a partition's
    /// isolated node or minority; empty for the others and for the bridge, where every side has one).
    public var cutOff: [Int] = []
    /// The part of the interval when every cut was in force: from the last route added to the first
    /// removed (the `ip` commands take some milliseconds each).
    public var cutFromNanoseconds: Int64 = 0, cutUntilNanoseconds: Int64 = 0
    /// True when the node that led at the start was among `cutOff`.
    public var leaderCutOff = false
}

/// Injects faults one at a time on a seeded schedule until stopped; heals each before the next.
final class FaultInjector: @unchecked Sendable {
    let cluster: ChaosCluster
    private var random: SeededRandom
    private(set) var intervals: [FaultInterval] = []
    /// Faults the schedule may use.
    let kinds: [FaultInterval.Kind]

    init(cluster: ChaosCluster, seed: UInt64, kinds: [FaultInterval.Kind]) {
        precondition(!kinds.isEmpty, "a schedule needs a fault kind")
        self.cluster = cluster
        self.kinds = kinds
        random = SeededRandom(seed: seed ^ 0xFA17)
    }

    /// Runs until `shouldStop`: a quiet gap, then a fault, healed before the next.
    func run(shouldStop: () -> Bool) {
        while !shouldStop() {
            sleepMilliseconds(random.milliseconds(600, 1500), unless: shouldStop)
            if shouldStop() { break }
            inject(pick())
        }
    }

    /// How many faults were drawn (every other one is a partition when both groups are allowed).
    private var drawn = 0

    /// Alternates partitions and process faults when both are allowed, so that even a short run has
    /// partitions; within a group, leader kills are drawn twice as often as the other kinds.
    private func pick() -> FaultInterval.Kind {
        let partitions = kinds.filter(\.isPartition), others = kinds.filter { !$0.isPartition }
        let group = partitions.isEmpty ? others : others.isEmpty ? partitions : drawn % 2 == 0 ? partitions : others
        drawn += 1
        let weighted = group.flatMap { $0 == .killLeader ? [$0, $0] : [$0] }
        return weighted[random.below(weighted.count)]
    }

    private func inject(_ kind: FaultInterval.Kind) {
        let ids = cluster.ids
        let leader = cluster.leader()
        let followers = ids.filter { $0 != leader }
        switch kind {
        case .killLeader, .killFollower:
            guard let victim = kind == .killLeader ? leader : followers.randomElement(using: &random) else { return }
            let start = monotonicNanoseconds()
            cluster.kill9(victim)
            sleepMilliseconds(random.milliseconds(300, 1500))
            let note = restart(victim)
            record(kind, victim, start, note)
        case .pause:
            let victim = ids[random.below(ids.count)]
            let start = monotonicNanoseconds()
            cluster.setPaused(victim, true)
            sleepMilliseconds(random.milliseconds(300, 1500))
            cluster.setPaused(victim, false)
            record(kind, victim, start, victim == leader ? "the leader" : "")
        case .transfer:
            guard let leader, let target = followers.randomElement(using: &random) else { return }
            let start = monotonicNanoseconds()
            let reply = cluster.call(leader, ["RAFT", "TRANSFER", "\(target)"])
            sleepMilliseconds(300)
            record(kind, target, start, "from \(leader): \(describe(reply))")
        case .membership:
            guard let leader, let victim = followers.randomElement(using: &random) else { return }
            record(kind, victim, monotonicNanoseconds(), removeAndReadd(victim, leader: leader))
        case .isolate, .split, .bridge, .linkDown:
            partition(kind, leader: leader)
        case .fullDisk:
            guard let victim = cluster.smallDiskNode else { return }
            let start = monotonicNanoseconds()
            let filler = cluster.node(victim).directory + "/chaos-filler"
            fill(filler)
            sleepMilliseconds(random.milliseconds(500, 1500))
            try? FileManager.default.removeItem(atPath: filler)
            let died = !cluster.isRunning(victim)
            if died { cluster.kill9(victim) }  // reap it
            let note = died ? "exited while full; " + restart(victim) : "kept running"
            record(kind, victim, start, note + (victim == leader ? " (the leader)" : ""))
        }
    }

    /// Cuts the network as `kind` says for 0.8–3 s (longer than an election timeout, so a new leader can
    /// rise on the majority side), then heals every cut. The interval's node is the one isolated, the
    /// minority's first, or the bridge.
    private func partition(_ kind: FaultInterval.Kind, leader: Int?) {
        guard let network = cluster.network else { return }
        let ids = cluster.ids
        var order = ids
        for index in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(index, random.below(index + 1)) }
        let start = monotonicNanoseconds()
        var node = order[0]
        var note = ""
        var cutOff: [Int] = []
        var cutFrom = Int64.max
        do {
            switch kind {
            case .isolate, .linkDown:
                if let leader, random.below(3) < 2 { node = leader }
                cutOff = [node]
                if kind == .isolate {
                    for other in ids where other != node { try network.cut(node, other) }
                } else {
                    try network.setLink(node, up: false)
                }
            case .split:
                let minority = Array(order.prefix((ids.count - 1) / 2))
                for a in minority { for b in ids where !minority.contains(b) { try network.cut(a, b) } }
                node = minority[0]
                cutOff = minority
                note = "minority \(minority.sorted().map { "n\($0)" }.joined(separator: ","))"
            case .bridge:
                // order[0] bridges; the others split in two halves cut from each other.
                let rest = Array(order.dropFirst())
                let left = rest.prefix(rest.count / 2), right = rest.dropFirst(rest.count / 2)
                for a in left { for b in right { try network.cut(a, b) } }
                note =
                    "\(left.sorted().map { "n\($0)" }.joined(separator: ",")) | \(right.sorted().map { "n\($0)" }.joined(separator: ",")), n\(node) sees both"
            default:
                preconditionFailure("not a partition: \(kind)")
            }
            note = [note, "cuts \(network.describeCuts)"].filter { !$0.isEmpty }.joined(separator: "; ")
            cutFrom = monotonicNanoseconds()
            sleepMilliseconds(random.milliseconds(800, 3000))
        } catch {
            note += " failed: \(error)"
        }
        let cutUntil = monotonicNanoseconds()
        let problems = network.healAll()
        if !problems.isEmpty { note += "; heal problems: \(problems.joined(separator: "; "))" }
        if node == leader { note += " (the leader)" }
        record(kind, node, start, note)
        intervals[intervals.count - 1].cutOff = cutFrom == .max ? [] : cutOff
        intervals[intervals.count - 1].cutFromNanoseconds = cutFrom
        intervals[intervals.count - 1].cutUntilNanoseconds = cutUntil
        intervals[intervals.count - 1].leaderCutOff = cutFrom != .max && leader.map(cutOff.contains) == true
    }

    /// Writes zeros to `path` until the file system refuses (ENOSPC).
    private func fill(_ path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0, count: 1 << 16)
        while chunk.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
    }

    /// RAFT REMOVE, stop, wipe, start empty with --join, RAFT ADD; the note says how far it got.
    private func removeAndReadd(_ victim: Int, leader: Int) -> String {
        let removed = cluster.call(leader, ["RAFT", "REMOVE", "\(victim)"], timeoutMilliseconds: 5000)
        guard removed == .status("OK") else { return "REMOVE refused: \(describe(removed))" }
        cluster.stop(victim)
        cluster.wipe(victim)
        do { try cluster.start(victim, join: true) } catch { return "restart failed: \(error)" }
        sleepMilliseconds(200)
        var last: RESPClient.Value?
        for _ in 0..<20 {
            guard let current = cluster.leader() else { sleepMilliseconds(250); continue }
            last = cluster.call(current, ["RAFT", "ADD", "\(victim)", cluster.node(victim).peerAddress], timeoutMilliseconds: 5000)
            if last == .status("OK") { return "removed and re-added empty" }
            sleepMilliseconds(250)
        }
        return "ADD failed: \(describe(last))"
    }

    private func restart(_ id: Int) -> String {
        do { try cluster.start(id); return "restarted" } catch { return "restart failed: \(error)" }
    }

    private func record(_ kind: FaultInterval.Kind, _ node: Int, _ start: Int64, _ note: String) {
        intervals.append(FaultInterval(kind: kind, node: node, startNanoseconds: start, endNanoseconds: monotonicNanoseconds(), note: note))
    }

    private func describe(_ value: RESPClient.Value?) -> String {
        switch value {
        case nil: return "no answer"
        case .status(let text)?: return "+\(text)"
        case .error(let text)?: return "-\(text)"
        default: return "\(value!)"
        }
    }
}

extension Array {
    /// A seeded choice (nil when empty).
    func randomElement(using random: inout SeededRandom) -> Element? {
        isEmpty ? nil : self[random.below(count)]
    }
}

/// Sleeps in small steps, returning early when `unless` says so.
func sleepMilliseconds(_ milliseconds: Int, unless: () -> Bool = { false }) {
    var left = milliseconds
    while left > 0 && !unless() {
        let step = min(left, 50)
        usleep(UInt32(step * 1000))
        left -= step
    }
}
