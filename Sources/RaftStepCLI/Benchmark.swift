import RaftCore
import RaftSim
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The issue's performance figures: with N nodes and E committed entries, how long `status`,
/// `log` and one `deliver` take, and how long `stabilize` of E proposals takes.
public enum Benchmark {
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func measure(_ body: () -> Void) -> Double {
        let start = now()
        body()
        return (now() - start) * 1000
    }

    /// Runs the measurements; returns report lines.
    public static func run(nodes: Int, entries: Int) -> [String] {
        var report: [String] = []
        var options = SessionOptions()
        options.cluster.nodeCount = nodes
        options.cluster.seed = 7
        guard let session = try? Session(options: options) else { return ["cannot build the cluster"] }
        _ = session.execute("campaign n1")
        _ = session.execute("stabilize")
        guard session.cluster.leader == 1 else { return ["n1 did not become leader"] }
        let baseline = measure { _ = session.execute("status") }
        var proposeTime = 0.0
        proposeTime = measure {
            for i in 0..<entries { _ = session.execute("propose set k\(i % 100) \(i)") }
        }
        let inFlight = session.cluster.inFlight.count
        var stabilizeLines: [String] = []
        let stabilize = measure { stabilizeLines = session.execute("stabilize").lines }
        let commit = session.cluster.node(1)?.commitIndex ?? 0
        report.append(
            "cluster: \(nodes) nodes; \(entries) proposals (one `propose` command each) took \(fmt(proposeTime)) ms, leaving \(inFlight) messages in flight"
        )
        report.append(
            "stabilize of \(entries) proposals: \(fmt(stabilize)) ms (\(stabilizeLines.last { $0.hasPrefix("stabilize:") } ?? "")); commit index now \(commit)"
        )
        report.append("status on an empty cluster (baseline): \(fmt(baseline)) ms")
        let status = best { _ = session.execute("status") }
        let log = best { _ = session.execute("log") }
        let logNode = best { _ = session.execute("log n2") }
        let msgs = best { _ = session.execute("msgs") }
        _ = session.execute("propose set x 1")
        var deliver = 0.0
        var count = 0
        while !session.cluster.inFlight.isEmpty && count < 20 {
            deliver = max(deliver, measure { _ = session.execute("deliver") })
            count += 1
        }
        report.append("status: \(fmt(status)) ms; log: \(fmt(log)) ms; log n2: \(fmt(logNode)) ms; msgs: \(fmt(msgs)) ms (best of 5)")
        report.append("deliver (slowest of \(count) single deliveries after one more proposal): \(fmt(deliver)) ms")
        report.append(contentsOf: deliverOneByOne(nodes: nodes, entries: entries))
        report.append("invariant violations: \(session.cluster.violations.count)")
        return report
    }

    /// The same load delivered one `deliver` command at a time: the slowest and the mean delivery,
    /// including the ones that carry thousands of entries to a follower.
    static func deliverOneByOne(nodes: Int, entries: Int) -> [String] {
        var options = SessionOptions()
        options.cluster.nodeCount = nodes
        options.cluster.seed = 7
        guard let session = try? Session(options: options) else { return [] }
        _ = session.execute("campaign n1")
        _ = session.execute("stabilize")
        for i in 0..<entries { _ = session.execute("propose set k\(i % 100) \(i)") }
        var slowest = 0.0
        var total = 0.0
        var count = 0
        var slowestLine = ""
        while !session.cluster.inFlight.isEmpty && count < 200_000 {
            let head = session.cluster.inFlight.first.map { "#\($0.id) \($0.message.kindName) n\($0.message.from)->n\($0.message.to)" } ?? ""
            let ms = measure { _ = session.execute("deliver") }
            total += ms
            count += 1
            if ms > slowest { slowest = ms; slowestLine = head }
        }
        let commit = session.cluster.node(1)?.commitIndex ?? 0
        return [
            "deliver one at a time until nothing is in flight: \(count) deliveries, mean \(fmt(total / Double(max(count, 1)))) ms, slowest \(fmt(slowest)) ms (\(slowestLine)); commit \(commit)"
        ]
    }

    static func best(_ body: () -> Void) -> Double {
        var best = Double.infinity
        for _ in 0..<5 { best = min(best, measure(body)) }
        return best
    }

    static func fmt(_ ms: Double) -> String {
        let hundredths = Int((ms * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
