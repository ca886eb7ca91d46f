import Testing
@testable import RaftCore
import RaftTesting

/// Issue 15 §4 (liveness): a new leader that inherits C_old,new with the no-op off leaves the
/// joint configuration by itself instead of waiting for a client proposal forever.
@Suite("Membership: a new leader leaves an inherited joint configuration")
struct LeaveJointTests {
    /// Voters n1–n3 and n4 waiting; no-op off. n1 leads with a committed write and proposes
    /// `add n4`; `deliver` decides who gets C_old,new. Returns the cluster after n1 crashed.
    static func inheritJoint(commitOnN1: Bool, unsafe: UnsafeKnobs = []) throws -> LoopbackCluster {
        var cluster = LoopbackCluster(count: 4, voters: [1, 2, 3]) {
            $0.leaderNoop = false
            $0.preVote = false
            $0.checkQuorum = false
            $0.unsafe = unsafe
        }
        cluster.elect(1)
        try cluster.propose(1, bytes("x"))
        cluster.stabilize()
        try cluster.nodes[0].proposeConfigChange(.addVoter(4))
        cluster.handleReady(1)
        if commitOnN1 {
            // n2 and n3 store C_old,new, n1 commits it and appends C_new, which is lost; a
            // heartbeat then tells n2 and n3 that index 2 committed.
            cluster.deliver { $0.node(1).commitIndex == 2 }
            cluster.dropAll()
            cluster.tick(1)
            cluster.deliverMatching(where: { $0.from == 1 && $0.to != 4 })
            cluster.dropAll()
            #expect(cluster.node(2).commitIndex == 2)
        } else {
            cluster.deliverMatching(where: { $0.from == 1 && $0.to == 2 })
            cluster.dropAll()
            #expect(cluster.node(2).commitIndex == 1)
        }
        cluster.crash(1)
        #expect(cluster.node(2).configuration == Configuration(voters: [1, 2, 3, 4], outgoingVoters: [1, 2, 3]))
        return cluster
    }

    @Test("C_old,new known committed: the new leader appends C_new at once")
    func knownCommitted() throws {
        var cluster = try Self.inheritJoint(commitOnN1: true)
        cluster.elect(2)
        #expect(cluster.node(2).role == .leader)
        #expect(cluster.node(2).entries.map(\.kind) == [.normal, .config, .config], "no no-op is needed")
        for id: NodeID in [2, 3, 4] {
            #expect(cluster.node(id).configuration == Configuration(voters: [1, 2, 3, 4]), "n\(id) stays joint")
            #expect(cluster.node(id).commitIndex == 3)
        }
        try cluster.nodes[1].proposeConfigChange(.remove(1))
        cluster.handleReady(2)
        cluster.stabilize()
        #expect(cluster.node(2).configuration == Configuration(voters: [2, 3, 4]), "later changes are accepted")
    }

    @Test("C_old,new not known committed: a no-op of the new term commits it, then C_new follows")
    func notKnownCommitted() throws {
        var cluster = try Self.inheritJoint(commitOnN1: false)
        cluster.elect(2)
        #expect(cluster.node(2).role == .leader)
        #expect(cluster.node(2).entries.map(\.kind) == [.normal, .config, .noop, .config])
        for id: NodeID in [2, 3, 4] {
            #expect(cluster.node(id).configuration == Configuration(voters: [1, 2, 3, 4]), "n\(id) stays joint")
            #expect(cluster.node(id).commitIndex == 4)
        }
    }

    @Test("a new leader in a simple configuration appends nothing when the no-op is off")
    func nothingWhenNotJoint() throws {
        var cluster = LoopbackCluster(count: 3) { $0.leaderNoop = false }
        cluster.elect(1)
        #expect(cluster.node(1).lastIndex == 0)
    }
}
