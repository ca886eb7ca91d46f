import RaftCore
@testable import RaftSim
import Testing
@testable import RaftStepCLI

/// The randomized explorer: safe runs stay clean (including the liveness phase and the
/// client-visible checks); a run is a function of its seed; a broken rule is found, shortened,
/// and the script replays through the REPL to the same violation.
@Suite struct ExplorerTests {
    static func options(nodes: Int = 5, steps: Int, knob: String? = nil) -> Explorer.Options {
        var options = Explorer.Options()
        options.nodes = nodes
        options.steps = steps
        if let knob { _ = options.enableKnob(named: knob) }
        return options
    }

    static func describe(_ result: Explorer.Result, _ options: Explorer.Options) -> String {
        guard let violation = result.violation else { return "" }
        let shortened = Explorer.shrink(result, options: options)
        return "seed \(result.seed): \(violation)\n" + shortened.script.joined(separator: "\n")
    }

    @Test func safeRunsFindNothingAndPassTheLivenessPhase() {
        let options = Self.options(steps: 800)
        for seed in 1...16 as ClosedRange<UInt64> {
            let result = Explorer.run(seed: seed, options: options)
            #expect(result.violation == nil, "\(Self.describe(result, options))")
            #expect(result.steps > 200, "the schedule should mostly take effect")
        }
    }

    /// The test suite's short campaign: 200 seeds on 3, 5 and 7 nodes, every safe fault.
    @Test func shortCampaign() {
        var events = 0
        var acknowledged = 0
        var reads = 0
        var faults = 0
        var configChanges = 0
        var compactions = 0
        for seed in 1...200 as ClosedRange<UInt64> {
            let options = Self.options(nodes: [3, 5, 7][Int(seed % 3)], steps: 250)
            let result = Explorer.run(seed: 1000 + seed, options: options)
            #expect(result.violation == nil, "\(Self.describe(result, options))")
            events += result.stats.events
            acknowledged += result.stats.acknowledged
            reads += result.stats.reads
            faults += result.stats.faults
            configChanges += result.stats.configChanges
            compactions += result.stats.compactions
        }
        #expect(events > 50_000)
        #expect(acknowledged > 200, "clients should see acknowledged proposals (got \(acknowledged))")
        #expect(reads > 100)
        #expect(faults > 4_000)
        #expect(configChanges > 20, "membership changes belong in the schedules (got \(configChanges))")
        // 47 once the node, disk, network and time faults joined the schedules and took some of the
        // rolls; the bound says compactions are still a regular part of a campaign.
        #expect(compactions > 40, "compactions belong in the schedules (got \(compactions))")
    }

    /// Seeds that failed once membership and compaction joined the schedules, each for a bug since
    /// fixed (the unit test that keeps each rule is named): 1209, 2465 — servers whose removal was
    /// in flight campaigned in lockstep with a voter that needed their vote
    /// (`removalInFlightCampaignsWithPreVote`); 890, 1728, 7197 — a node whose term a removed
    /// server had raised ignored its leader's stale-term appends without answering
    /// (`staleAppendIsAnsweredWithTheTerm`); 3081 — the one candidate that could win stayed below
    /// a voter's term that nobody told it (`staleTerm` in ValidationTests); 9437 — the liveness
    /// phase kept the `timing` fault's per-node timeouts, and without pre-vote the node with the
    /// freshest log and the longest timeouts lost every race (`endTimingSkew` in ExplorerLiveness).
    /// Their schedules change whenever the generator does.
    @Test(arguments: [(890, 3), (1209, 3), (1728, 3), (2465, 3), (3081, 3), (7197, 5), (9437, 5)] as [(UInt64, Int)])
    func seedsThatOnceFailedStayClean(seed: UInt64, nodes: Int) {
        let options = Self.options(nodes: nodes, steps: 5000)
        let result = Explorer.run(seed: seed, options: options)
        #expect(result.violation == nil, "\(Self.describe(result, options))")
    }

    @Test func runsMakeProgress() {
        let result = Explorer.run(seed: 3, options: Self.options(steps: 1500))
        #expect(result.maxCommit > 5, "the explorer should commit entries (got \(result.maxCommit))")
        #expect(result.maxTerm > 1)
        #expect(result.stats.acknowledged > 0)
        #expect(result.stats.livenessRounds > 0)
    }

    /// raftd's read rounds (`Config.readRoundsAskQuorumOnly`) under every safe fault: reads are
    /// answered, every answer agrees with the committed history, the liveness phase passes; and
    /// the replay script turns the setting on, so a failing run replays as it ran.
    @Test func readRoundsToAQuorumRunClean() {
        var options = Self.options(nodes: 3, steps: 1200)
        options.readQuorum = true
        var reads = 0
        for seed in 1...12 as ClosedRange<UInt64> {
            let result = Explorer.run(seed: seed, options: options)
            #expect(result.violation == nil, "\(Self.describe(result, options))")
            reads += result.stats.reads
            #expect(Explorer.script(for: result, options: options).contains("set read-quorum on"))
        }
        #expect(reads > 50, "reads were answered (\(reads))")
        options.readQuorum = false
        #expect(!Explorer.script(for: Explorer.run(seed: 1, options: options), options: options).contains("set read-quorum on"))
    }

    @Test func sameSeedSameRun() {
        let options = Self.options(steps: 600)
        let a = Explorer.run(seed: 21, options: options)
        let b = Explorer.run(seed: 21, options: options)
        #expect(Explorer.script(for: a, options: options) == Explorer.script(for: b, options: options))
        #expect(a.stats == b.stats)
        var unsafe = options
        unsafe.allowSyncOff = true
        let c = Explorer.shrink(Explorer.run(seed: 1, options: unsafe), options: unsafe)
        let d = Explorer.shrink(Explorer.run(seed: 1, options: unsafe), options: unsafe)
        #expect(c.violation != nil)
        #expect(c.script == d.script)
    }

    @Test func faultListsParse() throws {
        #expect(try Fault.parseList("all").get() == Fault.safe)
        #expect(try Fault.parseList("drop,reorder").get() == [.reorder, .drop])
        #expect(try Fault.parseList("all,sync-off,local-reads,old-disk").get() == Fault.allCases)
        #expect(try Fault.parseList("all,sync-off").get() == Fault.safe + [.syncOff])
        #expect(try Fault.parseList("none").get() == [])
        #expect(try Fault.parseList("all,-membership,-compaction").get() == Fault.safe.filter { $0 != .membership && $0 != .compaction })
        #expect(try Fault.parseList("drop,-drop").get() == [])
        if case .success = Fault.parseList("all,-frobnicate") { Issue.record("an unknown fault was accepted after -") }
        if case .success = Fault.parseList("drop,frobnicate") { Issue.record("an unknown fault was accepted") }
    }

    @Test func faultsNotNamedAreNotInjected() {
        var options = Self.options(steps: 800)
        options.faults = [.proposals]
        let result = Explorer.run(seed: 5, options: options)
        #expect(result.violation == nil)
        #expect(result.stats.faults == 0)
        let script = Explorer.script(for: result, options: options)
        let schedule = script.prefix { !$0.hasPrefix("# liveness") }
        #expect(schedule.count < script.count, "the liveness phase is missing")
        for line in schedule {
            for word in ["crash", "drop", "duplicate", "partition", "campaign", "transfer", "read ", "add ", "remove ", "promote ", "compact "] {
                #expect(!line.hasPrefix(word), "'\(line)' with faults = proposals")
            }
        }
    }

    /// Mutation check: each unsafe knob, acknowledging before sync, and answering reads without
    /// ReadIndex (caught as Linearizable Reads: a new leader answers before it knows what is
    /// committed) are caught within a bounded
    /// number of seeds; the shortened script replays to the same violation in the REPL.
    ///
    /// vote-without-log-check and sync-off are searched from seed 1 with every fault, local-reads from 60. The other
    /// two rules only matter in rarer schedules, so their searches start in a window found by a
    /// longer search (`make explore-mutants` runs those searches), and they leave out membership
    /// changes and compaction, which shrink clusters and fold the offending entries into
    /// snapshots: with them, commit-old-terms was found in 0 of 2,000 seeds; without them:
    /// - ignore-stale-term, 3 nodes, 1500 steps: about 1 run in 400 (`raftstep explore --seeds
    ///   1..1000 --steps 1500 --unsafe ignore-stale-term --faults all,-membership,-compaction`
    ///   finds 414 and 824 since the node and disk faults joined the schedules); the test starts at 380.
    /// - commit-old-terms needs a new leader without an entry of its own term, so the leader's
    ///   no-op is off (the explorer draws it per run; here it is fixed): 3 nodes, 1500 steps,
    ///   rare (since the node and disk faults joined the schedules, `raftstep explore --mutants` finds
    ///   seed 1869 first); the test starts at 1850.
    @Test(arguments: ["vote-without-log-check", "ignore-stale-term", "commit-old-terms", "sync-off", "local-reads"])
    func mutationIsCaughtAndTheShortScriptReplays(mutation: String) {
        var options = Self.options(steps: 1500)
        var first: UInt64 = 1
        if mutation == "sync-off" {
            options.allowSyncOff = true
        } else if mutation == "local-reads" {
            options.faults.append(.localReads)
            // About 1 run in 30 since the network and time faults joined the schedules (`raftstep
            // explore --seeds 1..600 --steps 1500 --faults all,local-reads`: 20 runs, seed 62 first).
            first = 60
        } else {
            _ = options.enableKnob(named: mutation)
        }
        if mutation == "ignore-stale-term" || mutation == "commit-old-terms" {
            // The windows were measured before the network and time faults, which change every schedule.
            options.faults = Fault.safe.filter { $0 != .membership && $0 != .compaction && !Fault.networkAndTime.contains($0) }
            options.nodes = 3
            first = 380
        }
        if mutation == "commit-old-terms" {
            options.leaderNoop = false
            first = 1850
        }
        var found: Explorer.Result?
        let bound: UInt64 = 60
        for seed in first..<(first + bound) {
            let result = Explorer.run(seed: seed, options: options)
            if result.violation != nil { found = result; break }
        }
        guard let found, let violation = found.violation else {
            Issue.record("no violation with \(mutation) in \(bound) seeds")
            return
        }
        let short = Explorer.shrink(found, options: options)
        #expect(short.violation?.invariant == violation.invariant)
        #expect(short.steps <= found.steps)
        let transcript = Support.transcript(of: short.script, repl: false, name: "explore-\(found.seed)")
        #expect(transcript.code == 1, "\(mutation), seed \(found.seed): the script did not fail\n\(short.script.joined(separator: "\n"))")
        if !["Liveness", "Acknowledged Write Lost"].contains(violation.invariant) {
            #expect(
                transcript.text.contains("INVARIANT VIOLATED — \(violation.invariant)"),
                "\(mutation), seed \(found.seed) did not replay to \(violation)\n\(transcript.text)")
        }
    }

    /// A liveness failure is reported like a violation, and its script fails where the REPL can
    /// see it (here: two tick rounds are too few to elect anyone).
    @Test func livenessFailureIsReportedAndItsScriptFails() {
        var options = Self.options(nodes: 3, steps: 200)
        options.livenessRounds = 2
        let result = Explorer.run(seed: 1, options: options)
        #expect(result.violation?.invariant == "Liveness", "\(String(describing: result.violation))")
        let short = Explorer.shrink(result, options: options)
        #expect(short.steps == 0, "no fault is needed for this one")
        let transcript = Support.transcript(of: short.script, repl: false, name: "liveness")
        #expect(transcript.code == 1)
        #expect(transcript.text.contains("expect failed: n1 is follower, expected leader"), "\(transcript.text)")
    }

    /// The client-visible check has teeth of its own: an acknowledged write that a member's disk
    /// no longer holds (here n3's log is rewritten by hand so index 2 has another term) is reported
    /// as Acknowledged Write Lost while the checker has nothing to say yet (n3 committed nothing).
    @Test func lostAcknowledgedWriteIsReported() throws {
        var options = ClusterOptions()
        options.seed = 4
        let cluster = try Cluster(options: options)
        cluster.isNarrating = false
        var driver = Explorer.Driver(cluster: cluster, record: false)
        func settle() { while !cluster.inFlight.isEmpty { _ = driver.apply(.stabilize) } }
        let campaigned = driver.apply(.campaign(1))
        settle()
        let proposed = driver.apply(.propose(key: 1, value: 7))
        settle()
        #expect(campaigned && proposed)
        #expect(driver.stats.acknowledged == 1)
        driver.checkAcknowledgedWrites()
        #expect(driver.failure == nil, "nothing is lost yet")
        _ = try cluster.crash(3)
        _ = try cluster.setLog(3, terms: [1, 2], hardTerm: nil)
        _ = try cluster.restart(3)
        #expect(cluster.violations.isEmpty)
        driver.checkAcknowledgedWrites()
        #expect(driver.failure?.invariant == "Acknowledged Write Lost")
        #expect(
            driver.failure?.evidence.contains("index 2 in term 1 is gone: n3 holds term 2 there") == true, "\(String(describing: driver.failure))")
    }

    /// The read check's value comparison: a value that the committed history does not hold at the
    /// answering node's applied index is reported (here the answer is forged after the fact).
    @Test func readAnsweredWithAValueTheHistoryDoesNotHoldIsReported() throws {
        let cluster = try Cluster(options: ClusterOptions())
        cluster.isNarrating = false
        _ = try cluster.campaign(1)
        _ = try cluster.stabilize(limit: 1000)
        _ = try cluster.propose("set k1 7", on: 1)
        _ = try cluster.stabilize(limit: 1000)
        _ = try cluster.read("k1", on: 1)
        _ = try cluster.stabilize(limit: 1000)
        #expect(cluster.violations.isEmpty)
        #expect(cluster.servedReads.last?.value == "7")
        cluster.recordServedReadForTesting(node: 1, key: "k1", value: "8")
        _ = try cluster.tick([], count: 1)
        #expect(cluster.violations.first?.invariant == "Linearizable Reads", "\(cluster.violations)")
        #expect(cluster.violations.first?.evidence.contains("k1=8, but the committed history holds k1=7") == true)
    }

    /// With the knobs off, the same settings that expose them find nothing.
    @Test func knobsAreOffByDefault() {
        let options = Explorer.Options()
        #expect(options.unsafe.isEmpty)
        #expect(!options.allowSyncOff)
        #expect(!options.faults.contains(.syncOff))
    }
}
