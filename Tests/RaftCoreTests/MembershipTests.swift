import Testing
@testable import RaftCore
import RaftTesting

@Suite("Membership: pure configuration functions")
struct ConfigurationFunctionTests {
    let three = Configuration(voters: [1, 2, 3])

    @Test("voter changes go through a joint configuration; learner changes do not")
    func applying() throws {
        let grown = try three.applying([.addVoter(4), .addVoter(5)]).get()
        #expect(grown == Configuration(voters: [1, 2, 3, 4, 5], outgoingVoters: [1, 2, 3]))
        #expect(grown.leavingJoint == Configuration(voters: [1, 2, 3, 4, 5]))
        let learner = try three.applying([.addLearner(4)]).get()
        #expect(learner == Configuration(voters: [1, 2, 3], learners: [4]))
        #expect(!learner.isJoint)
        let promoted = try learner.applying([.promote(4)]).get()
        #expect(promoted == Configuration(voters: [1, 2, 3, 4], outgoingVoters: [1, 2, 3]))
        let shrunk = try three.applying([.remove(1)]).get()
        #expect(shrunk == Configuration(voters: [2, 3], outgoingVoters: [1, 2, 3]))
    }

    @Test(
        "invalid changes are refused with a reason",
        arguments: [
            ([ConfigChange.addVoter(2)], "already a voter"),
            ([ConfigChange.remove(9)], "not a member"),
            ([ConfigChange.promote(2)], "not a learner"),
            ([ConfigChange.addLearner(3)], "already a member"),
            ([ConfigChange.remove(1), .remove(2), .remove(3)], "last voter"),
            ([ConfigChange](), "no change"),
        ])
    func invalid(changes: [ConfigChange], fragment: String) {
        guard case .failure(let rejection) = three.applying(changes) else {
            Issue.record("\(changes) should be refused")
            return
        }
        #expect(rejection.description.contains(fragment))
    }

    @Test("a joint configuration refuses further changes")
    func jointRefuses() {
        let joint = Configuration(voters: [1, 2, 3, 4], outgoingVoters: [1, 2, 3])
        guard case .failure = joint.applying([.addVoter(5)]) else {
            Issue.record("joint must refuse")
            return
        }
    }

    @Test("the codec round-trips and rejects hostile bytes without crashing")
    func codec() {
        let samples = [three, Configuration(voters: [1, 4, 5], outgoingVoters: [1, 2, 3], learners: [9])]
        for sample in samples {
            #expect(ConfigurationCodec.decode(ConfigurationCodec.encode(sample)) == sample)
        }
        let good = ConfigurationCodec.encode(samples[1])
        #expect(ConfigurationCodec.decode([]) == nil)
        #expect(ConfigurationCodec.decode([2] + good.dropFirst()) == nil, "unknown version")
        #expect(ConfigurationCodec.decode(Array(good.dropLast())) == nil, "truncated")
        #expect(ConfigurationCodec.decode(good + [0]) == nil, "trailing bytes")
        #expect(ConfigurationCodec.decode([1, 0xff, 0xff]) == nil, "absurd count")
        #expect(ConfigurationCodec.decode([1, 0, 0, 0, 0, 0, 0]) == nil, "no voters")
        var generator = SeededGenerator(seed: 5)
        for _ in 0..<2000 {
            var mutated = good
            mutated[generator.next(in: 0..<mutated.count)] ^= UInt8(truncatingIfNeeded: generator.next() | 1)
            if let decoded = ConfigurationCodec.decode(mutated) {
                #expect(ConfigurationCodec.encode(decoded).count == mutated.count)
            }
        }
    }
}

@Suite("Membership: joint consensus in a cluster")
struct JointConsensusTests {
    /// Five nodes, voters n1–n3; n1 leads with its no-op committed.
    func threeOfFive() -> LoopbackCluster {
        var cluster = LoopbackCluster(count: 5, voters: [1, 2, 3])
        cluster.elect(1)
        return cluster
    }

    @Test("3 → 5: while joint, n1+n4+n5 is not enough; n1+n2+n4 commits; then C_new")
    func threeToFive() throws {
        var cluster = threeOfFive()
        cluster.partition([1], [2, 3])
        let jointIndex = try cluster.nodes[0].proposeConfigChange([.addVoter(4), .addVoter(5)])
        cluster.handleReady(1)
        #expect(cluster.node(1).configuration.isJoint, "the joint configuration is in effect once appended")
        try cluster.propose(1, bytes("x"))
        cluster.stabilize()
        #expect(cluster.node(4).lastIndex == 3 && cluster.node(5).lastIndex == 3, "n4 and n5 acknowledged")
        #expect(cluster.node(1).commitIndex == 1, "a majority of C_new but not of C_old: nothing commits")
        #expect(jointIndex == 2)
        cluster.heal()
        cluster.partition([1], [3, 5])
        cluster.tick(1)
        cluster.stabilize()
        // n2's acknowledgement completes both majorities (n1,n2 of C_old; n1,n2,n4 of C_new);
        // the leader then appends C_new, which n1,n2,n4 commit on their own.
        #expect(cluster.node(1).commitIndex == 4)
        #expect(cluster.node(1).configuration == Configuration(voters: [1, 2, 3, 4, 5]))
        #expect(cluster.node(1).entries.map(\.kind) == [.noop, .config, .normal, .config])
        cluster.heal()
        cluster.tickAll()
        cluster.stabilize()
        for id: NodeID in 1...5 {
            #expect(cluster.node(id).configuration == Configuration(voters: [1, 2, 3, 4, 5]), "n\(id)")
            #expect(cluster.node(id).commitIndex == 4)
        }
    }

    @Test("a leader removed from the configuration steps down once C_new commits")
    func removeLeader() throws {
        var cluster = LoopbackCluster(count: 3)
        cluster.elect(1)
        try cluster.nodes[0].proposeConfigChange(.remove(1))
        cluster.handleReady(1)
        cluster.stabilize()
        #expect(cluster.node(1).role == .follower)
        #expect(cluster.node(1).configuration == Configuration(voters: [2, 3]))
        #expect(cluster.node(2).configuration == Configuration(voters: [2, 3]))
        #expect(cluster.node(2).commitIndex == 3)
        // n1 no longer campaigns; n2 or n3 takes over.
        let leaderFound = cluster.tickUntilLeader(limit: 40)
        let leader = try #require(leaderFound)
        #expect(leader != 1)
        try cluster.propose(leader, bytes("after"))
        cluster.stabilize()
        #expect(cluster.node(2).commitIndex == cluster.node(3).commitIndex)
    }

    /// Three nodes; n3 leads, removes n1, then itself: C_old,new (n2,n3)&(n2) commits on n2's
    /// answer, n3 appends C_new (n2) and is cut off, crashes and restarts before it leaves.
    /// n3 is left isolated (heal to reconnect it).
    static func removalInFlight(preVote: Bool) throws -> LoopbackCluster {
        var cluster = LoopbackCluster(count: 3) { $0.preVote = preVote }
        cluster.elect(3)
        try cluster.nodes[2].proposeConfigChange(.remove(1))
        cluster.handleReady(3)
        cluster.stabilize()
        #expect(cluster.node(3).configuration == Configuration(voters: [2, 3]))
        try cluster.nodes[2].proposeConfigChange(.remove(3))
        cluster.handleReady(3)
        cluster.deliver { $0.node(3).configuration == Configuration(voters: [2]) }
        cluster.isolate(3)
        cluster.stabilize()
        cluster.crash(3)
        cluster.restart(3)
        return cluster
    }

    /// Found by the explorer (seed 662, 3 nodes): n3 leads C_new (n2,n3), proposes removing
    /// itself, commits C_old,new (n2,n3)&(n2), appends C_new (n2) and crashes before n2 gets it.
    /// n2 is joint and needs n3's vote, which n3 refuses (its log is longer); if n3, a non-voter
    /// of its latest configuration, could not campaign either, no leader would ever be elected.
    @Test("a server whose removal is not yet committed can still win, and then steps down")
    func removalInFlightDoesNotBlockElections() throws {
        var cluster = try Self.removalInFlight(preVote: true)
        cluster.heal()
        #expect(cluster.node(2).configuration == Configuration(voters: [2], outgoingVoters: [2, 3]))
        #expect(cluster.node(3).configuration == Configuration(voters: [2]))
        #expect(cluster.node(3).lastIndex > cluster.node(2).lastIndex)
        #expect(cluster.node(3).mayCampaign, "C_new is not known committed and n3 voted before it")
        // Only n3 can win (n2 needs its vote). It leads a configuration without itself until
        // C_new commits on n2 alone, then steps down; n2, sole voter, takes over.
        var n3Led = false
        for _ in 0..<60 where cluster.leader != 2 {
            cluster.tickAll()
            while cluster.deliverOne() { n3Led = n3Led || cluster.node(3).role == .leader }
        }
        #expect(n3Led, "n3 must be able to win while its removal is not known committed")
        #expect(cluster.leader == 2)
        #expect(cluster.node(3).role == .follower && !cluster.node(3).mayCampaign)
        #expect(cluster.node(2).configuration == Configuration(voters: [2]))
    }

    /// Found by the explorer (seed 2465): with pre-vote off, a server whose removal is in flight
    /// campaigned for real, spending its vote in each term it raised to, and a voter that needed
    /// that vote reached each term just after it — no leader, ever. Such a server asks with
    /// pre-vote first: a hopeless campaign costs neither its term nor its vote.
    @Test("a server outside its latest configuration campaigns with pre-vote even when pre-vote is off")
    func removalInFlightCampaignsWithPreVote() throws {
        var cluster = try Self.removalInFlight(preVote: false)
        let (term, vote) = (cluster.node(3).term, cluster.node(3).vote)
        cluster.nodes[2].campaign()
        cluster.handleReady(3)
        #expect(cluster.node(3).role == .preCandidate)
        #expect(cluster.node(3).term == term && cluster.node(3).vote == vote, "a pre-vote spends neither term nor vote")
        let requests = cluster.take { if case .vote = $0 { return $0.from == 3 } else { return false } }
        #expect(!requests.isEmpty)
        for request in requests {
            guard case .vote(let vote) = request else { continue }
            #expect(vote.isPreVote && vote.to == 2)
        }
        // A voter still joins a normal vote request at once (pre-vote stays off for voters).
        cluster.nodes[1].campaign()
        cluster.handleReady(2)
        #expect(cluster.node(2).role == .candidate)
    }

    @Test("a removed server does not disrupt the cluster")
    func removedServerDoesNotDisrupt() throws {
        var cluster = LoopbackCluster(count: 3) { $0.preVote = false }
        cluster.elect(1)
        try cluster.nodes[0].proposeConfigChange(.remove(3))
        cluster.handleReady(1)
        // n3 learns of the joint configuration but is cut off before C_new reaches it.
        cluster.deliver { $0.node(1).configuration == Configuration(voters: [1, 2]) }
        cluster.isolate(3)
        cluster.stabilize()
        cluster.heal()
        let term = cluster.node(1).term
        for _ in 0..<60 {
            cluster.tickAll()
            cluster.stabilize()
        }
        #expect(cluster.node(3).term > term, "n3 keeps timing out and campaigning")
        #expect(cluster.leader == 1)
        #expect(cluster.node(1).term == term && cluster.node(2).term == term)
        #expect(
            cluster.ignored.contains { $0.reason.contains("heard from") && $0.message.from == 3 },
            "the leader lease (dissertation §4.2.3) keeps n3's vote requests from unseating n1")
    }

    @Test("learners receive the log but do not count; promotion makes them voters")
    func learners() throws {
        var cluster = threeOfFive()
        try cluster.nodes[0].proposeConfigChange(.addLearner(4))
        cluster.handleReady(1)
        cluster.stabilize()
        #expect(cluster.node(1).configuration == Configuration(voters: [1, 2, 3], learners: [4]))
        cluster.partition([1], [2, 3])
        try cluster.propose(1, bytes("x"))
        cluster.stabilize()
        #expect(cluster.node(4).lastIndex == 3, "the learner has the entry")
        #expect(cluster.node(1).commitIndex == 2, "a learner's copy does not count")
        cluster.heal()
        cluster.tick(1)
        cluster.stabilize()
        #expect(cluster.node(1).commitIndex == 3)
        // A learner never campaigns.
        cluster.tick(4, times: 50)
        #expect(cluster.node(4).role == .follower)
        try cluster.nodes[0].proposeConfigChange(.promote(4))
        cluster.handleReady(1)
        cluster.stabilize()
        #expect(cluster.node(1).configuration == Configuration(voters: [1, 2, 3, 4]))
    }

    @Test("one change at a time, and not before the leader commits in its term")
    func refusals() throws {
        var cluster = LoopbackCluster(count: 3) { $0.leaderNoop = false }
        cluster.elect(1)
        #expect(throws: RaftError.noCommitInTerm) { try cluster.nodes[0].proposeConfigChange(.addLearner(4)) }
        try cluster.propose(1, bytes("first"))
        cluster.stabilize()
        let index = try cluster.nodes[0].proposeConfigChange(.addLearner(4))
        #expect(throws: RaftError.configChangeInProgress(index: index)) {
            try cluster.nodes[0].proposeConfigChange(.addLearner(5))
        }
        #expect(throws: RaftError.notLeader(leader: 1)) { try cluster.nodes[1].proposeConfigChange(.addLearner(5)) }
        #expect(throws: RaftError.invalidConfigChange("n2 is already a voter")) {
            var fresh = LoopbackCluster(count: 3)
            fresh.elect(1)
            try fresh.nodes[0].proposeConfigChange(.addVoter(2))
        }
    }

    @Test("a restarted node takes its configuration from its log; a truncated config entry is undone")
    func configurationFollowsTheLog() throws {
        var cluster = LoopbackCluster(count: 4, voters: [1, 2, 3]) {
            $0.preVote = false; $0.checkQuorum = false
        }
        cluster.elect(1)
        // n1 appends a learner change that reaches only n2, then crashes.
        cluster.partition([1], [3, 4])
        try cluster.nodes[0].proposeConfigChange(.addLearner(4))
        cluster.handleReady(1)
        cluster.stabilize()
        #expect(cluster.node(2).configuration.learners == [4], "in effect on n2 although uncommitted")
        cluster.crash(1)
        cluster.heal()
        cluster.restart(2)
        #expect(cluster.node(2).configuration.learners == [4], "recovered from n2's log")
        // n3 wins term 2 without the change (n4 is not a voter; n2... n3 needs n2 or n1).
        cluster.crash(2)
        cluster.restart(1)
        cluster.partition([1], [3])
        cluster.heal()
        cluster.elect(3)
        if cluster.leader != 3 { cluster.elect(3) }
        #expect(cluster.node(3).configuration.learners.isEmpty)
    }
}

@Suite("Membership: votes for servers we do not know yet")
struct UnknownCandidateTests {
    @Test("a new server holding the only copy of C_old,new can still win C_old's votes (dissertation §4.1)")
    func newServerCanFinishTheChange() throws {
        var cluster = LoopbackCluster(count: 5, voters: [1, 2, 3]) {
            $0.preVote = false; $0.checkQuorum = false
        }
        cluster.elect(1)
        cluster.partition([1, 4, 5], [2, 3])
        try cluster.nodes[0].proposeConfigChange([.addVoter(4), .addVoter(5)])
        cluster.handleReady(1)
        try cluster.propose(1, bytes("x"))
        cluster.stabilize()
        #expect(cluster.node(4).configuration.isJoint)
        #expect(cluster.node(2).configuration == Configuration(voters: [1, 2, 3]), "n2 never saw the change")
        cluster.crash(1)
        cluster.heal()
        cluster.elect(4)
        // n4 needs a majority of C_old = {1,2,3}: n2 and n3 must answer a node they do not know.
        #expect(cluster.leader == 4)
        #expect(!cluster.ignored.contains { $0.reason.contains("unknown sender n4") })
        cluster.stabilize()
        #expect(cluster.node(2).configuration == Configuration(voters: [1, 2, 3, 4, 5]), "the change finished")
    }

    @Test("answers and TimeoutNow from an unknown sender are dropped; requests are handled")
    func othersDropped() {
        var node = RaftNode(config: Config(id: 2), configuration: Configuration(voters: [1, 2, 3]))
        let result = node.step(.heartbeatResponse(HeartbeatResponse(from: 9, to: 2, term: 1)))
        #expect(result.ignoredReason == "unknown sender n9")
        #expect(node.step(.timeoutNow(TimeoutNow(from: 9, to: 2, term: 1))).ignoredReason == "unknown sender n9")
        let vote = node.step(.vote(Vote(from: 9, to: 2, term: 1, lastLogIndex: 0, lastLogTerm: 0)))
        #expect(vote == .handled)
    }
}
