import Foundation
import RaftCore
@testable import RaftSim
import Testing

/// Issue 18 §4: every test-only mutation of the core is caught by a bounded explorer campaign,
/// as a property the bug breaks; and the seed that catches it runs clean without the mutation.
@Suite struct ExplorerMutationTests {
    /// The first catching seed of each mutation's campaign (`RAFTSTEP_MUTANTS=1` re-measures them;
    /// docs/mutation-score.md). The test starts there, so the suite stays fast.
    static let firstSeeds: [String: UInt64] = [
        "commit-old-terms": 1869, "apply-beyond-commit": 1, "count-learner-acks": 57, "no-timer-reset-on-append": 1,
        "self-vote-not-persisted": 1, "drop-proposal-data": 1, "rewrite-proposal-data": 1,
    ]

    @Test func everyMutationHasACampaign() {
        #expect(Explorer.mutants.map(\.name) == UnsafeKnobs.testOnlyMutations.map(\.name))
        #expect(Set(Self.firstSeeds.keys) == Set(Explorer.mutants.map(\.name)))
    }

    @Test(arguments: Explorer.mutants)
    func mutationIsCaught(_ mutant: Explorer.Mutant) {
        let first = Self.firstSeeds[mutant.name]!
        guard let (seed, violation) = Explorer.hunt(mutant, seeds: first...(first + 2)) else {
            Issue.record("\(mutant.name): not caught from seed \(first)")
            return
        }
        #expect(mutant.expected.contains(violation.invariant), "\(mutant.name), seed \(seed): \(violation)")
        var clean = mutant.options
        clean.unsafe = []
        let without = Explorer.run(seed: seed, options: clean)
        #expect(without.violation == nil, "\(mutant.name), seed \(seed) without the mutation: \(String(describing: without.violation))")
    }

    /// A survey for the docs (RAFTSTEP_MUTANTS=1): each mutation's first catching seed.
    @Test func survey() {
        guard ProcessInfo.processInfo.environment["RAFTSTEP_MUTANTS"] != nil else { return }
        for mutant in Explorer.mutants {
            let start = Date()
            let found = Explorer.hunt(mutant)
            print(
                "MUTANT \(mutant.name): \(found.map { "seed \($0.seed): \($0.violation)" } ?? "NOT CAUGHT") (\(Int(Date().timeIntervalSince(start)))s)"
            )
        }
    }
}
