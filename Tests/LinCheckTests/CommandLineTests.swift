import Foundation
import Testing
import LinCheck

/// The `lincheck` executable, run as a user would: its lines and its exit codes.
@Suite(.serialized) struct CommandLineTests {
    /// `lincheck` sits next to the test bundle in the build directory (`swift build --build-tests` builds both).
    static let executable: URL = {
        let bundle = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        return bundle.deletingLastPathComponent().appendingPathComponent("lincheck")
    }()

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A scratch directory for this test run, removed by the caller.
    static func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lincheck-tests-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test("exit 0 when every file is linearizable, 1 when one is not, 2 for unknown; one line per file")
    func exitCodes() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable.path) else {
            Issue.record("no lincheck at \(Self.executable.path): run swift build --build-tests first")
            return
        }
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = directory.appendingPathComponent("good.jsonl").path
        let bad = directory.appendingPathComponent("bad.jsonl").path
        let broken = directory.appendingPathComponent("broken.jsonl").path
        try [op(1, "set", "\"a\"", key: "k", 0, 10), op(2, "get", "\"a\"", key: "k", 20, 30)].joined(separator: "\n")
            .write(toFile: good, atomically: true, encoding: .utf8)
        try [op(1, "set", "\"a\"", key: "k", 0, 10), op(2, "get", "null", key: "k", 20, 30)].joined(separator: "\n")
            .write(toFile: bad, atomically: true, encoding: .utf8)
        try "{\"client\": 1,\n".write(toFile: broken, atomically: true, encoding: .utf8)

        let allGood = try Self.run(["--model", "kv", good, good])
        #expect(allGood.status == 0)
        #expect(allGood.stdout == "\(good): linearizable\n\(good): linearizable\n")

        let oneBad = try Self.run(["--model", "kv", good, bad, broken])
        #expect(oneBad.status == 1, "a violation wins over bad input elsewhere")
        let lines = oneBad.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines.first == "\(good): linearizable")
        #expect(
            lines.dropFirst().first?.hasPrefix("\(bad): NOT linearizable (key \"k\": stuck at client 2 get \"k\" -> nil (line 2)") == true,
            "\(lines)")
        #expect(lines.last == "\(broken): unknown (bad input: line 1: column 14: expected a member name in double quotes)")

        let unknown = try Self.run(["--model", "kv", good, broken, directory.appendingPathComponent("missing").path])
        #expect(unknown.status == 2)
        #expect(unknown.stdout.contains("missing: unknown (cannot read: No such file or directory)"))

        let wrongModel = try Self.run(["--model", "register", good])
        #expect(wrongModel.status == 0, "get and set are a register's read and write")
        let usage = try Self.run(["--model", "graph", good])
        #expect(usage.status == 2)
        #expect(usage.stderr.contains("graph"))
        let help = try Self.run(["--help"])
        #expect(help.status == 0 && help.stdout.contains("--max-states"))
    }

    @Test("a search cut off by --max-states exits 2; the Jepsen format reads the vendored logs")
    func cutOffAndJepsen() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable.path) else {
            Issue.record("no lincheck at \(Self.executable.path)")
            return
        }
        let linearizable = jepsenDirectory.appendingPathComponent("etcd_002.log").path
        let violation = jepsenDirectory.appendingPathComponent("etcd_000.log").path
        let both = try Self.run(["--format", "jepsen", linearizable, violation])
        #expect(both.status == 1)
        #expect(both.stdout.hasPrefix("\(linearizable): linearizable\n\(violation): NOT linearizable (stuck at client "))
        let cut = try Self.run(["--format", "jepsen", "--max-states", "3", linearizable])
        #expect(cut.status == 2)
        #expect(cut.stdout == "\(linearizable): unknown (search cut off after 3 states; raise --max-states)\n")
    }
}
