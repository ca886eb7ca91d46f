// libFuzzer target: arbitrary bytes as REPL input. The text is split into lines (at most 64) and
// each line goes through one `Session.execute` of a fresh 3-node cluster (seed 1), as typed at the
// prompt: the tokenizer, every command's argument parsing, and the cluster operations behind them.
// The REPL promises that it never traps, and that a line it refuses gets exactly one `error: …`
// line with the usage and changes neither the cluster nor the history; a broken promise traps
// here so libFuzzer keeps the input.
@testable import RaftStepCLI

/// Commands that touch the real file system are not fed: `save` writes a file, `load` reads any
/// path (a FIFO or /dev/zero would block or fill memory), `disk` writes and damages files, and
/// `logdump` reads them and (`repair`) rewrites them. The in-suite fuzzer feeds `save`, `load`
/// and `disk` without arguments (Tests/RaftSimTests/FuzzTests.swift).
let fileCommands: Set<String> = ["save", "load", "disk", "logdump"]

/// Every REPL command is bounded on its own (`tick` at 10000 rounds, `stabilize` at 10000000
/// deliveries), but messages in flight pile up across commands (`tick` queues heartbeats or votes
/// every round; `duplicate all` doubles the queue) and delivering from a long queue is
/// slow: on 25 nodes `tick 10000` queues ~440k messages and the `stabilize` after it runs for
/// minutes (Fuzz/README.md). Each delivery also runs the invariant checker. To keep an input in
/// the millisecond range the harness lowers tick counts to a budget of 100 rounds per input and
/// `stabilize` limits to 1000 (a bare `stabilize` gets the limit when more than 1000 messages are
/// in flight), and skips `duplicate` once 1000 messages are in flight. The parsing of large numbers
/// is still reached through the other numeric arguments and the counts the REPL refuses.
let tickBudget = 100
let stabilizeCap = 1_000
let duplicateCap = 1_000
let maxLines = 64

/// The line with its final count lowered to `cap`, when it is a number above it.
func clamped(_ line: String, _ words: [String], to cap: Int) -> String {
    guard words.count >= 2, let last = words.last, last.utf8.count <= 12,
          last.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let value = Int(last), value > cap else { return line }
    // Tokens hold no blank, `|` or leading comment `#`, so joining them tokenizes to the same words.
    return (words.dropLast() + [String(cap)]).joined(separator: " ")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCommand(_ data: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: data, count: count), as: UTF8.self)
    var options = SessionOptions()
    options.cluster.nodeCount = 3
    options.cluster.seed = 1
    let session = try! Session(options: options)
    var fed = 0
    var ticksLeft = tickBudget
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
        guard fed < maxLines else { break }
        var line = String(raw)
        let words = Session.tokenize(line)
        if let first = words.first, fileCommands.contains(first) { continue }
        switch words.first {
        case "tick":
            line = clamped(line, words, to: max(1, ticksLeft))
            ticksLeft -= Int(Session.tokenize(line).last ?? "") ?? 1
        case "stabilize" where words.count == 1 && session.cluster.inFlight.count > stabilizeCap: line = "stabilize \(stabilizeCap)"
        case "stabilize": line = clamped(line, words, to: stabilizeCap)
        case "duplicate" where session.cluster.inFlight.count >= duplicateCap: continue
        default: break
        }
        fed += 1
        let before = session.cluster.fingerprint
        let historyBefore = session.history
        let result = session.execute(line)
        if result.status == .error {
            precondition(result.lines.count == 1 && result.lines[0].hasPrefix("error: "),
                         "'\(line)': a refused line must give one error line, got \(result.lines)")
            precondition(result.lines[0].contains(" — usage: "), "'\(line)': the error gives no usage: \(result.lines[0])")
            precondition(session.cluster.fingerprint == before, "'\(line)' was refused but changed the cluster")
            precondition(session.history == historyBefore, "'\(line)' was refused but was recorded")
        }
        if result.status == .quit { break }
    }
    return 0
}
