import Testing
@testable import RaftCore
import RaftTesting

/// Issue 12 §5: with `Config.readRoundsAskQuorumOnly`, a ReadIndex round's heartbeat goes only to
/// as many voters as make a quorum with the leader, those that most recently confirmed a read first; the
/// round is confirmed by their answers as before (dissertation §6.4), and a round whose voters
/// fell silent is confirmed by the next periodic heartbeat, which still goes to everyone.
@Suite("ReadIndex: a read round asks a quorum only")
struct ReadRoundQuorumTests {
    /// `count` nodes (voters: `voters`, default all) with the option on; n1 leads with a committed write.
    static func leaderWithWrite(count: Int = 3, voters: [NodeID]? = nil, askQuorumOnly: Bool = true) throws -> LoopbackCluster {
        var cluster = LoopbackCluster(count: count, voters: voters) { $0.readRoundsAskQuorumOnly = askQuorumOnly }
        cluster.elect(1)
        try cluster.propose(1, bytes("set x 1"))
        cluster.stabilize()
        return cluster
    }

    /// Makes `first` the followers that most recently confirmed a read: read 1000's own round is
    /// lost, the periodic heartbeat carries it to every follower, and only `first`'s answers reach
    /// the leader while the read still waits (the others' come after it was confirmed).
    static func makeConfirmFirst(_ first: [NodeID], in cluster: inout LoopbackCluster) throws {
        try cluster.nodes[0].readIndex(1000)
        cluster.handleReady(1)
        cluster.dropAll()
        cluster.tick(1)
        cluster.deliverMatching { first.contains($0.to) }
        cluster.deliverMatching { first.contains($0.from) && $0.to == 1 }
        #expect(cluster.readStates[0].last?.context == 1000)
        cluster.stabilize()
    }

    /// The heartbeats waiting that carry read `context`, by receiver.
    static func roundHeartbeats(_ context: UInt64, in cluster: LoopbackCluster) -> [NodeID] {
        cluster.inFlight.compactMap { message in
            guard case .heartbeat(let heartbeat) = message, heartbeat.readContext == context else { return nil }
            return heartbeat.to
        }.sorted()
    }

    @Test("three voters: the round asks the one follower that confirmed a read first last time, and its answer confirms the read")
    func oneFollowerOfTwo() throws {
        for first: NodeID in [2, 3] {
            var cluster = try Self.leaderWithWrite()
            try Self.makeConfirmFirst([first], in: &cluster)
            try cluster.nodes[0].readIndex(7)
            cluster.handleReady(1)
            #expect(Self.roundHeartbeats(7, in: cluster) == [first], "the round goes to every follower")
            cluster.stabilize()
            #expect(cluster.readStates[0].last == ReadState(index: 2, context: 7))
        }
    }

    @Test("off (the default), a round goes to every follower")
    func offAsksEveryone() throws {
        var cluster = try Self.leaderWithWrite(askQuorumOnly: false)
        try cluster.nodes[0].readIndex(7)
        cluster.handleReady(1)
        #expect(Self.roundHeartbeats(7, in: cluster) == [2, 3])
    }

    @Test("five voters: two followers are asked, and their two answers alone confirm the read")
    func twoFollowersOfFour() throws {
        var cluster = try Self.leaderWithWrite(count: 5)
        try Self.makeConfirmFirst([4, 5], in: &cluster)
        try cluster.nodes[0].readIndex(7)
        cluster.handleReady(1)
        #expect(Self.roundHeartbeats(7, in: cluster) == [4, 5])
        // Only the asked followers' answers come back; they are a quorum with the leader.
        #expect(cluster.deliverMatching { if case .heartbeat = $0 { return true } else { return false } } == 2)
        #expect(cluster.deliverMatching { if case .heartbeatResponse = $0 { return true } else { return false } } == 2)
        #expect(cluster.readStates[0].last == ReadState(index: 2, context: 7))
    }

    @Test("the asked follower is cut off: the next periodic heartbeat confirms the read, and later rounds ask the other")
    func silentFollowerIsReplaced() throws {
        var cluster = try Self.leaderWithWrite()
        try Self.makeConfirmFirst([2], in: &cluster)
        cluster.isolate(2)
        try cluster.nodes[0].readIndex(7)
        cluster.handleReady(1)
        #expect(Self.roundHeartbeats(7, in: cluster) == [2])
        cluster.stabilize()
        #expect(cluster.readStates[0].last?.context == 1000, "n2 is cut off: nobody answered the round")
        cluster.tick(1)  // heartbeatTicks is 1: the periodic heartbeat goes to both, with the read's context
        #expect(Self.roundHeartbeats(7, in: cluster) == [2, 3])
        cluster.stabilize()
        #expect(cluster.readStates[0].last == ReadState(index: 2, context: 7))
        try cluster.nodes[0].readIndex(8)
        cluster.handleReady(1)
        #expect(Self.roundHeartbeats(8, in: cluster) == [3], "n3 confirmed the last read; n2 never answered")
        cluster.stabilize()
        #expect(cluster.readStates[0].last == ReadState(index: 2, context: 8))
    }

    @Test("joint configuration: the round asks enough voters for a quorum of each half, no more")
    func jointAsksBothHalves() throws {
        var cluster = try Self.leaderWithWrite(count: 5, voters: [1, 2, 3])
        try Self.makeConfirmFirst([3], in: &cluster)
        // C_old = {1, 2, 3}, C_new = {1, 4, 5}: the leader is joint from the moment it appends.
        try cluster.nodes[0].proposeConfigChange([.addVoter(4), .addVoter(5), .remove(2), .remove(3)])
        cluster.handleReady(1)
        #expect(cluster.node(1).configuration.isJoint)
        cluster.dropAll()
        try cluster.nodes[0].readIndex(9)
        cluster.handleReady(1)
        // n3 confirmed the last read (a quorum of C_old with n1); n4 and n5 never did: the lower id.
        #expect(Self.roundHeartbeats(9, in: cluster) == [3, 4])
    }
}
