import Foundation
import RaftCore
import RaftSim
@testable import RaftStepCLI

/// Helpers shared by the RaftSim tests.
enum Support {
    /// The package's Tests/Scripts directory.
    static let scriptsDirectory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Scripts")

    /// Runs a script (or, for `repl-*` scripts, piped REPL input) and returns the transcript and exit code.
    static func transcript(of lines: [String], repl: Bool, name: String) -> (text: String, code: Int32) {
        var options = SessionOptions()
        options.color = false
        let session = try! Session(options: options)
        var text = ""
        let code =
            repl
            ? Runner.runPiped(lines: lines, session: session) { text += $0 + "\n" }
            : Runner.runScript(lines: lines, name: name, session: session) { text += $0 + "\n" }
        return (text + "[exit \(code)]\n", code)
    }

    static func lines(ofScript url: URL) throws -> [String] {
        var lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// A session with a fresh default cluster.
    static func session(nodes: Int = 3, seed: UInt64 = 1) -> Session {
        var options = SessionOptions()
        options.cluster.nodeCount = nodes
        options.cluster.seed = seed
        return try! Session(options: options)
    }

    /// Runs lines; fails (returns the offending line) when any errors.
    @discardableResult
    static func run(_ session: Session, _ lines: [String]) -> [CommandResult] {
        lines.map { session.execute($0) }
    }
}
