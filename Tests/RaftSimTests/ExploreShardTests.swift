import Foundation
import RaftSim
import Testing

/// Issue 16 §7b: `raftstep explore --shard K/N` and `raftstep explore merge`.
@Suite struct ExploreShardTests {
    @Test(
        "the N slices of a range are disjoint, contiguous, near-equal and cover it",
        arguments: [
            (UInt64(1)...UInt64(10), 3), (UInt64(5)...UInt64(5), 1), (UInt64(0)...UInt64(99), 7), (UInt64(1)...UInt64(8), 8),
            (UInt64.max - 9...UInt64.max, 4),
        ])
    func slicesTileTheRange(seeds: ClosedRange<UInt64>, count: Int) throws {
        let slices = try (1...count).map { try #require(ExploreSummary.slice($0, of: count, seeds: seeds)) }
        #expect(slices.first?.lowerBound == seeds.lowerBound)
        #expect(slices.last?.upperBound == seeds.upperBound)
        for (a, b) in zip(slices, slices.dropFirst()) { #expect(b.lowerBound == a.upperBound + 1) }
        let sizes = slices.map { $0.upperBound - $0.lowerBound + 1 }
        #expect(sizes.max()! - sizes.min()! <= 1, "\(sizes)")
    }

    @Test func badShardsAreRefusedWithTheirReason() {
        for text in ["0/3", "4/3", "3", "a/b", "1/0", "-1/2", "1/2/3", ""] {
            guard case .failure(let error) = ExploreSummary.parseShard(text, seeds: 1...100) else {
                Issue.record("'\(text)' was accepted")
                continue
            }
            #expect(error.message.hasPrefix("--shard takes K/N with 1 <= K <= N"), "\(error)")
        }
        guard case .failure(let error) = ExploreSummary.parseShard("2/5", seeds: 1...3) else {
            Issue.record("5 shards of 3 seeds were accepted")
            return
        }
        #expect(error.message.contains("too few seeds for 5 shards"), "\(error)")
        guard case .success(let parsed) = ExploreSummary.parseShard("2/3", seeds: 1...9) else {
            Issue.record("2/3 was refused")
            return
        }
        #expect(parsed.slice == 4...6)
    }

    static func part(
        _ seeds: ClosedRange<UInt64>, shard: (Int, Int)? = nil, of whole: ClosedRange<UInt64> = 1...9,
        steps: Int = 100, failures: [UInt64] = []
    ) -> ExploreSummary {
        var summary = ExploreSummary(
            seeds: seeds, shard: shard.map { ExploreSummary.Shard(index: $0.0, count: $0.1, seeds: whole) },
            nodes: 3, steps: steps, faults: ["drop"], unsafe: [])
        summary.seedsRun = seeds.upperBound - seeds.lowerBound + 1
        summary.totals.events = Int(summary.seedsRun) * 10
        summary.highestCommit = seeds.upperBound
        summary.failures = failures.map { ExploreSummary.Failure(seed: $0, invariant: "Election Safety", evidence: "two leaders in term \($0)") }
        return summary
    }

    @Test func mergeSumsCountsAndOrdersFailures() throws {
        let merged = try ExploreSummary.merge([
            Self.part(7...9, shard: (3, 3), failures: [8]), Self.part(1...3, shard: (1, 3), failures: [2, 3]),
            Self.part(4...6, shard: (2, 3)),
        ]).get()
        #expect(merged.seeds == 1...9)
        #expect(merged.seedsRun == 9)
        #expect(merged.shard == nil)
        #expect(merged.totals.events == 90)
        #expect(merged.highestCommit == 9)
        #expect(merged.failures.map(\.seed) == [2, 3, 8])
    }

    @Test func partsThatDoNotFitAreRefused() {
        let cases: [([ExploreSummary], String)] = [
            ([Self.part(1...3), Self.part(5...9)], "leave a gap"),
            ([Self.part(1...4), Self.part(4...9)], "overlap"),
            ([Self.part(1...3, shard: (1, 3)), Self.part(1...3, shard: (1, 3))], "missing shards 2/3, 3/3 of seeds 1..9"),
            (
                [
                    Self.part(1...3, shard: (1, 3)), Self.part(4...6, shard: (2, 3)), Self.part(4...6, shard: (2, 3)),
                    Self.part(7...9, shard: (3, 3)),
                ], "seeds 4..6 and 4..6 overlap"
            ),
            (
                [Self.part(1...3, shard: (1, 2), of: 1...10), Self.part(4...5, shard: (2, 2), of: 1...10)],
                "the shards cover seeds 1..5, not the 1..10 they were cut from"
            ),
            ([Self.part(7...9, shard: (3, 3)), Self.part(1...3, shard: (1, 3))], "missing shard 2/3 of seeds 1..9"),
            ([Self.part(1...3), Self.part(4...9, steps: 200)], "other settings"),
            ([Self.part(1...3, shard: (1, 3)), Self.part(4...6, shard: (2, 3))], "missing shard 3/3 of seeds 1..9"),
            ([Self.part(1...3, shard: (1, 3)), Self.part(4...9)], "not shards of one split"),
            ([], "nothing to merge"),
        ]
        for (parts, reason) in cases {
            guard case .failure(let error) = ExploreSummary.merge(parts) else {
                Issue.record("merged: \(parts.map(\.seeds))")
                continue
            }
            #expect(error.message.contains(reason), "\(error)")
        }
    }

    @Test func theJSONReadsBackToTheSameSummary() throws {
        var summary = Self.part(4...6, shard: (2, 3), failures: [5])
        summary.failures[0].evidence = "quote \" backslash \\ newline \n tab \t bell \u{7} é"
        summary.failures[0].script = "out/explore-5.txt"
        summary.elapsedSeconds = 1.5
        let back = try ExploreSummary.parse(json: summary.json).get()
        #expect(back == summary)
        #expect(back.json == summary.json)
        guard case .failure(let error) = ExploreSummary.parse(json: "{\"seeds\": {\"first\": 1, \"last\": 2, \"run\": 2}}") else {
            Issue.record("a summary without nodes was accepted")
            return
        }
        #expect(error.message == "not an explore summary: nodes: expected a whole number")
        #expect(throws: SimError.self) { try ExploreSummary.parse(json: "{\"seeds\": ").get() }
    }

    // MARK: The command line, end to end

    static let builtBinary = LessonPacingTests.builtBinary

    /// Runs the built `raftstep` with `arguments`; its stdout and exit status.
    static func raftstep(_ arguments: [String]) throws -> (output: String, status: Int32) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: builtBinary)
        process.arguments = arguments
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (String(decoding: output, as: UTF8.self), process.terminationStatus)
    }

    /// The unsharded run's summary with the wall-clock figures zeroed (they differ between any two runs).
    static func timeless(_ json: String) throws -> ExploreSummary {
        var summary = try ExploreSummary.parse(json: json).get()
        summary.elapsedSeconds = 0
        return summary
    }

    /// Needs the debug build of `raftstep` (`swift build --build-tests` makes it).
    @Test(
        "three shards, merged, say what one run over the whole range says",
        .enabled(if: FileManager.default.isExecutableFile(atPath: ExploreShardTests.builtBinary)))
    func mergedShardsEqualTheUnshardedRun() throws {
        // A knob the explorer catches within a few seeds, so the failure list is not empty.
        let common = ["explore", "--seeds", "1..7", "--steps", "150", "--unsafe", "vote-without-log-check", "--no-shrink", "--json"]
        let whole = try Self.raftstep(common)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "explore-shards-\(getpid())-\(UInt64.random(in: 0..<UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var files: [String] = []
        var collected = ""
        for k in 1...3 {
            let shard = try Self.raftstep(common + ["--shard", "\(k)/3"])
            #expect(shard.status == 0 || shard.status == 1, "shard \(k)/3 exited \(shard.status)")
            let path = directory.appendingPathComponent("shard-\(k).json").path
            try shard.output.write(toFile: path, atomically: true, encoding: .utf8)
            files.append(path)
            collected += shard.output
        }
        // Merged in another order than they ran: the order of the files must not matter.
        let merged = try Self.raftstep(["explore", "merge", "--json"] + files.reversed())
        let expected = try Self.timeless(whole.output)
        #expect(!expected.failures.isEmpty, "the knob was not caught in seeds 1..7: the test shows less than it should")
        #expect(expected.seedsRun == 7)
        #expect(try Self.timeless(merged.output) == expected)
        #expect(try Self.timeless(merged.output).json == expected.json)
        #expect(merged.status == whole.status)
        #expect(whole.status == 1)

        // One file with a summary per line, as GNU parallel collects them.
        let lines = directory.appendingPathComponent("all.jsonl").path
        try collected.write(toFile: lines, atomically: true, encoding: .utf8)
        #expect(try Self.timeless(Self.raftstep(["explore", "merge", "--json", lines]).output) == expected)

        let text = try Self.raftstep(["explore", "merge"] + files)
        #expect(text.output.hasSuffix(expected.textLine + "\n"), "\(text.output)")
        let missing = try Self.raftstep(["explore", "merge"] + files.dropLast())
        #expect(missing.status == 2)
        let bad = try Self.raftstep(["explore", "--seeds", "1..7", "--shard", "4/3"])
        #expect(bad.status != 0 && bad.status != 1 && bad.output.isEmpty)
    }

    /// Issue 16 §7: `--jobs N` uses N threads and says exactly what one thread says (the text
    /// output too: failures in seed order, the same scripts), but for the elapsed time.
    @Test("--jobs 3 prints what --jobs 1 prints", .enabled(if: FileManager.default.isExecutableFile(atPath: ExploreShardTests.builtBinary)))
    func jobsGiveTheOneThreadResult() throws {
        let common = ["explore", "--seeds", "1..9", "--steps", "150", "--unsafe", "vote-without-log-check"]
        let oneJSON = try Self.raftstep(common + ["--no-shrink", "--json"])
        let threeJSON = try Self.raftstep(common + ["--no-shrink", "--json", "--jobs", "3"])
        let expected = try Self.timeless(oneJSON.output)
        #expect(expected.failures.count >= 2, "the knob was caught fewer than twice in seeds 1..9: the order of failures is not shown")
        #expect(try Self.timeless(threeJSON.output) == expected)
        #expect(threeJSON.status == oneJSON.status && oneJSON.status == 1)
        // Shortened scripts and the text report, line for line.
        let one = try Self.raftstep(common)
        let three = try Self.raftstep(common + ["--jobs", "3"])
        #expect(one.output == three.output)
        #expect(one.output.contains("shortened to"))
        let refused = try Self.raftstep(common + ["--jobs", "2", "--stop-on-failure"])
        #expect(refused.status != 0 && refused.status != 1 && refused.output.isEmpty)
    }
}
