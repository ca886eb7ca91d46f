import RaftCore
import RaftSim

/// The whole session (what the timeline kept) as an SVG picture a browser shows: one horizontal
/// lane per node, time going right, each message an arrow from its sender's lane to its
/// receiver's, terms as coloured bands from each election, crashes as gaps in a lane.
enum SVGTimeline {
    /// Horizontal pixels per event.
    static let stepWidth = 14
    /// Vertical pixels between lanes.
    static let laneHeight = 60
    static let left = 60
    static let top = 40

    /// A fill colour per term, cycling (light, so arrows stay readable on it).
    static func termFill(_ term: UInt64) -> String {
        ["#e8f4fd", "#fdf3e1", "#f3e8fd", "#e6f7ea", "#fde8e8", "#eef0f2"][Int(term % 6)]
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    static func x(_ step: Int) -> Int { left + step * stepWidth + stepWidth / 2 }
    static func y(_ id: NodeID) -> Int { top + (Int(id) - 1) * laneHeight + laneHeight / 2 }

    /// The SVG document.
    static func render(_ cluster: Cluster, title: String) -> String {
        let events = cluster.timeline.events
        let nodes = cluster.ids.count
        let width = left + max(1, events.count) * stepWidth + 40
        let height = top + nodes * laneHeight + 40
        let body =
            termBands(events, nodes: nodes) + lanes(events, ids: cluster.ids)
            + events.enumerated().flatMap { mark($0.element, step: $0.offset, nodes: nodes) }
        return document(body, title: title, width: width, height: height)
    }

    /// One coloured band per term, from its election to the next one (or to the leader stepping down).
    static func termBands(_ events: [TimelineEvent], nodes: Int) -> [String] {
        var body: [String] = []
        var bandStart: (step: Int, term: UInt64, leader: NodeID)?
        func closeBand(at step: Int) {
            guard let band = bandStart else { return }
            let x0 = left + band.step * stepWidth
            body.append(
                "<rect x=\"\(x0)\" y=\"\(top - 20)\" width=\"\(max(1, (step - band.step) * stepWidth))\" height=\"\(nodes * laneHeight + 20)\" fill=\"\(termFill(band.term))\"/>"
            )
            body.append("<text x=\"\(x0 + 3)\" y=\"\(top - 6)\" class=\"term\">term \(band.term) · n\(band.leader) leads</text>")
        }
        for (step, event) in events.enumerated() {
            if case .elected(let n, let term) = event {
                closeBand(at: step)
                bandStart = (step, term, n)
            }
            if case .steppedDown(let n, _) = event, bandStart?.leader == n {
                closeBand(at: step)
                bandStart = nil
            }
        }
        closeBand(at: events.count)
        return body
    }

    /// Each node's name and lane, with gaps while it is down.
    static func lanes(_ events: [TimelineEvent], ids: [NodeID]) -> [String] {
        var segments: [(NodeID, Int, Int)] = []
        var upSince: [NodeID: Int] = Dictionary(uniqueKeysWithValues: ids.map { ($0, 0) })
        for (step, event) in events.enumerated() {
            switch event {
            case .crashed(let n):
                if let start = upSince.removeValue(forKey: n) { segments.append((n, start, step)) }
            case .restarted(let n):
                upSince[n] = step
            default: break
            }
        }
        for (n, start) in upSince { segments.append((n, start, events.count)) }
        var body = ids.map { "<text x=\"8\" y=\"\(y($0) + 4)\" class=\"lane\">n\($0)</text>" }
        for (n, start, end) in segments.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) {
            body.append("<line x1=\"\(left + start * stepWidth)\" y1=\"\(y(n))\" x2=\"\(left + end * stepWidth)\" y2=\"\(y(n))\" class=\"lane\"/>")
        }
        return body
    }

    /// The marks one event leaves at its step: an arrow, a dot, a cross, a number.
    static func mark(_ event: TimelineEvent, step: Int, nodes: Int) -> [String] {
        switch event {
        case .delivered(let id, let from, let to, let kind, let term, let lost):
            let x1 = x(step) - stepWidth / 2, x2 = x(step) + stepWidth / 2
            let cls = lost == nil ? "msg" : "lost"
            return [
                "<line x1=\"\(x1)\" y1=\"\(y(from))\" x2=\"\(x2)\" y2=\"\(y(to))\" class=\"\(cls)\"\(lost == nil ? " marker-end=\"url(#head)\"" : "")><title>#\(id) n\(from)→n\(to) \(escape(kind)) term \(term)\(lost.map { " — lost: " + escape($0) } ?? "")</title></line>"
            ]
        case .dropped(let id, let from, let to, let kind, let term):
            let x1 = x(step) - stepWidth / 2
            let ym = (y(from) + y(to)) / 2
            return [
                "<line x1=\"\(x1)\" y1=\"\(y(from))\" x2=\"\(x(step))\" y2=\"\(ym)\" class=\"lost\"><title>#\(id) n\(from)→n\(to) \(escape(kind)) term \(term) — dropped</title></line>",
                "<text x=\"\(x(step) - 4)\" y=\"\(ym + 4)\" class=\"drop\">×</text>",
            ]
        case .ticked(let count):
            return [
                "<line x1=\"\(x(step))\" y1=\"\(top)\" x2=\"\(x(step))\" y2=\"\(top + nodes * laneHeight)\" class=\"tick\"><title>\(count) tick\(count == 1 ? "" : "s")</title></line>"
            ]
        case .campaigned(let n, let term, let preVote):
            return [
                "<circle cx=\"\(x(step))\" cy=\"\(y(n))\" r=\"4\" class=\"campaign\"><title>n\(n) \(preVote ? "asks for pre-votes for" : "campaigns for") term \(term)</title></circle>"
            ]
        case .elected(let n, let term):
            return ["<circle cx=\"\(x(step))\" cy=\"\(y(n))\" r=\"6\" class=\"leader\"><title>n\(n) is leader of term \(term)</title></circle>"]
        case .steppedDown(let n, let term):
            return ["<circle cx=\"\(x(step))\" cy=\"\(y(n))\" r=\"5\" class=\"down\"><title>n\(n) stops leading term \(term)</title></circle>"]
        case .committed(let n, let index, _):
            return ["<text x=\"\(x(step) - 4)\" y=\"\(y(n) - 9)\" class=\"commit\">\(index)<title>n\(n) commits through \(index)</title></text>"]
        case .crashed(let n):
            return ["<text x=\"\(x(step) - 5)\" y=\"\(y(n) + 5)\" class=\"crash\">✕<title>n\(n) crashes</title></text>"]
        case .restarted(let n):
            return ["<circle cx=\"\(x(step))\" cy=\"\(y(n))\" r=\"4\" class=\"restart\"><title>n\(n) restarts from its disk</title></circle>"]
        case .proposed(let n, let index, _):
            return [
                "<rect x=\"\(x(step) - 3)\" y=\"\(y(n) - 3)\" width=\"6\" height=\"6\" class=\"propose\"><title>n\(n) appends entry \(index)</title></rect>"
            ]
        }
    }

    /// The document around the drawing: size, style, arrow head, title and legend.
    static func document(_ body: [String], title: String, width: Int, height: Int) -> String {
        let style = """
            text{font-family:sans-serif;font-size:11px} .lane{stroke:#555;stroke-width:1.5} text.lane{stroke:none;font-weight:bold;font-size:13px}
            .msg{stroke:#2b6cb0;stroke-width:1.2} .lost{stroke:#c53030;stroke-width:1;stroke-dasharray:3 2} .drop{fill:#c53030;font-weight:bold}
            .tick{stroke:#bbb;stroke-width:0.5;stroke-dasharray:1 3} .campaign{fill:#fff;stroke:#b7791f;stroke-width:2}
            .leader{fill:#d69e2e;stroke:#744210} .down{fill:#fff;stroke:#744210;stroke-width:2} .commit{fill:#276749;font-weight:bold}
            .crash{fill:#c53030;font-size:14px;font-weight:bold} .restart{fill:#fff;stroke:#2f855a;stroke-width:2} .propose{fill:#2f855a}
            .term{fill:#555;font-size:10px} .title{font-size:13px;font-weight:bold}
            """
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">\n"
        svg += "<style>\n\(style)\n</style>\n"
        svg +=
            "<defs><marker id=\"head\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#2b6cb0\"/></marker></defs>\n"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n"
        svg += "<text x=\"8\" y=\"16\" class=\"title\">\(escape(title))</text>\n"
        svg += body.joined(separator: "\n") + "\n"
        svg +=
            "<text x=\"8\" y=\"\(height - 12)\">time goes right · arrows: messages (hover for id, type, term; dashed red: lost or dropped) · ● leader elected · ○ campaign · ✕ crash · number: commit point · band: term</text>\n"
        svg += "</svg>\n"
        return svg
    }
}
