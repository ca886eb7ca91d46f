import ArgumentParser
import RaftSim
import RaftStepCLI
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `raftstep`: step a real Raft cluster one message at a time.
struct RaftStep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raftstep",
        abstract: "Step a local cluster of real Raft nodes one message at a time.",
        discussion: """
        With no script, starts a REPL (GNU readline at a terminal; plain echoed lines when input \
        is piped). Type `help` at the prompt for the command language. With --script FILE, prints \
        a transcript and exits 1 at the first failed command, expectation or invariant, naming the line.
        """,
        subcommands: [LessonCommand.self, Explore.self, Bench.self])

    @OptionGroup var cluster: ClusterArguments

    @Option(help: "Run the commands of FILE, print a transcript, exit non-zero at the first failure.")
    var script: String?

    func run() throws {
        let options = cluster.sessionOptions()
        let code: Int32
        if let script {
            code = Runner.runScript(path: script, options: options)
        } else {
            code = Runner.runInteractive(options: options)
        }
        if code != 0 { throw ExitCode(code) }
    }
}

/// Options shared by the cluster-building subcommands.
struct ClusterArguments: ParsableArguments {
    @Option(help: "Seed for every random choice (election timeouts, torn writes); printed at start.")
    var seed: UInt64 = 1

    @Option(help: "Number of nodes, n1…nN (1–\(ClusterOptions.maxNodes)).")
    var nodes: Int = 3

    @Option(help: "Voters at the start: n1…nK form the configuration; the other nodes run but are not members until added (default: all).")
    var voters: Int?

    @Option(name: .customLong("data-dir"), help: "Keep every node's files under DIR/nK on the real file system.")
    var dataDir: String?

    @Flag(name: .customLong("no-color"), help: "No colour (also when NO_COLOR is set or output is not a terminal).")
    var noColor = false

    func validate() throws {
        if nodes < 1 || nodes > ClusterOptions.maxNodes {
            throw ValidationError("--nodes must be between 1 and \(ClusterOptions.maxNodes)")
        }
        if let voters, voters < 1 || voters > nodes {
            throw ValidationError("--voters must be between 1 and --nodes (\(nodes))")
        }
    }

    func sessionOptions() -> SessionOptions {
        var options = SessionOptions()
        options.cluster.nodeCount = nodes
        options.cluster.voterCount = voters
        options.cluster.seed = seed
        options.cluster.dataDirectory = dataDir
        let noColorEnv = getenv("NO_COLOR").map { String(cString: $0).isEmpty == false } ?? false
        options.color = !noColor && !noColorEnv && isatty(STDOUT_FILENO) != 0
        return options
    }
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure status, log, deliver and stabilize on a large cluster (build with -c release).")

    @Option(name: .customLong("bench-nodes"), help: "Nodes in the cluster.") var benchNodes: Int = 7
    @Option(help: "Entries to commit.") var entries: Int = 10_000

    func run() throws {
        for line in Benchmark.run(nodes: benchNodes, entries: entries) { print(line) }
    }
}

struct Explore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explore",
        abstract: "Run random schedules with the invariant checker on; write a replayable script for each violation.",
        discussion: """
        Each seed drives one run of deliveries (in order and reordered), drops, ticks, proposals, \
        crashes, restarts, partitions, campaigns and transfers. A run that breaks an invariant is \
        written to DIR/explore-SEED.txt; replay it with `raftstep --script`. Exits 1 when any run \
        found a violation.
        """)

    /// Shared with the root command: `--seed` is the first seed, `--nodes` the cluster size.
    @OptionGroup var cluster: ClusterArguments
    @Option(help: "Number of seeds (runs), from --seed on.") var runs: Int = 100
    @Option(help: "Actions per run.") var steps: Int = 2000
    @Option(name: .customLong("unsafe"), help: "Switch on a teaching knob (\(Explorer.knobNames.joined(separator: ", "))); repeatable.")
    var knobs: [String] = []
    @Flag(help: "Let nodes run with sync off (a crash may then lose acknowledged writes).")
    var allowSyncOff = false
    @Option(help: "Where to write the scripts of failing runs.") var out: String = "."

    func validate() throws {
        if runs < 1 || steps < 1 { throw ValidationError("--runs and --steps must be positive") }
        var probe = Explorer.Options()
        for name in knobs where !probe.enableKnob(named: name) {
            throw ValidationError("no knob '\(name)' (knobs: \(Explorer.knobNames.joined(separator: ", ")))")
        }
    }

    func run() throws {
        var options = Explorer.Options()
        options.nodes = cluster.nodes
        options.steps = steps
        options.allowSyncOff = allowSyncOff
        for name in knobs { _ = options.enableKnob(named: name) }
        var failures = 0
        var totalSteps = 0
        var maxCommit: UInt64 = 0
        for offset in 0..<runs {
            let runSeed = cluster.seed &+ UInt64(offset)
            let result = Explorer.run(seed: runSeed, options: options)
            totalSteps += result.steps
            maxCommit = max(maxCommit, result.maxCommit)
            guard let violation = result.violation else { continue }
            failures += 1
            let path = out + "/explore-\(runSeed)\(knobs.isEmpty ? "" : "-" + knobs.joined(separator: "-"))\(allowSyncOff ? "-syncoff" : "").txt"
            let written = Explore.write(path, result.script.joined(separator: "\n") + "\n")
            print("seed \(runSeed): \(violation) (after \(result.steps) steps; \(written ? "replay: raftstep --script \(path)" : "could not write \(path)"))")
        }
        print("explored \(runs) run\(runs == 1 ? "" : "s") of \(steps) actions (\(totalSteps) took effect; highest commit \(maxCommit)): \(failures) with a violation")
        if failures > 0 { throw ExitCode(1) }
    }

    static func write(_ path: String, _ text: String) -> Bool {
        guard let file = fopen(path, "wb") else { return false }
        let bytes = Array(text.utf8)
        let ok = fwrite(bytes, 1, bytes.count, file) == bytes.count
        return fclose(file) == 0 && ok
    }
}

RaftStep.main()
