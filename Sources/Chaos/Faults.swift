import Foundation

/// One injected fault and when it was in force (monotonic ns).
public struct FaultInterval: Sendable {
    /// The kinds of fault the loopback fallback injects.
    public enum Kind: String, Sendable, CaseIterable {
        case killLeader = "kill-9-leader", killFollower = "kill-9-follower", pause = "sigstop"
        case transfer = "transfer", membership = "remove-readd", fullDisk = "disk-full"
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

    /// Leader kills twice as often as the other kinds.
    private func pick() -> FaultInterval.Kind {
        let weighted = kinds.flatMap { $0 == .killLeader ? [$0, $0] : [$0] }
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
            last = cluster.call(current, ["RAFT", "ADD", "\(victim)", "127.0.0.1:\(cluster.node(victim).peerPort)"], timeoutMilliseconds: 5000)
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
