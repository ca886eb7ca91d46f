import RaftCore
@testable import RaftSim
import Testing
@testable import RaftStepCLI

/// Issue 18 §1: the checker keeps its own records instead of reading the nodes' claims. Each
/// check fires on a crafted case (and did not before it existed), and stays quiet on safe runs.
@Suite struct IndependentRecordTests {
    static func session(_ lines: [String]) -> Session {
        let session = Support.session()
        for line in ["set on-violation continue"] + lines {
            let result = session.execute(line)
            #expect(result.status != .error, "'\(line)': \(result.lines)")
        }
        return session
    }

    static func names(_ session: Session) -> [String] { session.cluster.violations.map(\.invariant) }

    /// n2 grants its vote in term 1 to n1; its disk is rolled back to term 1 without the vote;
    /// it grants term 1 again, to n3. The second grant is flagged when it is sent, before either
    /// candidate has counted it (the node's own state, rewritten, no longer shows the first vote).
    @Test func secondGrantInATermIsFlaggedWhenSent() {
        let session = Self.session([
            "set prevote off", "campaign n1", "deliver n1->n2", "crash n2", "setlog n2 term=1",
            "restart n2", "campaign n3", "deliver n3->n2",
        ])
        #expect(Self.names(session) == ["Vote Uniqueness"], "\(session.cluster.violations)")
        let evidence = session.cluster.violations.first?.evidence ?? ""
        #expect(evidence.contains("n2 granted its vote in term 1 to n1") && evidence.contains("n3"), "\(evidence)")
        #expect(session.cluster.leader == nil)
    }

    /// With n2's sync off, n2 acknowledges an entry its synced disk lacks; n1 counts the
    /// acknowledgement and commits. Flagged when the acknowledgement reaches n1, with no second fault.
    @Test func acknowledgementOfUnsyncedEntryIsFlaggedAtDelivery() {
        let session = Self.session(["campaign n1", "stabilize", "set sync n2 off", "propose set x 1", "deliver n1->n2"])
        #expect(session.cluster.violations.isEmpty, "an unsynced write alone breaks nothing: \(session.cluster.violations)")
        _ = session.execute("deliver n2->n1")
        #expect(Self.names(session).contains("Durable Before Send"), "\(session.cluster.violations)")
        let evidence = session.cluster.violations.first { $0.invariant == "Durable Before Send" }?.evidence ?? ""
        #expect(evidence.hasPrefix("n2 acknowledged entries through index 2"), "\(evidence)")
    }

    /// The same with sync on stays quiet.
    @Test func acknowledgementOfSyncedEntryIsQuiet() {
        let session = Self.session(["campaign n1", "stabilize", "propose set x 1", "deliver n1->n2", "deliver n2->n1", "stabilize"])
        #expect(session.cluster.violations.isEmpty, "\(session.cluster.violations)")
        #expect(session.cluster.node(1)?.commitIndex == 2)
    }

    /// n2 acknowledges an unsynced entry and crashes before n1 hears it: n1 commits with n2's
    /// acknowledgement, but n2's disk lacks the entry. Commit Quorum reads the down node's disk.
    @Test func commitQuorumReadsTheDisksOfDownNodes() {
        let session = Self.session([
            "campaign n1", "stabilize", "set sync n2 off", "propose set x 1", "deliver n1->n2",
            "crash n2", "deliver n2->n1",
        ])
        #expect(Self.names(session).contains("Commit Quorum"), "\(session.cluster.violations)")
        let evidence = session.cluster.violations.first { $0.invariant == "Commit Quorum" }?.evidence ?? ""
        #expect(evidence.contains("committed index 2") && evidence.contains("only n1 of"), "\(evidence)")
    }

    /// A down node whose disk holds the entry counts toward the quorum.
    @Test func commitQuorumCountsADownNodeWhoseDiskHoldsTheEntry() {
        let session = Self.session(["campaign n1", "stabilize", "propose set x 1", "deliver n1->n2", "crash n2", "deliver n2->n1"])
        #expect(session.cluster.violations.isEmpty, "\(session.cluster.violations)")
        #expect(session.cluster.node(1)?.commitIndex == 2)
    }

    /// A core that hands the state machine an entry beyond the commit index is caught at that step.
    @Test(arguments: [true, false])
    func appliedBeyondCommitIsCaught(mutated: Bool) throws {
        var options = ClusterOptions()
        options.unsafe = mutated ? .applyBeyondCommit : []
        let cluster = try Cluster(options: options)
        try cluster.campaign(1)
        try cluster.stabilize()
        try cluster.propose("set x 1", on: 1)
        try cluster.stabilize()
        #expect(cluster.violations.map(\.invariant).contains("Applied Before Commit") == mutated, "\(cluster.violations)")
    }

    /// The full check compares every running node's memory with its disk: a disk rewritten
    /// behind the node's back is found.
    @Test func fullCheckComparesMemoryWithDisk() throws {
        let cluster = try Cluster(options: ClusterOptions())
        try cluster.campaign(1)
        try cluster.stabilize()
        cluster.fullCheck()
        #expect(cluster.violations.isEmpty, "\(cluster.violations)")
        try cluster.disks[1].replace(hardState: HardState(term: 0), entries: [])
        cluster.fullCheck()
        #expect(cluster.violations.map(\.invariant) == ["Memory Matches Disk"], "\(cluster.violations)")
        #expect(cluster.violations.first?.evidence.hasPrefix("n2: it is in term 1") ?? false, "\(cluster.violations)")
    }

    /// A clean campaign stays quiet while every record is in use: votes were recorded from the
    /// message flow, and runs with sync off, which must fail, fail on the new check.
    @Test func cleanCampaignStaysQuiet() {
        var options = Explorer.Options()
        options.steps = 800
        for seed in UInt64(1)...8 {
            let result = Explorer.run(seed: seed, options: options)
            #expect(result.violation == nil, "seed \(seed): \(String(describing: result.violation))")
        }
        let session = Self.session(["set prevote off", "campaign n1", "stabilize"])
        #expect(session.cluster.checker.grantsSent.count == 3)
    }
}
