import RaftCore
@testable import RaftSim
import Testing

/// The explorer's node and disk faults (issue 18 §3): power cuts inside writes, whole-cluster
/// crashes and joint steps of two voters stay clean; the unsafe `old-disk` fault is caught and
/// its shortened script replays to the same violation in the REPL.
@Suite struct ExplorerNodeFaultTests {
    static func options(steps: Int, faults: [Fault] = Fault.safe) -> Explorer.Options {
        var options = Explorer.Options()
        options.nodes = 5
        options.steps = steps
        options.faults = faults
        options.pageCrashes = true
        return options
    }

    static func count(_ result: Explorer.Result, _ matches: (Explorer.NodeFault) -> Bool) -> Int {
        result.actions.filter { if case .node(let fault) = $0 { matches(fault) } else { false } }.count
    }

    /// The cuts of a script that fired inside the write: `crash nX after K` not followed, after
    /// its trigger, by a plain `crash nX` (which the driver adds when the write finished first).
    static func firedCuts(_ script: [String]) -> Int {
        var fired = 0
        for (i, line) in script.enumerated() {
            let words = line.split(separator: " ")
            guard words.count == 4, words[0] == "crash", words[2] == "after" else { continue }
            let plain = "crash \(words[1])"
            if !script[(i + 1)..<min(script.count, i + 3)].contains(plain) { fired += 1 }
        }
        return fired
    }

    @Test func powerCutsLandInsideWritesAndRunsStayClean() {
        let options = Self.options(steps: 1500)
        var cuts = 0
        var fired = 0
        var wholeCluster = 0
        for seed in 1...6 as ClosedRange<UInt64> {
            let result = Explorer.run(seed: seed, options: options)
            #expect(result.violation == nil, "seed \(seed): \(result.violation.map(String.init(describing:)) ?? "")")
            cuts += Self.count(result) { if case .crashInWrite = $0 { true } else { false } }
            wholeCluster += Self.count(result) { if case .crashAll = $0 { true } else { false } }
            if seed <= 3 { fired += Self.firedCuts(Explorer.script(for: result, options: options)) }
        }
        #expect(cuts > 30, "power cuts belong in the schedules (got \(cuts))")
        #expect(fired > 8, "some cuts should fire inside the write (got \(fired) in 3 runs)")
        #expect(wholeCluster > 3, "whole-cluster crashes belong in the schedules (got \(wholeCluster))")
    }

    @Test func jointStepsOfTwoVotersStayClean() {
        let options = Self.options(steps: 2000, faults: [.proposals, .elections, .membership, .crash, .reorder])
        var joint = 0
        var scripted = 0
        for seed in 1...8 as ClosedRange<UInt64> {
            let result = Explorer.run(seed: seed, options: options)
            #expect(result.violation == nil, "seed \(seed): \(result.violation.map(String.init(describing:)) ?? "")")
            let steps = Self.count(result) { if case .jointChange = $0 { true } else { false } }
            joint += steps
            if steps > 0 && scripted == 0 {
                let script = Explorer.script(for: result, options: options)
                scripted =
                    script.filter { line in
                        let words = line.split(separator: " ")
                        return (words.first == "add" || words.first == "remove") && words.count == 3
                    }.count
            }
        }
        #expect(joint > 3, "joint steps of two voters belong in membership runs (got \(joint))")
        #expect(scripted > 0, "the script spells them as one command of two nodes")
    }

    /// Restarting from a backup is caught within a few seeds, and the shortened script replays
    /// to the same violation in the REPL.
    @Test func oldDiskIsCaughtAndTheShortScriptReplays() {
        var options = Self.options(steps: 800, faults: Fault.safe + [.oldDisk])
        options.shrinkBudget = 200
        var found: Explorer.Result?
        for seed in 1...10 as ClosedRange<UInt64> {
            let result = Explorer.run(seed: seed, options: options)
            if result.violation != nil { found = result; break }
        }
        guard let found, let violation = found.violation else {
            Issue.record("no violation with old-disk in 10 seeds")
            return
        }
        #expect(Self.count(found) { if case .restoreOld = $0 { true } else { false } } > 0)
        let short = Explorer.shrink(found, options: options)
        #expect(short.violation?.invariant == violation.invariant)
        #expect(short.script.contains { $0.hasPrefix("restore ") }, "the short script restores a backup\n\(short.script.joined(separator: "\n"))")
        let transcript = Support.transcript(of: short.script, repl: false, name: "old-disk-\(found.seed)")
        #expect(transcript.code == 1, "seed \(found.seed): the script did not fail\n\(short.script.joined(separator: "\n"))")
        #expect(
            transcript.text.contains("INVARIANT VIOLATED — \(violation.invariant)"),
            "seed \(found.seed) did not replay to \(violation)\n\(transcript.text)")
    }

    @Test func oldDiskIsUnsafeAndOffUnlessNamed() throws {
        #expect(Fault.oldDisk.isUnsafe)
        #expect(!Fault.safe.contains(.oldDisk))
        #expect(try Fault.parseList("all").get() == Fault.safe)
        #expect(try Fault.parseList("all,old-disk").get().contains(.oldDisk))
    }
}
