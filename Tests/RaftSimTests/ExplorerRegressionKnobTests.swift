import Foundation
import RaftCore
@testable import RaftSim
import Testing

/// Issue 15 §6: the explorer finds each bug of issue 15 by itself. Each test-only knob brings one
/// back; a bounded run of seeds must fail with the violation that bug causes. (The knobs cannot be
/// named in a script, so the failing run is not replayed through the REPL here.)
@Suite struct ExplorerRegressionKnobTests {
    struct Case: Sendable, CustomStringConvertible {
        var knob: UnsafeKnobs
        var name: String
        var nodes: Int
        var steps: Int
        var leaderNoop: Bool?
        var checkQuorum: Bool?
        var first: UInt64
        var bound: UInt64
        /// The violations the bug may show as.
        var expected: [String]
        var description: String { name }

        var options: Explorer.Options {
            var options = Explorer.Options()
            options.nodes = nodes
            options.steps = steps
            options.unsafe = knob
            options.leaderNoop = leaderNoop
            options.checkQuorum = checkQuorum
            return options
        }
    }

    /// Rates over seeds 1...40 (survey below): config-entry-by-index-only 16/40 (first at seed 2,
    /// as Configuration In Effect), read-context-first-round-only 17/40 (seed 1),
    /// added-member-inactive 39/40 (seed 1), no-auto-leave-joint 18/40 (seed 6); clean 0/40.
    static let cases: [Case] = [
        Case(
            knob: .configEntryByIndexOnly, name: "config-entry-by-index-only", nodes: 5, steps: 1500, first: 1, bound: 15,
            expected: ["Configuration In Effect", "Commit Quorum", "Election Quorum"]),
        Case(
            knob: .readContextFirstRoundOnly, name: "read-context-first-round-only", nodes: 5, steps: 1500, first: 1, bound: 15,
            expected: ["Liveness"]),
        Case(
            knob: .addedMemberInactive, name: "added-member-inactive", nodes: 5, steps: 300, checkQuorum: true, first: 1, bound: 10,
            expected: ["Liveness"]),
        Case(
            knob: .noAutoLeaveJoint, name: "no-auto-leave-joint", nodes: 5, steps: 1500, leaderNoop: false, first: 1, bound: 15,
            expected: ["Liveness"]),
    ]

    @Test(arguments: cases)
    func explorerCatchesRegression(_ c: Case) {
        let options = c.options
        var found: Explorer.Result?
        for seed in c.first..<(c.first + c.bound) {
            let result = Explorer.run(seed: seed, options: options)
            if result.violation != nil { found = result; break }
        }
        guard let found, let violation = found.violation else {
            Issue.record("\(c.name): no violation in seeds \(c.first)..<\(c.first + c.bound)")
            return
        }
        #expect(c.expected.contains(violation.invariant), "\(c.name), seed \(found.seed): \(violation)")
        // The same seeds without the knob stay clean (the knob, not the schedule, is what fails).
        var clean = options
        clean.unsafe = []
        let without = Explorer.run(seed: found.seed, options: clean)
        #expect(without.violation == nil, "\(c.name), seed \(found.seed) without the knob: \(String(describing: without.violation))")
    }

    /// A survey for the report (RAFTSTEP_SURVEY=N): the seeds in 1...N each knob is caught at.
    @Test func survey() {
        guard let text = ProcessInfo.processInfo.environment["RAFTSTEP_SURVEY"], let count = UInt64(text) else { return }
        var clean = Self.cases[0]
        clean.knob = []
        clean.name = "clean"
        for c in [clean] + Self.cases {
            var caught: [String] = []
            for seed in 1...count {
                if let v = Explorer.run(seed: seed, options: c.options).violation { caught.append("\(seed):\(v)") }
            }
            print("SURVEY \(c.name): \(caught.count)/\(count) \(caught.prefix(3).joined(separator: " || "))")
        }
    }
}
