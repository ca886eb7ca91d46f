import Testing
@testable import RaftCore
import RaftTesting

/// Issue 15 §5: a ReadIndex read asked on a follower is forwarded to the leader, which confirms
/// it with a heartbeat round and answers with its read index (dissertation §6.4).
@Suite("ReadIndex: reads asked on a follower")
struct FollowerReadTests {
    /// Three voters, pre-vote and check-quorum off; n1 leads with a committed write at index 2.
    func leaderWithWrite(noop: Bool = true) throws -> LoopbackCluster {
        var cluster = LoopbackCluster(count: 3) {
            $0.preVote = false
            $0.checkQuorum = false
            $0.leaderNoop = noop
        }
        cluster.elect(1)
        try cluster.propose(1, bytes("set x 1"))
        cluster.stabilize()
        return cluster
    }

    @Test("the follower forwards the read; the leader confirms it and answers with its commit index")
    func forwardedAndAnswered() throws {
        var cluster = try leaderWithWrite()
        try cluster.nodes[1].readIndex(7)
        cluster.handleReady(2)
        let forwarded = cluster.inFlight.filter { if case .readIndex = $0 { return true } else { return false } }
        #expect(forwarded == [.readIndex(ReadIndex(from: 2, to: 1, term: 1, context: 7))])
        cluster.stabilize()
        #expect(cluster.readStates[1] == [ReadState(index: 2, context: 7)])
        #expect(cluster.readStates[0].isEmpty, "the leader's host does not serve it")
    }

    @Test("no known leader: the read is refused")
    func noLeaderRefuses() {
        var cluster = LoopbackCluster(count: 3)
        #expect(throws: RaftError.notLeader(leader: .none)) { try cluster.nodes[1].readIndex(1) }
        cluster.nodes[1].campaign()
        #expect(throws: RaftError.notLeader(leader: .none)) { try cluster.nodes[1].readIndex(1) }
    }

    @Test("a forwarded read waits for the leader's first commit in its term")
    func waitsForTermCommit() throws {
        var cluster = LoopbackCluster(count: 3) { $0.leaderNoop = false }
        cluster.elect(1)
        try cluster.nodes[2].readIndex(5)
        cluster.handleReady(3)
        cluster.stabilize()
        #expect(cluster.readStates[2].isEmpty)
        try cluster.propose(1, bytes("first"))
        cluster.stabilize()
        #expect(cluster.readStates[2] == [ReadState(index: 1, context: 5)])
    }

    @Test("a forwarded read whose heartbeat round is lost is retried (issue 15 §2)")
    func forwardedReadRetried() throws {
        var cluster = try leaderWithWrite()
        try cluster.nodes[1].readIndex(9)
        cluster.handleReady(2)
        cluster.deliverOne()
        cluster.dropAll()
        #expect(cluster.node(1).pendingReads.count == 1)
        cluster.tick(1)
        cluster.stabilize()
        #expect(cluster.readStates[1] == [ReadState(index: 2, context: 9)])
    }

    @Test("a learner's read on a single-voter leader is answered at once")
    func singleVoterAnswersAtOnce() throws {
        var cluster = LoopbackCluster(count: 2, voters: [1])
        cluster.elect(1)
        try cluster.nodes[0].proposeConfigChange(.addLearner(2))
        cluster.handleReady(1)
        cluster.stabilize()
        try cluster.nodes[1].readIndex(3)
        cluster.handleReady(2)
        cluster.stabilize()
        #expect(cluster.readStates[1] == [ReadState(index: 2, context: 3)])
    }

    @Test("a read forwarded to a deposed leader is never answered")
    func deposedLeaderNeverAnswers() throws {
        var cluster = LoopbackCluster(count: 5) { $0.checkQuorum = false }
        cluster.elect(1)
        cluster.partition([1, 2], [3, 4, 5])
        let found = cluster.tickUntilLeader(among: [3, 4, 5])
        let newLeader = try #require(found)
        try cluster.propose(newLeader, bytes("set x 2"))
        cluster.stabilize()
        try cluster.nodes[1].readIndex(4)
        cluster.handleReady(2)
        for _ in 0..<5 {
            cluster.tick(1)
            cluster.stabilize()
        }
        #expect(cluster.readStates[1].isEmpty, "a stale answer would miss x=2")
    }

    @Test("forwarded reads are validated where they enter")
    func validation() throws {
        var cluster = try leaderWithWrite()
        let stranger = cluster.nodes[0].step(.readIndex(ReadIndex(from: 9, to: 1, term: 1, context: 1)))
        #expect(stranger.ignoredReason == "unknown sender n9")
        let absurd = cluster.nodes[1].step(.readIndexResponse(ReadIndexResponse(from: 1, to: 2, term: 1, context: 1, index: .max)))
        #expect(absurd.ignoredReason?.contains("absurd") == true)
        let zero = cluster.nodes[0].step(.readIndex(ReadIndex(from: 2, to: 1, term: 0, context: 1)))
        #expect(zero.ignoredReason == "term 0 is not a valid term")
        try cluster.nodes[1].readIndex(5)
        cluster.handleReady(2)
        let request = cluster.take { if case .readIndex = $0 { return true } else { return false } }
        #expect(request.count == 1)
        #expect(cluster.nodes[0].step(request[0]).ignoredReason == nil)
        #expect(cluster.nodes[0].step(request[0]).ignoredReason == "read 5 is already pending")
        let onFollower = cluster.nodes[2].step(.readIndex(ReadIndex(from: 2, to: 3, term: 1, context: 6)))
        #expect(onFollower.ignoredReason?.contains("not the leader") == true)
    }
}
