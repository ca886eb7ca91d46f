import Foundation
import Testing
import RaftStepCLI

/// samples/README.md's table says what `logdump verify` reports for each sample data directory;
/// each row is checked against the directory (through the same LogdumpKit code as the program).
@Suite struct SamplesTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let samples = packageRoot.appendingPathComponent("samples")

    struct Row: Sendable, CustomStringConvertible {
        var name: String
        var verdict: String
        var exitCode: Int32
        var description: String { name }
    }

    /// The rows of the table: `| \`name\` | how | what | class | exit |`.
    static let rows: [Row] = {
        guard let text = try? String(contentsOf: samples.appendingPathComponent("README.md"), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line -> Row? in
            let cells = line.split(separator: "|", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            // "", name, how, what, class, exit, ""
            guard cells.count == 7, cells[1].hasPrefix("`"), cells[1].hasSuffix("`"),
                let code = Int32(cells[5])
            else { return nil }
            return Row(name: String(cells[1].dropFirst().dropLast()), verdict: cells[4], exitCode: code)
        }
    }()

    @Test func theTableCoversEveryKindOfDamage() {
        #expect(
            Set(Self.rows.map(\.name)) == [
                "healthy", "torn-tail", "bit-flip", "torn-hardstate", "missing-middle-segment", "two-logs-mixed", "torn-batch",
            ])
        #expect(Set(Self.rows.map(\.exitCode)) == [0, 2, 3, 4])
    }

    @Test func everySampleDirectoryIsInTheTable() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.samples.path).filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: Self.samples.appendingPathComponent($0).path, isDirectory: &isDirectory)
                && isDirectory.boolValue && $0 != "scripts"
        }
        #expect(Set(names) == Set(Self.rows.map(\.name)))
    }

    @Test(arguments: SamplesTests.rows)
    func verifyReportsWhatTheTableSays(_ row: Row) {
        let result = LogdumpInProcess.run(["verify", Self.samples.appendingPathComponent(row.name).path])
        #expect(result.exitCode == row.exitCode, "\(row.name):\n\(result.lines.joined(separator: "\n"))")
        #expect(result.lines.last == "verdict: \(row.verdict) (exit \(row.exitCode))", "\(row.name):\n\(result.lines.joined(separator: "\n"))")
    }

    @Test func samplesAreSmall() throws {
        for row in Self.rows {
            let dir = Self.samples.appendingPathComponent(row.name)
            var total = 0
            for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
                total += (try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent(name).path)[.size] as? Int) ?? 0
            }
            #expect(total < 96 * 1024, "\(row.name) holds \(total) bytes")
        }
    }
}

/// samples/regenerate.sh still makes the committed bytes: its first raftstep script (the one
/// behind every small sample) is run in process and the exported disks compared with the samples.
@Suite struct SamplesRegenerateTests {
    @Test func theSmallSamplesComeFromTheScript() throws {
        let script = try String(contentsOf: SamplesTests.samples.appendingPathComponent("regenerate.sh"), encoding: .utf8)
        let lines = script.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(of: "run small <<SCRIPT"),
            let end = lines[start...].firstIndex(of: "SCRIPT")
        else {
            Issue.record("regenerate.sh has no `run small <<SCRIPT` … `SCRIPT` block")
            return
        }
        let work = "/tmp/raftstep-samples-test-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: work) }
        var options = SessionOptions()
        options.color = false
        let session = try Session(options: options)
        for line in lines[(start + 1)..<end] {
            let result = session.execute(line.replacingOccurrences(of: "$WORK", with: work))
            #expect(result.status == .ok, "\(line): \(result.lines)")
        }
        func bytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }
        let samples = SamplesTests.samples.path
        let seg = "log-0000000000000001.seg"
        #expect(bytes("\(work)/small-n1/\(seg)") == bytes("\(samples)/healthy/\(seg)"), "samples/healthy is stale: run samples/regenerate.sh")
        #expect(bytes("\(work)/small-n1/hardstate") == bytes("\(samples)/healthy/hardstate"), "samples/healthy is stale: run samples/regenerate.sh")
        #expect(bytes("\(work)/small-n2/hardstate") == bytes("\(samples)/two-logs-mixed/hardstate"), "samples/two-logs-mixed is stale")
        let pending = bytes("\(work)/pending-n1/\(seg)") ?? Data()
        let torn = bytes("\(samples)/torn-tail/\(seg)") ?? Data([0])
        #expect(torn.count < pending.count && pending.prefix(torn.count) == torn, "samples/torn-tail is stale")
    }
}
