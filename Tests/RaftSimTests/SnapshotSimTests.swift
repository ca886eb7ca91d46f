import Foundation
import RaftCore
import RaftSim
@testable import RaftStepCLI
import Testing

/// Snapshots in the simulator (issue 8): compaction through RaftStorage, InstallSnapshot to a
/// lagging follower, restart from snapshot + log, automatic compaction, and the invariant checker
/// on compacted logs.
@Suite struct SnapshotSimTests {
    static let lagging = [
        "set prevote off", "set checkquorum off", "campaign n1", "stabilize",
        "partition n1 n2 | n3", "propose set x 1", "propose set y 2", "propose set x 3", "stabilize",
        "compact n1 3", "compact n2",
    ]

    @Test func aLaggingFollowerCatchesUpByInstallSnapshot() {
        let (session, output) = runLines(
            Self.lagging + [
                "heal", "tick n1", "stabilize",
                "expect kv n3 x=3 y=2", "expect commit all 4", "expect log n3 1 1 1 1", "expect invariants ok",
                "expect snapshot n3 3@1", "expect snapshot n2 4", "!expect snapshot all 3",
                "!expect snapshot n1 none", "!expect snapshot n1 3@2", "!expect snapshot n1 x",
            ])
        #expect(output["compact n1 3"]?.contains("n1 compacts its log: a snapshot through 3@1") == true)
        #expect(output["!expect snapshot n1 none"] == "expect failed: n1 has a snapshot through 3@1, expected none")
        #expect(output["!expect snapshot n1 3@2"] == "expect failed: n1 has a snapshot through 3@1, expected one through 3@2")
        #expect(output["!expect snapshot n1 x"]?.contains("usage: expect") == true)
        #expect(output["!expect snapshot all 3"] == "expect failed: n2 has a snapshot through 4@1, expected one through 3")
        let stabilize = output["stabilize"] ?? ""
        #expect(stabilize.contains("n1 sends n3 a snapshot through 3@1"))
        #expect(stabilize.contains("n3 installs the snapshot through 3@1"))
        let n3 = session.cluster.node(3)!
        #expect(n3.firstIndex == 4 && n3.latestSnapshot?.metadata.index == 3)
        let grid = session.execute("log").lines
        #expect(grid.contains { $0.hasPrefix("n3") && $0.contains("s s s 1|") && $0.contains("snapshot 3@1") })
        #expect(grid.contains("s: compacted into the node's snapshot"))
        let status = session.execute("status").lines.joined(separator: "\n")
        #expect(status.contains("snapshots: n1 through 3@1, n2 through 4@1, n3 through 3@1"))
    }

    @Test func restartFromSnapshotAndLog() {
        let (session, output) = runLines(
            Self.lagging + [
                "heal", "tick n1", "stabilize", "propose set z 4", "stabilize",
                "crash n3", "restart n3", "expect kv n3 x=3 y=2 z=4", "expect commit n3 5",
                "crash n1", "restart n1", "expect kv n1 x=3 y=2 z=4",
                "crash n2", "restart n2", "expect kv n2 x=3 y=2 z=4",
                "campaign n2", "stabilize", "expect leader n2", "propose set w 5", "stabilize",
                "expect kv all w=5 x=3", "expect invariants ok",
            ])
        #expect(output["restart n3"]?.contains("n3 restores its state machine from its snapshot through 3@1: x=1 y=2") == true)
        #expect(session.cluster.node(2)?.latestSnapshot?.metadata.index == 4)
    }

    /// Membership and snapshots together: a server added after compaction catches up by
    /// InstallSnapshot; the snapshot carries the configuration; restarts keep it.
    @Test func aNewMemberCatchesUpBySnapshotAndSnapshotsCarryTheConfiguration() {
        let (session, output) = runLines([
            "reset nodes=4 voters=3", "campaign n1", "stabilize",
            "propose set x 1", "propose set y 2", "stabilize", "compact n1", "compact n2", "compact n3",
            "add n4", "stabilize", "expect config all voters=n1,n2,n3,n4", "expect kv n4 x=1 y=2",
            "compact n1", "remove n2", "stabilize", "compact n1", "expect config n1 voters=n1,n3,n4",
            "crash n3", "restart n3", "expect config n3 voters=n1,n3,n4", "tick n1", "stabilize",
            "propose set z 3", "stabilize", "crash n4", "restart n4", "expect kv n4 x=1 y=2 z=3",
            "crash n1", "restart n1", "expect config n1 voters=n1,n3,n4", "expect kv n1 z=3", "expect invariants ok",
        ])
        #expect(output["add n4"] != nil)
        #expect(session.cluster.node(1)?.latestSnapshot?.metadata.configuration == Configuration(voters: [1, 3, 4]))
        #expect(session.cluster.node(4)?.latestSnapshot?.metadata.index == 3)
    }

    @Test func automaticCompactionKeepsLogsShort() {
        let (session, _) = runLines(
            ["set compact-threshold 3", "campaign n1", "stabilize"]
                + (1...10).flatMap { ["propose set k\($0) \($0)", "stabilize"] }
                + ["expect commit all 11", "expect kv all k10=10 k1=1", "expect invariants ok"])
        for id in session.cluster.ids {
            let node = session.cluster.node(id)!
            #expect(node.entries.count < 3, "n\(id) holds \(node.entries.count) entries")
            #expect(node.latestSnapshot != nil)
        }
        runLinesOn(session, ["crash n2", "restart n2", "expect kv n2 k10=10", "set compact-threshold 0"])
    }

    @Test func compactRefusesWhatItCannotDo() {
        let (session, _) = runLines(["campaign n1", "stabilize", "propose set x 1", "stabilize"])
        #expect(refusal(session, "compact n1 9").contains("n1 can compact through an applied index after its snapshot: 1…2, not 9"))
        #expect(refusal(session, "compact").contains("usage: compact NODE [INDEX]"))
        runLinesOn(session, ["compact n1 2"])
        #expect(refusal(session, "compact n1 2").contains("nothing to compact"))
        runLinesOn(session, ["crash n2"])
        #expect(refusal(session, "compact n2").contains("n2 is down"))
        #expect(refusal(session, "set compact-threshold x").contains("usage: set"))
    }

    @Test func aDataDirectoryResumesFromItsSnapshot() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("raftstep-snapshot-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = ClusterOptions()
        options.dataDirectory = dir
        let cluster = try Cluster(options: options)
        try cluster.campaign(1)
        try cluster.stabilize()
        try cluster.propose("set x 1")
        try cluster.stabilize()
        try cluster.compact(1, through: nil)
        try cluster.propose("set y 2")
        try cluster.stabilize()
        for id in cluster.ids { try cluster.crash(id) }
        let again = try Cluster(options: options)
        #expect(again.node(1)?.latestSnapshot?.metadata.index == 2)
        #expect(again.node(1)?.firstIndex == 3)
        #expect(again.startupLines.contains { $0.contains("n1 restores its state machine from its snapshot through 2@1: x=1") })
        #expect(again.store(1).values["x"] == "1")
        try again.campaign(2)
        try again.stabilize()
        try again.propose("set z 3")
        try again.stabilize()
        #expect(again.leader == 2)
        #expect(again.store(1).values == ["x": "1", "y": "2", "z": "3"])
        #expect(again.violations.isEmpty, "\(again.violations)")
    }

    /// Mutation check on compacted logs: with every node compacting after each apply, the checker
    /// still catches the broken vote rule (the committed entry the new leader lacks is compacted
    /// everywhere it exists).
    @Test func checkerCatchesAKnobAfterCompaction() {
        let session = Support.session(seed: 3)
        let lines = [
            "set prevote off", "set checkquorum off", "set unsafe vote-without-log-check on", "set on-violation continue",
            "set compact-threshold 1", "campaign n1", "stabilize", "partition n1 n2 | n3", "propose set x 1", "stabilize",
            "expect commit n1 2", "expect log n2 1 1", "crash n1", "heal", "campaign n3", "stabilize",
        ]
        for line in lines { _ = session.execute(line) }
        #expect(session.cluster.node(2)?.firstIndex == 3, "n2 compacted through 2")
        let names = session.cluster.violations.map(\.invariant)
        #expect(names.contains("Leader Completeness"), "\(names)")
        #expect(names.contains("State Machine Safety"), "\(names)")
    }
}
