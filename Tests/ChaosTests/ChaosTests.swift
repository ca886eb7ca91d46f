import Chaos
import Foundation
import Testing

/// The bounded fault campaign (issue 13): `raftchaos` against real raftd processes, each in its own
/// network namespace when the tests run as root with iproute2 (else on loopback, kill/pause faults only).
/// A safe run must come out clean with at least one partition healed, a run with raftd's test-only
/// `--unsafe-local-reads` must be caught — so the campaign can fail — and no run, finished or
/// interrupted, may leave a namespace, link or raftd process behind. Needs raftd, logdump and
/// raftchaos built (`swift build --build-tests`).
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

    /// True when namespaces can be made here (root, `ip`, and a probe namespace the kernel lets us
    /// add): the campaign's own test, so the tests expect partitions exactly when it makes them.
    static let namespaces = NamespaceNetwork.unavailableReason() == nil

    /// Namespaces and links named after raftchaos process `pid`, and raftd processes whose command line
    /// names `directory`: what a run must not leave behind.
    static func leftovers(pid: Int32, directory: String) -> [String] {
        var found: [String] = []
        if namespaces { found += NamespaceNetwork.leftovers(tag: "\(pid)") }
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int32(entry) != nil {
            guard let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
            let line = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            if line.contains("raftd") && line.contains(directory + "/data") { found.append("process \(entry): \(line)") }
        }
        return found
    }

    /// Runs raftchaos with `arguments` into a fresh output directory; its exit status, output and that
    /// directory. Expects that the run left nothing behind.
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
        let left = leftovers(pid: process.processIdentifier, directory: directory)
        #expect(left.isEmpty, "left behind: \(left)")
        return (process.terminationStatus, output, directory)
    }

    /// The count of `kind` in the report's `faults:` line.
    static func faultCount(_ output: String, _ kind: String) -> Int {
        let line = output.split(separator: "\n").first { $0.hasPrefix("faults: ") } ?? ""
        guard let range = line.range(of: " \(kind)") else { return 0 }
        return Int(line[..<range.lowerBound].split(separator: " ").last?.filter(\.isNumber) ?? "") ?? 0
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
        if Self.namespaces {
            #expect(run.output.contains("network: network namespaces"), "\(run.output)")
            let partitions = ["isolate", "split", "bridge", "link-down"].map { Self.faultCount(run.output, $0) }.reduce(0, +)
            #expect(partitions >= 1, "no partition was injected and healed: \(run.output)")
            #expect(run.output.contains("checked with every write alone: linearizable"), "\(run.output)")
        } else {
            #expect(run.output.contains("network: loopback (no partitions"), "\(run.output)")
        }
        // Counters take INCR only, so no INCR fails for its type; its failures come from faults alone.
        let incr = run.output.split(separator: "\n").first { $0.contains("INCR: ") } ?? ""
        #expect(!incr.isEmpty, "\(run.output)")
        #expect(try String(contentsOfFile: run.directory + "/history.jsonl", encoding: .utf8).contains("\"op\":\"incr\",\"key\":\"n"))
    }

    @Test func unsafeLocalReadsAreCaught() throws {
        // With namespaces, only isolations: a node cut off from the majority goes on serving local
        // reads, and those reads alone (with every write) are not linearizable.
        let faults = Self.namespaces ? ["--faults", "isolate"] : []
        let run = try Self.raftchaos(
            "unsafe", ["--seed", "13", "--duration", "12", "--clients", "4", "--keys", "5", "--unsafe-local-reads"] + faults)
        defer { try? FileManager.default.removeItem(atPath: run.directory) }
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("NOT linearizable") || !run.output.contains("lost acknowledged writes: 0"), "\(run.output)")
        #expect(run.output.contains("verdict: VIOLATION"), "\(run.output)")
        if Self.namespaces {
            #expect(run.output.contains("checked with every write alone: NOT linearizable"), "\(run.output)")
            #expect(run.output.contains("ran at") && run.output.contains(", during isolate n"), "\(run.output)")
        }
    }

    @Test(.enabled(if: ChaosTests.namespaces, "needs root and iproute2"))
    func interruptedRunLeavesNothingBehind() throws {
        let directory = NSTemporaryDirectory() + "raftchaos-interrupted-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let process = Process()
        process.executableURL = Self.products().appendingPathComponent("raftchaos")
        process.arguments = ["--seed", "3", "--duration", "60", "--faults", "isolate,split", "--out", directory, "--binaries", Self.products().path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        // Wait for the cluster to be up, give the schedule time to cut something, then SIGINT it.
        var output = ""
        let deadline = Date().addingTimeInterval(30)
        while !output.contains("cluster of 3 up") && Date() < deadline {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            output += String(decoding: chunk, as: UTF8.self)
        }
        #expect(output.contains("cluster of 3 up"), "\(output)")
        usleep(3_500_000)
        kill(process.processIdentifier, SIGINT)
        output += String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 128 + SIGINT, "\(output)")
        #expect(output.contains("interrupted by signal"), "\(output)")
        let left = Self.leftovers(pid: process.processIdentifier, directory: directory)
        #expect(left.isEmpty, "left behind: \(left)")
    }

    @Test func loopbackFallbackLeavesPartitionsOut() throws {
        let run = try Self.raftchaos("loopback", ["--seed", "4", "--duration", "5", "--network", "loopback", "--faults", "isolate,sigstop"])
        defer { try? FileManager.default.removeItem(atPath: run.directory) }
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("network: loopback (no partitions: --network loopback; kill/pause faults only)"), "\(run.output)")
        #expect(run.output.contains("no namespaces: the partition faults are left out"), "\(run.output)")
        #expect(Self.faultCount(run.output, "isolate") == 0 && Self.faultCount(run.output, "sigstop") >= 1, "\(run.output)")
    }

    @Test func unsafeOptionNeedsTheTestingVariable() throws {
        let process = Process()
        process.executableURL = Self.products().appendingPathComponent("raftd")
        process.arguments = [
            "--id", "1", "--peers", "1=127.0.0.1:1", "--listen", "127.0.0.1:2",
            "--data-dir", NSTemporaryDirectory() + "raftd-unsafe-refused-\(getpid())", "--unsafe-local-reads",
        ]
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
        #expect(
            !FileManager.default.fileExists(atPath: NSTemporaryDirectory() + "raftd-unsafe-refused-\(getpid())"),
            "a refused node created its directory")
    }
}
