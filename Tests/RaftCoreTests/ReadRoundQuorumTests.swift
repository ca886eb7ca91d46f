import Testing
@testable import RaftCore
import RaftTesting

/// Issue 12 §5: with `Config.readRoundsAskQuorumOnly`, a ReadIndex round's heartbeat goes only to
/// as many voters as make a quorum with the leader, those that answered most recently first; the
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

    /// Makes `last` the follower that answered the leader last: a heartbeat round whose answers
    /// reach the leader with `last`'s at the end.
    static func makeAnswerLast(_ last: NodeID, in cluster: inout LoopbackCluster) {
        cluster.tick(1)
        cluster.deliverMatching { $0.to != last }
        cluster.deliverMatching { $0.to == last }
        cluster.stabilize()
    }

    /// The heartbeats waiting that carry read `context`, by receiver.
    static func roundHeartbeats(_ context: UInt64, in cluster: LoopbackCluster) -> [NodeID] {
        cluster.inFlight.compactMap { message in
            guard case .heartbeat(let heartbeat) = message, heartbeat.readContext == context else { return nil }
            return heartbeat.to
        }.sorted()
    }

    @Test("three voters: the round asks the one follower that answered last, and its answer confirms the read")
    func oneFollowerOfTwo() throws {
        for last: NodeID in [2, 3] {
            var cluster = try Self.leaderWithWrite()
            Self.makeAnswerLast(last, in: &cluster)
            try cluster.nodes[0].readIndex(7)
            cluster.handleReady(1)
            #expect(Self.roundHeartbeats(7, in: cluster) == [last], "the round goes to every follower")
            cluster.stabilize()
            #expect(cluster.readStates[0] == [ReadState(index: 2, context: 7)])
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
        Self.makeAnswerLast(4, in: &cluster)
        try cluster.nodes[0].readIndex(7)
        cluster.handleReady(1)
        let asked = Self.roundHeartbeats(7, in: cluster)
        #expect(asked.count == 2 && asked.contains(4), "asked \(asked)")
        // Only the asked followers' answers come back; they are a quorum with the leader.
        #expect(cluster.deliverMatching { if case .heartbeat = $0 { return true } else { return false } } == 2)
        #expect(cluster.deliverMatching { if case .heartbeatResponse = $0 { return true } else { return false } } == 2)
        #expect(cluster.readStates[0] == [ReadState(index: 2, context: 7)])
    }

    @Test("the asked follower is cut off: the next periodic heartbeat confirms the read, and later rounds ask the other")
    func silentFollowerIsReplaced() throws {
        var cluster = try Self.leaderWithWrite()
        Self.makeAnswerLast(2, in: &cluster)
        cluster.isolate(2)
        try cluster.nodes[0].readIndex(7)
        cluster.handleReady(1)
        #expect(Self.roundHeartbeats(7, in: cluster) == [2])
        cluster.stabilize()
        #expect(cluster.readStates[0].isEmpty, "n2 is cut off: nobody answered the round")
        cluster.tick(1)  // heartbeatTicks is 1: the periodic heartbeat goes to both, with the read's context
        #expect(Self.roundHeartbeats(7, in: cluster) == [2, 3])
        cluster.stabilize()
        #expect(cluster.readStates[0] == [ReadState(index: 2, context: 7)])
        try cluster.nodes[0].readIndex(8)
        cluster.handleReady(1)
        #expect(Self.roundHeartbeats(8, in: cluster) == [3], "n3 answered last; n2 never did")
        cluster.stabilize()
        #expect(cluster.readStates[0].last == ReadState(index: 2, context: 8))
    }

    @Test("joint configuration: the round asks enough voters for a quorum of each half, no more")
    func jointAsksBothHalves() throws {
        var cluster = try Self.leaderWithWrite(count: 5, voters: [1, 2, 3])
        Self.makeAnswerLast(3, in: &cluster)
        // C_old = {1, 2, 3}, C_new = {1, 4, 5}: the leader is joint from the moment it appends.
        try cluster.nodes[0].proposeConfigChange([.addVoter(4), .addVoter(5), .remove(2), .remove(3)])
        cluster.handleReady(1)
        #expect(cluster.node(1).configuration.isJoint)
        cluster.dropAll()
        try cluster.nodes[0].readIndex(9)
        cluster.handleReady(1)
        // n3 answered last (a quorum of C_old with n1); n4 and n5 never answered: the lower id.
        #expect(Self.roundHeartbeats(9, in: cluster) == [3, 4])
    }
}
