import RaftCore
import RaftSim
import Testing
@testable import RaftStepCLI

/// Thousands of random and malformed lines: the REPL survives, every rejected line yields exactly
/// one error line and leaves the cluster as it was.
@Suite struct FuzzTests {
    /// Words the generator draws from: commands, real and bogus arguments, punctuation, junk.
    static let commands = [
        "deliver", "drop", "tick", "crash", "restart", "propose", "campaign", "transfer", "stabilize",
        "partition", "heal", "status", "log", "msgs", "kv", "setlog", "expect", "violations", "set",
        "help", "reset", "undo", "disk", "save", "load", "read", "duplicate",
    ]
    static let arguments = [
        "n1", "n2", "n3", "n4", "n0", "n99", "N2", "all", "to", "from", "|", "->", "n1->n2", "n2->n1",
        "n3->n3", "0", "1", "2", "3", "5", "12", "-1", "#3", "#", "99999999999999999999", "x", "set", "del",
        "on", "off", "prevote", "checkquorum", "leader-noop", "unsafe", "sync", "commit-old-terms",
        "election-ticks", "leader", "role", "term", "commit", "applied", "log", "kv", "msgs", "voted",
        "invariants", "ok", "none", "follower", "term=3", "term=", "nodes=2", "seed=9", "x=1", "é", "💥",
        "\t", "  ", "export", "candidate", "n1 n2", "| n3", "=", "on-violation", "continue",
    ]

    /// A random line: mostly command + arguments, sometimes pure junk.
    static func line(_ rng: inout SeededGenerator) -> (text: String, mustFail: Bool) {
        let kind = rng.next(below: 10)
        if kind == 0 {
            // Junk that is no command at all.
            let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789!@$%^&*()[]{};:'\",.<>/?\\`~")
            let length = 1 + Int(rng.next(below: 30))
            var text = ""
            for _ in 0..<length { text.append(alphabet[Int(rng.next(below: UInt64(alphabet.count)))]) }
            let first = text.first!
            // `#…` is a comment; anything else that is not a command word must be refused.
            let isCommand = commands.contains(String(text.split(separator: " ").first ?? ""))
            return ("z" + text, !isCommand && first != "#")
        }
        var words = [commands[Int(rng.next(below: UInt64(commands.count)))]]
        let count = Int(rng.next(below: 5))
        for _ in 0..<count { words.append(arguments[Int(rng.next(below: UInt64(arguments.count)))]) }
        // Never touch the file system from the fuzzer.
        if ["save", "load", "disk"].contains(words[0]) && words.count > 1 { words = [words[0]] }
        if words[0] == "undo" && rng.next(below: 4) != 0 { words = ["status"] }
        return (words.joined(separator: " "), false)
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func randomLinesNeverCrashAndRejectedLinesChangeNothing(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let session = Support.session(nodes: 3, seed: seed)
        // Some state to disturb: a leader and a few entries.
        Support.run(session, ["campaign n1", "stabilize", "propose set a 1", "stabilize"])
        var errors = 0
        for step in 0..<1500 {
            let (text, mustFail) = Self.line(&rng)
            // A line the language accepts parses again, to the same command, from its canonical spelling.
            if let command = try? Command.parse(text, nodeCount: session.cluster.ids.count) {
                #expect(
                    (try? Command.parse(command.description, nodeCount: session.cluster.ids.count)) == command,
                    "line \(step) '\(text)' is spelled '\(command.description)' (seed \(seed))")
            }
            let before = session.cluster.fingerprint
            let historyBefore = session.history
            let result = session.execute(text)
            if mustFail {
                #expect(result.status == .error, "line \(step) '\(text)' should be refused (seed \(seed))")
            }
            if result.status == .error {
                errors += 1
                #expect(
                    result.lines.count == 1 && result.lines[0].hasPrefix("error: "),
                    "line \(step) '\(text)': expected one error line, got \(result.lines) (seed \(seed))")
                #expect(result.lines.first?.contains("usage: ") == true, "line \(step) '\(text)': the error gives no usage (seed \(seed))")
                #expect(session.cluster.fingerprint == before, "line \(step) '\(text)' was refused but changed the cluster (seed \(seed))")
                #expect(session.history == historyBefore, "line \(step) '\(text)' was refused but recorded (seed \(seed))")
            }
            if result.status == .quit { break }
        }
        #expect(errors > 300, "the fuzzer should produce many bad lines (got \(errors))")
    }

    @Test func malformedLinesFromTheIssue() {
        let session = Support.session()
        Support.run(session, ["campaign n1", "stabilize"])
        let bad = [
            "frobnicate", "deliver 4242", "deliver n7->n1", "crash", "crash n9", "propose", "tick -3",
            "expect role n1", "set unsafe nope on", "partition", "setlog n1 2 1", "restart n2", "drop to",
        ]
        Support.run(session, ["crash n3"])
        for line in bad + ["propose n3 set x 1"] {
            let before = session.cluster.fingerprint
            let result = session.execute(line)
            #expect(result.status == .error, "'\(line)' should be refused")
            #expect(result.lines.count == 1, "'\(line)': \(result.lines)")
            #expect(session.cluster.fingerprint == before, "'\(line)' changed the cluster")
        }
    }
}
