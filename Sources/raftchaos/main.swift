import ArgumentParser
import Chaos
import Foundation

/// raftchaos: a seeded fault campaign against real raftd processes, judged by LinCheck (docs/chaos.md).
struct RaftChaos: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raftchaos",
        abstract:
            "Run raftd nodes, each in its own network namespace (or on loopback), under partitions, kill -9, SIGSTOP, leader transfer, membership and full-disk faults while clients record a history; check it.",
        discussion: "Exit 0: linearizable, no lost write, logs verified. 1: a violation. 2: the campaign could not run.")

    @Option(help: "The seed of every random choice (default: from the clock, printed).")
    var seed: UInt64?

    @Option(help: "Seconds of load and faults.")
    var duration: Double = 30

    @Option(help: "Cluster size: 3 or 5.")
    var nodes = 3

    @Option(help: "Concurrent clients.")
    var clients = 4

    @Option(help: "Text keys the clients share (GET, SET, DEL).")
    var keys = 5

    @Option(help: "Counter keys the clients share (GET, INCR).")
    var counters = 2

    @Option(help: "Where nodes run: auto (namespaces when root and iproute2 allow, else loopback), netns (required) or loopback.")
    var network = "auto"

    @Option(help: "Fault kinds, comma-separated: \(FaultInterval.Kind.allCases.map(\.rawValue).joined(separator: ",")), or all.")
    var faults = "all"

    @Option(help: "Output directory: history.jsonl, report.txt, timeline.svg and the nodes' data directories.")
    var out = "chaos-out"

    @Option(help: "The directory holding raftd and logdump (default: raftchaos's own).")
    var binaries: String?

    @Flag(name: .customLong("unsafe-local-reads"), help: "Start raftd with its test-only --unsafe-local-reads: the campaign must report a violation.")
    var unsafeLocalReads = false

    func validate() throws {
        guard nodes == 3 || nodes == 5 else { throw ValidationError("--nodes must be 3 or 5") }
        guard (1...64).contains(clients) else { throw ValidationError("--clients must be 1…64") }
        guard (1...1000).contains(keys) else { throw ValidationError("--keys must be 1…1000") }
        guard (1...1000).contains(counters) else { throw ValidationError("--counters must be 1…1000") }
        guard NetworkChoice(rawValue: network) != nil else { throw ValidationError("--network must be auto, netns or loopback") }
        guard duration > 0, duration <= 86_400 else { throw ValidationError("--duration must be positive seconds (at most a day)") }
        _ = try faultKinds()
    }

    func faultKinds() throws -> [FaultInterval.Kind] {
        if faults == "all" { return FaultInterval.Kind.allCases }
        return try faults.split(separator: ",").map { name in
            guard let kind = FaultInterval.Kind(rawValue: String(name)) else { throw ValidationError("--faults: unknown kind '\(name)'") }
            return kind
        }
    }

    func run() throws {
        let seed = self.seed ?? UInt64(Date().timeIntervalSince1970 * 1000)
        let directory = binaries ?? URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().path
        let output = URL(fileURLWithPath: out).standardizedFileURL.path
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        for tool in ["raftd", "logdump"] where !FileManager.default.isExecutableFile(atPath: "\(directory)/\(tool)") {
            emit("raftchaos: \(directory)/\(tool) is missing (swift build --product \(tool))")
            throw ExitCode(2)
        }
        emit("raftchaos: seed \(seed) (rerun with --seed \(seed))")
        var options = CampaignOptions(
            seed: seed, durationSeconds: duration, nodes: nodes, clients: clients, keys: keys,
            raftd: "\(directory)/raftd", logdump: "\(directory)/logdump", outputDirectory: output)
        options.counters = counters
        options.network = NetworkChoice(rawValue: network)!
        // An interrupted run still kills its nodes and removes its namespaces, veths and bridge.
        InterruptCleanup.install { "raftchaos: interrupted by signal \($0): nodes killed, network removed" }
        options.unsafeLocalReads = unsafeLocalReads
        options.faults = try faultKinds()
        let result: CampaignResult
        do {
            result = try Campaign(options: options, say: { emit("raftchaos: \($0)") }).run()
        } catch {
            emit("raftchaos: could not run: \(error)")
            throw ExitCode(2)
        }
        let report = CampaignReport.text(result, options: options)
        emit(report)
        try report.write(toFile: output + "/report.txt", atomically: true, encoding: .utf8)
        try CampaignReport.svg(result).write(toFile: output + "/timeline.svg", atomically: true, encoding: .utf8)
        emit("raftchaos: wrote \(output)/history.jsonl, report.txt, timeline.svg")
        if !result.isClean { throw ExitCode(1) }
    }
}

/// Writes a line to stdout at once, unbuffered, also into a pipe (a test waits for "cluster … up").
func emit(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

RaftChaos.main()
