// lincheck: is a recorded history linearizable? A thin command line over the LinCheck library.
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import ArgumentParser
import LinCheck

struct Lincheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lincheck",
        abstract: "Check that client histories are linearizable (Wing–Gong–Lowe search, per-key partitioning).",
        discussion: """
            Prints one line per file: `FILE: linearizable`, `FILE: NOT linearizable (…)` with the smallest \
            prefix that has no valid order and the operations involved, or `FILE: unknown (…)` (bad input, or \
            the search was cut off at --max-states).

            Exit codes: 0 every file is linearizable; 1 some file is NOT linearizable (whatever the others \
            say); 2 otherwise when some file is unknown, and for usage errors. See docs/lincheck.md for the \
            jsonl schema and what a verdict proves.
            """)

    @Option(help: ArgumentHelp("Input format: jsonl (one operation per line) or jepsen (Jepsen's register log).", valueName: "FORMAT"))
    var format: HistoryFormat = .jsonl

    @Option(help: ArgumentHelp("Sequential model: register (read/write/cas) or kv (get/set/incr/del).", valueName: "MODEL"))
    var model: Model = .register

    @Option(help: ArgumentHelp("Give up (verdict unknown, exit 2) after this many explored search states per file.", valueName: "N"))
    var maxStates: Int = Checker.defaultMaxStates

    @Option(
        help: ArgumentHelp(
            "Give up (verdict unknown, exit 2) when one search's remembered states would take more than this many MiB.", valueName: "MB"))
    var maxMemoryMb: Int = Checker.defaultMaxMemoryBytes >> 20

    @Flag(help: "Also print, per file, the number of operations and of explored states on stderr.")
    var stats = false

    @Argument(help: ArgumentHelp("History files.", valueName: "FILE"))
    var files: [String]

    func validate() throws {
        guard maxStates > 0 else { throw ValidationError("--max-states must be positive") }
        guard maxMemoryMb > 0 && maxMemoryMb <= 1 << 30 else { throw ValidationError("--max-memory-mb must be between 1 and 2^30") }
        guard !files.isEmpty else { throw ValidationError("name at least one history file") }
    }

    func run() throws {
        let checker = Checker(model: model, maxStates: maxStates, maxMemoryBytes: maxMemoryMb << 20)
        var anyViolation = false, anyUnknown = false
        for file in files {
            let verdict: Verdict
            var history = History()
            var states = 0
            switch readFile(file) {
            case .failure(let failure):
                verdict = .unknown("cannot read: \(failure.message)")
            case .success(let text):
                do {
                    history = try format.parse(text)
                    (verdict, states) = checker.check(history)
                } catch {
                    verdict = .unknown("bad input: \(error.description)")
                }
            }
            printLine(verdictLine(name: file, verdict: verdict, history: history, model: model), to: 1)
            if stats { printLine("\(file): \(history.operations.count) operations, \(states) states explored") }
            switch verdict {
            case .linearizable: break
            case .notLinearizable: anyViolation = true
            case .unknown: anyUnknown = true
            }
        }
        throw ExitCode(anyViolation ? 1 : anyUnknown ? 2 : 0)
    }
}

extension HistoryFormat: ExpressibleByArgument {}
extension Model: ExpressibleByArgument {}

/// Writes a line straight to a descriptor (stdout 1, stderr 2), unbuffered so that the two streams
/// interleave in order (and Swift 6 forbids touching C's shared `stderr`).
func printLine(_ line: String, to fd: Int32 = 2) {
    let bytes = Array((line + "\n").utf8)
    var written = 0
    while written < bytes.count {
        let count = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { return }  // nowhere left to report to
        written += count
    }
}

/// The whole file as UTF-8 text (invalid bytes become U+FFFD and then fail to parse), or why not.
func readFile(_ path: String) -> Result<String, ReadFailure> {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return .failure(ReadFailure(String(cString: strerror(errno)))) }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            return .failure(ReadFailure(String(cString: strerror(errno))))
        }
        if count == 0 { break }
        bytes.append(contentsOf: chunk[0..<count])
    }
    return .success(String(decoding: bytes, as: UTF8.self))
}

/// An I/O error message (a `Result` needs an `Error`).
struct ReadFailure: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

// Usage errors exit 2 like bad input (ArgumentParser's default would be 64); help still exits 0.
do {
    var command = try Lincheck.parseAsRoot()
    try command.run()
} catch {
    if let exit = error as? ExitCode { Lincheck.exit(withError: exit) }
    if Lincheck.exitCode(for: error) == .success { Lincheck.exit(withError: error) }
    printLine(Lincheck.fullMessage(for: error))
    printLine("Usage: lincheck [--format jsonl|jepsen] [--model register|kv] [--max-states N] [--max-memory-mb MB] FILE…")
    exit(2)
}
