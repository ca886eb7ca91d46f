import Dispatch
import RaftSim
import Synchronization

/// `explore --jobs N`: the seeds shared out among N threads. A run is single-threaded and
/// depends only on its seed and the options, so which thread ran it changes nothing; the results
/// are put back in seed order before anything is printed, so the summary and the failures are
/// exactly a one-thread run's (only the elapsed time differs).
enum ExploreJobs {
    /// One seed's run and, when it failed, the script to report (shortened unless told not to).
    struct Outcome: Sendable {
        var result: Explorer.Result
        var final: Explorer.Result?
    }

    /// Runs every seed of `seeds` on `jobs` threads (seed k of the range goes to thread k mod
    /// jobs, so slow stretches of seeds are shared); calls `progress` on the calling thread about
    /// four times a second with the seeds done and the events simulated so far. Returns the
    /// outcomes in seed order.
    static func run(
        seeds: ClosedRange<UInt64>, jobs: Int, options: Explorer.Options, shrink: Bool,
        progress: (_ seedsDone: Int, _ events: Int) -> Void
    ) -> [Outcome] {
        precondition(jobs >= 1, "at least one job")
        let collected = Mutex<[Outcome]>([])
        let seedsDone = Atomic<Int>(0)
        let events = Atomic<Int>(0)
        let group = DispatchGroup()
        for job in 0..<jobs {
            DispatchQueue.global().async(group: group) {
                var mine: [Outcome] = []
                var seed = seeds.lowerBound + UInt64(job)
                while seed <= seeds.upperBound {
                    let result = Explorer.run(seed: seed, options: options)
                    var final: Explorer.Result?
                    if result.violation != nil {
                        final = shrink ? Explorer.shrink(result, options: options) : Explorer.fullScript(result, options: options)
                    }
                    mine.append(Outcome(result: result, final: final))
                    seedsDone.add(1, ordering: .relaxed)
                    events.add(result.stats.events, ordering: .relaxed)
                    // Stop before overflowing past the top of the range (seeds may end at UInt64.max).
                    let (next, overflow) = seed.addingReportingOverflow(UInt64(jobs))
                    if overflow { break }
                    seed = next
                }
                collected.withLock { $0 += mine }
            }
        }
        while group.wait(timeout: .now() + .milliseconds(250)) == .timedOut {
            progress(seedsDone.load(ordering: .relaxed), events.load(ordering: .relaxed))
        }
        let outcomes = collected.withLock { $0 }.sorted { $0.result.seed < $1.result.seed }
        assert(UInt64(outcomes.count) == seeds.upperBound - seeds.lowerBound + 1, "every seed ran once")
        return outcomes
    }
}
