import RaftCore
@testable import RaftSim
import Testing

/// The liveness phase's probes judge the rule they are about, not a schedule Raft itself allows
/// to fail (issue 18 §2).
@Suite struct LivenessProbeTests {
    /// A 5-node cluster (pre-vote off, check-quorum on) led by n1, where n5 was removed while it
    /// was down: restarted, it still holds the starting configuration (it may campaign) and hears
    /// from no leader; its election timer is one tick from firing.
    static func clusterWithAnOutsiderAboutToCampaign() throws -> Cluster {
        var options = ClusterOptions()
        options.nodeCount = 5
        options.preVote = false
        options.checkQuorum = true
        let cluster = try Cluster(options: options)
        try cluster.campaign(1)
        try cluster.stabilize()
        try cluster.crash(5)
        try cluster.changeMembership([.remove(5)])
        try cluster.stabilize()
        try cluster.restart(5)
        let node = try #require(cluster.node(5))
        try cluster.tick([5], count: node.electionTimeoutTicks - node.electionElapsedTicks - 1)
        return cluster
    }

    /// Seed 6885 of the 5-node campaign: the node the check-quorum probe adds hit its election
    /// timeout at the first tick after the add, before the leader's first append reached it, and
    /// its higher term deposed the leader (as Raft allows without pre-vote). The probe restarts
    /// its target, so the timer is fresh and only the check-quorum rule is judged.
    @Test func checkQuorumProbeIsNotFailedByTheTargetsOwnTimer() throws {
        let cluster = try Self.clusterWithAnOutsiderAboutToCampaign()
        let term = try #require(cluster.node(1)?.term)
        #expect(cluster.leader == 1 && cluster.node(5)?.term == term)
        let outsider = try #require(cluster.node(5))
        #expect(outsider.electionElapsedTicks + 1 == outsider.electionTimeoutTicks)
        var driver = Explorer.Driver(cluster: cluster, record: true)
        let passed = driver.probeCheckQuorumRound()
        #expect(passed && driver.extra == nil, "\(String(describing: driver.extra))\n\(driver.lines.joined(separator: "\n"))")
        #expect(cluster.violations.isEmpty, "\(cluster.violations)")
    }
}
