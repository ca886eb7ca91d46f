import ArgumentParser
import RaftSim
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `raftstep explore merge FILE…`: the shards of a campaign, put back together (issue 16 §7b).
struct ExploreMerge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the --json summaries of `explore --shard K/N` runs into the summary of the whole seed range.",
        discussion: """
        Each FILE holds what `raftstep explore --shard K/N --json` printed: one summary per line, \
        so the collected output of many shards (GNU parallel's stdout) is one FILE. The parts must \
        share nodes, steps, faults and unsafe knobs, and tile one seed range with no gap or \
        overlap (all N shards present). Counts are summed, the highest commit is the maximum, \
        failures are listed in seed order, and elapsed seconds are summed over the shards (the \
        machine time spent, not the wall time of the campaign). Exits 1 when any run failed, \
        2 when a file cannot be read or the parts do not fit together.
        """)

    @Argument(help: "The shards' --json output, one summary per line.") var files: [String] = []
    @Flag(help: "Print the merged summary as JSON (the same object an unsharded --json run prints).") var json = false

    func validate() throws {
        if files.isEmpty { throw ValidationError("name the --json files of the shards to merge") }
    }

    func run() throws {
        var parts: [ExploreSummary] = []
        for path in files {
            guard let text = Self.read(path) else { return try fail("\(path): cannot read it") }
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().filter { !$0.element.allSatisfy(\.isWhitespace) }
            if lines.isEmpty { return try fail("\(path): empty (no summary in it)") }
            for (number, line) in lines {
                switch ExploreSummary.parse(json: String(line)) {
                case .success(let summary): parts.append(summary)
                case .failure(let error): return try fail("\(path):\(number + 1): \(error.message)")
                }
            }
        }
        let merged: ExploreSummary
        switch ExploreSummary.merge(parts) {
        case .success(let summary): merged = summary
        case .failure(let error): return try fail(error.message)
        }
        if json {
            print(merged.json)
        } else {
            for failure in merged.failures {
                print("seed \(failure.seed): \(failure.invariant): \(failure.evidence)" + (failure.script.map { "; replay: raftstep --script \($0)" } ?? ""))
            }
            print(merged.textLine)
        }
        if !merged.failures.isEmpty { throw ExitCode(1) }
    }

    /// Says what is wrong on stderr and exits 2 (1 means "a run failed").
    private func fail(_ message: String) throws {
        let bytes = Array("raftstep explore merge: \(message)\n".utf8)
        _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
        throw ExitCode(2)
    }

    /// The whole file as UTF-8 text, or nil when it cannot be opened or read.
    static func read(_ path: String) -> String? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            bytes.append(contentsOf: chunk[0..<count])
            if count < chunk.count { break }
        }
        guard ferror(file) == 0 else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
