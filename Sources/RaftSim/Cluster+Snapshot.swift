import RaftCore
import RaftHost

/// Snapshots in the simulator: compaction (through the host) stores the key-value store's
/// snapshot through RaftStorage; the host installs a snapshot received by InstallSnapshot.
extension Cluster {
    /// Compacts the node's log through `index` (default: its applied index).
    @discardableResult
    public func compact(_ id: NodeID, through index: UInt64?) throws(SimError) -> [String] {
        try requireUp(id)
        let i = Int(id) - 1
        let node = hosts[i]!.node
        let target = index ?? node.appliedIndex
        guard target >= node.firstIndex, target <= node.appliedIndex else {
            if node.appliedIndex < node.firstIndex {
                throw SimError("\(Describe.n(id)) has applied nothing after its snapshot (through \(node.firstIndex - 1)); nothing to compact")
            }
            throw SimError(
                "\(Describe.n(id)) can compact through an applied index after its snapshot: \(node.firstIndex)…\(node.appliedIndex), not \(target)")
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
        return [
            count == 0
                ? "automatic compaction off"
                : "each node compacts through its applied index once it holds \(count) applied entr\(count == 1 ? "y" : "ies") after its snapshot"
        ]
    }

    func compactNode(_ i: Int, through index: UInt64, prefix: String) {
        let name = Describe.n(NodeID(i + 1))
        let host = hosts[i]!
        let first = host.node.firstIndex
        report(checker.recordCommitted(hosts))
        let taken: RaftCore.Snapshot
        do { taken = try host.compact(through: index) } catch {
            say("\(prefix)\(name) \(disks[i].powerCutNote ?? Cluster.crashSentence(error)); it crashes")
            crashNode(i)
            return
        }
        let meta = taken.metadata
        say(
            "\(prefix)\(name) compacts its log: a snapshot through \(Describe.at(meta.index, meta.term)) (\(taken.data.count) bytes, \(Describe.configuration(meta.configuration))) replaces entries \(first)..\(meta.index); its log now starts at \(meta.index + 1)"
        )
    }

    /// After a Ready: compact when the automatic threshold is reached.
    func compactIfOverThreshold(_ i: Int) {
        guard let host = hosts[i], host.isCompactionDue(thresholdEntries: settings.compactThreshold) else { return }
        compactNode(i, through: host.appliedIndex, prefix: "  ")
    }
}

extension Cluster {
    /// The term of the entry committed at `index` in the cluster's history (the checker's record,
    /// kept across compaction), or nil when nothing has committed there yet.
    public func committedTerm(at index: UInt64) -> UInt64? { checker.committedTerm(at: index) }
}
