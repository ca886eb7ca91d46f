import Testing
@testable import RaftCore

/// Issue 15 §5: a leader contacts new members as soon as it appends the configuration entry that
/// adds them, instead of waiting for the next heartbeat or proposal.
@Suite("Membership: new members are contacted at once")
struct NewMemberContactTests {
    @Test("add n2 n3 then deliver everything: the change completes without a tick")
    func addCompletesWithoutTick() throws {
        var cluster = LoopbackCluster(count: 3, voters: [1])
        cluster.elect(1)
        try cluster.nodes[0].proposeConfigChange([.addVoter(2), .addVoter(3)])
        cluster.handleReady(1)
        let targets = cluster.inFlight.filter(\.isAppend).map(\.to)
        #expect(targets == [2, 3], "the config entry goes to the new members in the same Ready")
        cluster.stabilize()
        for id: NodeID in 1...3 {
            #expect(cluster.node(id).configuration == Configuration(voters: [1, 2, 3]), "n\(id) stays joint")
            #expect(cluster.node(id).commitIndex == 3)
        }
    }

    @Test("the probe carries the config entry, so a newcomer that already holds the log just says so")
    func probeCarriesTheConfigEntry() throws {
        var cluster = LoopbackCluster(count: 3, voters: [1, 2])
        cluster.elect(1)
        try cluster.nodes[0].proposeConfigChange(.addLearner(3))
        cluster.handleReady(1)
        let toLearner = cluster.inFlight.filter { $0.isAppend && $0.to == 3 }
        #expect(toLearner.count == 1)
        guard case .append(let append)? = toLearner.first else { return }
        #expect(append.entries.map(\.index) == [cluster.node(1).lastIndex])
        #expect(append.entries.first?.kind == .config)
    }
}
