import RaftCore
import RaftHost

/// The checker's own view of each node's configuration, derived from the node's log and snapshot
/// (a server uses the latest configuration entry in its log, committed or not: dissertation §4.1),
/// so that elections and commits are judged without trusting what the node believes.
extension InvariantChecker {
    /// The configuration in effect on one node as the checker derived it, and how far it looked.
    struct DerivedConfiguration {
        var configuration: Configuration
        /// The index of the configuration entry it comes from (0: the snapshot or the start).
        var index: UInt64
        /// The log has been scanned for configuration entries through this index.
        var scannedThrough: UInt64
        /// The node's first log index when derived (a compaction or an installed snapshot moves it).
        var firstIndex: UInt64
    }

    /// A vote cast: the term and the candidate.
    struct Ballot: Hashable {
        var term: UInt64
        var candidate: NodeID
    }

    /// The configuration in effect on node `i` from its own log: its latest configuration entry,
    /// else its snapshot's configuration, else the starting one. Nil when it cannot be told (a
    /// compacted log without the snapshot that covers it, or an entry that does not decode).
    /// Incremental: only entries appended since the last look are scanned, unless the log was
    /// cut or replaced (`changedFrom`) or its first index moved.
    mutating func derivedConfiguration(_ i: Int, _ host: SimHost) -> Configuration? {
        let first = host.node.firstIndex
        let last = host.node.lastIndex
        var current = derived[i]
        if let known = current, known.firstIndex != first || known.scannedThrough > last || changedFrom[i] != nil { current = nil }
        if current == nil {
            if first > 1 {
                guard let snapshot = host.node.latestSnapshot, snapshot.metadata.index == first - 1 else { derived[i] = nil; return nil }
                current = DerivedConfiguration(configuration: snapshot.metadata.configuration, index: 0, scannedThrough: first - 1, firstIndex: first)
            } else {
                current = DerivedConfiguration(configuration: startConfiguration, index: 0, scannedThrough: 0, firstIndex: first)
            }
        }
        var result = current!
        if result.scannedThrough < last {
            let entries = host.node.entries
            for index in (result.scannedThrough + 1)...last {
                let entry = entries[Int(index - first)]
                guard entry.kind == .config else { continue }
                guard let decoded = ConfigurationCodec.decode(entry.data) else { derived[i] = nil; return nil }
                result.configuration = decoded
                result.index = index
            }
            result.scannedThrough = last
        }
        derived[i] = result
        return result.configuration
    }

    /// The configuration a leader of term `term` was elected under: the latest configuration
    /// entry of an earlier term in its log (a candidate holds no entry of the term it stands in;
    /// what it appended since winning does not count), else its snapshot's, else the start.
    func configurationElected(_ node: borrowing RaftNode, term: UInt64) -> Configuration? {
        let first = node.firstIndex
        let entries = node.entries
        var index = node.lastIndex
        while index >= first && index >= 1 {
            let entry = entries[Int(index - first)]
            if entry.term < term && entry.kind == .config { return ConfigurationCodec.decode(entry.data) }
            index -= 1
        }
        if first > 1 {
            guard let snapshot = node.latestSnapshot, snapshot.metadata.index == first - 1 else { return nil }
            return snapshot.metadata.configuration
        }
        return startConfiguration
    }

    /// Configuration In Effect (dissertation §4.1): a node uses the configuration of the latest
    /// configuration entry in its log, whether or not it is committed. Looked at only when the
    /// node's log moved (appended, cut, replaced or compacted) since the last check.
    mutating func checkConfigurationInEffect(_ i: Int, _ host: SimHost) {
        // Through the host, field by field: binding the whole node would copy it.
        guard let expected = derivedConfiguration(i, host) else { return }
        guard host.node.configuration != expected else { return }
        let node = host.node
        let at =
            derived[i].map { $0.index == 0 ? "its snapshot or the starting configuration" : "its configuration entry at index \($0.index)" }
            ?? "its log"
        report(
            "\(i)|\(node.lastIndex)|\(node.term)", "Configuration In Effect",
            "\(Describe.n(node.id)) uses \(Describe.configEntry(node.configuration)) but \(at) says \(Describe.configEntry(expected)) (dissertation §4.1: the latest configuration entry in the log is in effect)"
        )
    }

    /// Election Quorum: a new leader was granted votes by a majority of every voter set of the
    /// configuration it stood under (both halves while joint), as the checker saw the votes cast.
    mutating func checkElectionQuorum(_ i: Int, _ leader: borrowing RaftNode) {
        let term = leader.term
        guard let configuration = configurationElected(leader, term: term) else { return }
        let granted = ballots[Ballot(term: term, candidate: leader.id)] ?? []
        for (half, voters) in [("C_new", configuration.voters), ("C_old", configuration.outgoingVoters)] where !voters.isEmpty {
            let yes = voters.filter { granted.contains($0) }
            guard yes.count < voters.count / 2 + 1 else { continue }
            let which =
                configuration.isJoint
                ? "\(half) of \(Describe.configEntry(configuration))" : "voters (\(voters.map(Describe.n).joined(separator: ",")))"
            report(
                "\(term)", "Election Quorum",
                "\(Describe.n(leader.id)) became leader of term \(term) with votes from \(yes.isEmpty ? "no voter" : yes.map(Describe.n).joined(separator: ", ")) of \(which), the configuration its log held (\(granted.count) votes seen in all)"
            )
            return
        }
    }

    /// Records that `voter` was seen voting for `candidate` in `term`.
    mutating func recordBallot(_ voter: NodeID, term: UInt64, candidate: NodeID) {
        let key = Ballot(term: term, candidate: candidate)
        if !(ballots[key]?.contains(voter) ?? false) { ballots[key, default: []].append(voter) }
    }
}
