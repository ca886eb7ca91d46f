import RaftCore
@testable import RaftSim
import Testing

/// Issue 18 §1: a client acknowledgement is recorded when the node makes it (a leader applies a
/// proposal it took) and judged against the checker's committed history, so an answer given
/// before the entry committed is flagged as such.
@Suite struct AcknowledgementRecordTests {
    static func cluster(unsafe: UnsafeKnobs = [], leases: Bool = true) throws -> Cluster {
        var options = ClusterOptions()
        options.unsafe = unsafe
        options.preVote = leases
        options.checkQuorum = leases
        let cluster = try Cluster(options: options)
        try cluster.campaign(1)
        try cluster.stabilize()
        return cluster
    }

    /// Each proposal is acknowledged once, by its leader, when it applies it; nothing is flagged.
    @Test func acknowledgementsAreRecordedWhenTheLeaderApplies() throws {
        let cluster = try Self.cluster()
        try cluster.propose("set x 1", on: 1)
        #expect(cluster.clientAcknowledgements.isEmpty, "not applied yet")
        try cluster.propose("set y 2", on: 1)
        try cluster.stabilize()
        #expect(cluster.clientAcknowledgements.map { "\($0.node)@\($0.index)t\($0.term)" } == ["1@2t1", "1@3t1"])
        #expect(cluster.violations.isEmpty, "\(cluster.violations)")
    }

    /// A proposal whose entry was replaced before it applied is never acknowledged.
    @Test func aReplacedProposalIsNotAcknowledged() throws {
        let cluster = try Self.cluster(leases: false)
        try cluster.partition([[1]])
        try cluster.propose("set x lost", on: 1)
        try cluster.campaign(2)
        try cluster.stabilize()
        try cluster.propose("set x kept", on: 2)
        try cluster.stabilize()
        cluster.heal()
        try cluster.tick([2], count: 1)
        try cluster.stabilize()
        #expect(cluster.node(1)?.appliedIndex ?? 0 >= 2)
        #expect(cluster.clientAcknowledgements.map(\.node) == [2], "\(cluster.clientAcknowledgements)")
        #expect(cluster.violations.isEmpty, "\(cluster.violations)")
    }

    /// The crafted case: a leader that hands its state machine an entry beyond the commit index
    /// (the `apply-beyond-commit` mutation) answers its client before the entry commits.
    @Test func anAnswerBeforeCommitIsFlagged() throws {
        let cluster = try Self.cluster(unsafe: .applyBeyondCommit)
        try cluster.propose("set x 1", on: 1)
        let flagged = cluster.violations.filter { $0.invariant == "Acknowledged Before Commit" }
        #expect(
            flagged.map(\.evidence) == ["n1 acknowledged 'set x 1' at index 2 (term 1), but the committed history reaches only index 1"],
            "\(cluster.violations)")
    }

    /// Explorer runs (proposals, crashes, elections, compaction) stay quiet and acknowledge.
    @Test func cleanCampaignStaysQuiet() {
        var options = Explorer.Options()
        options.nodes = 5
        options.steps = 600
        for seed in UInt64(7)...12 {
            let result = Explorer.run(seed: seed, options: options)
            #expect(result.violation == nil, "seed \(seed): \(String(describing: result.violation))")
        }
    }
}
