import RaftCore

/// Snapshots in the simulator: compaction stores the key-value store's snapshot through
/// RaftStorage; a snapshot received by InstallSnapshot replaces the log and the store.
extension Cluster {
    /// Compacts the node's log through `index` (default: its applied index).
    @discardableResult
    public func compact(_ id: NodeID, through index: UInt64?) throws(SimError) -> [String] {
        try requireUp(id)
        let i = Int(id) - 1
        let node = nodes[i]!
        let target = index ?? node.appliedIndex
        guard target >= node.firstIndex, target <= node.appliedIndex else {
            if node.appliedIndex < node.firstIndex {
                throw SimError("\(Describe.n(id)) has applied nothing after its snapshot (through \(node.firstIndex - 1)); nothing to compact")
            }
            throw SimError("\(Describe.n(id)) can compact through an applied index after its snapshot: \(node.firstIndex)…\(node.appliedIndex), not \(target)")
        }
        begin()
        compactNode(i, through: target, prefix: "")
        checkInvariants()
        return finish()
    }

    /// Sets the automatic compaction threshold (0: off).
    @discardableResult
    public func setCompactThreshold(_ count: Int) throws(SimError) -> [String] {
        guard count >= 0 && count <= 1_000_000 else { throw SimError("the threshold must be between 0 (off) and 1000000") }
        settings.compactThreshold = count
        return [count == 0 ? "automatic compaction off" : "each node compacts through its applied index once it holds \(count) applied entr\(count == 1 ? "y" : "ies") after its snapshot"]
    }

    /// The key-value store as it was right after applying `index` (replayed from the snapshot).
    private func store(_ i: Int, at index: UInt64) -> KeyValueStore {
        if machines[i].lastApplied == index { return machines[i] }
        let node = nodes[i]!
        var store = node.latestSnapshot.flatMap { KeyValueStore(serialized: $0.data) } ?? KeyValueStore()
        for entry in node.entries where entry.index <= index { _ = store.apply(entry) }
        return store
    }

    func compactNode(_ i: Int, through index: UInt64, prefix: String) {
        let name = Describe.n(NodeID(i + 1))
        let first = nodes[i]!.firstIndex
        report(checker.recordCommitted(nodes))
        let data = store(i, at: index).serialized()
        let taken: RaftCore.Snapshot
        do { taken = try nodes[i]!.compact(through: index, data: data) } catch {
            preconditionFailure("compaction checked beforehand failed: \(error)")
        }
        do {
            try disks[i].saveSnapshot(taken, hardState: nil, received: false)
        } catch {
            say("\(prefix)\(name) cannot write its snapshot (\(error)); it crashes")
            crashNode(i)
            return
        }
        let meta = taken.metadata
        say("\(prefix)\(name) compacts its log: a snapshot through \(Describe.at(meta.index, meta.term)) (\(taken.data.count) bytes, \(Describe.configuration(meta.configuration))) replaces entries \(first)..\(meta.index); its log now starts at \(meta.index + 1)")
    }

    /// After a Ready: compact when the automatic threshold is reached.
    func compactIfOverThreshold(_ i: Int) {
        let threshold = settings.compactThreshold
        guard threshold > 0, let node = nodes[i], node.appliedIndex >= node.firstIndex,
              node.appliedIndex - node.firstIndex + 1 >= UInt64(threshold),
              machines[i].lastApplied == node.appliedIndex else { return }
        compactNode(i, through: node.appliedIndex, prefix: "  ")
    }

    /// Restores node `i`'s store from a snapshot's data.
    func restoreStore(_ i: Int, from snapshot: RaftCore.Snapshot) {
        guard let restored = KeyValueStore(serialized: snapshot.data) else {
            preconditionFailure("snapshot data of \(Describe.n(NodeID(i + 1))) through \(snapshot.metadata.index) does not decode")
        }
        machines[i] = restored
    }

    /// Handles a Ready's snapshot (received by InstallSnapshot): persist it replacing the log
    /// through its index, restore the store. Returns false when the node crashed writing it.
    func installReceivedSnapshot(_ i: Int, _ snapshot: RaftCore.Snapshot, hardState: HardState?) -> Bool {
        let name = Describe.n(NodeID(i + 1))
        let meta = snapshot.metadata
        do {
            try disks[i].saveSnapshot(snapshot, hardState: hardState, received: true)
        } catch {
            say("  \(name) cannot write the snapshot (\(error)); it crashes")
            crashNode(i)
            return false
        }
        checker.logTruncated(i, at: 1)
        persistedLast[i] = meta.index
        guard KeyValueStore(serialized: snapshot.data) != nil else {
            // Data from the network is validated where it enters: refuse instead of crashing.
            say("  \(name) received a snapshot whose state-machine data does not decode; it crashes")
            crashNode(i)
            return false
        }
        restoreStore(i, from: snapshot)
        say("  \(name) installs the snapshot through \(Describe.at(meta.index, meta.term)): persists it in place of its log through \(meta.index) and restores its store from it: \(machines[i].contentsDescription)")
        return true
    }
}

extension Cluster {
    /// The term of the entry committed at `index` in the cluster's history (the checker's record,
    /// kept across compaction), or nil when nothing has committed there yet.
    public func committedTerm(at index: UInt64) -> UInt64? { checker.committedTerm(at: index) }
}
