/// What an explore campaign (or one shard of it) found: the object `raftstep explore --json`
/// prints, and what `raftstep explore merge` reads back and combines (issue 16 §7b), so that a
/// campaign split over many machines reports exactly what one machine would have.
public struct ExploreSummary: Equatable, Sendable {
    /// One failing run.
    public struct Failure: Equatable, Sendable {
        /// The run's seed.
        public var seed: UInt64
        /// The property it broke.
        public var invariant: String
        /// The evidence the checker gave.
        public var evidence: String
        /// Where the shortened script was written, if it was.
        public var script: String?

        /// Creates a failure record.
        public init(seed: UInt64, invariant: String, evidence: String, script: String? = nil) {
            self.seed = seed
            self.invariant = invariant
            self.evidence = evidence
            self.script = script
        }
    }

    /// Which slice of a larger seed range a shard ran.
    public struct Shard: Equatable, Sendable {
        /// 1-based: the K of `--shard K/N`.
        public var index: Int
        /// The N of `--shard K/N`.
        public var count: Int
        /// The whole range the N shards split.
        public var seeds: ClosedRange<UInt64>

        /// Creates a shard description.
        public init(index: Int, count: Int, seeds: ClosedRange<UInt64>) {
            self.index = index
            self.count = count
            self.seeds = seeds
        }
    }

    /// The seeds asked for (a shard's own slice).
    public var seeds: ClosedRange<UInt64>
    /// Seeds actually run (fewer than asked after `--stop-on-failure`).
    public var seedsRun: UInt64 = 0
    /// Set when this is one shard of a larger range.
    public var shard: Shard?
    /// Cluster size.
    public var nodes: Int
    /// Random actions per run.
    public var steps: Int
    /// Fault names drawn from.
    public var faults: [String]
    /// Teaching knobs switched on.
    public var unsafe: [String]
    /// Summed counts of every run.
    public var totals = Explorer.Stats()
    /// The highest commit index of any run.
    public var highestCommit: UInt64 = 0
    /// Wall-clock seconds the runs took (summed over shards when merged).
    public var elapsedSeconds: Double = 0
    /// Failing runs, by seed.
    public var failures: [Failure] = []

    /// Creates an empty summary for a campaign about to run.
    public init(seeds: ClosedRange<UInt64>, shard: Shard? = nil, nodes: Int, steps: Int, faults: [String], unsafe: [String]) {
        self.seeds = seeds
        self.shard = shard
        self.nodes = nodes
        self.steps = steps
        self.faults = faults
        self.unsafe = unsafe
    }

    /// Counts one finished run (its failure, if any, is added separately: it may be shortened first).
    public mutating func add(_ result: Explorer.Result) {
        seedsRun += 1
        addCounts(result.stats)
        highestCommit = max(highestCommit, result.maxCommit)
    }

    /// The counts the summary reports (not the liveness rounds or the network faults' own tally).
    private mutating func addCounts(_ stats: Explorer.Stats) {
        totals.actions += stats.actions
        totals.events += stats.events
        totals.faults += stats.faults
        totals.acknowledged += stats.acknowledged
        totals.reads += stats.reads
        totals.configChanges += stats.configChanges
        totals.compactions += stats.compactions
    }

    /// Adds another part's counts, elapsed time and failures to this one (sums and a maximum, so
    /// the order parts are absorbed in does not change the counts; failures are not re-sorted).
    public mutating func absorb(_ part: ExploreSummary) {
        seedsRun += part.seedsRun
        addCounts(part.totals)
        highestCommit = max(highestCommit, part.highestCommit)
        elapsedSeconds += part.elapsedSeconds
        failures += part.failures
    }

    /// Simulated events per wall-clock second.
    public var eventsPerSecond: Int { Int(Double(totals.events) / max(elapsedSeconds, 1e-9)) }

    /// The one-line text summary `raftstep explore` prints without --json.
    public var textLine: String {
        let ran =
            seedsRun == 0
            ? "no seeds of \(Self.describe(seeds))"
            : "seeds \(seeds.lowerBound)..\(seeds.lowerBound + seedsRun - 1)"
        let part = shard.map { " [shard \($0.index)/\($0.count) of \(Self.describe($0.seeds))]" } ?? ""
        let setup =
            "\(seedsRun) run\(seedsRun == 1 ? "" : "s") of \(steps) actions on \(nodes) nodes, faults \(faults.joined(separator: ","))"
            + (unsafe.isEmpty ? "" : ", unsafe " + unsafe.joined(separator: ","))
        let counts =
            "\(totals.actions) actions took effect, \(totals.events) events, \(totals.faults) faults injected, "
            + "\(totals.acknowledged) proposals acknowledged, \(totals.reads) reads, \(totals.configChanges) membership changes, "
            + "\(totals.compactions) compactions; highest commit \(highestCommit); "
            + "\(failures.count) failing run\(failures.count == 1 ? "" : "s")"
        return "explored \(ran)\(part) (\(setup)): \(counts)"
    }

    // MARK: Shards

    /// The K-th (1-based) of N near-equal, disjoint, contiguous slices of `seeds`, which together
    /// cover it; nil when K/N is out of range, N exceeds the number of seeds (so that some slice would
    /// be empty), or the range is too big to count.
    public static func slice(_ index: Int, of count: Int, seeds: ClosedRange<UInt64>) -> ClosedRange<UInt64>? {
        guard count >= 1, index >= 1, index <= count else { return nil }
        let (lastOffset, _) = seeds.upperBound.subtractingReportingOverflow(seeds.lowerBound)
        let (size, overflow) = lastOffset.addingReportingOverflow(1)
        guard !overflow, UInt64(count) <= size else { return nil }
        // j * size / count without overflow: the product is taken at full width.
        func offset(_ j: Int) -> UInt64 {
            let product = UInt64(j).multipliedFullWidth(by: size)
            return UInt64(count).dividingFullWidth(product).quotient
        }
        let start = offset(index - 1), end = offset(index)
        assert(end > start, "with N <= size every slice has a seed")
        return (seeds.lowerBound + start)...(seeds.lowerBound + (end - 1))
    }

    /// Parses `K/N` as given to `--shard`; the error says what is expected.
    public static func parseShard(_ text: String, seeds: ClosedRange<UInt64>) -> Result<
        (index: Int, count: Int, slice: ClosedRange<UInt64>), SimError
    > {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count >= 1, index >= 1, index <= count else {
            return .failure(SimError("--shard takes K/N with 1 <= K <= N, e.g. 3/8 (got '\(text)')"))
        }
        guard let slice = slice(index, of: count, seeds: seeds) else {
            return .failure(
                SimError(
                    "--shard \(text): \(seeds.lowerBound)..\(seeds.upperBound) is too few seeds for \(count) shards (use N <= the number of seeds)"))
        }
        return .success((index, count, slice))
    }

    // MARK: Merging

    /// Combines shard summaries into the summary one run over their whole range gives: counts
    /// summed, the highest commit the maximum, failures in seed order. The shards must share their
    /// settings and tile one range with no gap and no overlap; a shard of K/N must have all N present.
    public static func merge(_ parts: [ExploreSummary]) -> Result<ExploreSummary, SimError> {
        guard let first = parts.min(by: { $0.seeds.lowerBound < $1.seeds.lowerBound }) else {
            return .failure(SimError("nothing to merge"))
        }
        let sorted = parts.sorted { $0.seeds.lowerBound < $1.seeds.lowerBound }
        for part in sorted where part.nodes != first.nodes || part.steps != first.steps || part.faults != first.faults || part.unsafe != first.unsafe
        {
            return .failure(
                SimError(
                    "seeds \(describe(part.seeds)) ran other settings (nodes, steps, faults or unsafe knobs) than seeds \(describe(first.seeds)): not one campaign"
                ))
        }
        if let error = missingShards(sorted) { return .failure(error) }
        for (a, b) in zip(sorted, sorted.dropFirst()) where b.seeds.lowerBound != a.seeds.upperBound &+ 1 {
            let what = b.seeds.lowerBound <= a.seeds.upperBound ? "overlap" : "leave a gap"
            return .failure(SimError("seeds \(describe(a.seeds)) and \(describe(b.seeds)) \(what): the parts must tile one range"))
        }
        var merged = ExploreSummary(
            seeds: first.seeds.lowerBound...sorted.last!.seeds.upperBound, nodes: first.nodes,
            steps: first.steps, faults: first.faults, unsafe: first.unsafe)
        if let whole = first.shard?.seeds, whole != merged.seeds {
            return .failure(SimError("the shards cover seeds \(describe(merged.seeds)), not the \(describe(whole)) they were cut from"))
        }
        for part in sorted { merged.absorb(part) }
        merged.failures.sort { $0.seed < $1.seed }
        assert(
            merged.seedsRun == 0 || merged.seedsRun - 1 <= merged.seeds.upperBound - merged.seeds.lowerBound,
            "more seeds run than the parts asked for")
        return .success(merged)
    }

    /// An error naming the shards of K/N that are absent (when the parts were sharded).
    private static func missingShards(_ parts: [ExploreSummary]) -> SimError? {
        guard let shard = parts.compactMap(\.shard).first else { return nil }
        if parts.contains(where: { $0.shard.map { $0.count != shard.count || $0.seeds != shard.seeds } ?? true }) {
            return SimError("the parts are not shards of one split (each --shard K/N must use the same N and seed range)")
        }
        let present = Set(parts.compactMap { $0.shard?.index })
        let missing = (1...shard.count).filter { !present.contains($0) }.map { "\($0)/\(shard.count)" }
        if missing.isEmpty { return nil }
        return SimError("missing shard\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")) of seeds \(describe(shard.seeds))")
    }

    private static func describe(_ range: ClosedRange<UInt64>) -> String { "\(range.lowerBound)..\(range.upperBound)" }
}
