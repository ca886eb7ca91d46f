import Foundation
import RaftCore
@testable import RaftSim
import Testing

/// Issue 18 §4: every test-only mutation of the core is caught by a bounded explorer campaign,
/// as the property it breaks; and the seed that catches it runs clean without the mutation.
@Suite struct ExplorerMutationTests {
    /// A survey for the docs (RAFTSTEP_MUTANTS=1): each mutation's first catching seed.
    @Test func survey() {
        guard ProcessInfo.processInfo.environment["RAFTSTEP_MUTANTS"] != nil else { return }
        for mutant in Explorer.mutants {
            let start = Date()
            let found = Explorer.hunt(mutant)
            print("MUTANT \(mutant.name): \(found.map { "seed \($0.seed): \($0.violation)" } ?? "NOT CAUGHT") (\(Int(Date().timeIntervalSince(start)))s)")
        }
    }
}
