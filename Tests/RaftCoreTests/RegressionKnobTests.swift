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
