import Testing
@testable import RaftCore

/// The test-only regression knobs of issue 15 each bring back the bug they name (so a mutation
/// test that catches them proves something); the regression tests show the behaviour without them.
@Suite("Test-only regression knobs (issue 15)")
struct RegressionKnobTests {
    @Test("they are named for output but not offered where teaching knobs are")
    func notOffered() {
        for (name, knob) in UnsafeKnobs.testOnlyRegressions {
            #expect(UnsafeKnobs(name: name) == nil, "\(name) must not be accepted by `set unsafe`")
            #expect(knob.names == [name])
            #expect(!UnsafeKnobs.named.contains { $0.knob == knob })
        }
        let all = UnsafeKnobs.testOnlyRegressions.reduce(UnsafeKnobs()) { $0.union($1.knob) }
        #expect(all.names.count == 4)
    }

    @Test("config-entry-by-index-only: n2 keeps the configuration of the entry it dropped")
    func configEntryByIndexOnly() throws {
        var cluster = try ConfigEntryReplacementTests.competingChanges(unsafe: .configEntryByIndexOnly)
        cluster.tick(3)
        cluster.deliver { $0.node(2).term(at: 3) == 2 }
        #expect(cluster.node(2).configuration == Configuration(voters: [1, 2, 3, 4], outgoingVoters: [1, 2, 3, 4, 5]))
    }

    @Test("read-context-first-round-only: a read whose round is lost is never answered")
    func readContextFirstRoundOnly() throws {
        var cluster = try ReadIndexRetryTests.leaderWithWrite(unsafe: .readContextFirstRoundOnly)
        try cluster.nodes[0].readIndex(7)
        cluster.handleReady(1)
        cluster.dropAll()
        for _ in 0..<3 {
            cluster.tick(1)
            cluster.stabilize()
        }
        #expect(cluster.readStates[0].isEmpty)
        #expect(cluster.node(1).pendingReads.count == 1)
    }

    @Test("added-member-inactive: an add in the last tick of a round deposes the leader")
    func addedMemberInactive() throws {
        var cluster = LoopbackCluster(count: 2, voters: [1]) {
            $0.checkQuorum = true
            $0.unsafe = .addedMemberInactive
        }
        cluster.elect(1)
        cluster.tick(1, times: 9)
        try cluster.nodes[0].proposeConfigChange(.addVoter(2))
        cluster.handleReady(1)
        cluster.tick(1)
        #expect(cluster.node(1).role == .follower)
    }

    @Test("no-auto-leave-joint: a new leader with the no-op off stays joint")
    func noAutoLeaveJoint() throws {
        var cluster = try LeaveJointTests.inheritJoint(commitOnN1: true, unsafe: .noAutoLeaveJoint)
        cluster.elect(2)
        cluster.tickAll(times: 3)
        cluster.stabilize()
        #expect(cluster.node(2).role == .leader)
        #expect(cluster.node(2).configuration.isJoint)
        #expect(throws: RaftError.configChangeInProgress(index: 2)) { try cluster.nodes[1].proposeConfigChange(.remove(1)) }
    }
}

extension RegressionKnobTests {
    /// Issue 15 §1's worse case, 5 nodes with 3 voters: n1, cut off, adds learner n4 at index 4;
    /// n3 grows the voters to n1..n5 (C_new at index 4 too). After the heal n1 takes n3's entries,
    /// and with the bug keeps its own configuration (voters n1,n2,n3): cut off with n2 again it wins
    /// with 2 of 3 and commits an entry that n3, leading n3,n4,n5 (3 of the real 5), never has.
    @Test("config-entry-by-index-only breaks State Machine Safety on 5 nodes with 3 voters; without it, n1 cannot win")
    func staleConfigurationCommitsWhatTheNextLeaderNeverHad() throws {
        for knobOn in [false, true] {
            var cluster = LoopbackCluster(count: 5, voters: [1, 2, 3]) {
                $0.preVote = false
                $0.checkQuorum = false
                $0.unsafe = knobOn ? .configEntryByIndexOnly : []
            }
            cluster.elect(1)
            cluster.partition([1], [2, 3, 4, 5])
            try cluster.propose(1, bytes("x"))
            try cluster.propose(1, bytes("y"))
            #expect(try cluster.nodes[0].proposeConfigChange(.addLearner(4)) == 4)
            cluster.handleReady(1)
            cluster.stabilize()
            cluster.elect(3)
            #expect(try cluster.nodes[2].proposeConfigChange([.addVoter(4), .addVoter(5)]) == 3)
            cluster.handleReady(3)
            cluster.stabilize()
            #expect(cluster.node(3).configuration == Configuration(voters: [1, 2, 3, 4, 5]))
            #expect(cluster.node(3).configurationIndex == 4 && cluster.node(3).commitIndex == 4)
            cluster.heal()
            cluster.tick(3)
            cluster.stabilize()
            #expect(cluster.node(1).entries.map(\.term) == [1, 2, 2, 2], "n1 replaced 2..4 with n3's entries")
            let n1Configuration = cluster.node(1).configuration
            #expect(n1Configuration == (knobOn ? Configuration(voters: [1, 2, 3], learners: [4]) : Configuration(voters: [1, 2, 3, 4, 5])))

            cluster.partition([1, 2], [3, 4, 5])
            cluster.elect(1)
            #expect((cluster.node(1).role == .leader) == knobOn, "n1 wins with 2 of its stale 3 voters only with the bug")
            #expect(cluster.node(3).role == .leader && cluster.node(3).term == 2, "n3 still leads term 2 with n4 and n5")
            if cluster.node(1).role == .leader { try cluster.propose(1, bytes("z")) }
            try cluster.propose(3, bytes("w"))
            cluster.stabilize()
            let onN1 = cluster.applied[0].first { $0.index == 5 }, onN4 = cluster.applied[3].first { $0.index == 5 }
            #expect(onN4?.data == bytes("w"), "n3's w commits at index 5 with n3, n4, n5 (3 of the real 5)")
            if knobOn {
                // n1 (term 3) committed its no-op at 5 with n2 alone; n3 (term 2) committed w at 5.
                #expect(onN1?.term == 3 && onN1?.kind == .noop, "State Machine Safety: index 5 applied differently")
                #expect(cluster.appliedTexts(1).last == "z", "z committed on n1 and n2; the next leader never had it")
            } else {
                #expect(onN1 == nil, "n1 applies nothing at index 5 until it learns n3's entry")
                #expect(!cluster.appliedTexts(1).contains("z"))
            }
        }
    }
}
