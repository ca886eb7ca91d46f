import RaftCore
import Testing
@testable import RaftStorage

/// RaftCore nodes persisting through LogStorage: compaction on the leader, InstallSnapshot to a
/// lagging follower, restart of every node from its data directory.
@Suite struct SnapshotRaftTests {
    /// A tiny host: one LogStorage per node on one simulated disk, one FIFO of messages, the Ready
    /// loop in production order (persist, send, apply, advance).
    struct Host {
        let fs = MemoryFileSystem()
        var nodes: [RaftNode] = []
        var storages: [LogStorage] = []
        var queue: [Message] = []
        var cut: Set<NodeID> = []
        let configuration = Configuration(voters: [1, 2, 3])
        var snapshotsReceived = 0

        init() throws {
            for id in 1...3 as ClosedRange<NodeID> {
                storages.append(try openLog(fs, "/data/n\(id)", segmentSize: 300, logID: LogID(bytes: Array(repeating: UInt8(id), count: 16))))
                nodes.append(RaftNode(config: Config(id: id), configuration: configuration))
            }
        }

        mutating func handleReady(_ id: NodeID) throws {
            let i = Int(id) - 1
            guard nodes[i].hasReady else { return }
            let ready = nodes[i].ready()
            if let snapshot = ready.snapshot {
                try storages[i].saveSnapshot(snapshot, hardState: ready.hardState, mode: .received)
                snapshotsReceived += 1
            }
            if ready.hardState != nil || !ready.entries.isEmpty {
                try storages[i].save(hardState: ready.hardState, entries: ready.entries)
            }
            queue.append(contentsOf: ready.messages)
            nodes[i].advance(ready)
        }

        mutating func deliverAll() throws {
            var n = 0
            while !queue.isEmpty && n < 10_000 {
                let m = queue.removeFirst()
                n += 1
                if cut.contains(m.to) || cut.contains(m.from) { continue }
                _ = nodes[Int(m.to) - 1].step(m)
                try handleReady(m.to)
            }
        }

        mutating func tickAll(_ times: Int) throws {
            for _ in 0..<times {
                for id in 1...3 as ClosedRange<NodeID> where !cut.contains(id) {
                    nodes[Int(id) - 1].tick()
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
                nodes[i] = RaftNode(config: Config(id: NodeID(i + 1)), configuration: configuration,
                                    hardState: s.hardState, entries: s.entries, snapshot: s.snapshot)
            }
        }
    }

    @Test func compactionInstallSnapshotAndRestartFromDisk() throws {
        var host = try Host()
        host.nodes[0].campaign()
        try host.handleReady(1)
        try host.deliverAll()
        #expect(host.nodes[0].isLeader)
        // n3 is cut off while n1 and n2 commit 30 entries.
        host.cut = [3]
        for k in 0..<30 {
            _ = try host.nodes[0].propose(Array("set x \(k)".utf8))
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
            let taken = try host.nodes[i].compact(through: through, data: Array("state through \(through)".utf8))
            try host.storages[i].saveSnapshot(taken, mode: .compaction)
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
            _ = try host.nodes[0].propose(Array("set y \(k)".utf8))
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
