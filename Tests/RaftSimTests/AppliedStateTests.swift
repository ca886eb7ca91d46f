import RaftCore
@testable import RaftHost
@testable import RaftSim
import Testing

/// Issue 18 §1, Applied State: every node's key-value store, and every snapshot's data, is the
/// committed history (the checker's own record) replayed to its index. The crafted cases corrupt
/// a store behind the core's back, as a state machine bug would.
@Suite struct AppliedStateTests {
    /// n1 leads a 3-node cluster that committed and applied a few writes everywhere.
    static func cluster() throws -> Cluster {
        let cluster = try Cluster(options: ClusterOptions())
        try cluster.campaign(1)
        try cluster.stabilize()
        for command in ["set x 1", "set y 2", "del x", "set y 3", "hello"] { try cluster.propose(command, on: 1) }
        try cluster.stabilize()
        return cluster
    }

    /// Node `id`'s store takes a write no entry holds, at the index it has applied.
    static func corruptStore(_ cluster: Cluster, _ id: NodeID, _ command: String) {
        let host = cluster.hosts[Int(id) - 1]!
        _ = host.storedMachine.apply(Array(command.utf8), index: host.storedMachine.lastApplied)
    }

    static func names(_ cluster: Cluster) -> [String] { cluster.violations.map(\.invariant) }

    @Test func cleanRunsWithCompactionAndInstallsStayQuiet() throws {
        let cluster = try Self.cluster()
        try cluster.crash(3)
        try cluster.propose("set z 4", on: 1)
        try cluster.stabilize()
        try cluster.compact(1, through: nil)
        try cluster.compact(2, through: 3)
        try cluster.restart(3)
        try cluster.tick([1], count: 1)
        try cluster.stabilize()
        cluster.fullCheck()
        #expect(cluster.violations.isEmpty, "\(cluster.violations)")
        #expect(cluster.node(3)?.firstIndex == 8, "n3 caught up by the snapshot")
        #expect(cluster.store(3).values == ["y": "3", "z": "4"])
    }

    /// A store that differs from the history is flagged when its node next applies.
    @Test func aStoreThatDiffersIsFlaggedAtTheNextApply() throws {
        let cluster = try Self.cluster()
        Self.corruptStore(cluster, 2, "set x 9")
        try cluster.propose("set w 5", on: 1)
        try cluster.stabilize()
        #expect(Self.names(cluster) == ["Applied State"], "\(cluster.violations)")
        let evidence = cluster.violations.first?.evidence ?? ""
        #expect(evidence.hasPrefix("n2's store after index 7 holds x=9, but the committed history gives x=(absent)"), "\(evidence)")
    }

    /// The full check compares every store, moved or not.
    @Test func theFullCheckComparesEveryStore() throws {
        let cluster = try Self.cluster()
        Self.corruptStore(cluster, 3, "set y 7")
        cluster.fullCheck()
        #expect(Self.names(cluster) == ["Applied State"], "\(cluster.violations)")
        #expect(cluster.violations.first?.evidence.contains("y=7, but the committed history gives y=3") == true)
    }

    /// A snapshot taken from a store that differs is flagged when it is taken, and the follower
    /// that installs it is flagged too (its store and its snapshot).
    @Test func aSnapshotThatDiffersIsFlagged() throws {
        let cluster = try Self.cluster()
        try cluster.crash(3)
        try cluster.propose("set z 4", on: 1)
        try cluster.stabilize()
        Self.corruptStore(cluster, 1, "set q 1")
        try cluster.compact(1, through: nil)
        #expect(Self.names(cluster) == ["Snapshot Data"], "\(cluster.violations)")
        #expect(
            cluster.violations.first?.evidence.hasPrefix("n1's snapshot through index 7 (term 1) holds q=1, a key no committed entry writes") == true,
            "\(cluster.violations)")
        try cluster.restart(3)
        try cluster.tick([1], count: 1)
        try cluster.stabilize()
        #expect(Set(Self.names(cluster)) == ["Snapshot Data", "Applied State"], "\(cluster.violations)")
        #expect(cluster.violations.contains { $0.evidence.hasPrefix("n3's") && $0.invariant == "Snapshot Data" })
        #expect(cluster.violations.contains { $0.evidence.hasPrefix("n3's store") && $0.invariant == "Applied State" })
    }

    /// Explorer runs with compaction and every safe fault stay quiet.
    @Test func cleanCampaignStaysQuiet() {
        var options = Explorer.Options()
        options.nodes = 5
        options.steps = 600
        for seed in UInt64(1)...6 {
            let result = Explorer.run(seed: seed, options: options)
            #expect(result.violation == nil, "seed \(seed): \(String(describing: result.violation))")
        }
    }
}
