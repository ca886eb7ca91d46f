import RaftCore
import RaftSim

/// Pictures of the cluster: the node table, the log grid, the messages in flight, the stores.
enum Render {
    static func esc(_ code: String, _ text: String, _ color: Bool) -> String {
        color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    /// A colour per term, cycling.
    static func termColor(_ term: UInt64) -> String {
        ["36", "33", "35", "32", "34", "31"][Int(term % 6)]
    }

    static func name(_ id: NodeID) -> String { id == .none ? "-" : "n\(id)" }

    /// The node table.
    static func status(_ cluster: Cluster, color: Bool) -> [String] {
        let header = ["node", "role", "term", "vote", "commit", "applied", "last", "leader", "timer", "disk"]
        var rows: [[String]] = []
        for id in cluster.ids {
            let sync = cluster.isSyncOn(id) ? "sync" : "NO SYNC"
            guard let node = cluster.node(id) else {
                rows.append([name(id), "DOWN", "", "", "", "", "", "", "", sync])
                continue
            }
            rows.append([name(id), node.role.rawValue, "\(node.term)", name(node.vote), "\(node.commitIndex)",
                         "\(cluster.store(id).lastApplied)", "\(node.lastIndex)@\(node.lastTerm)", name(node.leader),
                         node.role == .leader ? "-" : "\(node.electionElapsedTicks)/\(node.electionTimeoutTicks)", sync])
        }
        let numeric: Set<Int> = [2, 4, 5]
        var widths = header.map(\.count)
        for row in rows { for (c, cell) in row.enumerated() { widths[c] = max(widths[c], cell.count) } }
        func format(_ row: [String]) -> String {
            row.enumerated().map { c, cell in numeric.contains(c) ? cell.leftPadding(widths[c]) : cell.padding(widths[c]) }
                .joined(separator: "  ").trimmingTrailingSpaces()
        }
        var lines = [esc("1", format(header), color)]
        for (r, row) in rows.enumerated() {
            let text = format(row)
            let id = cluster.ids[r]
            if cluster.node(id)?.role == .leader { lines.append(esc("1", text, color)) }
            else if cluster.node(id) == nil { lines.append(esc("2", text, color)) }
            else { lines.append(text) }
        }
        if let leaderID = cluster.leader, let leader = cluster.node(leaderID) {
            let progress = leader.followerProgress.map { "n\($0.id) match \($0.match) next \($0.next) \($0.state)\($0.inflightCount > 0 ? " inflight \($0.inflightCount)" : "")" }
            if !progress.isEmpty { lines.append("progress at n\(leaderID): " + progress.joined(separator: "; ")) }
        }
        lines.append(contentsOf: membershipLines(cluster))
        lines.append(footer(cluster))
        return lines
    }

    static func footer(_ cluster: Cluster) -> String {
        let s = cluster.settings
        var parts: [String] = []
        let count = cluster.inFlight.count
        parts.append(count == 0 ? "nothing in flight" : "\(count) in flight (#\(cluster.inFlight.first!.id)…#\(cluster.inFlight.last!.id))")
        if !cluster.partitionGroups.isEmpty {
            parts.append("partition " + cluster.partitionGroups.map { $0.map(name).joined(separator: " ") }.joined(separator: " | "))
        }
        var settings = "prevote \(s.preVote ? "on" : "off"), checkquorum \(s.checkQuorum ? "on" : "off"), leader-noop \(s.leaderNoop ? "on" : "off")"
        if !s.unsafe.isEmpty { settings += ", UNSAFE \(s.unsafe.names.joined(separator: " "))" }
        parts.append(settings)
        if !cluster.violations.isEmpty { parts.append("\(cluster.violations.count) VIOLATION\(cluster.violations.count == 1 ? "" : "S")") }
        return parts.joined(separator: "; ")
    }

    static let gridColumns = 30

    /// The grid of logs: one row per node, one column per index, terms in the cells; `|` follows
    /// each node's last committed entry.
    static func log(_ cluster: Cluster, node only: NodeID?, from: UInt64?, color: Bool) -> [String] {
        let shown = only.map { [$0] } ?? cluster.ids
        var maxLast: UInt64 = 0
        for id in shown { maxLast = max(maxLast, cluster.node(id)?.lastIndex ?? 0) }
        var lines: [String] = []
        if maxLast == 0 {
            lines.append(only.map { "\(name($0)): \(cluster.isUp($0) ? "empty log" : "down") " }?.trimmingTrailingSpaces() ?? "every log is empty")
            return lines
        }
        let first: UInt64 = from.map { min($0, maxLast) } ?? (maxLast > UInt64(gridColumns) ? maxLast - UInt64(gridColumns) + 1 : 1)
        let last = min(maxLast, first + UInt64(gridColumns) - 1)
        var maxTerm: UInt64 = 0
        for id in shown { if let n = cluster.node(id) { maxTerm = max(maxTerm, n.lastTerm) } }
        let marks = gridMarks(cluster, shown, first: first, last: last)
        let width = max(String(last).count, String(maxTerm).count + (marks.any ? 1 : 0)) + 1
        var header = "index".padding(6)
        for index in first...last { header += String(index).leftPadding(width) }
        lines.append(header.trimmingTrailingSpaces())
        for id in shown {
            var row = name(id).padding(6)
            guard let node = cluster.node(id) else {
                lines.append(esc("2", row + "(down)", color))
                continue
            }
            var cells = ""
            for index in first...last {
                let separator = index == node.commitIndex + 1 ? "|" : " "
                if index < node.firstIndex {
                    cells += separator + "s".leftPadding(width - 1)
                    continue
                }
                guard let term = node.term(at: index) else {
                    cells += separator + String(repeating: " ", count: width - 1)
                    continue
                }
                let committed = index <= node.commitIndex
                let text = (String(term) + (marks.isConfig(node, index) ? "c" : "")).leftPadding(width - 1)
                cells += separator + esc(committed ? "1;\(termColor(term))" : "2;\(termColor(term))", text, color)
            }
            cells += node.commitIndex == last ? "|" : " "
            row += cells
            let role = node.role == .leader ? "  leader" : ""
            let snap = node.latestSnapshot.map { "  snapshot \($0.metadata.index)@\($0.metadata.term)" } ?? ""
            lines.append(row + "  last \(node.lastIndex) commit \(node.commitIndex)\(role)\(snap)")
        }
        if let legend = marks.legend { lines.append(legend) }
        if first > 1 || last < maxLast {
            lines.append("indexes \(first)…\(last) of \(maxLast); `log [NODE] FROM` shows from FROM")
        }
        if let only, let node = cluster.node(only) {
            let start = max(node.firstIndex, from ?? (node.lastIndex > 10 ? node.lastIndex - 9 : 1))
            let end = min(node.lastIndex, start + 19)
            if start <= end {
                for index in start...end {
                    let entry = node.entries[Int(index - node.firstIndex)]
                    let state = index <= cluster.store(only).lastApplied ? "applied" : (index <= node.commitIndex ? "committed" : "")
                    let data = entry.kind == .normal ? String(decoding: entry.data, as: UTF8.self) : configText(entry)
                    lines.append("  \(String(index).leftPadding(String(end).count))  term \(entry.term)  \(entry.kind)  \(data)  \(state)".trimmingTrailingSpaces())
                }
            }
        }
        return lines
    }

    /// The messages in flight.
    static func messages(_ cluster: Cluster) -> [String] {
        if cluster.inFlight.isEmpty { return ["nothing in flight"] }
        var lines: [String] = []
        let limit = 500
        for item in cluster.inFlight.prefix(limit) {
            var line = Describe.line(item)
            if let reason = cluster.lossReason(item.message) { line += "   (will be lost: \(reason))" }
            lines.append(line)
        }
        if cluster.inFlight.count > limit { lines.append("… and \(cluster.inFlight.count - limit) more") }
        lines.append("\(cluster.inFlight.count) in flight")
        return lines
    }

    /// The key-value stores.
    static func kv(_ cluster: Cluster, node only: NodeID?) -> [String] {
        (only.map { [$0] } ?? cluster.ids).map { id in
            guard cluster.isUp(id) else { return "\(name(id)): down" }
            let store = cluster.store(id)
            return "\(name(id)) (applied \(store.lastApplied)): \(store.contentsDescription)"
        }
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
