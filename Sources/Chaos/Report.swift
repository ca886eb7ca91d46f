import Foundation
import LinCheck

/// The campaign's text report and its rate-and-latency picture.
public enum CampaignReport {
    /// The report's lines: operations by outcome, faults by kind, the verdict, unavailability, checker time.
    public static func text(_ result: CampaignResult, options: CampaignOptions) -> String {
        var lines: [String] = []
        lines.append(
            "seed \(options.seed), \(options.nodes) nodes, \(options.clients) clients, \(options.keys) keys, \(options.counters) counters, \(options.durationSeconds) s, network: \(result.networkDescription)\(options.unsafeLocalReads ? ", UNSAFE local reads" : "")"
        )
        for kind in [Record.Kind.get, .set, .incr, .del] {
            let ops = result.records.filter { $0.kind == kind }
            let counts = [Record.Outcome.ok, .fail, .unknown].map { outcome in "\(ops.filter { $0.outcome == outcome }.count) \(outcome.rawValue)" }
            lines.append("  \(kind.rawValue.uppercased()): \(ops.count) (\(counts.joined(separator: ", ")))")
        }
        let outcomes = [Record.Outcome.ok, .fail, .unknown].map { outcome in
            "\(result.records.filter { $0.outcome == outcome }.count) \(outcome.rawValue)"
        }
        lines.append("operations: \(result.records.count) (\(outcomes.joined(separator: ", ")))")
        let kinds = FaultInterval.Kind.allCases.filter { kind in !kind.isPartition || result.networkDescription.hasPrefix("network namespaces") }.map
        { kind in "\(result.faults.filter { $0.kind == kind }.count) \(kind.rawValue)" }
        lines.append("faults: \(result.faults.count) (\(kinds.joined(separator: ", ")))")
        for fault in result.faults
        where (fault.kind == .membership && fault.note != "removed and re-added empty") || fault.kind == .fullDisk || fault.kind.isPartition {
            lines.append(
                String(
                    format: "  %@ n%d at %.1f s: %@", fault.kind.rawValue, fault.node, Double(fault.startNanoseconds - result.startNanoseconds) / 1e9,
                    fault.note))
        }
        if let worst = result.unavailabilityMilliseconds.max() {
            let mean = result.unavailabilityMilliseconds.reduce(0, +) / Double(result.unavailabilityMilliseconds.count)
            lines.append(
                String(
                    format: "unavailability after a leader kill -9: longest %.0f ms, mean %.0f ms over %d kills", worst, mean,
                    result.unavailabilityMilliseconds.count))
        } else {
            lines.append("unavailability after a leader kill -9: no leader was killed")
        }
        if let worst = result.unavailabilityAfterCutMilliseconds.max() {
            let mean = result.unavailabilityAfterCutMilliseconds.reduce(0, +) / Double(result.unavailabilityAfterCutMilliseconds.count)
            lines.append(
                String(
                    format: "unavailability after the leader is cut off: longest %.0f ms, mean %.0f ms over %d partitions", worst, mean,
                    result.unavailabilityAfterCutMilliseconds.count))
        }
        lines.append(String(format: "checker: %@ — %d states in %.2f s", result.verdictText, result.checkerStates, result.checkerSeconds))
        if case .notLinearizable(let violation) = result.verdict { lines.append("  " + during(violation.stuck, result)) }
        if result.faults.contains(where: { !$0.cutOff.isEmpty }) {
            lines.append(
                "GETs answered by a node cut off from the majority: \(result.cutOffReads); checked with every write alone: \(result.cutOffVerdictText)"
            )
            if case .notLinearizable(let violation) = result.cutOffVerdict { lines.append("  " + during(violation.stuck, result)) }
        }
        lines.append("lost acknowledged writes: \(result.lostWrites.count)")
        lines += result.lostWrites.prefix(5).map { "  \($0)" }
        lines.append(
            "end checks (convergence, clean stop, logdump verify/diff): \(result.endProblems.isEmpty ? "ok" : "\(result.endProblems.count) problems")"
        )
        lines += result.endProblems.map { "  \($0)" }
        lines.append("verdict: \(result.isClean ? "CLEAN" : "VIOLATION")")
        return lines.joined(separator: "\n")
    }

    /// When the stuck operation ran, relative to the start, and the faults in force then (a stale read
    /// during a partition is the unsafe option's typical failure).
    static func during(_ op: LinCheck.Operation, _ result: CampaignResult) -> String {
        let end = op.returnTime ?? .max
        let faults = result.faults.filter { $0.startNanoseconds <= end && $0.endNanoseconds >= op.callTime }
        let at = String(format: "the stuck operation ran at %.2f s", Double(op.callTime - result.startNanoseconds) / 1e9)
        guard !faults.isEmpty else { return at + ", during no fault" }
        return at + ", during " + faults.map { "\($0.kind.rawValue) n\($0.node)\($0.note.isEmpty ? "" : " (\($0.note))")" }.joined(separator: "; ")
    }

    /// An SVG of acknowledged operations per second and of latency (mean and max per bin) over time,
    /// with each fault's interval shaded and labelled, like Jepsen's rate and latency graphs.
    public static func svg(_ result: CampaignResult, binMilliseconds: Int = 250) -> String {
        let start = result.startNanoseconds
        let bin = Int64(binMilliseconds) * 1_000_000
        let last = max(result.records.map(\.returnNanoseconds).max() ?? start, result.faults.map(\.endNanoseconds).max() ?? start)
        let bins = Int((last - start) / bin) + 1
        var okCount = [Int](repeating: 0, count: bins), latencySum = [Double](repeating: 0, count: bins)
        var latencyMax = [Double](repeating: 0, count: bins), unknownCount = [Int](repeating: 0, count: bins)
        for record in result.records where record.returnNanoseconds >= start {
            let index = Int((record.returnNanoseconds - start) / bin)
            let latency = Double(record.returnNanoseconds - record.callNanoseconds) / 1e6
            if record.outcome == .ok {
                okCount[index] += 1
                latencySum[index] += latency
                latencyMax[index] = max(latencyMax[index], latency)
            } else if record.outcome == .unknown {
                unknownCount[index] += 1
            }
        }
        let width = 900.0, plot = 220.0, left = 60.0, gap = 40.0
        let seconds = Double(bins * binMilliseconds) / 1000
        let x = { (t: Double) in left + t / seconds * (width - left - 20) }
        let rates = okCount.map { Double($0) * 1000 / Double(binMilliseconds) }
        let maxRate = max(rates.max() ?? 1, 1), maxLatency = max(latencyMax.max() ?? 1, 1)
        var svg =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(2 * plot + 3 * gap + 34))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        let colors: [FaultInterval.Kind: String] = [
            .killLeader: "#e41a1c", .killFollower: "#ff7f00", .pause: "#984ea3", .transfer: "#377eb8", .membership: "#4daf4a", .fullDisk: "#a65628",
            .isolate: "#f781bf", .split: "#999999", .bridge: "#66c2a5", .linkDown: "#000000",
        ]
        for (panel, top) in [gap, 2 * gap + plot].enumerated() {
            for fault in result.faults {
                let from = x(Double(fault.startNanoseconds - start) / 1e9), to = x(Double(fault.endNanoseconds - start) / 1e9)
                svg +=
                    "<rect x=\"\(f(from))\" y=\"\(f(top))\" width=\"\(f(max(to - from, 1.5)))\" height=\"\(f(plot))\" fill=\"\(colors[fault.kind]!)\" opacity=\"0.18\"><title>\(fault.kind.rawValue) n\(fault.node)</title></rect>\n"
                if panel == 0 && result.faults.count <= 20 {
                    svg +=
                        "<text x=\"\(f(from + 1))\" y=\"\(f(top - 3))\" fill=\"\(colors[fault.kind]!)\" font-size=\"8\">\(fault.kind.rawValue) n\(fault.node)</text>\n"
                }
            }
            svg += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(width - left - 20))\" height=\"\(f(plot))\" fill=\"none\" stroke=\"#444\"/>\n"
        }
        let rateLine = rates.enumerated().map {
            "\(f(x((Double($0.offset) + 0.5) * Double(binMilliseconds) / 1000))),\(f(gap + plot - $0.element / maxRate * plot))"
        }
        svg += "<polyline fill=\"none\" stroke=\"black\" stroke-width=\"1.2\" points=\"\(rateLine.joined(separator: " "))\"/>\n"
        let top2 = 2 * gap + plot
        let means = latencySum.enumerated().map { okCount[$0.offset] > 0 ? $0.element / Double(okCount[$0.offset]) : 0 }
        for (series, color) in [(means, "black"), (latencyMax, "#888")] {
            let points = series.enumerated().map {
                "\(f(x((Double($0.offset) + 0.5) * Double(binMilliseconds) / 1000))),\(f(top2 + plot - $0.element / maxLatency * plot))"
            }
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.2\" points=\"\(points.joined(separator: " "))\"/>\n"
        }
        for (index, count) in unknownCount.enumerated() where count > 0 {
            svg +=
                "<circle cx=\"\(f(x((Double(index) + 0.5) * Double(binMilliseconds) / 1000)))\" cy=\"\(f(top2 + plot - 4))\" r=\"2.5\" fill=\"#e41a1c\"><title>\(count) unknown</title></circle>\n"
        }
        svg +=
            "<text x=\"\(f(left))\" y=\"\(f(gap - 18))\">acknowledged operations per second (max \(Int(maxRate))), \(binMilliseconds) ms bins; shaded: faults</text>\n"
        svg +=
            "<text x=\"\(f(left))\" y=\"\(f(top2 - 18))\">latency of acknowledged operations, ms (black: mean, grey: max \(Int(maxLatency))); red dots: unknown outcomes</text>\n"
        for (index, kind) in FaultInterval.Kind.allCases.enumerated() {
            let legendX = left + Double(index % 6) * 120, legendY = top2 + plot + 22 + Double(index / 6) * 14
            svg += "<rect x=\"\(f(legendX))\" y=\"\(f(legendY))\" width=\"10\" height=\"10\" fill=\"\(colors[kind]!)\" opacity=\"0.5\"/>"
            svg += "<text x=\"\(f(legendX + 14))\" y=\"\(f(legendY + 9))\">\(kind.rawValue)</text>\n"
        }
        for tick in stride(from: 0.0, through: seconds, by: max(1, (seconds / 10).rounded())) {
            svg += "<text x=\"\(f(x(tick)))\" y=\"\(f(top2 + plot + 14))\" text-anchor=\"middle\">\(Int(tick)) s</text>\n"
        }
        return svg + "</svg>\n"
    }

    private static func f(_ value: Double) -> String { String(format: "%.1f", value) }
}
