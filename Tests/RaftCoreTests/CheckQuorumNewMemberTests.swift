import Testing
@testable import RaftCore

/// Issue 15 §3 (liveness): a voter added by a membership change counts as recently active, so a
/// check-quorum round that ends before its first answer does not depose a healthy leader.
@Suite("Check-quorum: a member just added counts as active")
struct CheckQuorumNewMemberTests {
    @Test("adding a voter in the last tick of a check-quorum round keeps the leader")
    func addInLastTick() throws {
        var cluster = LoopbackCluster(count: 2, voters: [1]) { $0.checkQuorum = true }
        cluster.elect(1)
        cluster.tick(1, times: 9)
        try cluster.nodes[0].proposeConfigChange(.addVoter(2))
        cluster.handleReady(1)
        cluster.tick(1)
        #expect(cluster.node(1).role == .leader, "the quorum check ran before n2 could answer")
        cluster.stabilize()
        #expect(cluster.node(1).configuration == Configuration(voters: [1, 2]))
        #expect(cluster.node(2).configuration == Configuration(voters: [1, 2]))
    }

    @Test("adding the replacement of a crashed voter in the last tick of a round keeps the leader")
    func replaceCrashedVoter() throws {
        var cluster = LoopbackCluster(count: 4, voters: [1, 2, 3]) { $0.checkQuorum = true }
        cluster.elect(1)
        cluster.crash(3)
        // A first round clears n3's flag (it answered during the election); n2 keeps n1 in office.
        cluster.tick(1, times: 10)
        cluster.stabilize()
        cluster.tick(1, times: 9)
        cluster.stabilize()
        try cluster.nodes[0].proposeConfigChange(.addVoter(4))
        cluster.handleReady(1)
        // (n1,n2,n3)&(n1,n2,n3,n4): n1 and n2 are a majority of C_old; of C_new only with n4.
        cluster.tick(1)
        #expect(cluster.node(1).role == .leader, "the quorum check ran before n4 could answer")
        cluster.stabilize()
        #expect(cluster.node(1).configuration == Configuration(voters: [1, 2, 3, 4]))
        try cluster.nodes[0].proposeConfigChange(.remove(3))
        cluster.handleReady(1)
        cluster.stabilize()
        #expect(cluster.node(1).configuration == Configuration(voters: [1, 2, 4]))
        #expect(cluster.node(1).role == .leader)
    }

    @Test("an added member that never answers still costs the leader the next round")
    func silentMemberCountsOnlyOnce() throws {
        var cluster = LoopbackCluster(count: 2, voters: [1]) { $0.checkQuorum = true }
        cluster.elect(1)
        try cluster.nodes[0].proposeConfigChange(.addVoter(2))
        cluster.handleReady(1)
        cluster.crash(2)
        cluster.tick(1, times: 10)
        #expect(cluster.node(1).role == .leader, "the first round counts the newcomer")
        cluster.tick(1, times: 10)
        #expect(cluster.node(1).role == .follower, "the second round finds it silent")
    }
}
