import Dispatch
import RaftSim
import Synchronization

/// `explore --jobs N`: the seeds shared out among N threads. A run is single-threaded and
/// depends only on its seed and the options, so which thread ran it changes nothing; the counts
/// are sums and a maximum, and the failures are put back in seed order before anything is
/// printed, so the summary and the failures are exactly a one-thread run's (only the elapsed time
/// differs).
enum ExploreJobs {
    /// A failing seed's run (without its actions) and the script to report.
    struct Failure: Sendable {
        var result: Explorer.Result
        var final: Explorer.Result
    }

    /// Runs every seed of `seeds` on `jobs` threads (seed k of the range goes to thread k mod
    /// jobs, so slow stretches of seeds are shared); calls `progress` on the calling thread about
    /// four times a second with the seeds done and the events simulated so far. Each thread counts
    /// its runs into its own copy of the empty `summary` (sums and a maximum: the order does not matter) and
    /// keeps only its failing runs, so memory does not grow with the number of seeds. Returns the
    /// counts and the failures in seed order.
    static func run(
        seeds: ClosedRange<UInt64>, jobs: Int, options: Explorer.Options, shrink: Bool, summary: ExploreSummary,
        progress: (_ seedsDone: Int, _ events: Int) -> Void
    ) -> (counts: ExploreSummary, failures: [Failure]) {
        precondition(jobs >= 1, "at least one job")
        precondition(summary.seedsRun == 0 && summary.failures.isEmpty, "an empty summary to count into")
        let collected = Mutex<(counts: ExploreSummary, failures: [Failure])>((summary, []))
        let seedsDone = Atomic<Int>(0)
        let events = Atomic<Int>(0)
        let group = DispatchGroup()
        for job in 0..<jobs {
            DispatchQueue.global().async(group: group) {
                var part = summary
                var failures: [Failure] = []
                var seed = seeds.lowerBound + UInt64(job)
                while seed <= seeds.upperBound {
                    let result = Explorer.run(seed: seed, options: options)
                    part.add(result)
                    if result.violation != nil {
                        let final = shrink ? Explorer.shrink(result, options: options) : Explorer.fullScript(result, options: options)
                        failures.append(Failure(result: result.withoutActions, final: final.withoutActions))
                    }
                    seedsDone.add(1, ordering: .relaxed)
                    events.add(result.stats.events, ordering: .relaxed)
                    // Stop before overflowing past the top of the range (seeds may end at UInt64.max).
                    let (next, overflow) = seed.addingReportingOverflow(UInt64(jobs))
                    if overflow { break }
                    seed = next
                }
                collected.withLock {
                    $0.counts.absorb(part)
                    $0.failures += failures
                }
            }
        }
        while group.wait(timeout: .now() + .milliseconds(250)) == .timedOut {
            progress(seedsDone.load(ordering: .relaxed), events.load(ordering: .relaxed))
        }
        var outcome = collected.withLock { $0 }
        outcome.failures.sort { $0.result.seed < $1.result.seed }
        assert(outcome.counts.seedsRun == seeds.upperBound - seeds.lowerBound + 1, "every seed ran once")
        return outcome
    }
}
