import Testing
@testable import RaftCore
import RaftTesting

@Suite("Leader election")
struct ElectionTests {
    @Test("first election: one leader in term 1, both followers voted for it, the vote persisted")
    func firstElection() {
        var cluster = LoopbackCluster(count: 3)
        cluster.elect(1)
        #expect(cluster.node(1).role == .leader)
        for id: NodeID in 1...3 {
            #expect(cluster.node(id).term == 1)
            #expect(cluster.node(id).vote == 1)
            #expect(cluster.node(id).leader == 1)
            #expect(cluster.storedHardStates[Int(id) - 1].vote == 1, "the vote must be on disk")
            // The leader's no-op is committed everywhere once all messages are delivered.
            #expect(cluster.logTerms(id) == [1])
            #expect(cluster.node(id).commitIndex == 1)
            #expect(cluster.node(id).entries.first?.kind == .noop)
        }
        #expect(cluster.node(2).role == .follower && cluster.node(3).role == .follower)
    }

    @Test("election by ticking: timeouts are randomized in [election, 2*election) and reproducible")
    func electionByTicks() {
        func run(seed: UInt64) -> (leader: NodeID?, ticks: Int, timeouts: [Int]) {
            var cluster = LoopbackCluster(count: 5, seed: seed)
            let timeouts = (1...5).map { cluster.node(NodeID($0)).electionTimeoutTicks }
            var ticks = 0
            while cluster.leader == nil && ticks < 200 {
                cluster.tickAll()
                cluster.stabilize()
                ticks += 1
            }
            return (cluster.leader, ticks, timeouts)
        }
        let first = run(seed: 42)
        #expect(first.leader != nil)
        #expect(first.timeouts.allSatisfy { (10..<20).contains($0) })
        #expect(Set(first.timeouts).count > 1, "different nodes should draw different timeouts")
        let again = run(seed: 42)
        #expect(again.leader == first.leader && again.ticks == first.ticks && again.timeouts == first.timeouts)
        // The node with the smallest timeout campaigns first and wins a quiet election.
        let earliest = first.timeouts.enumerated().min(by: { $0.element < $1.element })!.offset + 1
        #expect(first.leader == NodeID(earliest))
    }

    @Test("split vote in a 4-node cluster resolves in a later term")
    func splitVote() {
        var cluster = LoopbackCluster(count: 4) { $0.preVote = false }
        // n1 reaches only n3, n2 reaches only n4: two candidates with 2 votes each.
        cluster.partition([1], [4])
        cluster.partition([2], [3])
        cluster.campaign(1)
        cluster.campaign(2)
        cluster.stabilize()
        #expect(cluster.leader == nil)
        #expect(cluster.node(1).role == .candidate && cluster.node(2).role == .candidate)
        #expect(cluster.node(1).term == 1 && cluster.node(2).term == 1)
        #expect(cluster.node(3).vote == 1 && cluster.node(4).vote == 2)
        cluster.heal()
        cluster.elect(1)
        #expect(cluster.leader == 1)
        #expect((1...4).allSatisfy { cluster.node(NodeID($0)).term == 2 })
    }

    @Test("a candidate with a less up-to-date log is refused (paper §5.4.1)")
    func upToDateCheck() {
        var cluster = LoopbackCluster(count: 3) {
            $0.preVote = false; $0.checkQuorum = false
        }
        cluster.elect(1)
        cluster.isolate(3)
        try! cluster.propose(1, bytes("x"))
        cluster.stabilize()
        cluster.crash(1)
        cluster.heal()
        cluster.elect(3)
        #expect(cluster.node(3).role != .leader, "n3 lacks a committed entry and must lose")
        #expect(cluster.node(2).vote != 3)
    }

    @Test("pre-vote keeps a partitioned node's term from rising; without it the node disrupts the cluster")
    func preVote() {
        for preVote in [true, false] {
            var cluster = LoopbackCluster(count: 3) { $0.preVote = preVote }
            cluster.elect(1)
            cluster.isolate(3)
            for _ in 0..<100 {
                cluster.tickAll()
                cluster.stabilize()
            }
            if preVote {
                #expect(cluster.node(3).term == 1, "pre-vote: the isolated node never raises its term")
                #expect(cluster.node(3).role == .preCandidate || cluster.node(3).role == .follower)
            } else {
                #expect(cluster.node(3).term > 5, "without pre-vote the isolated node keeps raising its term")
            }
            cluster.heal()
            for _ in 0..<3 {
                cluster.tickAll()
                cluster.stabilize()
            }
            if preVote {
                #expect(cluster.leader == 1)
                #expect((1...3).allSatisfy { cluster.node(NodeID($0)).term == 1 })
            } else {
                #expect(cluster.node(1).term > 5, "the returning node's term deposes the leader")
            }
        }
    }

    /// Found by the explorer (seed 7197): with pre-vote and check-quorum off, a removed server's
    /// vote requests raised a learner's term; the learner ignored its leader's appends as stale,
    /// said nothing, and never sent a vote request of its own — it stayed behind forever. A node
    /// answers a stale append with its term (Figure 2), so the leader learns it and steps up.
    @Test(
        "a stale append is answered with the newer term, whatever the pre-vote and check-quorum settings",
        arguments: [(false, false), (true, false), (false, true), (true, true)])
    func staleAppendIsAnsweredWithTheTerm(preVote: Bool, checkQuorum: Bool) throws {
        var cluster = LoopbackCluster(count: 3) {
            $0.preVote = preVote
            $0.checkQuorum = checkQuorum
        }
        cluster.elect(1)
        var follower = cluster.node(2)
        // Something raises n2's term (here a heartbeat of a later term; in the explorer's run,
        // a removed server's vote requests).
        _ = follower.step(.heartbeat(Heartbeat(from: 3, to: 2, term: 9, commit: 0)))
        _ = follower.ready()
        #expect(follower.term == 9)
        let result = follower.step(.append(Append(from: 1, to: 2, term: 1, prevLogIndex: 1, prevLogTerm: 1, entries: [], leaderCommit: 1)))
        #expect(result.ignoredReason == nil)
        let answers = follower.ready().messages
        let answer = try #require(answers.first)
        guard case .appendResponse(let response) = answer else {
            Issue.record("expected an append response, got \(answer)")
            return
        }
        #expect(response.term == 9 && response.to == 1)
    }

    @Test("check-quorum: an isolated leader steps down after an election timeout")
    func checkQuorum() {
        for checkQuorum in [true, false] {
            var cluster = LoopbackCluster(count: 3) { $0.checkQuorum = checkQuorum }
            cluster.elect(1)
            cluster.isolate(1)
            // The followers answered during the first election timeout (before the cut), so the
            // first check passes; the second finds nobody and the leader steps down.
            cluster.tick(1, times: 10)
            cluster.stabilize()
            #expect(cluster.node(1).role == .leader)
            cluster.tick(1, times: 10)
            cluster.stabilize()
            #expect(cluster.node(1).role == (checkQuorum ? .follower : .leader))
            #expect(cluster.node(1).term == 1)
        }
    }

    @Test("leader lease: followers that heard from the leader ignore vote requests")
    func leaderLease() {
        var cluster = LoopbackCluster(count: 3) { $0.preVote = false }
        cluster.elect(1)
        cluster.elect(3)
        #expect(cluster.leader == 1, "n2 heard from n1 within the election timeout")
        #expect(cluster.node(1).role == .leader)
        #expect(cluster.ignored.contains { $0.reason.contains("heard from") })
    }

    @Test("a single-node cluster elects itself and commits alone")
    func singleNode() throws {
        var cluster = LoopbackCluster(count: 1)
        cluster.campaign(1)
        #expect(cluster.leader == 1)
        try cluster.propose(1, bytes("solo"))
        #expect(cluster.node(1).commitIndex == 2)
        #expect(cluster.appliedTexts(1) == ["solo"])
    }
}
