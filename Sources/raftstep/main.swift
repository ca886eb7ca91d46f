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

RaftStep.main()
