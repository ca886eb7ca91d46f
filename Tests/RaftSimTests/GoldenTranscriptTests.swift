import Foundation
import Testing
@testable import RaftStepCLI

/// Every script in Tests/Scripts is run and its transcript compared with the reviewed `.golden`
/// file next to it. Set RAFTSTEP_UPDATE_GOLDEN=1 to rewrite the golden files (then review the diff).
@Suite struct GoldenTranscriptTests {
    static let scripts: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Support.scriptsDirectory.path)) ?? []
        return names.filter { $0.hasSuffix(".txt") }.sorted()
    }()

    @Test func thereAreScripts() {
        #expect(Self.scripts.count >= 8, "Tests/Scripts should hold the golden scripts")
    }

    @Test(arguments: GoldenTranscriptTests.scripts)
    func transcriptMatchesGolden(_ name: String) throws {
        let url = Support.scriptsDirectory.appendingPathComponent(name)
        let lines = try Support.lines(ofScript: url)
        let result = Support.transcript(of: lines, repl: name.hasPrefix("repl-"), name: name)
        let goldenURL = url.deletingPathExtension().appendingPathExtension("golden")
        if ProcessInfo.processInfo.environment["RAFTSTEP_UPDATE_GOLDEN"] == "1" {
            try result.text.write(to: goldenURL, atomically: true, encoding: .utf8)
        }
        let golden = try String(contentsOf: goldenURL, encoding: .utf8)
        if golden != result.text {
            let have = result.text.split(separator: "\n", omittingEmptySubsequences: false)
            let want = golden.split(separator: "\n", omittingEmptySubsequences: false)
            var line = 0
            while line < min(have.count, want.count) && have[line] == want[line] { line += 1 }
            Issue.record(
                """
                \(name): transcript differs from \(goldenURL.lastPathComponent) at line \(line + 1)
                  golden: \(line < want.count ? String(want[line]) : "<end>")
                  actual: \(line < have.count ? String(have[line]) : "<end>")
                """)
        }
        // The scripts that are meant to fail say so in their name; every other one passes.
        let expectedCode: Int32 = name.hasPrefix("fail-") || name.hasPrefix("repl-") ? 1 : 0
        #expect(result.code == expectedCode, "\(name) exited \(result.code)")
    }
}
