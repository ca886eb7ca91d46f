import Foundation
import RaftCore
import RaftSim
import RaftStorage
import Testing

/// The simulator's own rules, through its API (no REPL).
@Suite struct ClusterTests {
    static func cluster(_ count: Int = 3, seed: UInt64 = 1, dataDirectory: String? = nil) throws -> Cluster {
        var options = ClusterOptions()
        options.nodeCount = count
        options.seed = seed
        options.dataDirectory = dataDirectory
        return try Cluster(options: options)
    }

    static func elect(_ cluster: Cluster, _ id: NodeID) throws {
        try cluster.campaign(id)
        try cluster.stabilize()
        #expect(cluster.leader == id)
    }

    @Test func messageIdsIncreaseAndWaitUntilDelivered() throws {
        let cluster = try Self.cluster()
        try cluster.campaign(1)
        #expect(cluster.inFlight.map(\.id) == [1, 2])
        try cluster.deliver(.ids([2]))
        #expect(cluster.inFlight.map(\.id) == [1, 3])
        #expect(cluster.inFlight.last?.message.from == 3)
        try cluster.drop(.oldest)
        #expect(cluster.inFlight.map(\.id) == [3])
        #expect(throws: SimError.self) { try cluster.deliver(.ids([1])) }
        #expect(cluster.nextMessageID == 4)
    }

    @Test func messagesToACrashedNodeOrAcrossACutAreLost() throws {
        let cluster = try Self.cluster()
        try Self.elect(cluster, 1)
        try cluster.crash(2)
        try cluster.partition([[1], [3]])
        try cluster.propose("set x 1")
        let lines = try cluster.deliver(.all)
        #expect(lines.contains("  lost: n2 is down"))
        #expect(lines.contains("  lost: the link n1->n3 is cut"))
        #expect(cluster.inFlight.isEmpty)
        #expect(cluster.node(3)?.lastIndex == 1)
    }

    @Test func readyIsHandledAtOnceInProductionOrder() throws {
        let cluster = try Self.cluster()
        try cluster.campaign(1)
        // The vote for itself was persisted before the vote requests went out.
        let lines = try cluster.deliver(.oldest)
        let persist = lines.firstIndex { $0.contains("n2 persists") } ?? Int.max
        let send = lines.firstIndex { $0.contains("n2 grants") } ?? -1
        #expect(persist < send || !lines.contains { $0.contains("n2 persists") }, "\(lines)")
    }

    @Test(arguments: [true, false])
    func crashKeepsSyncedWritesAndLosesTheRest(syncOn: Bool) throws {
        let cluster = try Self.cluster()
        try Self.elect(cluster, 1)
        try cluster.setSync(2, syncOn)
        try cluster.propose("set a 1")
        try cluster.propose("set b 2")
        try cluster.stabilize()
        #expect(cluster.node(2)?.lastIndex == 3)
        try cluster.crash(2)
        try cluster.restart(2)
        if syncOn {
            #expect(cluster.node(2)?.lastIndex == 3)
            #expect(cluster.node(2)?.commitIndex == 3)
        } else {
            // Everything since sync was turned off is gone (possibly a torn tail was cut).
            #expect((cluster.node(2)?.lastIndex ?? 99) < 3)
        }
        // With sync off, n2 acknowledged entries its synced disk lacked: flagged when they reached n1.
        #expect(Set(cluster.violations.map(\.invariant)) == (syncOn ? [] : ["Durable Before Send"]), "\(cluster.violations)")
    }

    @Test func restartRebuildsTheStateMachineFromTheLog() throws {
        let cluster = try Self.cluster()
        try Self.elect(cluster, 1)
        try cluster.propose("set a 1")
        try cluster.propose("del a")
        try cluster.propose("set b 2")
        try cluster.stabilize()
        try cluster.crash(3)
        #expect(cluster.store(3).values.isEmpty)
        try cluster.restart(3)
        #expect(cluster.store(3).values == ["b": "2"])
        #expect(cluster.store(3).lastApplied == 4)
    }

    @Test func rejectedCallsChangeNothing() throws {
        let cluster = try Self.cluster()
        try Self.elect(cluster, 1)
        let before = cluster.fingerprint
        #expect(throws: SimError.self) { try cluster.propose("x", on: 2) }
        #expect(throws: SimError.self) { try cluster.restart(1) }
        #expect(throws: SimError.self) { try cluster.setLog(1, terms: [1], hardTerm: nil) }
        #expect(throws: SimError.self) { try cluster.tick([7], count: 1) }
        #expect(throws: SimError.self) { try cluster.partition([[1], [1]]) }
        #expect(throws: SimError.self) { try cluster.campaign(1) }
        #expect(cluster.fingerprint == before)
    }

    @Test func setLogLaysDownACrashedNodesDisk() throws {
        let cluster = try Self.cluster()
        try cluster.crash(2)
        #expect(throws: SimError.self) { try cluster.setLog(2, terms: [2, 1], hardTerm: nil) }
        #expect(throws: SimError.self) { try cluster.setLog(2, terms: [1, 3], hardTerm: 2) }
        try cluster.setLog(2, terms: [1, 1, 3], hardTerm: 5)
        try cluster.restart(2)
        #expect(cluster.node(2)?.entries.map(\.term) == [1, 1, 3])
        #expect(cluster.node(2)?.term == 5)
        #expect(cluster.node(2)?.vote == NodeID.none)
    }

    @Test func diskExportWritesFilesThatStorageReads() throws {
        let cluster = try Self.cluster()
        try Self.elect(cluster, 1)
        try cluster.propose("set k v")
        try cluster.stabilize()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("raftstep-export-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try cluster.exportDisk(2, to: directory)
        let storage = try LogStorage.open(directory: directory, fileSystem: PosixFileSystem())
        defer { storage.close() }
        #expect(storage.entries == cluster.node(2)?.entries)
        #expect(storage.hardState.term == cluster.node(2)?.term)
        #expect(storage.report.problems.isEmpty)
    }

    @Test func dataDirectoryRunsOnRealFilesAndResumes() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("raftstep-data-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let cluster = try Self.cluster(dataDirectory: directory)
            try Self.elect(cluster, 1)
            try cluster.propose("set k v")
            try cluster.stabilize()
            try cluster.crash(2)
            try cluster.restart(2)
            #expect(cluster.node(2)?.lastIndex == 2)
        }
        #expect(FileManager.default.fileExists(atPath: directory + "/n1/hardstate"))
        let resumed = try Self.cluster(dataDirectory: directory)
        #expect(resumed.node(3)?.lastIndex == 2)
        #expect(resumed.store(3).values == ["k": "v"])
        #expect(resumed.startupLines.contains { $0.hasPrefix("n1 restarts from its disk") })
    }

    @Test func sameSeedSameElectionTimeouts() throws {
        let a = try Self.cluster(5, seed: 77)
        let b = try Self.cluster(5, seed: 77)
        let c = try Self.cluster(5, seed: 78)
        try a.tick([], count: 25)
        try b.tick([], count: 25)
        try c.tick([], count: 25)
        #expect(a.fingerprint == b.fingerprint)
        #expect(a.fingerprint != c.fingerprint)
    }

    @Test func stabilizeIsBounded() throws {
        let cluster = try Self.cluster()
        try cluster.campaign(1)
        let lines = try cluster.stabilize(limit: 3)
        #expect(lines.last?.contains("delivered 3 messages") == true)
        #expect(lines.last?.contains("still in flight") == true)
    }
}
