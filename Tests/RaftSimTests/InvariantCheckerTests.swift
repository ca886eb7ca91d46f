import RaftCore
import RaftSim
import Testing
@testable import RaftStepCLI

/// The checker must catch each unsafe knob, and must stay quiet on safe runs.
@Suite struct InvariantCheckerTests {
    static func runScript(_ name: String) throws -> Session {
        let lines = try Support.lines(ofScript: Support.scriptsDirectory.appendingPathComponent(name))
        let session = Support.session()
        for line in lines {
            let result = session.execute(line)
            #expect(result.status != .error && result.status != .expectationFailed, "\(name): '\(line)': \(result.lines)")
        }
        return session
    }

    @Test func commitOldTermsIsCaughtInFigure8() throws {
        let session = try Self.runScript("figure8-commit-old-terms.txt")
        let names = session.cluster.violations.map(\.invariant)
        #expect(names.contains("Leader Completeness"))
        #expect(names.contains("State Machine Safety"))
        let evidence = session.cluster.violations.first { $0.invariant == "Leader Completeness" }?.evidence ?? ""
        #expect(evidence.contains("n5") && evidence.contains("entry 2") && evidence.contains("term 4"), "\(evidence)")
    }

    @Test func theSameScheduleWithTheRealRuleIsSafe() throws {
        let session = try Self.runScript("figure8-safe.txt")
        #expect(session.cluster.violations.isEmpty, "\(session.cluster.violations)")
    }

    @Test func voteWithoutLogCheckIsCaught() throws {
        let session = try Self.runScript("vote-without-log-check.txt")
        #expect(session.cluster.violations.map(\.invariant).contains("Leader Completeness"))
    }

    @Test func voteWithoutLogCheckOffRefusesTheStaleCandidate() {
        let session = Support.session()
        Support.run(
            session,
            [
                "set prevote off", "set checkquorum off", "campaign n1", "stabilize",
                "partition n1 n2 | n3", "propose set x 1", "stabilize", "crash n1", "heal",
                "campaign n3", "stabilize",
            ])
        #expect(session.cluster.leader == nil)
        #expect(session.cluster.violations.isEmpty)
    }

    @Test func lostVoteAfterUnsyncedCrashIsCaught() throws {
        let session = try Self.runScript("sync-off-double-vote.txt")
        let names = session.cluster.violations.map(\.invariant)
        #expect(names.contains("Vote Uniqueness"))
        #expect(names.contains("Election Safety"))
        #expect(names.contains("Term Monotonicity"))
    }

    @Test(arguments: [true, false])
    func ignoreStaleTermIsCaught(knob: Bool) {
        // n1 leads term 1 and proposes entry 2 just as it is cut off; n3 wins term 2 and commits
        // its own entry 2 with n2 (n2 never hears the commit). When the partition heals, n1's
        // stale append reaches n2: with the knob n2 takes it, overwriting the committed entry, and
        // later wins term 3 without it.
        let session = Support.session()
        let lines = [
            "set prevote off", "set checkquorum off", "set leader-noop off",
            "set unsafe ignore-stale-term \(knob ? "on" : "off")", "set on-violation continue",
            "campaign n1", "stabilize", "propose set a 1", "stabilize",
            "partition n1 | n2 n3", "propose n1 set stale 1",
            "campaign n3", "deliver n3->n2", "deliver n2->n3",
            "propose n3 set fresh 2", "deliver n3->n2", "deliver n2->n3", "expect commit n3 2",
            "heal", "deliver n1->n2", "drop all", "crash n3",
            "campaign n2", "deliver n2->n1", "deliver n1->n2",
        ]
        for line in lines {
            let result = session.execute(line)
            #expect(result.status != .error && result.status != .expectationFailed, "'\(line)': \(result.lines)")
        }
        if knob {
            #expect(session.cluster.leader == 2)
            #expect(session.cluster.violations.map(\.invariant).contains("Leader Completeness"), "\(session.cluster.violations)")
        } else {
            // n2 refused the stale append and kept the committed entry, so its win is safe.
            #expect(session.cluster.leader == 2)
            #expect(session.cluster.node(2)?.entries.map(\.term) == [1, 2])
            #expect(session.cluster.violations.isEmpty, "\(session.cluster.violations)")
        }
    }

    @Test func staleReadIsCaught() {
        // setlog rewrites history behind the cluster's back: n2 and n3 forget entries 2 and 3,
        // which n1 had committed. n2 then leads with a shorter log, and a read it confirms at its
        // own commit index misses writes committed before the read began.
        let session = Support.session()
        let lines = [
            "set prevote off", "set on-violation continue", "campaign n1", "stabilize",
            "propose set x 1", "propose set x 2", "stabilize", "expect commit all 3",
            "crash n2", "crash n3", "setlog n2 1", "setlog n3 1", "restart n2", "restart n3",
            "crash n1", "campaign n2", "stabilize", "expect leader n2",
            "read x", "stabilize",
        ]
        for line in lines {
            let result = session.execute(line)
            #expect(result.status != .error && result.status != .expectationFailed, "'\(line)': \(result.lines)")
        }
        let reads = session.cluster.violations.filter { $0.invariant == "Linearizable Reads" }
        #expect(reads.count == 1, "\(session.cluster.violations)")
        #expect(reads.first?.evidence.contains("index 3 was committed before the read was asked") == true, "\(reads)")
        #expect(session.cluster.servedReads.last?.value == nil, "the stale read answers x=(absent)")
    }

    @Test(arguments: [11, 12, 13, 14] as [UInt64])
    func randomSafeSchedulesHaveNoViolations(seed: UInt64) {
        // An explorer in miniature: random deliveries, drops, ticks, crashes, restarts and
        // partitions with every knob off. Any violation is a bug in the core or the checker.
        var rng = SeededGenerator(seed: seed)
        let session = Support.session(nodes: 5, seed: seed)
        var script: [String] = ["reset nodes=5 seed=\(seed)"]
        for _ in 0..<600 {
            let roll = rng.next(below: 100)
            let node = "n\(1 + rng.next(below: 5))"
            let line: String
            switch roll {
            case 0..<40: line = "deliver"
            case 40..<48: line = "drop"
            case 48..<65: line = "tick"
            case 65..<75: line = "propose set k\(rng.next(below: 5)) \(rng.next(below: 100))"
            case 75..<80: line = "crash \(node)"
            case 80..<86: line = "restart \(node)"
            case 86..<89: line = "partition \(node) | n\(1 + rng.next(below: 5))"
            case 89..<92: line = "heal"
            case 92..<95: line = "set sync \(node) \(rng.next(below: 2) == 0 ? "on" : "on")"
            default: line = "stabilize 50"
            }
            let result = session.execute(line)
            if result.status != .error { script.append(line) }
            if !session.cluster.violations.isEmpty {
                Issue.record("seed \(seed): \(session.cluster.violations) — replay:\n\(script.joined(separator: "\n"))")
                return
            }
        }
        #expect(session.cluster.stepCount > 300)
    }
}
