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
            rows.append([
                name(id), node.role.rawValue, "\(node.term)", name(node.vote), "\(node.commitIndex)",
                "\(cluster.store(id).lastApplied)", "\(node.lastIndex)@\(node.lastTerm)", name(node.leader),
                node.role == .leader ? "-" : "\(node.electionElapsedTicks)/\(node.electionTimeoutTicks)", sync,
            ])
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
            if cluster.node(id)?.role == .leader {
                lines.append(esc("1", text, color))
            } else if cluster.node(id) == nil {
                lines.append(esc("2", text, color))
            } else {
                lines.append(text)
            }
        }
        if let leaderID = cluster.leader, let leader = cluster.node(leaderID) {
            let progress = leader.followerProgress.map {
                "n\($0.id) match \($0.match) next \($0.next) \($0.state)\($0.inflightCount > 0 ? " inflight \($0.inflightCount)" : "")"
            }
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
        if s.readQuorum { settings += ", read-quorum on" }
        if !s.unsafe.isEmpty { settings += ", UNSAFE \(s.unsafe.names.joined(separator: " "))" }
        parts.append(settings)
        if !cluster.violations.isEmpty { parts.append("\(cluster.violations.count) VIOLATION\(cluster.violations.count == 1 ? "" : "S")") }
        return parts.joined(separator: "; ")
    }

    /// The most index columns the grid shows, however wide the terminal.
    static let gridColumns = 30

    /// One row of the grid: a running node, or a crashed node's disk.
    struct GridRow {
        var id: NodeID
        var node: RaftNode?
        var disk: DiskLog?
        var firstIndex: UInt64 { node?.firstIndex ?? ((disk?.snapshotIndex ?? 0) + 1) }
        var lastIndex: UInt64 { node?.lastIndex ?? disk?.lastIndex ?? 0 }
        var commit: UInt64 { node?.commitIndex ?? min(disk?.hardState.commit ?? 0, lastIndex) }
        func term(at index: UInt64) -> UInt64? { node.map { $0.term(at: index) } ?? disk?.term(at: index) }
        var suffix: String {
            if let node {
                let role = node.role == .leader ? "  leader" : ""
                let snap = node.latestSnapshot.map { "  snapshot \($0.metadata.index)@\($0.metadata.term)" } ?? ""
                return "  last \(node.lastIndex) commit \(node.commitIndex)\(role)\(snap)"
            }
            if let disk { return "  DOWN: its disk (last \(disk.lastIndex), in term \(disk.hardState.term))" }
            return "  DOWN"
        }
    }

    /// The first index at which two rows hold entries of different terms (a conflict), or nil.
    /// Committed prefixes agree (the checker says so when they do not), so the search starts
    /// after the lowest commit index: it costs the uncommitted span, not the whole log.
    static func firstConflict(_ rows: [GridRow], through last: UInt64) -> UInt64? {
        let start = (rows.map(\.commit).min() ?? 0) + 1
        guard last >= start else { return nil }
        for index in start...last {
            if Set(rows.compactMap { $0.term(at: index) }).count > 1 { return index }
        }
        return nil
    }

    /// The grid of logs: one row per node, one column per index, terms in the cells; `|` follows
    /// each node's last committed entry. A crashed node's row shows its disk, dimmed. The grid fits
    /// `width` columns: when the indexes do not fit, it shows a window ending at the last index,
    /// or starting just before the first index where two logs conflict when that is earlier.
    static func log(_ cluster: Cluster, node only: NodeID?, from: UInt64?, color: Bool, width: Int = 80) -> [String] {
        let shown = only.map { [$0] } ?? cluster.ids
        let rows = shown.map { id in GridRow(id: id, node: cluster.node(id), disk: cluster.node(id) == nil ? cluster.diskLog(id) : nil) }
        let maxLast = rows.map(\.lastIndex).max() ?? 0
        if maxLast == 0 {
            return [only.map { "\(name($0)): \(cluster.isUp($0) ? "empty log" : "down, nothing on its disk")" } ?? "every log is empty"]
        }
        let window = gridWindow(cluster, shown, rows, maxLast: maxLast, from: from, width: width)
        var header = "index".padding(5) + (window.first > 1 ? "‹" : " ")
        for index in window.first...window.last { header += String(index).leftPadding(window.cellWidth) }
        if window.last < maxLast { header += " ›" }
        var lines = [header.trimmingTrailingSpaces()]
        for row in rows { lines.append(gridLine(row, window, color: color)) }
        if let legend = window.marks.legend { lines.append(legend) }
        if rows.contains(where: { $0.node == nil && $0.disk != nil }) {
            lines.append("a DOWN row shows what the node's disk holds: what it will restart with")
        }
        if window.first > 1 || window.last < maxLast {
            lines.append("indexes \(window.first)…\(window.last) of \(maxLast) (‹ › more); `log [NODE] FROM` shows from FROM")
        }
        if let only, let node = cluster.node(only) { lines += entryListing(cluster, only, node, from: from) }
        return lines
    }

    /// The indexes the grid shows, the width of a cell and the configuration marks among them.
    struct GridWindow {
        var first: UInt64
        var last: UInt64
        var cellWidth: Int
        var marks: GridMarks
    }

    /// Picks the window of indexes: from `from` when given; else the whole log when it fits; else
    /// the tail, or from just before the first conflict when that is earlier.
    static func gridWindow(_ cluster: Cluster, _ shown: [NodeID], _ rows: [GridRow], maxLast: UInt64, from: UInt64?, width: Int) -> GridWindow {
        var maxTerm: UInt64 = 0
        for row in rows { if let t = row.term(at: row.lastIndex) { maxTerm = max(maxTerm, t) } }
        // A configuration mark widens the cells; look for one among the indexes any window may show.
        let probe = gridMarks(cluster, shown, first: maxLast > UInt64(gridColumns) ? maxLast - UInt64(gridColumns) + 1 : 1, last: maxLast)
        var cellWidth = max(String(maxLast).count, String(maxTerm).count + (probe.any ? 1 : 0)) + 1
        let suffixWidth = rows.map(\.suffix.count).max() ?? 0
        func columnsFitting() -> UInt64 { UInt64(min(gridColumns, max(5, (width - 6 - 2 - suffixWidth) / cellWidth))) }
        var columns = columnsFitting()
        let first: UInt64
        if let from {
            first = min(from, maxLast)
        } else if maxLast <= columns {
            first = 1
        } else {
            let tail = maxLast - columns + 1
            let disagreement = firstConflict(rows, through: maxLast) ?? tail
            first = disagreement < tail ? max(1, disagreement - 1) : tail
        }
        var last = min(maxLast, first + columns - 1)
        let marks = gridMarks(cluster, shown, first: first, last: last)
        if marks.any && !probe.any {
            // An earlier window holds a configuration entry: widen the cells for its mark.
            cellWidth = max(cellWidth, String(maxTerm).count + 2)
            columns = columnsFitting()
            last = min(maxLast, first + columns - 1)
        }
        return GridWindow(first: first, last: last, cellWidth: cellWidth, marks: marks)
    }

    /// One node's row of the grid: committed cells bold, the rest dim, `s` for compacted indexes.
    static func gridLine(_ row: GridRow, _ window: GridWindow, color: Bool) -> String {
        var text = name(row.id).padding(6)
        guard row.node != nil || row.disk != nil else { return esc("2", text + "(down; its disk cannot be read)", color) }
        let isDown = row.node == nil
        let cellWidth = window.cellWidth
        var cells = ""
        for index in window.first...window.last {
            let separator = index == row.commit + 1 ? "|" : " "
            if index < row.firstIndex {
                cells += separator + "s".leftPadding(cellWidth - 1)
                continue
            }
            guard let term = row.term(at: index) else {
                cells += separator + String(repeating: " ", count: cellWidth - 1)
                continue
            }
            let committed = index <= row.commit
            let isConfig = row.node.map { window.marks.isConfig($0, index) } ?? false
            let cell = (String(term) + (isConfig ? "c" : "")).leftPadding(cellWidth - 1)
            cells += separator + (isDown ? cell : esc(committed ? "1;\(termColor(term))" : "2;\(termColor(term))", cell, color))
        }
        cells += row.commit == window.last ? "|" : " "
        text += cells + row.suffix
        return isDown ? esc("2", text, color) : text
    }

    /// `log NODE`: under the grid, up to 20 of the node's entries with their data and state.
    static func entryListing(_ cluster: Cluster, _ id: NodeID, _ node: RaftNode, from: UInt64?) -> [String] {
        let start = max(node.firstIndex, from ?? (node.lastIndex > 10 ? node.lastIndex - 9 : 1))
        let end = min(node.lastIndex, start + 19)
        guard start <= end else { return [] }
        var lines: [String] = []
        for index in start...end {
            let entry = node.entries[Int(index - node.firstIndex)]
            let state = index <= cluster.store(id).lastApplied ? "applied" : (index <= node.commitIndex ? "committed" : "")
            let data = entry.kind == .normal ? String(decoding: entry.data, as: UTF8.self) : configText(entry)
            lines.append(
                "  \(String(index).leftPadding(String(end).count))  term \(entry.term)  \(entry.kind)  \(data)  \(state)".trimmingTrailingSpaces())
        }
        return lines
    }

    /// The messages in flight.
    static func messages(_ cluster: Cluster) -> [String] {
        if cluster.inFlight.isEmpty { return ["nothing in flight"] }
        var lines: [String] = []
        let limit = 500
        let held = Dictionary(uniqueKeysWithValues: cluster.heldMessages.map { ($0.id, $0.deliveries) })
        for item in cluster.inFlight.prefix(limit) {
            var line = Describe.line(item)
            if let reason = cluster.lossReason(item.message) { line += "   (will be lost: \(reason))" }
            if let waits = held[item.id] {
                line += "   (held back by `delay` for \(waits) more deliver\(waits == 1 ? "y" : "ies"))"
            }
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
