import Testing
@testable import RaftCore
import RaftTesting

/// `syncConfiguration` compares the configuration in effect with the base one only when a
/// snapshot has just replaced the base (it used to compare on every append). The first scenario
/// is the one where that comparison decides: a node whose log never held a configuration entry
/// takes the configuration of the snapshot it installs (without the comparison it keeps its
/// starting one). The second is the other place that replaces the base, compaction.
@Suite("Snapshots carry the configuration to a node whose log has none")
struct SnapshotConfigurationTests {
    @Test("a learner added while cut off gets its configuration from the snapshot it installs")
    func installedSnapshotReplacesTheBaseConfiguration() throws {
        var cluster = LoopbackCluster(count: 4, voters: [1, 2, 3])
        cluster.elect(1)
        cluster.isolate(4)
        _ = try cluster.withNode(1) { node throws(RaftError) in try node.proposeConfigChange(.addLearner(4)) }
        cluster.handleReady(1)
        cluster.stabilize()
        for k in 0..<3 { try cluster.propose(1, bytes("set k\(k) \(k)")) }
        cluster.stabilize()
        let applied = cluster.node(1).appliedIndex
        try cluster.compact(1, through: applied, data: bytes("state@\(applied)"))
        cluster.heal()
        #expect(cluster.node(4).entries.allSatisfy { $0.kind != .config }, "n4 never saw the config entry")
        cluster.tick(1, times: cluster.node(1).config.heartbeatTicks)
        cluster.stabilize()
        let expected = Configuration(voters: [1, 2, 3], learners: [4])
        #expect(cluster.node(1).configuration == expected)
        #expect(cluster.node(4).latestSnapshot?.metadata.configuration == expected, "n4 installed the snapshot")
        #expect(cluster.node(4).configuration == expected, "the snapshot's configuration is in effect on n4")
        #expect(cluster.node(4).configurationIndex == 0, "n4's log still holds no config entry")
    }

    @Test("compacting past the only config entry keeps its configuration in effect")
    func compactionReplacesTheBaseConfiguration() throws {
        var cluster = LoopbackCluster(count: 4, voters: [1, 2, 3])
        cluster.elect(1)
        _ = try cluster.withNode(1) { node throws(RaftError) in try node.proposeConfigChange(.addLearner(4)) }
        cluster.handleReady(1)
        cluster.stabilize()
        try cluster.propose(1, bytes("after"))
        cluster.stabilize()
        let applied = cluster.node(1).appliedIndex
        try cluster.compact(1, through: applied, data: bytes("state@\(applied)"))
        let expected = Configuration(voters: [1, 2, 3], learners: [4])
        #expect(cluster.node(1).configurationIndex == 0, "the config entry is compacted away")
        #expect(cluster.node(1).configuration == expected)
        #expect(cluster.node(1).followerProgress.map(\.id) == [2, 3, 4], "the leader still replicates to the learner")
    }
}
