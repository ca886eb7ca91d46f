import Testing
@testable import LinCheck

/// Small histories whose verdict can be worked out by hand.
@Suite("Checker: hand-checked histories")
struct CheckerTests {
    @Test("a read after a completed write must see it; a concurrent read may see either value")
    func readAfterWrite() {
        #expect(verdict([op(1, "write", "1", 0, 10), op(2, "read", "1", 20, 30)].joined(separator: "\n"))?.isLinearizable == true)
        #expect(verdict([op(1, "write", "1", 0, 10), op(2, "read", "null", 20, 30)].joined(separator: "\n"))?.isLinearizable == false)
        for seen in ["null", "1"] {
            #expect(
                verdict([op(1, "write", "1", 0, 30), op(2, "read", seen, 10, 20)].joined(separator: "\n"))?.isLinearizable == true,
                "a read inside the write's interval may see \(seen)")
        }
    }

    @Test("new-then-old: once a read saw the new value, a later read may not see the old one")
    func newThenOld() {
        let history = [
            op(1, "write", "1", 0, 10),
            op(2, "write", "2", 20, 100),  // in flight during both reads
            op(3, "read", "2", 30, 40),
            op(4, "read", "1", 50, 60),
        ].joined(separator: "\n")
        let found = verdict(history)?.violation
        #expect(found != nil)
        #expect(found?.stuck.callLine == 4, "the second read is where every order gets stuck")
        #expect(found?.prefixOperations == 4)
        #expect(found?.concurrent.map(\.callLine) == [2])
        // Swapping the reads' order in time makes it legal (old value first, then new).
        let legal = [
            op(1, "write", "1", 0, 10), op(2, "write", "2", 20, 100),
            op(3, "read", "1", 30, 40), op(4, "read", "2", 50, 60),
        ].joined(separator: "\n")
        #expect(verdict(legal)?.isLinearizable == true)
    }

    @Test("equal timestamps overlap: a read called at the instant a write returns may still see the old value")
    func equalTimestampsOverlap() {
        #expect(verdict([op(1, "write", "1", 0, 100), op(2, "read", "null", 100, 110)].joined(separator: "\n"))?.isLinearizable == true)
        #expect(verdict([op(1, "write", "1", 0, 100), op(2, "read", "null", 101, 110)].joined(separator: "\n"))?.isLinearizable == false)
    }

    @Test("an unknown write may take effect long after its call, or never — but not before its call")
    func unknownOutcome() {
        let late = [
            op(1, "write", "1", 0, nil, result: "unknown"),
            op(2, "read", "null", 100, 110),
            op(2, "read", "1", 200, 210),
        ].joined(separator: "\n")
        #expect(verdict(late)?.isLinearizable == true, "took effect between the reads")
        let never = [op(1, "write", "1", 0, nil, result: "unknown"), op(2, "read", "null", 1000, 1010)].joined(separator: "\n")
        #expect(verdict(never)?.isLinearizable == true, "never took effect")
        let undone = [
            op(1, "write", "1", 0, nil, result: "unknown"),
            op(2, "read", "1", 100, 110),
            op(2, "read", "null", 200, 210),
        ].joined(separator: "\n")
        #expect(verdict(undone)?.isLinearizable == false, "an effect cannot be taken back")
        let early = [op(2, "read", "1", 0, 10), op(1, "write", "1", 20, nil, result: "unknown")].joined(separator: "\n")
        #expect(verdict(early)?.isLinearizable == false, "no effect before the call")
        // A return time given with an unknown result is ignored: the outcome is unknown.
        let ignoredReturn = [op(1, "write", "1", 0, 5, result: "unknown"), op(2, "read", "null", 100, 110)].joined(separator: "\n")
        #expect(verdict(ignoredReturn)?.isLinearizable == true)
    }

    @Test("cas: a failed compare is an observation that the value differed")
    func compareAndSet() {
        let swapped = [op(1, "write", "1", 0, 10), op(2, "cas", "[1,2]", 20, 30), op(3, "read", "2", 40, 50)]
        #expect(verdict(swapped.joined(separator: "\n"))?.isLinearizable == true)
        let failedWhileEqual = [op(1, "write", "1", 0, 10), op(2, "cas", "[1,2]", 20, 30, result: "fail")]
        #expect(verdict(failedWhileEqual.joined(separator: "\n"))?.isLinearizable == false)
        let failedWhileDifferent = [op(1, "write", "3", 0, 10), op(2, "cas", "[1,2]", 20, 30, result: "fail"), op(3, "read", "3", 40, 50)]
        #expect(verdict(failedWhileDifferent.joined(separator: "\n"))?.isLinearizable == true)
        let swapFromNil = [op(2, "cas", "[null,7]", 0, 10), op(3, "read", "7", 40, 50)]
        #expect(verdict(swapFromNil.joined(separator: "\n"))?.isLinearizable == true)
        let unknownSwap = [op(1, "write", "1", 0, 10), op(2, "cas", "[1,2]", 20, nil, result: "unknown"), op(3, "read", "2", 40, 50)]
        #expect(verdict(unknownSwap.joined(separator: "\n"))?.isLinearizable == true)
    }

    @Test("kv counters (raftchaos's n keys): thirty INCRs of unknown outcome are placed by count, and a lost or extra increment fails")
    func counterWithUnknownIncrements() {
        // Thirty timed-out INCRs, then one acknowledged INCR returning 31: exactly thirty took effect.
        let unknown = (1...30).map { op($0, "incr", key: "n0", $0 * 10, nil, result: "unknown") }
        func check(_ tail: [String]) -> Verdict? {
            verdict((unknown + tail).joined(separator: "\n"), model: .kv, maxStates: 20_000)
        }
        #expect(
            check([op(100, "incr", "31", key: "n0", 1000, 1010), op(100, "get", "31", key: "n0", 1020, 1030)])?.isLinearizable == true,
            "found on the first path")
        // The violations need the whole space searched: 2^30 subsets of the timed-out INCRs without the
        // twin pruning (only the earliest called of identical unknown operations is a candidate), 31 with it.
        #expect(
            check([op(100, "incr", "31", key: "n0", 1000, 1010), op(100, "get", "30", key: "n0", 1020, 1030)])?.violation != nil,
            "a read below an acknowledged INCR's result: an increment was lost")
        #expect(
            check([op(100, "incr", "32", key: "n0", 1000, 1010)])?.violation != nil,
            "thirty-one INCRs cannot reach 32")
        #expect(
            check([op(100, "get", "\"x\"", key: "n0", 1000, 1010)])?.violation != nil,
            "only INCR writes a counter, so it never holds text")
    }

    @Test("kv: INCR of a missing key starts at 0, SET of digits is an integer, DEL returns its count")
    func keyValueSemantics() {
        func kv(_ lines: [String]) -> Bool? { verdict(lines.joined(separator: "\n"), model: .kv)?.isLinearizable }
        #expect(kv([op(1, "incr", "1", key: "n", 0, 10), op(1, "incr", "2", key: "n", 20, 30)]) == true)
        #expect(kv([op(1, "incr", "2", key: "n", 0, 10)]) == false)
        #expect(kv([op(1, "set", "\"5\"", key: "n", 0, 10), op(1, "incr", "6", key: "n", 20, 30), op(1, "get", "\"6\"", key: "n", 40, 50)]) == true)
        #expect(
            kv([op(1, "set", "\"x\"", key: "n", 0, 10), op(1, "incr", "1", key: "n", 20, 30)]) == false,
            "INCR of text is an error, so an ok INCR cannot follow")
        #expect(
            kv([
                op(1, "set", "\"x\"", key: "n", 0, 10), op(1, "incr", "null", key: "n", 20, 30, result: "fail"),
                op(1, "get", "\"x\"", key: "n", 40, 50),
            ]) == true, "a failed INCR did not happen")
        #expect(kv([op(1, "del", "0", key: "k", 0, 10)]) == true)
        #expect(kv([op(1, "del", "1", key: "k", 0, 10)]) == false)
        #expect(kv([op(1, "set", "\"a\"", key: "k", 0, 10), op(1, "del", "1", key: "k", 20, 30), op(1, "get", "null", key: "k", 40, 50)]) == true)
        #expect(kv([op(1, "set", "\"a\"", key: "k", 0, 10), op(1, "del", "0", key: "k", 20, 30)]) == false)
        #expect(kv([op(1, "set", "\"a\"", key: "k", 0, 10), op(1, "get", "\"a\"", key: "other", 20, 30)]) == false, "keys are separate")
    }

    @Test("per-key partitioning: the report names the key whose stuck prefix ends first")
    func partitioning() {
        let history = [
            op(1, "set", "1", key: "b", 0, 10),
            op(2, "get", "2", key: "b", 20, 30),  // impossible at 30
            op(1, "set", "1", key: "a", 0, 10),
            op(2, "get", "9", key: "a", 40, 50),  // impossible at 50
            op(3, "set", "1", key: "c", 0, 10),
            op(3, "get", "1", key: "c", 20, 60),
        ].joined(separator: "\n")
        let found = verdict(history, model: .kv)?.violation
        #expect(found?.key == "b")
        #expect(found?.stuck.callLine == 2)
    }

    @Test("a search over the bound is unknown, not a verdict; an operation outside the model is unknown")
    func cutOffAndForeignOperations() {
        var lines: [String] = []
        for client in 0..<12 { lines.append(op(client, "write", String(client), 0, 1000)) }
        lines.append(op(99, "read", "5", 2000, 2010))
        let history = lines.joined(separator: "\n")
        #expect(verdict(history)?.isLinearizable == true)
        guard case .unknown(let why)? = verdict(history, maxStates: 5) else {
            Issue.record("expected a cut-off")
            return
        }
        #expect(why.contains("cut off") && why.contains("--max-states"))
        // The memory bound: room for 5 remembered states of this 13-operation key.
        let small = Checker(model: .register, maxMemoryBytes: 5 * Checker.bytesPerState(operations: 13))
        guard case .unknown(let memoryWhy) = small.check(try! parseJSONLines(history)).verdict else {
            Issue.record("expected a cut-off at the memory bound")
            return
        }
        #expect(memoryWhy.hasSuffix("after 5 states, at the memory bound of 0 MiB; raise --max-memory-mb"), "\(memoryWhy)")
        #expect(verdict(op(1, "incr", "1", key: "n", 0, 10), model: .register)?.isUnknown == true)
        #expect(verdict(op(1, "cas", "[1,2]", key: "n", 0, 10), model: .kv)?.isUnknown == true)
    }

    @Test("memoization bounds the search by (set taken, state) pairs, not by orders")
    func memoizationBoundsTheSearch() throws {
        // 12 concurrent writes of 3 values, then an impossible read: every order must be refuted. There
        // are 12! (479 million) orders but at most (2^12 - 1) * 3 non-empty sets with the state they leave,
        // explored twice: by the verdict's search and by the search for the smallest failing prefix.
        var lines: [String] = []
        for client in 0..<12 { lines.append(op(client, "write", String(client % 3), 0, 1000)) }
        lines.append(op(99, "read", "7", 2000, 2010))
        let history = try parseJSONLines(lines.joined(separator: "\n"))
        let (verdict, states) = Checker(model: .register).check(history)
        #expect(verdict.violation?.stuck.callLine == 13)
        #expect(states <= 2 * 4095 * 3, "explored \(states) states")
    }

    @Test("the verdict line names the stuck operation and the ones that overlap it")
    func verdictLineText() throws {
        let text = [
            op(1, "write", "1", 0, 10),
            op(2, "write", "2", 20, 100),
            op(3, "read", "2", 30, 40),
            op(4, "read", "1", 50, 60),
        ].joined(separator: "\n")
        let history = try parseJSONLines(text)
        let line = verdictLine(name: "h.jsonl", verdict: Checker(model: .register).check(history).verdict, history: history)
        #expect(
            line == "h.jsonl: NOT linearizable (stuck at client 4 read -> 1 (line 4): the 4 operations called "
                + "before it returned have no valid order; concurrent: client 2 write 2 (line 2))")
    }
}

@Suite("Checker: prunings")
struct PruningTests {
    @Test("a write that strands a pending read is refused at once: 16 clients on one register stay cheap")
    func strandedReads() {
        var generator = HistoryGenerator(model: .register, seed: 7)
        generator.clients = 16
        generator.operations = 900
        generator.unknownPercent = 2
        let history = generator.generate()
        var withPruning = 1_000_000, without = 1_000_000
        #expect(searchPartition(history.operations, budget: &withPruning) == .linearizable)
        let outcome = searchPartition(history.operations, budget: &without, pruneStranded: false)
        let used = (1_000_000 - withPruning, 1_000_000 - without)
        print("16 clients, 900 operations: \(used.0) states with the stranded-read pruning, \(used.1) without (\(outcome))")
        #expect(used.0 < 5_000)
        #expect(used.0 * 10 < used.1, "the pruning should save an order of magnitude")
    }
}

extension PruningTests {
    @Test("when the search for the smallest prefix runs out of states, the verdict stands and says so")
    func prefixSearchCutOff() throws {
        var generator = HistoryGenerator(model: .register, seed: 7)
        generator.clients = 16
        generator.operations = 900
        generator.unknownPercent = 2
        let broken = try #require(generator.generate().breakingOneRead(seed: 7))
        let full = Checker(model: .register).check(broken.history)
        let smallest = try #require(full.verdict.violation)
        #expect(smallest.prefixOperations != nil)
        // A budget the verdict's search fits in but the second, unpruned search does not.
        var verdictOnly = 1_000_000
        _ = searchPartition(broken.history.operations, budget: &verdictOnly)
        let budget = 1_000_000 - verdictOnly + 10
        print("prefix search: \(full.statesExplored) states for both searches, \(budget - 10) for the verdict's")
        let (verdict, _) = Checker(model: .register, maxStates: budget).check(broken.history)
        let cut = try #require(verdict.violation)
        #expect(cut.prefixOperations == nil)
        #expect(cut.stuck.returnTime! <= smallest.stuck.returnTime!, "the pruned search stops no later")
        let line = verdictLine(name: "h", verdict: verdict, history: broken.history)
        #expect(line.contains("(the smallest failing prefix was not found within --max-states)"), "\(line)")
    }
}
