// Jepsen's text log of a register test (as in Jepsen's etcd runs):
//
//     INFO  jepsen.util - 3	:invoke	:cas	[3 0]
//     INFO  jepsen.util - 3	:ok	:cas	[3 0]
//
// Only lines with "jepsen.util - " and a numeric process are events; nemesis and setup lines are
// skipped. The log has no clock: an event's line number is its time, which keeps the real-time
// order the log records and never invents one.

import JSONText

/// Reads a Jepsen register log. `:ok` completes an operation, `:fail` means it did not happen (for a
/// CAS: the compare failed, which is also an observation), `:info` or no completion at all means unknown.
public func parseJepsenLog(_ text: String) throws(InputError) -> History {
    var history = History()
    var pending: [String: (function: String, argument: String, line: Int)] = [:]
    var finished: [Operation] = []
    var lineNumber = 0
    var clientEvents = 0
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        lineNumber += 1
        guard let marker = line.firstRange(of: "jepsen.util - ") else { continue }
        let fields = line[marker.upperBound...].split(maxSplits: 3, whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count >= 3, Int(fields[0]) != nil else { continue }  // the nemesis, not a client
        clientEvents += 1
        let process = String(fields[0]), type = String(fields[1]), function = String(fields[2])
        let argument = fields.count > 3 ? String(fields[3].trimmingWhitespace()) : ""
        guard [":read", ":write", ":cas"].contains(function) else {
            throw InputError(line: lineNumber, "unsupported operation \(function) (a register has :read, :write, :cas)")
        }
        if type == ":invoke" {
            if let open = pending[process] {
                throw InputError(line: lineNumber, "process \(process) invokes again while its \(open.function) of line \(open.line) is outstanding")
            }
            pending[process] = (function, argument, lineNumber)
            continue
        }
        guard [":ok", ":fail", ":info"].contains(type) else {
            throw InputError(line: lineNumber, "unknown event type \(type) (:invoke, :ok, :fail, :info)")
        }
        guard let call = pending.removeValue(forKey: process) else {
            throw InputError(line: lineNumber, "process \(process) completes \(function) without an invocation")
        }
        guard call.function == function else {
            throw InputError(line: lineNumber, "process \(process) completes \(function) but invoked \(call.function) on line \(call.line)")
        }
        let returned = type == ":info" ? nil : lineNumber
        if let op = try jepsenOperation(
            process: process, call: call, type: type, completion: argument,
            returnLine: returned, completionLine: lineNumber, &history)
        {
            finished.append(op)
        }
    }
    // A file with no client event is not a Jepsen log (another file named by mistake): saying
    // "linearizable" about it would be a verdict on nothing.
    guard clientEvents > 0 else {
        throw InputError(line: 0, "no client events (lines like `jepsen.util - 3 :invoke :read nil`): not a Jepsen log")
    }
    for (process, call) in pending {  // never completed before the end of the log: unknown outcome
        if let op = try jepsenOperation(
            process: process, call: call, type: ":info", completion: "",
            returnLine: nil, completionLine: call.line, &history)
        {
            finished.append(op)
        }
    }
    history.operations = finished.sorted { $0.callLine < $1.callLine }
    return history
}

/// The operation for one invocation and its completion, or nil when it constrains nothing.
private func jepsenOperation(
    process: String, call: (function: String, argument: String, line: Int), type: String,
    completion: String, returnLine: Int?, completionLine: Int,
    _ history: inout History
) throws(InputError) -> Operation? {
    let action: Action
    switch call.function {
    case ":read":
        guard type == ":ok" else { return nil }  // a failed or unknown read changed nothing
        action = .read(observed: try jepsenValue(completion, line: completionLine))
    case ":write":
        if type == ":fail" { return nil }
        action = .write(try jepsenValue(call.argument, line: call.line))
    default:
        let pair = try jepsenPair(call.argument, line: call.line)
        action = .cas(expected: pair.0, new: pair.1, swapped: type == ":ok")
    }
    return Operation(
        client: process, key: "", action: action, callTime: Int64(call.line),
        returnTime: returnLine.map { Int64($0) }, callLine: call.line, returnLine: returnLine)
}

/// `nil` or an integer.
private func jepsenValue(_ text: String, line: Int) throws(InputError) -> Value {
    if text == "nil" { return .absent }
    guard let number = Int64(text) else { throw InputError(line: line, "expected nil or an integer, not \(jsonQuoted(text))") }
    return .integer(number)
}

/// `[FROM TO]`.
private func jepsenPair(_ text: String, line: Int) throws(InputError) -> (Value, Value) {
    guard text.hasPrefix("["), text.hasSuffix("]") else { throw InputError(line: line, "expected [FROM TO], not \(jsonQuoted(text))") }
    let parts = text.dropFirst().dropLast().split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," })
    guard parts.count == 2 else { throw InputError(line: line, "expected [FROM TO], not \(jsonQuoted(text))") }
    return (try jepsenValue(String(parts[0]), line: line), try jepsenValue(String(parts[1]), line: line))
}

extension Substring {
    /// The text without leading or trailing spaces, tabs and carriage returns.
    fileprivate func trimmingWhitespace() -> Substring {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !blank($0) }), let last = lastIndex(where: { !blank($0) }) else { return "" }
        return self[first...last]
    }
}
