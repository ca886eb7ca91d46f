import ArgumentParser
import RaftCore
import RaftSim
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

struct Explore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explore",
        abstract: "Run random fault schedules with the invariant checker on; shorten and write out any failure as a script.",
        discussion: """
            Each seed drives one run of --steps random actions on a simulated cluster, drawing only \
            from the faults named in --faults; every random choice comes from the seed, so the same \
            seed gives the same run, byte for byte. The invariant checker runs after every step. Each \
            run then ends with a liveness phase: faults stop, the network heals, every node restarts \
            from its disk, and within --liveness-rounds rounds (one tick of every node, then delivery \
            of everything in flight) a leader must exist and every acknowledged proposal must be \
            applied on every node, unchanged. Reads are checked against the committed history.

            Faults (--faults, comma-separated; 'all' = every safe one, the default):
            \(Fault.allCases.map { "  \($0.rawValue): \($0.help)" }.joined(separator: "\n"))

            Pre-vote, check-quorum and the leader's no-op are drawn per run (so rules that only \
            matter without one of them are exercised too).

            A failing run prints its seed, the property and the evidence. It is shortened by delta \
            debugging (as far as it still fails the same way) and written as a `raftstep` script: \
            to --emit-script FILE (the first failure), and for every failure to \
            DIR/explore-SEED.txt when --out DIR is given. Replay with `raftstep --script FILE`, or step \
            through it at the prompt: `load FILE step`, then `next` (each step undone alone).
            Exits 1 when any run failed. A progress line goes to stderr when it is a terminal; \
            --json prints a summary object on stdout instead of the text summary.

            A campaign bigger than one machine: --shard K/N runs the K-th of N disjoint, contiguous, \
            near-equal slices of the seed range (K from 1), and `raftstep explore merge [--json] FILE...` \
            combines the shards' --json summaries (one per line; many may share a FILE) into the \
            summary of the whole range. The parts must share their settings and tile one range with \
            no gap or overlap; counts are summed, failures listed in seed order, elapsed seconds \
            summed over the shards. merge exits 1 when any run failed, 2 when the parts do not fit.

            On one machine, --jobs N runs the seeds on N threads (each run is still single-threaded \
            and depends only on its seed): the summary and the failures are those of a one-thread \
            run, printed in seed order once every seed has run.
            """)

    /// `--nodes` (cluster size) and `--seed` (the first seed, with --runs) are shared with the root command.
    @OptionGroup var cluster: ClusterArguments
    @Option(help: "Seeds to run: A..B (inclusive), or one seed A.") var seeds: String?
    @Option(help: "Random actions per run (before the liveness phase).") var steps: Int = 2000
    @Option(help: "Faults to inject, comma-separated (see below); 'all' for every safe fault; '-NAME' leaves one out ('all,-membership').")
    var faults: String = "all"
    @Option(name: .customLong("unsafe"), help: "Switch on a teaching knob (\(Explorer.knobNames.joined(separator: ", "))); repeatable.")
    var knobs: [String] = []
    @Flag(help: "Same as adding sync-off to --faults (nodes may acknowledge before syncing).")
    var allowSyncOff = false
    @Option(name: .customLong("emit-script"), help: "Write the first failing run, shortened, to FILE.") var emitScript: String?
    @Option(help: "Write every failing run, shortened, to DIR/explore-SEED.txt.") var out: String?
    @Flag(help: "Write failing runs unshortened.") var noShrink = false
    @Option(help: "Tick rounds the liveness phase may take.") var livenessRounds: Int = Explorer.Options().livenessRounds
    @Flag(help: "Skip the liveness phase.") var noLiveness = false
    @Option(
        name: .customLong("crash-model"),
        help:
            "What a crash keeps of unsynced writes: pages (any subset of each file's unsynced 4 KiB pages, as real disks may) or last-write (only a prefix of the last write, the REPL's default)."
    ) var crashModel: String = "pages"
    @Option(help: "Pre-vote in every run: on, off, or random (drawn per run).") var prevote: String = "random"
    @Option(help: "Check-quorum in every run: on, off, or random.") var checkquorum: String = "random"
    @Option(name: .customLong("leader-noop"), help: "The leader's no-op entry in every run: on, off, or random.") var leaderNoop: String = "random"
    @Option(
        name: .customLong("read-quorum"),
        help: "Read rounds that ask only a quorum of voters (raftd's setting) in every run: on, off, or random.") var readQuorum: String =
            "random"
    @Flag(help: "Print a JSON summary on stdout.") var json = false
    @Flag(help: "Stop at the first failing run.") var stopOnFailure = false
    @Option(help: "Without --seeds: the number of seeds from --seed on (default 100).") var runs: Int?
    @Flag(
        help:
            "The mutation score: a bounded campaign per test-only core mutation (each must be caught; exit 1 when one is not). --seeds overrides each campaign's seeds; the other options are the campaigns' own."
    )
    var mutants = false
    @Option(help: "Run only the K-th of N disjoint slices of the seeds (K/N, 1 <= K <= N); combine the shards' --json output with `explore merge`.")
    var shard: String?
    @Option(
        help:
            "Threads to run seeds on (default 1). Results and the order failures are printed in are a one-thread run's; failures are printed once every seed has run."
    )
    var jobs: Int = 1
    // A positional word rather than a subcommand: a subcommand's own --json would be taken by this command's.
    @Argument(help: ArgumentHelp("merge FILE...: combine the --json output of --shard runs instead of exploring.", valueName: "merge FILE"))
    var merge: [String] = []

    var nodes: Int { cluster.nodes }

    func seedRange() throws -> ClosedRange<UInt64> {
        if let seeds {
            let parts = seeds.split(separator: ".", omittingEmptySubsequences: true)
            if seeds.contains(".."), parts.count == 2, let a = UInt64(parts[0]), let b = UInt64(parts[1]), a <= b {
                return a...b
            }
            if !seeds.contains("."), let a = UInt64(seeds) { return a...a }
            throw ValidationError("--seeds takes A..B with A <= B, or one seed (got '\(seeds)')")
        }
        let first = cluster.seed
        let count = UInt64(runs ?? 100)
        return first...(first + count - 1)
    }

    /// The seeds this process runs, and the shard it is (nil without --shard).
    func mySeeds() throws -> (seeds: ClosedRange<UInt64>, shard: ExploreSummary.Shard?) {
        let range = try seedRange()
        guard let shard else { return (range, nil) }
        switch ExploreSummary.parseShard(shard, seeds: range) {
        case .success(let parsed): return (parsed.slice, ExploreSummary.Shard(index: parsed.index, count: parsed.count, seeds: range))
        case .failure(let error): throw ValidationError(error.message)
        }
    }

    func validate() throws {
        if let word = merge.first {
            guard word == "merge" else { throw ValidationError("unexpected argument '\(word)' (the one word explore takes is merge FILE...)") }
            if merge.count == 1 { throw ValidationError("merge: name the --json files of the shards to merge") }
            if seeds != nil || shard != nil || runs != nil {
                throw ValidationError("merge reads the shards' seeds from their files; --seeds, --runs and --shard are for exploring")
            }
            return
        }
        _ = try mySeeds()
        if steps < 0 { throw ValidationError("--steps must not be negative") }
        if let runs, runs < 1 { throw ValidationError("--runs must be positive") }
        if nodes < 1 || nodes > ClusterOptions.maxNodes { throw ValidationError("--nodes must be between 1 and \(ClusterOptions.maxNodes)") }
        for (name, value) in [("prevote", prevote), ("checkquorum", checkquorum), ("leader-noop", leaderNoop), ("read-quorum", readQuorum)]
        where !["on", "off", "random"].contains(value) {
            throw ValidationError("--\(name) takes on, off or random (got '\(value)')")
        }
        if livenessRounds < 1 { throw ValidationError("--liveness-rounds must be positive") }
        if jobs < 1 || jobs > 1024 { throw ValidationError("--jobs must be between 1 and 1024") }
        if jobs > 1 && stopOnFailure { throw ValidationError("--stop-on-failure runs the seeds one after another; leave out --jobs") }
        if jobs > 1 && mutants { throw ValidationError("--mutants runs its campaigns one after another; leave out --jobs") }
        // Shared root options that a campaign cannot honour: refuse them rather than ignore them.
        if cluster.dataDir != nil { throw ValidationError("explore runs on simulated disks only; --data-dir is for the REPL") }
        if cluster.voters != nil {
            throw ValidationError(
                "explore draws the starting configuration per run (spare nodes when membership is among the faults); --voters is for the REPL")
        }
        if case .failure(let error) = Fault.parseList(faults) { throw ValidationError(error.description) }
        var probe = Explorer.Options()
        for name in knobs where !probe.enableKnob(named: name) {
            throw ValidationError("no knob '\(name)' (knobs: \(Explorer.knobNames.joined(separator: ", ")))")
        }
    }

    /// The campaign's settings, from the command line.
    func explorerOptions() throws -> Explorer.Options {
        var options = Explorer.Options()
        options.nodes = nodes
        options.steps = steps
        if case .success(let list) = Fault.parseList(faults) { options.faults = list }
        if allowSyncOff { options.allowSyncOff = true }
        options.livenessRounds = livenessRounds
        func setting(_ value: String) -> Bool? { value == "random" ? nil : value == "on" }
        options.preVote = setting(prevote)
        options.checkQuorum = setting(checkquorum)
        options.leaderNoop = setting(leaderNoop)
        options.readQuorum = setting(readQuorum)
        options.liveness = !noLiveness
        guard crashModel == "pages" || crashModel == "last-write" else { throw ValidationError("--crash-model: pages or last-write") }
        options.pageCrashes = crashModel == "pages"
        for name in knobs { _ = options.enableKnob(named: name) }
        return options
    }

    func run() throws {
        if mutants { return try runMutants() }
        if !merge.isEmpty { return try ExploreMerge.run(files: Array(merge.dropFirst()), json: json) }
        let options = try explorerOptions()
        let (range, shardInfo) = try mySeeds()
        let total = range.upperBound - range.lowerBound + 1
        var summary = ExploreSummary(
            seeds: range, shard: shardInfo, nodes: nodes, steps: steps,
            faults: options.faults.map(\.rawValue), unsafe: options.unsafe.names)

        let progress = isatty(STDERR_FILENO) != 0
        let start = Clock.now()
        var lastDraw = start
        var emitted = false

        func drawProgress(final: Bool) {
            let elapsed = max(Clock.now() - start, 1e-9)
            let totals = summary.totals
            let text =
                "seeds \(summary.seedsRun)/\(total)  events \(totals.events) (\(Int(Double(totals.events) / elapsed))/s)  actions/s \(Int(Double(totals.actions) / elapsed))  faults \(totals.faults)  failures \(summary.failures.count)  \(ExploreSummary.oneDecimal(elapsed))s"
            writeErr("\r\u{1B}[K" + text + (final ? "\n" : ""))
        }

        /// Reports a failing run (script written, line printed); true to stop.
        func reportFailure(_ result: Explorer.Result, final: Explorer.Result) -> Bool {
            let violation = final.violation ?? result.violation!
            let text = final.script.joined(separator: "\n") + "\n"
            var scriptPath: String?
            if let emitScript, !emitted {
                emitted = true
                scriptPath = Explore.write(emitScript, text) ? emitScript : nil
                if scriptPath == nil { writeErr("could not write \(emitScript)\n") }
            }
            if let out {
                let path = out + "/explore-\(result.seed).txt"
                if Explore.write(path, text) { scriptPath = scriptPath ?? path } else { writeErr("could not write \(path)\n") }
            }
            summary.failures.append(
                ExploreSummary.Failure(seed: result.seed, invariant: violation.invariant, evidence: violation.evidence, script: scriptPath))
            if progress { writeErr("\r\u{1B}[K") }
            if !json {
                print("seed \(result.seed): \(violation)")
                print(
                    "  found after \(result.steps) actions; shortened to \(final.steps)"
                        + (scriptPath.map { "; replay: raftstep --script \($0) (or `load \($0) step` and `next` at the prompt)" } ?? ""))
            }
            return stopOnFailure
        }

        if jobs > 1 {
            let outcome = ExploreJobs.run(seeds: range, jobs: jobs, options: options, shrink: !noShrink, summary: summary) { done, events in
                guard progress else { return }
                let elapsed = max(Clock.now() - start, 1e-9)
                writeErr(
                    "\r\u{1B}[K"
                        + "seeds \(done)/\(total) on \(jobs) threads  events \(events) (\(Int(Double(events) / elapsed))/s)  \(ExploreSummary.oneDecimal(elapsed))s"
                )
            }
            summary = outcome.counts
            for failure in outcome.failures { _ = reportFailure(failure.result, final: failure.final) }
        } else {
            for runSeed in range {
                let result = Explorer.run(seed: runSeed, options: options)
                summary.add(result)
                if result.violation != nil {
                    let final = noShrink ? Explorer.fullScript(result, options: options) : Explorer.shrink(result, options: options)
                    if reportFailure(result, final: final) { break }
                }
                if progress {
                    let now = Clock.now()
                    if now - lastDraw > 0.25 { lastDraw = now; drawProgress(final: false) }
                }
            }
        }
        summary.elapsedSeconds = Clock.now() - start
        if progress { drawProgress(final: true) }
        print(json ? summary.json : summary.textLine)
        if !summary.failures.isEmpty { throw ExitCode(1) }
    }

    static func write(_ path: String, _ text: String) -> Bool {
        guard let file = fopen(path, "wb") else { return false }
        let bytes = Array(text.utf8)
        let ok = fwrite(bytes, 1, bytes.count, file) == bytes.count
        return fclose(file) == 0 && ok
    }
}

/// Wall-clock seconds (only for the progress line and the summary's rate, never in a run).
enum Clock {
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// Writes text to standard error (unbuffered).
private func writeErr(_ text: String) {
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

extension Explore {
    /// `--mutants`: each mutation's campaign, its first catching seed, and the score.
    func runMutants() throws {
        let seeds = self.seeds == nil ? nil : try seedRange()
        var caught = 0
        for mutant in Explorer.mutants {
            let start = Clock.now()
            let range = seeds ?? 1...mutant.seedBound
            let found = Explorer.hunt(mutant, seeds: range)
            let took = "\(ExploreSummary.oneDecimal(Clock.now() - start))s"
            if let (seed, violation) = found {
                caught += 1
                print("caught  \(mutant.name): seed \(seed) (\(took)): \(violation)")
            } else {
                print("MISSED  \(mutant.name): seeds \(range.lowerBound)..\(range.upperBound) all pass (\(took))")
            }
        }
        print("mutation score: \(caught)/\(Explorer.mutants.count) caught")
        if caught < Explorer.mutants.count { throw ExitCode(1) }
    }
}
