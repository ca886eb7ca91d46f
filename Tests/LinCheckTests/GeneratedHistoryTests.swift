import Testing
@testable import LinCheck

/// Seeded random histories: linearizable by construction, and not once one read is changed.
@Suite("Generated histories")
struct GeneratedHistoryTests {
    static let seeds: ClosedRange<UInt64> = 1...150

    @Test("generated histories pass; with one read changed they fail", arguments: Model.allCases)
    func generatedPassAndBrokenFail(model: Model) throws {
        let checker = Checker(model: model)
        var stale = 0, unknownOutcomes = 0, concurrentPairs = 0, passingStates = 0, brokenStates = 0
        for seed in Self.seeds {
            var generator = HistoryGenerator(model: model, seed: seed)
            generator.clients = 5
            generator.operations = 80
            let history = generator.generate()
            unknownOutcomes += history.operations.filter(\.isUnknown).count
            concurrentPairs +=
                zip(history.operations, history.operations.dropFirst())
                .filter { a, b in a.returnTime.map { $0 > b.callTime } ?? true }.count
            let (verdict, states) = checker.check(history)
            passingStates += states
            #expect(verdict == .linearizable, "model \(model), seed \(seed): \(verdict) after \(states) states")
            guard let broken = history.breakingOneRead(seed: seed) else {
                Issue.record("model \(model), seed \(seed): no completed read to change")
                continue
            }
            if broken.explanation.contains("overwritten") { stale += 1 }
            let (brokenVerdict, statesToRefute) = checker.check(broken.history)
            brokenStates += statesToRefute
            #expect(brokenVerdict.violation != nil, "model \(model), seed \(seed): \(broken.explanation): \(brokenVerdict)")
            // The search stops at the changed read or earlier: no prefix that ends before it is blamed.
            if let found = brokenVerdict.violation {
                #expect(
                    found.stuck.returnTime! >= broken.history.operations[broken.index].returnTime!,
                    "model \(model), seed \(seed): stuck before the changed read")
            }
        }
        print("generated \(model): \(Self.seeds.count) seeds, \(passingStates) states to pass, \(brokenStates) to refute")
        // The generator must exercise what it claims: overlap, unknown outcomes, and the stale-read mutation.
        #expect(concurrentPairs > Self.seeds.count * 10)
        #expect(unknownOutcomes > Self.seeds.count)
        #expect(stale > Self.seeds.count / 2, "only \(stale) stale-read mutations")
    }

    @Test("the same seed gives the same history; another seed another one")
    func deterministic() {
        for model in Model.allCases {
            let a = HistoryGenerator(model: model, seed: 42).generate()
            #expect(a == HistoryGenerator(model: model, seed: 42).generate())
            #expect(a != HistoryGenerator(model: model, seed: 43).generate())
            #expect(a.operations.allSatisfy { model.allows($0.action) })
        }
    }

    @Test("generated histories round-trip through JSON lines", arguments: Model.allCases)
    func roundTrip(model: Model) throws {
        for seed: UInt64 in 1...20 {
            let history = HistoryGenerator(model: model, seed: seed).generate()
            let text = renderJSONLines(history, model: model)
            let parsed = try parseJSONLines(text)
            #expect(parsed.operations == history.operations, "model \(model), seed \(seed)")
            #expect(parsed.texts == history.texts, "model \(model), seed \(seed)")
        }
    }
}
