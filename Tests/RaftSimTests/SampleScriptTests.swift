import Foundation
import Testing
@testable import RaftStepCLI

/// The sample scripts in samples/scripts all run to the end with every expectation met.
@Suite struct SampleScriptTests {
    static let directory = Support.scriptsDirectory.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("samples").appendingPathComponent("scripts")
    static let scripts: [String] = {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".txt") }.sorted()
    }()

    @Test func thereAreSamples() { #expect(Self.scripts.count >= 5) }

    @Test(arguments: SampleScriptTests.scripts)
    func sampleRunsClean(_ name: String) throws {
        let lines = try Support.lines(ofScript: Self.directory.appendingPathComponent(name))
        let result = Support.transcript(of: lines, repl: false, name: name)
        #expect(result.code == 0, "\(name) failed:\n\(result.text.split(separator: "\n").suffix(8).joined(separator: "\n"))")
    }
}
