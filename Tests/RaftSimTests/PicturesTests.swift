import Foundation
import Testing
@testable import RaftStepCLI
@testable import RaftSim

/// Issue 14 §3: the log grid and the ladder fit the terminal; a crashed node's row shows its disk.
@Suite struct PicturesTests {
    /// A leader with `count` entries beyond its no-op, replicated everywhere.
    static func longLog(_ count: Int) -> Session {
        let session = Support.session()
        Support.run(session, ["campaign n1", "stabilize"] + (1...count).map { "propose set k\($0) \($0)" } + ["stabilize"])
        return session
    }

    @Test(arguments: [80, 140])
    func theLogGridFitsTheTerminal(width: Int) {
        let session = Self.longLog(60)
        session.width = width
        let lines = session.execute("log").lines
        for line in lines { #expect(line.count <= width, "\(line.count) columns: \(line)") }
        // The window ends at the last index and says that more come before it.
        #expect(lines[0].hasPrefix("index‹") && lines[0].hasSuffix(" 61"), "\(lines[0])")
        #expect(lines.last?.hasPrefix("indexes ") == true)
    }

    @Test func theWindowStartsAtAConflict() {
        let session = Support.session(nodes: 3, seed: 1)
        Support.run(
            session,
            ["set prevote off", "set checkquorum off", "campaign n1", "stabilize", "partition n1 | n2 n3"]
                + (1...3).map { "propose set a\($0) 1" }
                + ["campaign n2", "stabilize"] + (1...40).map { "propose n2 set b\($0) 1" } + ["stabilize"])
        session.width = 80
        let header = session.execute("log").lines[0]
        // n1's entries 2..4 (term 1) conflict with n2's (term 2 and later): the window starts at 1.
        #expect(header.hasPrefix("index   1  2"), "\(header)")
        #expect(header.hasSuffix("›"), "\(header)")
    }

    @Test func aCrashedNodeShowsItsDisk() {
        let session = Self.longLog(2)
        Support.run(session, ["crash n3"])
        let row = session.execute("log").lines.first { $0.hasPrefix("n3") } ?? ""
        #expect(row.contains("1  1  1") || row.contains("1 1 1"), "\(row)")
        #expect(row.contains("DOWN: its disk (last 3, in term 1)"), "\(row)")
    }

    @Test(arguments: [80, 140])
    func theLadderFitsTheTerminal(width: Int) {
        let session = Support.session(nodes: 5, seed: 3)
        Support.run(session, ["campaign n1", "stabilize", "propose set a 1", "drop n1->n2", "crash n3", "stabilize"])
        session.width = width
        let lines = session.execute("ladder 500").lines
        for line in lines { #expect(line.count <= width, "\(line.count) columns: \(line)") }
        #expect(lines.contains { $0.contains("#1 ") && $0.contains("Vote") })
        #expect(lines.contains { $0.contains("X") && $0.contains("dropped") })
        #expect(lines.contains { $0.contains("n1 is LEADER of term 1") })
        #expect(lines.contains { $0.contains("n3 CRASHES") })
        #expect(lines.contains { $0.contains("lost: n3 is down") })
    }

    /// The README links docs/timeline-example.svg: it must be what its script writes today.
    @Test func theReadmeTimelineIsTheScriptsOutput() throws {
        let docs = Support.scriptsDirectory.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("docs")
        let script = try Support.lines(ofScript: docs.appendingPathComponent("timeline-example.txt"))
        let path = NSTemporaryDirectory() + "raftstep-timeline-\(UInt32.random(in: 0...UInt32.max)).svg"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let lines = script.map { $0 == "svg docs/timeline-example.svg" ? "svg \(path)" : $0 }
        #expect(lines != script, "the script writes docs/timeline-example.svg")
        let result = Support.transcript(of: lines, repl: false, name: "timeline-example.txt")
        #expect(result.code == 0, "\(result.text)")
        let written = try String(contentsOfFile: path, encoding: .utf8)
        let committed = try String(contentsOf: docs.appendingPathComponent("timeline-example.svg"), encoding: .utf8)
        #expect(written == committed, "regenerate it: raftstep --script docs/timeline-example.txt")
        #expect(written.contains("<svg") && written.contains("term 2 · n2 leads") && written.contains("n3 crashes"))
    }
}
