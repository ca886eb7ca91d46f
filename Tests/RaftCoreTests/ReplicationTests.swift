import Testing
@testable import RaftCore
import RaftTesting

@Suite("Log replication and the commit rule")
struct ReplicationTests {
    @Test("an entry commits once a majority stores it; a missing follower does not stop it")
    func commitWithMajority() throws {
        var cluster = LoopbackCluster(count: 3)
        cluster.elect(1)
        cluster.isolate(3)
        let index = try cluster.propose(1, bytes("set x 1"))
        #expect(index == 2)
        cluster.stabilize()
        #expect(cluster.node(1).commitIndex == 2)
        #expect(cluster.node(2).commitIndex == 2)
        #expect(cluster.node(3).lastIndex == 1, "n3 never received it")
        #expect(cluster.appliedTexts(1) == ["set x 1"] && cluster.appliedTexts(2) == ["set x 1"])
        #expect(cluster.appliedTexts(3).isEmpty)
        // Once healed, the next heartbeat brings n3 up to date.
        cluster.heal()
        cluster.tick(1)
        cluster.stabilize()
        #expect(cluster.logTerms(3) == [1, 1] && cluster.node(3).commitIndex == 2)
        #expect(cluster.appliedTexts(3) == ["set x 1"])
    }

    @Test("proposals to a follower are refused with an error naming the leader")
    func proposalToFollower() {
        var cluster = LoopbackCluster(count: 3)
        #expect(throws: RaftError.notLeader(leader: .none)) { try cluster.propose(2, bytes("x")) }
        cluster.elect(1)
        #expect(throws: RaftError.notLeader(leader: 1)) { try cluster.propose(2, bytes("x")) }
        #expect(RaftError.notLeader(leader: 1).description == "not the leader; the leader is n1")
    }

    @Test("after every message is delivered, all connected nodes share the commit index")
    func commitPropagatesPromptly() throws {
        var cluster = LoopbackCluster(count: 5)
        cluster.elect(1)
        for round in 0..<20 {
            for k in 0..<(round % 4 + 1) { try cluster.propose(1, bytes("r\(round)k\(k)")) }
            cluster.stabilize()
            let commits = (1...5).map { cluster.node(NodeID($0)).commitIndex }
            #expect(Set(commits).count == 1, "round \(round): \(commits)")
            #expect(commits[0] == cluster.node(1).lastIndex)
        }
    }

    @Test("a leader crash loses an uncommitted entry; the new leader's log wins everywhere")
    func leaderCrashLosesUncommittedEntry() throws {
        var cluster = LoopbackCluster(count: 3)
        cluster.elect(1)
        try cluster.propose(1, bytes("lost"))
        cluster.dropAll()
        cluster.crash(1)
        let newLeaderFound = cluster.tickUntilLeader()
        let newLeader = try #require(newLeaderFound)
        #expect(newLeader != 1)
        try cluster.propose(newLeader, bytes("kept"))
        cluster.stabilize()
        cluster.restart(1)
        #expect(cluster.logTerms(1) == [1, 1], "the old leader still holds its uncommitted entry")
        for _ in 0..<3 {
            cluster.tickAll()
            cluster.stabilize()
        }
        let term = cluster.node(newLeader).term
        for id: NodeID in 1...3 {
            #expect(cluster.logTerms(id) == [1, term, term])
            #expect(cluster.node(id).commitIndex == 3)
            #expect(cluster.appliedTexts(id) == ["kept"], "the lost entry is never applied anywhere")
        }
    }

    @Test("Figure 7: a term-8 leader brings followers a–f to its log")
    func figure7() {
        let leaderLog: [UInt64] = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6]
        let followers: [[UInt64]] = [
            [1, 1, 1, 4, 4, 5, 5, 6, 6],  // a
            [1, 1, 1, 4],  // b
            [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],  // c
            [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],  // d
            [1, 1, 1, 4, 4, 4, 4],  // e
            [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],  // f
        ]
        var cluster = LoopbackCluster(count: 7)
        for id: NodeID in 1...7 { cluster.crash(id) }
        cluster.setStoredState(1, hardState: HardState(term: 7), entries: makeLog(leaderLog))
        for (i, terms) in followers.enumerated() {
            cluster.setStoredState(NodeID(i + 2), hardState: HardState(term: terms.last!), entries: makeLog(terms))
        }
        for id: NodeID in 1...7 { cluster.restart(id) }
        cluster.elect(1)
        #expect(cluster.leader == 1)
        #expect(cluster.node(1).term == 8)
        // The leader appended its no-op of term 8 and every follower converged to its log.
        let expected = leaderLog + [8]
        for id: NodeID in 1...7 {
            #expect(cluster.logTerms(id) == expected, "n\(id)")
            #expect(cluster.node(id).commitIndex == 11, "n\(id)")
        }
    }

    @Test("Figure 8: an old-term entry on a majority is not committed until one of the current term is")
    func figure8() throws {
        let figure = try Figure8()
        var cluster = figure.cluster
        // (c) n1 leads term 4; index 2 (term 2) is now on n1, n2, n3 and n4 — a majority...
        for id: NodeID in 1...4 { #expect(cluster.logTerms(id) == [1, 2], "n\(id)") }
        // ...but it is not of term 4, so it is not committed.
        #expect(cluster.node(1).commitIndex == 1)
        // (e) an entry of term 4 on a majority commits it and, with it, index 2.
        try cluster.propose(1, bytes("z"))
        cluster.stabilize()
        #expect(cluster.node(1).commitIndex == 3)
        #expect(cluster.appliedTexts(1) == ["a", "x", "z"])
    }

    @Test("fast backtracking skips a whole conflicting term per round trip")
    func fastBacktracking() {
        var cluster = LoopbackCluster(count: 3)
        for id: NodeID in 1...3 { cluster.crash(id) }
        let common = [UInt64](repeating: 1, count: 10)
        let leaderLog = common + [UInt64](repeating: 3, count: 50)
        cluster.setStoredState(1, hardState: HardState(term: 3, commit: 10), entries: makeLog(leaderLog))
        cluster.setStoredState(2, hardState: HardState(term: 3, commit: 10), entries: makeLog(leaderLog))
        cluster.setStoredState(
            3, hardState: HardState(term: 2, commit: 10),
            entries: makeLog(common + [UInt64](repeating: 2, count: 50)))
        for id: NodeID in 1...3 { cluster.restart(id) }
        cluster.campaign(1)
        var rejections = 0
        while let next = cluster.inFlight.first {
            if next.isRejectedAppend && next.from == 3 { rejections += 1 }
            cluster.deliverOne()
        }
        #expect(cluster.leader == 1)
        #expect(rejections == 1, "one rejection skips all 50 conflicting entries of term 2")
        #expect(cluster.logTerms(3) == cluster.logTerms(1))
    }

    @Test("appends respect the size limit and the in-flight bound")
    func batchingAndInflightBound() throws {
        var cluster = LoopbackCluster(count: 3) {
            $0.maxAppendBytes = 100
            $0.maxInflightAppends = 2
        }
        cluster.elect(1)
        let payload = [UInt8](repeating: 7, count: 40)
        var node = cluster.nodes[0]
        try node.propose(batch: Array(repeating: payload, count: 10))
        let ready = node.ready()
        let appends = ready.messages.compactMap { message -> Append? in
            if case .append(let append) = message { return append } else { return nil }
        }
        for append in appends {
            #expect(append.entries.count <= 2, "40-byte entries under a 100-byte limit: at most 2 per message")
            #expect(!append.entries.isEmpty)
        }
        #expect(appends.filter { $0.to == 2 }.count == 2, "only two appends in flight to a follower")
        #expect(appends.filter { $0.to == 3 }.count == 2)
        node.advance(ready)
        cluster.nodes[0] = node
        for message in ready.messages { cluster.enqueue(message) }
        cluster.stabilize()
        #expect((1...3).allSatisfy { cluster.node(NodeID($0)).commitIndex == 11 })
    }
}

/// Figure 8 of the Raft paper, steps (a)–(c), on five nodes with the leader no-op off.
/// Every node starts with entry 1 of term 1, committed.
struct Figure8 {
    var cluster: LoopbackCluster

    /// Runs (a)–(c); in (c) delivery stops as soon as `stop` holds (or when nothing is left).
    init(knobs: UnsafeKnobs = [], stop: (LoopbackCluster) -> Bool = { _ in false }) throws {
        var cluster = LoopbackCluster(count: 5) {
            $0.leaderNoop = false
            $0.preVote = false
            $0.checkQuorum = false
            $0.unsafe = knobs
        }
        for id: NodeID in 1...5 { cluster.crash(id) }
        for id: NodeID in 1...5 {
            cluster.setStoredState(id, hardState: HardState(term: 1, commit: 1), entries: [Entry(term: 1, index: 1, data: bytes("a"))])
        }
        for id: NodeID in 1...5 { cluster.restart(id) }
        // (a) n1 leads term 2 and replicates index 2 only to n2.
        cluster.elect(1)
        cluster.partition([1], [3, 4, 5])
        try cluster.propose(1, bytes("x"))
        cluster.stabilize()
        cluster.crash(1)
        cluster.heal()
        // (b) n5 leads term 3 with votes of n3, n4; its own index 2 reaches nobody.
        cluster.elect(5)
        cluster.partition([5], [1, 2, 3, 4])
        try cluster.propose(5, bytes("y"))
        cluster.stabilize()
        cluster.crash(5)
        cluster.heal()
        // (c) n1 restarts and wins term 4 (its first try, in term 3, meets votes cast for n5).
        cluster.restart(1)
        cluster.elect(1)
        cluster.campaign(1)
        cluster.deliver(until: stop)
        guard cluster.leader == 1, cluster.node(1).term == 4 else {
            throw Figure8Error.setupFailed("n1 should lead term 4, got leader \(String(describing: cluster.leader)) term \(cluster.node(1).term)")
        }
        self.cluster = cluster
    }
}

enum Figure8Error: Error { case setupFailed(String) }

@Suite("Lost acknowledged writes")
struct LostWritesTests {
    @Test("a follower that lost entries it acknowledged (sync off) is brought back, not stuck")
    func followerLostAcknowledgedEntries() throws {
        var cluster = LoopbackCluster(count: 3)
        cluster.elect(1)
        for k in 0..<5 { try cluster.propose(1, bytes("v\(k)")) }
        cluster.stabilize()
        #expect(cluster.node(3).lastIndex == 6)
        // n3 crashes and its disk kept only the first two entries (the rest was never synced).
        cluster.crash(3)
        cluster.setStoredState(
            3, hardState: HardState(term: 1, vote: 1, commit: 2),
            entries: Array(cluster.storedEntries[2].prefix(2)))
        cluster.restart(3)
        try cluster.propose(1, bytes("after"))
        cluster.stabilize()
        cluster.tickAll()
        cluster.stabilize()
        #expect(cluster.logTerms(3) == cluster.logTerms(1))
        #expect(cluster.node(3).commitIndex == 7)
        #expect(cluster.appliedTexts(3) == ["v0", "v1", "v2", "v3", "v4", "after"])
    }
}
