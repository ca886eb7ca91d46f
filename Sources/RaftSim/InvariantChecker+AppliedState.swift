import RaftCore
import RaftHost

/// Applied State (issue 18 §1): every node's key-value store, and every snapshot's data, is the
/// committed history replayed to its index — the history the checker recorded (`committed`,
/// `writes`), not what the node says it applied. A store is compared when its applied index
/// moves (and at every full check); a snapshot when the node's log starts at a new index
/// (a compaction or an installed snapshot), and at every full check.
extension InvariantChecker {
    /// The first difference between `store` and the committed history replayed to its applied
    /// index, or nil (nil too when the history cannot tell). Compared key by key, without building
    /// the replayed store: this runs whenever a node applies.
    func storeDifference(_ store: KeyValueStore) -> String? {
        let index = store.lastApplied
        guard index <= UInt64(committed.count), index < firstPlaceholder else { return nil }
        let values = store.values
        var present = 0
        // `index` is within the history (checked above), so each key has its value there.
        for (key, list) in writes {
            let expected = Self.value(in: list, through: index)
            let held = values[key]
            if held != nil { present += 1 }
            if held != expected { return "\(key)=\(held ?? "(absent)"), but the committed history gives \(key)=\(expected ?? "(absent)")" }
        }
        if present != values.count, let extra = values.keys.sorted().first(where: { writes[$0] == nil }) {
            return "\(extra)=\(values[extra]!), a key no committed entry writes"
        }
        let commands = index == 0 ? 0 : Int(normalCount[Int(index) - 1])
        if store.commandCount != commands {
            return "\(store.commandCount) commands applied, but the committed history holds \(commands) through index \(index)"
        }
        return nil
    }

    /// Compares each running node's store (when its applied index moved since the last look) and
    /// its latest snapshot (when its log's first index moved) with the committed history.
    mutating func checkAppliedState(_ nodes: [SimHost?]) {
        for i in 0..<count {
            guard let host = nodes[i] else { continue }
            let applied = host.machine.lastApplied
            if storeVerified[i] != applied {
                storeVerified[i] = applied
                if let problem = storeDifference(host.machine) {
                    report(
                        "\(i)|\(applied)", "Applied State",
                        "\(Describe.n(NodeID(i + 1)))'s store after index \(applied) holds \(problem)")
                }
            }
            let first = host.node.firstIndex
            guard snapshotVerified[i] != first else { continue }
            snapshotVerified[i] = first
            guard first > 1, let snapshot = host.node.latestSnapshot else { continue }
            if let problem = snapshotDifference(snapshot) {
                report(
                    "\(i)|s\(snapshot.metadata.index)", "Snapshot Data",
                    "\(Describe.n(NodeID(i + 1)))'s snapshot through index \(snapshot.metadata.index) (term \(snapshot.metadata.term)) \(problem)")
            }
        }
    }

    /// The first difference between a snapshot's data and the committed history replayed to its
    /// last index, or nil.
    func snapshotDifference(_ snapshot: Snapshot) -> String? {
        let index = snapshot.metadata.index
        guard let store = KeyValueStore(serialized: snapshot.data) else {
            return "holds \(snapshot.data.count) bytes that are not a key-value store"
        }
        if store.lastApplied != index { return "holds a store applied through index \(store.lastApplied)" }
        return storeDifference(store).map { "holds \($0)" }
    }
}
