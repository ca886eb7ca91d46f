import RaftCore
import RaftSim

/// The message sequence diagram (`ladder`): one lane per node, time going down, an arrow per
/// delivered or dropped message from its sender's lane to its receiver's, and marks for
/// elections, commit points, crashes and restarts.
enum Ladder {
    /// The default number of events shown.
    static let defaultCount = 24

    /// The diagram of the last `count` events, at most `width` columns wide.
    static func render(_ cluster: Cluster, count: Int, width: Int, color: Bool = false) -> [String] {
        let timeline = cluster.timeline
        let events = timeline.events
        if events.isEmpty { return ["nothing has happened yet: deliver, tick or campaign, then `ladder` draws it"] }
        let layout = Layout(nodeCount: cluster.ids.count, width: width)
        let shown = events.suffix(count)
        var down = downBefore(events, upTo: events.count - shown.count, nodeCount: cluster.ids.count)
        var lines = [layout.header(cluster.ids)]
        for event in shown {
            let row = layout.row(event, down: down).trimmingTrailingSpaces()
            switch event {
            case .delivered(_, _, _, _, _, let lost?) where !lost.isEmpty: lines.append(Render.esc("2", row, color))
            case .dropped: lines.append(Render.esc("2", row, color))
            case .elected, .crashed: lines.append(Render.esc("1", row, color))
            default: lines.append(row)
            }
            switch event {
            case .crashed(let n): down.insert(n)
            case .restarted(let n): down.remove(n)
            default: break
            }
        }
        let first = timeline.forgottenCount + events.count - shown.count + 1
        let last = timeline.forgottenCount + events.count
        var footer = "events \(first)…\(last)"
        if shown.count < events.count { footer += " (`ladder N` shows the last N)" }
        footer += "; -->: delivered, --x: lost, -X: dropped, *: elected, C: commit point, !: crash"
        lines.append(contentsOf: Ladder.wrap(footer, width: width))
        return lines
    }

    /// The nodes down just before event `index`.
    private static func downBefore(_ events: [TimelineEvent], upTo index: Int, nodeCount: Int) -> Set<NodeID> {
        var down = Set<NodeID>()
        for event in events.prefix(index) {
            switch event {
            case .crashed(let n): down.insert(n)
            case .restarted(let n): down.remove(n)
            default: break
            }
        }
        return down
    }

    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if !current.isEmpty && current.count + 1 + word.count > width {
                lines.append(current)
                current = "  "
            }
            current += (current.isEmpty || current == "  " ? "" : " ") + word
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    /// Where the lanes are.
    struct Layout {
        let nodeCount: Int
        let width: Int
        /// Columns before the first lane (the message id).
        let margin = 6
        /// Columns between two lanes.
        let gap: Int

        init(nodeCount: Int, width: Int) {
            self.nodeCount = nodeCount
            self.width = width
            let noteWidth = 26
            let room = max(0, width - margin - 1 - noteWidth)
            gap = nodeCount <= 1 ? 0 : max(4, min(18, room / (nodeCount - 1)))
        }

        func x(_ id: NodeID) -> Int { margin + (Int(id) - 1) * gap }
        var lanesWidth: Int { margin + (nodeCount - 1) * gap + 1 }

        func header(_ ids: [NodeID]) -> String {
            var chars = Array(repeating: Character(" "), count: lanesWidth + 3)
            for id in ids {
                let name = Array("n\(id)")
                let start = max(0, x(id) - (name.count - 1) / 2)
                for (k, c) in name.enumerated() where start + k < chars.count { chars[start + k] = c }
            }
            return String(chars).trimmingTrailingSpaces()
        }

        func row(_ event: TimelineEvent, down: Set<NodeID>) -> String {
            var chars = Array(repeating: Character(" "), count: lanesWidth)
            for k in 1...nodeCount {
                chars[x(NodeID(k))] = down.contains(NodeID(k)) ? ":" : "|"
            }
            func put(_ text: String, at column: Int) {
                for (k, c) in text.enumerated() where column + k >= 0 && column + k < chars.count { chars[column + k] = c }
            }
            var note = ""
            switch event {
            case .delivered(let id, let from, let to, let kind, let term, let lost):
                put("#\(id)", at: 0)
                arrow(&chars, from: from, to: to, label: kind, end: lost == nil ? nil : "x")
                note = "t\(term)" + (lost.map { " lost: \($0)" } ?? "")
                if !fits(kind, from, to) { note = "\(kind) " + note }
            case .dropped(let id, let from, let to, let kind, let term):
                put("#\(id)", at: 0)
                arrow(&chars, from: from, to: to, label: kind, end: "X")
                note = "\(kind) t\(term) dropped"
            case .ticked(let count):
                put("tick", at: 0)
                note = count == 1 ? "1 tick passes" : "\(count) ticks pass"
            case .campaigned(let n, let term, let preVote):
                put("?", at: x(n))
                note = "n\(n) \(preVote ? "asks for pre-votes for" : "campaigns for") term \(term)"
            case .elected(let n, let term):
                put("*", at: x(n))
                note = "n\(n) is LEADER of term \(term)"
            case .steppedDown(let n, let term):
                put("v", at: x(n))
                note = "n\(n) stops leading term \(term)"
            case .committed(let n, let index, let term):
                put("C", at: x(n))
                note = "n\(n) commits through \(index) (t\(term))"
            case .crashed(let n):
                put("!", at: x(n))
                note = "n\(n) CRASHES"
            case .restarted(let n):
                put("o", at: x(n))
                note = "n\(n) restarts from its disk"
            case .proposed(let n, let index, let term):
                put("+", at: x(n))
                note = "n\(n) appends entry \(index) (t\(term))"
            }
            let room = width - chars.count - 2
            if room < note.count { note = room > 1 ? String(note.prefix(room - 1)) + "…" : "" }
            return String(chars) + "  " + note
        }

        /// Whether the label fits inside the arrow between two lanes.
        func fits(_ label: String, _ from: NodeID, _ to: NodeID) -> Bool {
            abs(x(to) - x(from)) - 3 >= label.count + 2
        }

        /// Draws `|--Kind-->|` (or `|<--Kind--|`) between the lanes; `end` replaces the head when
        /// the message did not arrive.
        func arrow(_ chars: inout [Character], from: NodeID, to: NodeID, label: String, end: Character?) {
            let a = x(from), b = x(to)
            let (lo, hi) = (min(a, b), max(a, b))
            guard hi - lo >= 2 else { return }
            for c in (lo + 1)..<hi { chars[c] = "-" }
            if a < b { chars[b - 1] = end ?? ">" } else { chars[b + 1] = end ?? "<" }
            if end == "X" {
                // A dropped message stops half way.
                let middle = (lo + hi) / 2
                if a < b {
                    for c in (middle + 1)..<b { chars[c] = " " }; chars[middle] = "X"
                } else {
                    for c in (b + 1)..<middle { chars[c] = " " }; chars[middle] = "X"
                }
            }
            if end != "X" && fits(label, from, to) {
                let span = hi - lo - 1
                let start = lo + 1 + (span - label.count) / 2
                for (k, c) in label.enumerated() { chars[start + k] = c }
            }
        }
    }
}
