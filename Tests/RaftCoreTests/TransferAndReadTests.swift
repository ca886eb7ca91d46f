import Testing
@testable import RaftCore

@Suite("Leadership transfer and ReadIndex")
struct TransferAndReadTests {
    @Test("transfer catches the target up, then TimeoutNow makes it leader")
    func transfer() throws {
        var cluster = LoopbackCluster(count: 3)
        cluster.elect(1)
        cluster.isolate(3)
        try cluster.propose(1, bytes("before"))
        cluster.stabilize()
        cluster.heal()
        #expect(cluster.node(3).lastIndex == 1, "the target lags")
        try cluster.nodes[0].transferLeadership(to: 3)
        cluster.handleReady(1)
        #expect(throws: RaftError.transferInProgress(to: 3)) { try cluster.propose(1, bytes("during")) }
        cluster.stabilize()
        #expect(cluster.leader == 3)
        #expect(cluster.node(1).role == .follower && cluster.node(1).leader == 3)
        #expect((1...3).allSatisfy { cluster.node(NodeID($0)).term == 2 })
        #expect(cluster.logTerms(3) == [1, 1, 2], "the target had caught up before campaigning, then added its no-op")
    }

    @Test("a transfer that cannot finish is abandoned after an election timeout")
    func transferTimesOut() throws {
        var cluster = LoopbackCluster(count: 3)
        cluster.elect(1)
        cluster.isolate(3)
        try cluster.nodes[0].transferLeadership(to: 3)
        cluster.handleReady(1)
        cluster.tick(1, times: 10)
        cluster.stabilize()
        #expect(cluster.node(1).transferTarget == .none)
        try cluster.propose(1, bytes("after"))
    }

    @Test("transfer requests that make no sense are refused")
    func transferErrors() {
        var cluster = LoopbackCluster(count: 3)
        #expect(throws: RaftError.notLeader(leader: .none)) { try cluster.nodes[0].transferLeadership(to: 2) }
        cluster.elect(1)
        #expect(throws: RaftError.isSelf) { try cluster.nodes[0].transferLeadership(to: 1) }
        #expect(throws: RaftError.notAVoter(9)) { try cluster.nodes[0].transferLeadership(to: 9) }
    }

    @Test("ReadIndex: the read is answered only after a quorum confirms the leadership")
    func readIndex() throws {
        var cluster = LoopbackCluster(count: 3)
        cluster.elect(1)
        try cluster.propose(1, bytes("set x 1"))
        cluster.stabilize()
        try cluster.nodes[0].readIndex(7)
        cluster.handleReady(1)
        #expect(cluster.readStates[0].isEmpty, "not before the heartbeat round")
        cluster.stabilize()
        #expect(cluster.readStates[0] == [ReadState(index: 2, context: 7)])
        try cluster.nodes[1].readIndex(8)
        cluster.handleReady(2)
        cluster.stabilize()
        #expect(cluster.readStates[1] == [ReadState(index: 2, context: 8)], "a follower forwards the read to its leader")
    }

    @Test("ReadIndex on a deposed leader is never answered")
    func readIndexOnStaleLeader() throws {
        var cluster = LoopbackCluster(count: 5) { $0.checkQuorum = false }
        cluster.elect(1)
        cluster.partition([1, 2], [3, 4, 5])
        let majorityLeaderFound = cluster.tickUntilLeader(among: [3, 4, 5])
        let majorityLeader = try #require(majorityLeaderFound)
        try cluster.propose(majorityLeader, bytes("set x 2"))
        cluster.stabilize()
        #expect(cluster.node(1).role == .leader, "the minority leader does not know it was deposed")
        try cluster.nodes[0].readIndex(1)
        cluster.handleReady(1)
        for _ in 0..<5 {
            cluster.tickAll()
            cluster.stabilize()
        }
        #expect(cluster.readStates[0].isEmpty, "a stale read would miss x=2")
        cluster.heal()
        cluster.tickAll()
        cluster.stabilize()
        #expect(cluster.node(1).role == .follower)
        #expect(cluster.readStates[0].isEmpty)
    }

    @Test("a read before the leader's first commit in its term waits for it")
    func readWaitsForTermCommit() throws {
        var cluster = LoopbackCluster(count: 3) { $0.leaderNoop = false }
        cluster.elect(1)
        try cluster.nodes[0].readIndex(5)
        cluster.handleReady(1)
        cluster.stabilize()
        #expect(cluster.readStates[0].isEmpty)
        try cluster.propose(1, bytes("first"))
        cluster.stabilize()
        #expect(cluster.readStates[0] == [ReadState(index: 1, context: 5)])
        #expect(throws: Never.self) { try cluster.nodes[0].readIndex(6) }
        #expect(throws: RaftError.duplicateReadContext(6)) { try cluster.nodes[0].readIndex(6) }
    }
}
