import RaftCore
@testable import RaftSim
import Testing

/// Node and disk faults (issue 18 §3): a power cut in the middle of every kind of write, a
/// whole-cluster crash, and a restart from an old copy of the disk (unsafe: the checker objects).
@Suite struct NodeFaultTests {
    static func cluster(pages: Bool, preVote: Bool = false, seed: UInt64 = 7) throws -> Cluster {
        var options = ClusterOptions()
        options.nodeCount = 3
        options.seed = seed
        options.preVote = preVote
        let cluster = try Cluster(options: options)
        cluster.isNarrating = false
        if pages { _ = cluster.setCrashModel(pages: true) }
        return cluster
    }

    static func elect(_ cluster: Cluster, _ id: NodeID) throws {
        try cluster.campaign(id)
        try cluster.stabilize()
        #expect(cluster.leader == id)
    }

    /// The in-flight message from → to (the oldest), by id.
    static func message(_ cluster: Cluster, from: NodeID, to: NodeID, where test: (Message) -> Bool = { _ in true }) -> Int? {
        cluster.inFlight.first { $0.message.from == from && $0.message.to == to && test($0.message) }?.id
    }

    /// Cuts `id`'s power after K file operations for K = 0, 1, … while `write` makes it write,
    /// until a K lets the write finish. Each time: the node is down right after the write when the
    /// cut fired, with nothing sent from `firstSilentMessage` on; it restarts from what survived,
    /// and the cluster goes on with no violation and agrees on one commit index.
    /// Returns how many cuts fired inside the write.
    static func sweep(
        _ label: String, pages: Bool, node id: NodeID, maxOperations: Int = 40,
        setup: (Cluster) throws -> Void, write: (Cluster) throws -> Void
    ) throws -> Int {
        var fired = 0
        for operations in 0...maxOperations {
            let cluster = try Self.cluster(pages: pages)
            try setup(cluster)
            let mark = cluster.nextMessageID
            try cluster.crash(id, afterOperations: operations)
            try write(cluster)
            guard !cluster.isUp(id) else {
                // The write took fewer operations than allowed: the cut never fired.
                #expect(cluster.isPowerCutArmed(id), "\(label): an unfired cut stays armed")
                try cluster.crash(id)
                #expect(!cluster.isPowerCutArmed(id), "\(label): a crash disarms the cut")
                #expect(fired >= 2, "\(label): the write should take several file operations (cut inside it \(fired) times)")
                return fired
            }
            fired += 1
            let sent = cluster.inFlight.filter { $0.id >= mark && $0.message.from == id }
            #expect(sent.isEmpty, "\(label), cut after \(operations): \(id) sent \(sent.map(\.id)) after the cut")
            try cluster.restart(id)
            try cluster.stabilize()
            for _ in 0..<40 {
                try cluster.tick([], count: 1)
                try cluster.stabilize()
            }
            #expect(cluster.violations.isEmpty, "\(label), cut after \(operations) (pages: \(pages)): \(cluster.violations)")
            let commits = Set(cluster.ids.compactMap { cluster.node($0)?.commitIndex })
            #expect(commits.count == 1, "\(label), cut after \(operations): commit indexes \(commits)")
            #expect(cluster.leader != nil, "\(label), cut after \(operations): a leader again")
        }
        Issue.record("\(label): the write did not finish within \(maxOperations) file operations")
        return fired
    }

    @Test(
        "a power cut inside a voter's grant, a candidate's self-vote, a leader's append, a snapshot install, a compaction", arguments: [false, true])
    func powerCutInsideEveryWrite(pages: Bool) throws {
        // A voter's grant: n1 asks, n2's term and vote are cut while being written.
        let askForVote: (Cluster) throws -> Void = { try $0.campaign(1) }
        _ = try Self.sweep("grant", pages: pages, node: 2, setup: askForVote) { cluster in
            let request = Self.message(cluster, from: 1, to: 2)!
            try cluster.deliver(.ids([request]))
        }
        // A candidate's self-vote (pre-vote off: the timeout writes term and vote at once).
        let electN1: (Cluster) throws -> Void = { try Self.elect($0, 1) }
        _ = try Self.sweep("self-vote", pages: pages, node: 2, setup: electN1) { try $0.campaign(2) }
        // The leader's own append after a proposal.
        _ = try Self.sweep("leader append", pages: pages, node: 1, setup: electN1) { try $0.propose("set a 1", on: 1) }
        // A snapshot install on a follower that missed what the leader compacted.
        let lagging: (Cluster) throws -> Void = { cluster in
            try Self.elect(cluster, 1)
            try cluster.crash(3)
            for k in 0..<6 { try cluster.propose("set k\(k) \(k)", on: 1); try cluster.stabilize() }
            try cluster.compact(1, through: nil)
            try cluster.restart(3)
            for _ in 0..<50 where Self.message(cluster, from: 1, to: 3, where: { if case .installSnapshot = $0 { true } else { false } }) == nil {
                if cluster.inFlight.isEmpty { try cluster.tick([1], count: 1) } else { try cluster.deliver(.oldest) }
            }
        }
        _ = try Self.sweep("snapshot install", pages: pages, node: 3, setup: lagging) { cluster in
            let install = Self.message(cluster, from: 1, to: 3, where: { if case .installSnapshot = $0 { true } else { false } })!
            try cluster.deliver(.ids([install]))
        }
        // A compaction on a follower.
        let applied: (Cluster) throws -> Void = { cluster in
            try Self.elect(cluster, 1)
            for k in 0..<4 { try cluster.propose("set k\(k) \(k)", on: 1); try cluster.stabilize() }
        }
        _ = try Self.sweep("compaction", pages: pages, node: 2, setup: applied) { try $0.compact(2, through: nil) }
    }

    @Test func crashAllAndRestartAll() throws {
        let cluster = try Self.cluster(pages: true)
        try Self.elect(cluster, 1)
        try cluster.propose("set a 1", on: 1)
        try cluster.stabilize()
        try cluster.crashAll()
        #expect(cluster.upNodes.isEmpty)
        #expect(throws: SimError.self) { try cluster.crashAll() }
        try cluster.restartAll()
        #expect(cluster.upNodes == cluster.ids)
        #expect(throws: SimError.self) { try cluster.restartAll() }
        for _ in 0..<40 where cluster.leader == nil {
            try cluster.tick([], count: 1)
            try cluster.stabilize()
        }
        #expect(cluster.leader != nil)
        // The noop of term 1, `set a 1`, and the new leader's noop: what was committed survived.
        #expect(cluster.node(cluster.leader!)!.commitIndex >= 3)
        #expect(cluster.violations.isEmpty, "\(cluster.violations)")
    }

    @Test func restoreNeedsADownNodeAndABackup() throws {
        let cluster = try Self.cluster(pages: false)
        try Self.elect(cluster, 1)
        #expect(throws: SimError("no backup of n2 was taken (backup n2 first)")) {
            try cluster.crash(2)
            try cluster.restore(2)
        }
        try cluster.restart(2)
        try cluster.backup(2)
        #expect(cluster.hasBackup(2))
        #expect(throws: SimError("n2 is up; crash it first (restore replaces a crashed node's files)")) { try cluster.restore(2) }
        #expect(throws: SimError.self) { try cluster.backup(9) }
    }
}
