import Testing
@testable import RaftCore
import RaftTesting

/// Issue 15 §1 (safety): a follower that drops an uncommitted configuration entry at index k and,
/// in the same append, receives another leader's configuration entry at k must switch to the new
/// entry's configuration (dissertation §4.1: the latest configuration in the log is in effect).
@Suite("Membership: a config entry replaced at the same index")
struct ConfigEntryReplacementTests {
    /// Five voters; n1 (term 1) appends a write and `remove n5` (index 3) that only n2 stores;
    /// n3 (term 2, with n4 and n5) appends `remove n4` at index 3. Returns the cluster healed,
    /// before n2 has heard from n3.
    static func competingChanges(unsafe: UnsafeKnobs = []) throws -> LoopbackCluster {
        var cluster = LoopbackCluster(count: 5) {
            $0.preVote = false
            $0.checkQuorum = false
            $0.unsafe = unsafe
        }
        cluster.elect(1)
        cluster.partition([1, 2], [3, 4, 5])
        try cluster.propose(1, bytes("x"))
        let stale = try cluster.nodes[0].proposeConfigChange(.remove(5))
        cluster.handleReady(1)
        cluster.stabilize()
        #expect(stale == 3)
        #expect(cluster.node(2).configuration == Configuration(voters: [1, 2, 3, 4], outgoingVoters: [1, 2, 3, 4, 5]))
        cluster.elect(3)
        #expect(cluster.node(3).role == .leader && cluster.node(3).term == 2)
        let winning = try cluster.nodes[2].proposeConfigChange(.remove(4))
        cluster.handleReady(3)
        cluster.stabilize()
        #expect(winning == stale, "both changes sit at the same index")
        cluster.heal()
        return cluster
    }

    @Test("a follower takes the configuration of the entry that replaced its own at the same index")
    func replacedAtSameIndex() throws {
        var cluster = try Self.competingChanges()
        // n3's heartbeat, n2's answer, then the append that replaces n2's entries 2..3.
        cluster.tick(3)
        cluster.deliver { $0.node(2).term(at: 3) == 2 }
        #expect(cluster.node(2).term(at: 2) == 2, "n2 replaced the suffix 2..3 with n3's entries")
        #expect(cluster.node(2).configurationIndex == 3)
        #expect(cluster.node(2).configurationTerm == 2)
        #expect(
            cluster.node(2).configuration == Configuration(voters: [1, 2, 3, 5], outgoingVoters: [1, 2, 3, 4, 5]),
            "n2 must not keep the configuration of the entry it dropped")
    }

    @Test("a node elected after the replacement counts votes with the replacing configuration")
    func votesUseReplacingConfiguration() throws {
        var cluster = try Self.competingChanges()
        cluster.tick(3)
        cluster.deliver { $0.node(2).term(at: 3) == 2 }
        cluster.dropAll()
        // n2 campaigns with n1 and n4 answering: a majority of C_old (n1,n2,n4 of five) and of the
        // stale C_new (n1,n2,n4 of n1..n4), but not of the real C_new (n1,n2,n3,n5): only n1, n2.
        cluster.partition([1, 2, 4], [3, 5])
        cluster.campaign(2)
        cluster.stabilize()
        #expect(cluster.node(2).role != .leader, "n2 won with a quorum of a configuration it no longer holds")
    }
}
