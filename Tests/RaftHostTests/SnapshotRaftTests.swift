import RaftCore
import RaftHost
import RaftStorage
import Testing

/// NodeHosts persisting through LogStorage: compaction on the leader, InstallSnapshot to a
/// lagging follower, restart of every node from its data directory.
@Suite struct SnapshotRaftTests {
    /// Three NodeHosts: one LogStorage per node on one simulated disk, one FIFO of messages.
    struct Host {
        let fs = MemoryFileSystem()
        var hosts: [NodeHost<KeyValueStore>] = []
        var storages: [LogStorage] = []
        let network = Outbox()
        var cut: Set<NodeID> = []
        let configuration = Configuration(voters: [1, 2, 3])
        var snapshotsReceived = 0

        init() throws {
            for id in 1...3 as ClosedRange<NodeID> {
                let storage = try openLog(fs, "/data/n\(id)", segmentSize: 300, logID: LogID(bytes: Array(repeating: UInt8(id), count: 16)))
                storages.append(storage)
                hosts.append(try NodeHost(node: RaftNode(config: Config(id: id), configuration: configuration), storage: storage, transport: network))
            }
        }

        var nodes: [RaftNode] { hosts.map(\.node) }
        var queue: [Message] {
            get { network.messages }
            set { network.messages = newValue }
        }

        /// Handles node `id`'s Readys through its host: persist, send, apply, advance.
        mutating func handleReady(_ id: NodeID) throws {
            for report in hosts[Int(id) - 1].handleAllReady() {
                if let failure = report.failure { throw failure }
                if report.installedSnapshot != nil { snapshotsReceived += 1 }
            }
        }

        mutating func deliverAll() throws {
            var n = 0
            while !queue.isEmpty && n < 10_000 {
                let m = queue.removeFirst()
                n += 1
                if cut.contains(m.to) || cut.contains(m.from) { continue }
                _ = hosts[Int(m.to) - 1].step(m)
                try handleReady(m.to)
            }
        }

        mutating func tickAll(_ times: Int) throws {
            for _ in 0..<times {
                for id in 1...3 as ClosedRange<NodeID> where !cut.contains(id) {
                    hosts[Int(id) - 1].tick()
                    try handleReady(id)
                }
                try deliverAll()
            }
        }

        /// Closes every storage and rebuilds every node from its data directory.
        mutating func restartAll() throws {
            for i in storages.indices {
                storages[i].close()
                let s = try openLog(fs, "/data/n\(i + 1)", segmentSize: 300)
                #expect(s.report.problems.isEmpty, "n\(i + 1): \(s.report.problems)")
                storages[i] = s
                let node = RaftNode(
                    config: Config(id: NodeID(i + 1)), configuration: configuration,
                    hardState: s.hardState, entries: s.entries, snapshot: s.snapshot)
                hosts[i] = try NodeHost(node: node, storage: s, transport: network)
            }
        }
    }

    @Test func compactionInstallSnapshotAndRestartFromDisk() throws {
        var host = try Host()
        host.hosts[0].campaign()
        try host.handleReady(1)
        try host.deliverAll()
        #expect(host.nodes[0].isLeader)
        // n3 is cut off while n1 and n2 commit 30 entries.
        host.cut = [3]
        for k in 0..<30 {
            _ = try host.hosts[0].propose(Array("set x \(k)".utf8))
            try host.handleReady(1)
            try host.deliverAll()
        }
        try host.tickAll(3)
        let applied = host.nodes[0].appliedIndex
        #expect(applied >= 30)
        // n1 compacts through what it applied; so does n2.
        for id in [1, 2] as [NodeID] {
            let i = Int(id) - 1
            let through = host.nodes[i].appliedIndex
            let taken = try host.hosts[i].compact(through: through)
            #expect(host.storages[i].snapshot == taken && host.storages[i].firstIndex == through + 1)
            #expect(host.storages[i].lastIndex == host.nodes[i].lastIndex)
        }
        // n3 comes back: the leader no longer has the entries it needs, so it sends the snapshot.
        host.cut = []
        try host.tickAll(30)
        #expect(host.snapshotsReceived >= 1)
        #expect(host.storages[2].snapshot?.metadata == host.storages[0].snapshot?.metadata)
        #expect(host.nodes[2].lastIndex == host.nodes[0].lastIndex)
        // More entries after the snapshot, then everyone restarts from disk.
        for k in 0..<5 {
            _ = try host.hosts[0].propose(Array("set y \(k)".utf8))
            try host.handleReady(1)
            try host.deliverAll()
        }
        try host.tickAll(3)
        let before = host.nodes.map { ($0.lastIndex, $0.lastTerm, $0.term, $0.latestSnapshot?.metadata) }
        try host.restartAll()
        for (i, node) in host.nodes.enumerated() {
            #expect(node.lastIndex == before[i].0 && node.lastTerm == before[i].1 && node.term == before[i].2, "n\(i + 1)")
            #expect(node.latestSnapshot?.metadata == before[i].3, "n\(i + 1)")
        }
        // The logs after the snapshots agree entry for entry where they overlap.
        let reference = host.storages[0]
        for s in host.storages.dropFirst() {
            for e in s.entries where e.index >= reference.firstIndex {
                #expect(reference.entries[Int(e.index - reference.firstIndex)] == e)
            }
        }
        // The restarted cluster elects a leader and keeps committing.
        try host.tickAll(60)
        #expect(host.nodes.contains { $0.isLeader })
        for s in host.storages { s.close() }
    }
}

/// `openLog` as the storage tests have it: a LogStorage with small segments and a fixed log id.
func openLog(_ fs: FileSystem, _ directory: String, segmentSize: Int, logID: LogID? = nil) throws -> LogStorage {
    try LogStorage.open(
        directory: directory, fileSystem: fs,
        options: StorageOptions(segmentSizeBytes: segmentSize, syncPolicy: .everyBatch, newLogID: logID))
}
