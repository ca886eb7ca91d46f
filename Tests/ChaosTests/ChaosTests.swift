import Foundation
import Testing

/// The bounded fault campaign (issue 13): `raftchaos` against real raftd processes on loopback.
/// A safe run must come out clean, and a run with raftd's test-only `--unsafe-local-reads` must be
/// caught — so the campaign can fail. Needs raftd, logdump and raftchaos built (`swift build --build-tests`).
@Suite(.serialized) struct ChaosTests {
    /// The directory holding the built products (the test runner lives there).
    static func products() -> URL {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if !FileManager.default.fileExists(atPath: url.appendingPathComponent("raftchaos").path) {
            url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent(".build/debug")
        }
        return url
    }

    /// Runs raftchaos with `arguments` into a fresh output directory; its exit status, output and that directory.
    static func raftchaos(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String, directory: String) {
        let directory = NSTemporaryDirectory() + "raftchaos-\(name)-\(getpid())"
        try? FileManager.default.removeItem(atPath: directory)
        let process = Process()
        process.executableURL = products().appendingPathComponent("raftchaos")
        process.arguments = arguments + ["--out", directory, "--binaries", products().path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output, directory)
    }

    @Test func safeCampaignIsCleanAndReportsEverything() throws {
        let run = try Self.raftchaos("safe", ["--seed", "13", "--duration", "25", "--clients", "4", "--keys", "5"])
        defer { try? FileManager.default.removeItem(atPath: run.directory) }
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("checker: linearizable"), "\(run.output)")
        #expect(run.output.contains("lost acknowledged writes: 0"), "\(run.output)")
        #expect(run.output.contains("end checks (convergence, clean stop, logdump verify/diff): ok"), "\(run.output)")
        #expect(run.output.contains("verdict: CLEAN"), "\(run.output)")
        // Faults were injected and writes were acknowledged and checked.
        let faults = run.output.split(separator: "\n").first { $0.hasPrefix("faults: ") } ?? ""
        #expect(Int(faults.dropFirst("faults: ".count).prefix { $0.isNumber }) ?? 0 >= 5, "\(run.output)")
        let history = try String(contentsOfFile: run.directory + "/history.jsonl", encoding: .utf8)
        #expect(history.split(separator: "\n").count > 200, "too few operations checked")
        let svg = try String(contentsOfFile: run.directory + "/timeline.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("<polyline") && svg.contains("opacity=\"0.18\""), "no plot or no shaded fault")
    }

    @Test func unsafeLocalReadsAreCaught() throws {
        let run = try Self.raftchaos("unsafe", ["--seed", "13", "--duration", "12", "--clients", "4", "--keys", "5", "--unsafe-local-reads"])
        defer { try? FileManager.default.removeItem(atPath: run.directory) }
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("NOT linearizable") || !run.output.contains("lost acknowledged writes: 0"), "\(run.output)")
        #expect(run.output.contains("verdict: VIOLATION"), "\(run.output)")
    }

    @Test func unsafeOptionNeedsTheTestingVariable() throws {
        let process = Process()
        process.executableURL = Self.products().appendingPathComponent("raftd")
        process.arguments = ["--id", "1", "--peers", "1=127.0.0.1:1", "--listen", "127.0.0.1:2",
                             "--data-dir", NSTemporaryDirectory() + "raftd-unsafe-refused-\(getpid())", "--unsafe-local-reads"]
        var environment = ProcessInfo.processInfo.environment
        environment["RAFTD_UNSAFE_TESTING"] = nil
        process.environment = environment
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(output.contains("RAFTD_UNSAFE_TESTING=1"), "\(output)")
        #expect(!FileManager.default.fileExists(atPath: NSTemporaryDirectory() + "raftd-unsafe-refused-\(getpid())"), "a refused node created its directory")
    }
}
