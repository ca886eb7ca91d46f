import RaftSim
import Testing
@testable import RaftStepCLI

/// The randomized explorer: safe runs stay clean; a broken rule is found, and the recorded script
/// replays through the REPL to the same violation.
@Suite struct ExplorerTests {
    static func options(steps: Int, knob: String? = nil) -> Explorer.Options {
        var options = Explorer.Options()
        options.nodes = 5
        options.steps = steps
        if let knob { _ = options.enableKnob(named: knob) }
        return options
    }

    @Test func safeRunsFindNothing() {
        for seed in 1...16 as ClosedRange<UInt64> {
            let result = Explorer.run(seed: seed, options: Self.options(steps: 800))
            #expect(result.violation == nil, "seed \(seed): \(result.violation.map(String.init(describing:)) ?? "")\n\(result.script.joined(separator: "\n"))")
            #expect(result.steps > 300)
        }
    }

    @Test func runsMakeProgress() {
        let result = Explorer.run(seed: 3, options: Self.options(steps: 1500))
        #expect(result.maxCommit > 5, "the explorer should commit entries (got \(result.maxCommit))")
        #expect(result.maxTerm > 1)
    }

    @Test func voteWithoutLogCheckIsFoundAndTheScriptReplays() {
        var found: Explorer.Result?
        for seed in 1...10 as ClosedRange<UInt64> {
            let result = Explorer.run(seed: seed, options: Self.options(steps: 1000, knob: "vote-without-log-check"))
            if result.violation != nil { found = result; break }
        }
        guard let found, let violation = found.violation else {
            Issue.record("no violation with vote-without-log-check in 10 seeds")
            return
        }
        let transcript = Support.transcript(of: found.script, repl: false, name: "explore-\(found.seed)")
        #expect(transcript.code == 1)
        #expect(transcript.text.contains("INVARIANT VIOLATED — \(violation)"), "seed \(found.seed) did not replay to \(violation)")
    }

    @Test func sameSeedSameRun() {
        let a = Explorer.run(seed: 21, options: Self.options(steps: 600))
        let b = Explorer.run(seed: 21, options: Self.options(steps: 600))
        #expect(a.script == b.script)
    }
}
