import ArgumentParser
import RaftSim
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `raftstep explore merge [--json] FILE…`: the shards of a campaign, put back together (issue 16 §7b).
enum ExploreMerge {
    /// Reads, merges and prints; exits 1 when any run failed, 2 when the parts cannot be read or do not fit.
    static func run(files: [String], json: Bool) throws {
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
                print(
                    "seed \(failure.seed): \(failure.invariant): \(failure.evidence)"
                        + (failure.script.map { "; replay: raftstep --script \($0)" } ?? ""))
            }
            print(merged.textLine)
        }
        if !merged.failures.isEmpty { throw ExitCode(1) }
    }

    /// Says what is wrong on stderr and exits 2 (1 means "a run failed").
    private static func fail(_ message: String) throws {
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
