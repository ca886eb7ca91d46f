import Testing
@testable import RaftCore

/// Issue 15 §2 (liveness): a ReadIndex read whose one heartbeat round was lost must still be
/// answered by a healthy leader: later heartbeats carry the newest pending read's context.
@Suite("ReadIndex: a read whose heartbeat round is lost is retried")
struct ReadIndexRetryTests {
    /// Three voters, pre-vote and check-quorum off; n1 leads with a committed write.
    static func leaderWithWrite(unsafe: UnsafeKnobs = []) throws -> LoopbackCluster {
        var cluster = LoopbackCluster(count: 3) {
            $0.preVote = false
            $0.checkQuorum = false
            $0.unsafe = unsafe
        }
        cluster.elect(1)
        try cluster.propose(1, bytes("set x 1"))
        cluster.stabilize()
        return cluster
    }

    @Test("the next heartbeats carry the pending read, and their answers confirm it")
    func lostRoundIsRetried() throws {
        var cluster = try Self.leaderWithWrite()
        try cluster.nodes[0].readIndex(7)
        cluster.handleReady(1)
        cluster.dropAll()
        for _ in 0..<3 {
            cluster.tick(1)
            cluster.stabilize()
        }
        #expect(cluster.readStates[0] == [ReadState(index: 2, context: 7)], "the read waits forever on a healthy leader")
        #expect(cluster.node(1).pendingReads.isEmpty)
    }

    @Test("a heartbeat after the read is confirmed carries no context")
    func noContextWhenNothingPending() throws {
        var cluster = try Self.leaderWithWrite()
        try cluster.nodes[0].readIndex(7)
        cluster.handleReady(1)
        cluster.stabilize()
        #expect(cluster.readStates[0].count == 1)
        cluster.tick(1)
        let heartbeats = cluster.take { if case .heartbeat = $0 { return true } else { return false } }
        #expect(!heartbeats.isEmpty)
        for message in heartbeats {
            guard case .heartbeat(let heartbeat) = message else { continue }
            #expect(heartbeat.readContext == nil)
        }
    }

    @Test("one retried round confirms every older read too, in order")
    func retryConfirmsOlderReads() throws {
        var cluster = try Self.leaderWithWrite()
        try cluster.nodes[0].readIndex(7)
        cluster.handleReady(1)
        cluster.dropAll()
        try cluster.propose(1, bytes("set x 2"))
        cluster.stabilize()
        try cluster.nodes[0].readIndex(8)
        cluster.handleReady(1)
        cluster.dropAll()
        cluster.tick(1)
        let contexts: [UInt64?] = cluster.inFlight.compactMap {
            if case .heartbeat(let heartbeat) = $0 { return heartbeat.readContext } else { return nil }
        }
        #expect(!contexts.isEmpty && contexts.allSatisfy { $0 == 8 }, "the newest pending read rides on the heartbeat")
        cluster.stabilize()
        #expect(cluster.readStates[0] == [ReadState(index: 2, context: 7), ReadState(index: 3, context: 8)])
    }
}
