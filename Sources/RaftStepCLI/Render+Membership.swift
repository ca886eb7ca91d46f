import RaftCore
import RaftSim

/// Membership and snapshots in the pictures: the configuration under `status`, configuration
/// entries and compacted indexes in the log grid.
extension Render {
    /// Lines under the node table: each configuration in effect and who sees it, non-members,
    /// snapshots. Nothing when every node is a voter of the starting configuration and nothing is compacted.
    static func membershipLines(_ cluster: Cluster) -> [String] {
        let everyone = Configuration(voters: cluster.ids)
        let up = cluster.upNodes
        let plain = up.allSatisfy { id in
            let node = cluster.node(id)!
            return node.configuration == everyone && node.latestSnapshot == nil
        }
        if plain && cluster.startingConfiguration == everyone { return [] }
        var groups: [(configuration: Configuration, index: UInt64, nodes: [NodeID])] = []
        for id in up {
            let node = cluster.node(id)!
            if let g = groups.firstIndex(where: { $0.configuration == node.configuration && $0.index == node.configurationIndex }) {
                groups[g].nodes.append(id)
            } else {
                groups.append((node.configuration, node.configurationIndex, [id]))
            }
        }
        var lines: [String] = []
        for group in groups {
            let whose = group.nodes.map(name).joined(separator: " ")
            let at = group.index == 0 ? "from the start or a snapshot" : "entry \(group.index)"
            lines.append("configuration \(Describe.configuration(group.configuration)) (\(at)) at \(whose)")
        }
        let reference = cluster.leader.flatMap { cluster.configuration(of: $0) } ?? groups.first?.configuration
        if let reference {
            let outside = cluster.ids.filter { !reference.contains($0) }
            if !outside.isEmpty {
                lines.append("not members\(cluster.leader.map { " (as \(name($0)) sees it)" } ?? ""): \(outside.map(name).joined(separator: " "))")
            }
        }
        let snapshots = up.compactMap { id in cluster.node(id)!.latestSnapshot.map { "\(name(id)) through \($0.metadata.index)@\($0.metadata.term)" }
        }
        if !snapshots.isEmpty { lines.append("snapshots: " + snapshots.joined(separator: ", ")) }
        return lines
    }

    struct GridMarks {
        var any: Bool
        var hasConfig: Bool
        var hasCompacted: Bool
        func isConfig(_ node: RaftNode, _ index: UInt64) -> Bool {
            guard hasConfig, index >= node.firstIndex, index <= node.lastIndex else { return false }
            return node.entries[Int(index - node.firstIndex)].kind == .config
        }
        var legend: String? {
            var parts: [String] = []
            if hasConfig { parts.append("c: configuration entry") }
            if hasCompacted { parts.append("s: compacted into the node's snapshot") }
            return parts.isEmpty ? nil : parts.joined(separator: "; ")
        }
    }

    /// Which marks the grid's columns `first…last` need.
    static func gridMarks(_ cluster: Cluster, _ shown: [NodeID], first: UInt64, last: UInt64) -> GridMarks {
        var hasConfig = false
        var hasCompacted = false
        for id in shown {
            guard let node = cluster.node(id) else { continue }
            if node.firstIndex > first { hasCompacted = true }
            let from = max(first, node.firstIndex)
            let to = min(last, node.lastIndex)
            if from <= to {
                for index in from...to where node.entries[Int(index - node.firstIndex)].kind == .config { hasConfig = true; break }
            }
        }
        return GridMarks(any: hasConfig, hasConfig: hasConfig, hasCompacted: hasCompacted)
    }

    /// A configuration entry's contents in words.
    static func configText(_ entry: Entry) -> String {
        guard entry.kind == .config, let configuration = ConfigurationCodec.decode(entry.data) else { return "" }
        return Describe.configEntry(configuration)
    }
}
