import RaftCore
import RaftSim
import Testing
@testable import RaftStepCLI

/// The same seed and the same commands give byte-identical transcripts.
@Suite struct DeterminismTests {
    static func randomSession(seed: UInt64, lines count: Int) -> [String] {
        var rng = SeededGenerator(seed: seed &+ 1000)
        var lines = ["reset nodes=5 seed=\(seed)"]
        let choices = [
            "tick", "tick 3", "deliver", "deliver", "deliver", "drop", "stabilize 20", "propose set k v",
            "crash n2", "restart n2", "crash n4", "restart n4", "partition n1 n2 | n3 n4 n5", "heal",
            "campaign n3", "status", "log", "msgs", "kv",
        ]
        for _ in 0..<count { lines.append(choices[Int(rng.next(below: UInt64(choices.count)))]) }
        return lines
    }

    @Test(arguments: [4, 5] as [UInt64])
    func sameSeedSameTranscript(seed: UInt64) {
        let lines = Self.randomSession(seed: seed, lines: 400)
        let first = Support.transcript(of: lines, repl: true, name: "a").text
        let second = Support.transcript(of: lines, repl: true, name: "b").text
        #expect(first == second)
        #expect(first.utf8.count > 10_000)
    }

    @Test func differentSeedsDifferentElections() {
        let lines = ["tick 25", "stabilize", "status"]
        let a = Support.transcript(of: ["reset nodes=5 seed=1"] + lines, repl: true, name: "a").text
        let b = Support.transcript(of: ["reset nodes=5 seed=2"] + lines, repl: true, name: "b").text
        #expect(a != b)
    }

    @Test func undoEqualsNeverHavingDoneIt() {
        let lines = Self.randomSession(seed: 9, lines: 60)
        let session = Support.session()
        Support.run(session, lines)
        let before = session.cluster.fingerprint
        let result = session.execute("propose set undo me")
        if result.status != .error {
            _ = session.execute("undo")
            #expect(session.cluster.fingerprint == before)
        }
        _ = session.execute("tick 2")
        let afterTick = session.cluster.fingerprint
        _ = session.execute("undo")
        #expect(session.cluster.fingerprint == before)
        _ = session.execute("tick 2")
        #expect(session.cluster.fingerprint == afterTick)
    }

    @Test func undoTakesBackAWholeLoad() throws {
        let source = Support.session()
        Support.run(source, ["campaign n1", "stabilize", "propose set a 1", "stabilize"])
        let path = "/tmp/raftstep-test-undo-load-\(UInt32.random(in: 0...UInt32.max)).txt"
        #expect(source.execute("save \(path)").status == .ok)
        let session = Support.session()
        Support.run(session, ["tick n2"])
        let before = session.cluster.fingerprint
        #expect(session.execute("load \(path)").status == .ok)
        #expect(session.cluster.fingerprint == source.cluster.fingerprint)
        let undo = session.execute("undo")
        #expect(undo.status == .ok, "\(undo.lines)")
        #expect(session.cluster.fingerprint == before)
        #expect(session.history == ["tick n2"])
        #expect(session.execute("undo").status == .ok)
        #expect(session.execute("undo").status == .error)
    }

    @Test func saveThenLoadReplaysToTheSameState() throws {
        let session = Support.session()
        Support.run(session, Self.randomSession(seed: 12, lines: 80))
        let path = "/tmp/raftstep-test-save-\(UInt32.random(in: 0...UInt32.max)).txt"
        #expect(session.execute("save \(path)").status == .ok)
        let other = Support.session(nodes: 4, seed: 99)
        let loaded = other.execute("load \(path)")
        #expect(loaded.status != .error, "\(loaded.lines.suffix(3))")
        #expect(other.cluster.fingerprint == session.cluster.fingerprint)
    }
}
