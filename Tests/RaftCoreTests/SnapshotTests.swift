import Testing
@testable import RaftCore
import RaftTesting

@Suite("Snapshots and log compaction")
struct SnapshotTests {
    /// A 3-node cluster whose leader n1 committed `count` entries, then compacted through `through`.
    func compactedCluster(count: Int, through: UInt64, lagging: NodeID? = nil) throws -> LoopbackCluster {
        var cluster = LoopbackCluster(count: 3)
        cluster.elect(1)
        if let lagging { cluster.isolate(lagging) }
        for k in 0..<count { try cluster.propose(1, bytes("set k\(k) \(k)")) }
        cluster.stabilize()
        try cluster.compact(1, through: through, data: bytes("state@\(through)"))
        cluster.heal()
        return cluster
    }

    @Test("compaction drops the covered entries and keeps the metadata")
    func compaction() throws {
        let cluster = try compactedCluster(count: 10, through: 8)
        let node = cluster.node(1)
        #expect(node.firstIndex == 9)
        #expect(node.entries.map(\.index) == [9, 10, 11])
        #expect(node.term(at: 8) == 1, "the snapshot's last term stays known")
        #expect(node.term(at: 7) == nil)
        let snapshot = try #require(node.latestSnapshot)
        #expect(snapshot.metadata == SnapshotMetadata(index: 8, term: 1, configuration: Configuration(voters: [1, 2, 3])))
        #expect(cluster.storedEntries[0].map(\.index) == [9, 10, 11])
    }

    @Test("compaction beyond the applied index, or at or below the last snapshot, is refused")
    func compactionErrors() throws {
        var cluster = try compactedCluster(count: 3, through: 2)
        #expect(throws: RaftError.invalidCompaction(index: 9, snapshotIndex: 2, appliedIndex: 4)) {
            try cluster.compact(1, through: 9, data: [])
        }
        #expect(throws: RaftError.invalidCompaction(index: 2, snapshotIndex: 2, appliedIndex: 4)) {
            try cluster.compact(1, through: 2, data: [])
        }
    }

    @Test("a follower behind the leader's first index catches up by InstallSnapshot")
    func laggingFollowerGetsSnapshot() throws {
        var cluster = try compactedCluster(count: 10, through: 8, lagging: 3)
        #expect(cluster.node(3).lastIndex == 1)
        var sawSnapshot = false
        cluster.tick(1)
        while let next = cluster.inFlight.first {
            if case .installSnapshot(let install) = next {
                sawSnapshot = true
                #expect(install.to == 3 && install.snapshot.metadata.index == 8)
            }
            cluster.deliverOne()
        }
        #expect(sawSnapshot)
        let follower = cluster.node(3)
        #expect(follower.firstIndex == 9 && follower.lastIndex == 11)
        #expect(follower.commitIndex == 11 && follower.appliedIndex == 11)
        #expect(cluster.restoredSnapshots[2]?.data == bytes("state@8"))
        #expect(cluster.appliedTexts(3) == ["set k7 7", "set k8 8", "set k9 9"], "entries after the snapshot are applied normally")
        #expect(cluster.storedSnapshots[2]?.metadata.index == 8)
        #expect(cluster.storedEntries[2].map(\.index) == [9, 10, 11])
    }

    @Test("a lost snapshot is sent again after the next heartbeat answer")
    func lostSnapshotIsResent() throws {
        var cluster = try compactedCluster(count: 5, through: 4, lagging: 3)
        func isSnapshot(_ message: Message) -> Bool {
            if case .installSnapshot = message { return true } else { return false }
        }
        cluster.tick(1)
        #expect(cluster.deliver { $0.inFlight.contains(where: isSnapshot) })
        let dropped = cluster.take(where: isSnapshot)
        #expect(dropped.count == 1)
        cluster.stabilize()
        #expect(cluster.node(3).lastIndex == 1)
        cluster.tick(1)
        cluster.stabilize()
        #expect(cluster.node(3).lastIndex == 6 && cluster.node(3).commitIndex == 6)
    }

    @Test("restart from snapshot plus log")
    func restartFromSnapshot() throws {
        var cluster = try compactedCluster(count: 10, through: 8)
        cluster.crash(1)
        cluster.restart(1)
        let node = cluster.node(1)
        #expect(node.firstIndex == 9 && node.lastIndex == 11)
        #expect(node.appliedIndex == 11 || node.commitIndex == 11)
        #expect(cluster.restoredSnapshots[0]?.metadata.index == 8)
        #expect(cluster.appliedTexts(1) == ["set k7 7", "set k8 8", "set k9 9"])
        // It can still lead: a new election and a new entry everywhere.
        let leaderFound = cluster.tickUntilLeader(limit: 40)
        let leader = try #require(leaderFound)
        try cluster.propose(leader, bytes("after"))
        cluster.stabilize()
        #expect((1...3).allSatisfy { cluster.node(NodeID($0)).commitIndex == cluster.node(leader).lastIndex })
    }

    @Test("the snapshot carries the configuration in effect at its index")
    func snapshotConfiguration() throws {
        var cluster = LoopbackCluster(count: 4, voters: [1, 2, 3])
        cluster.elect(1)
        try cluster.nodes[0].proposeConfigChange(.addLearner(4))
        cluster.handleReady(1)
        cluster.stabilize()
        try cluster.propose(1, bytes("x"))
        cluster.stabilize()
        try cluster.compact(1, through: 3, data: bytes("s"))
        let metadata = try #require(cluster.node(1).latestSnapshot?.metadata)
        #expect(metadata.configuration == Configuration(voters: [1, 2, 3], learners: [4]))
        #expect(cluster.node(1).configuration == Configuration(voters: [1, 2, 3], learners: [4]))
        cluster.crash(1)
        cluster.restart(1)
        #expect(cluster.node(1).configuration == Configuration(voters: [1, 2, 3], learners: [4]))
    }

    @Test("malformed snapshots are dropped")
    func malformedSnapshot() {
        var node = RaftNode(config: Config(id: 2), configuration: Configuration(voters: [1, 2, 3]))
        let bad = Snapshot(metadata: SnapshotMetadata(index: 5, term: 9, configuration: Configuration(voters: [1, 2, 3])), data: [])
        let result = node.step(.installSnapshot(InstallSnapshot(from: 1, to: 2, term: 2, snapshot: bad)))
        #expect(result.ignoredReason?.contains("exceeds the message term") == true)
        let zero = Snapshot(metadata: SnapshotMetadata(index: 0, term: 1, configuration: Configuration(voters: [1])), data: [])
        #expect(node.step(.installSnapshot(InstallSnapshot(from: 1, to: 2, term: 2, snapshot: zero))).ignoredReason != nil)
        #expect(node.lastIndex == 0 && node.term == 0)
    }
}
