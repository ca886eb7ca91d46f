// libFuzzer target: arbitrary bytes as REPL input. The text is split into lines (at most 64) and
// each line goes through one `Session.execute` of a fresh 3-node cluster (seed 1), as typed at the
// prompt: the tokenizer, `Command.parse`, every handler, and the cluster operations behind them.
// Every line that parses must parse again, to the same command, from its canonical spelling.
// The REPL promises that it never traps, and that a line it refuses gets exactly one `error: …`
// line with the usage and changes neither the cluster nor the history; a broken promise traps
// here so libFuzzer keeps the input.
@testable import RaftStepCLI

import RaftSim

/// Commands that touch the real file system are not fed: `save` writes a file, `load` reads any
/// path (a FIFO or /dev/zero would block or fill memory), `disk` writes and damages files, and
/// `logdump` reads them and (`repair`) rewrites them; nor is `expect refused` of one of them. The
/// in-suite fuzzer feeds `save`, `load` and `disk` without arguments (Tests/RaftSimTests/FuzzTests.swift).
func touchesFiles(_ command: Command) -> Bool {
    switch command {
    case .save, .load, .disk, .logdump: return true
    case .expect(.refused(let words, _)): return (try? Command.parse(words: words)).map(touchesFiles) ?? false
    default: return false
    }
}

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

/// libFuzzer entry: feed arbitrary lines to a REPL session (each parsed command must also survive the round trip through its `description`).
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
        let nodeCount = session.cluster.ids.count
        // A line the language accepts is spelled back canonically, and that spelling is the same
        // command; the line is fed as typed unless the harness bounds its work (then canonically).
        if let command = try? Command.parse(line, nodeCount: nodeCount) {
            let again = try? Command.parse(command.description, nodeCount: nodeCount)
            precondition(again == command, "'\(line)' is spelled '\(command.description)', which parses to \(String(describing: again))")
            if touchesFiles(command) { continue }
            switch command {
            case .tick(let nodes, let count):
                let ticks = min(count ?? 1, max(1, ticksLeft))
                if ticks != (count ?? 1) { line = Command.tick(nodes: nodes, count: ticks).description }
                ticksLeft -= ticks
            case .stabilize(nil) where session.cluster.inFlight.count > stabilizeCap: line = Command.stabilize(limit: stabilizeCap).description
            case .stabilize(let limit?) where limit > stabilizeCap: line = Command.stabilize(limit: stabilizeCap).description
            case .duplicate where session.cluster.inFlight.count >= duplicateCap: continue
            default: break
            }
        }
        fed += 1
        let before = session.cluster.fingerprint
        let historyBefore = session.history
        let result = session.execute(line)
        if result.status == .error {
            precondition(
                result.lines.count == 1 && result.lines[0].hasPrefix("error: "),
                "'\(line)': a refused line must give one error line, got \(result.lines)")
            precondition(result.lines[0].contains(" — usage: "), "'\(line)': the error gives no usage: \(result.lines[0])")
            precondition(session.cluster.fingerprint == before, "'\(line)' was refused but changed the cluster")
            precondition(session.history == historyBefore, "'\(line)' was refused but was recorded")
        }
        if result.status == .quit { break }
    }
    return 0
}
