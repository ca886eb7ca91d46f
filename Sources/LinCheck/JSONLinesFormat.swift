// The JSON-lines history format (docs/lincheck.md, "The jsonl format"): one operation per line.

import JSONText

/// Bad input: what is wrong and on which line (1-based; 0 when it is about the whole input).
public struct InputError: Error, Equatable, Sendable {
    /// The line the problem is on, or 0 for the whole input.
    public var line: Int
    /// What is wrong, in words.
    public var message: String

    /// Creates an error about `line`.
    public init(line: Int, _ message: String) {
        self.line = line
        self.message = message
    }

    /// "line N: message", or the message alone for the whole input.
    public var description: String { line > 0 ? "line \(line): \(message)" : message }
}

/// Reads a JSON-lines history: one object per non-blank line with `client`, `op`, `key`, `value`,
/// `call`, `return` and `result`.
public func parseJSONLines(_ text: String) throws(InputError) -> History {
    var history = History()
    var lineNumber = 0
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        lineNumber += 1
        if line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { continue }
        let json: JSON
        do { json = try parseJSON(line) } catch {
            throw InputError(line: lineNumber, "column \(error.column): \(error.message)")
        }
        var reader = OperationReader(json: json, line: lineNumber)
        if let op = try reader.operation(&history) { history.operations.append(op) }
    }
    return history
}

/// Turns one parsed line into an operation (or nil when it constrains nothing).
private struct OperationReader {
    let json: JSON
    let line: Int

    func fail(_ message: String) -> InputError { InputError(line: line, message) }

    mutating func operation(_ history: inout History) throws(InputError) -> Operation? {
        guard case .object = json else { throw fail("expected a JSON object") }
        let client = try clientName()
        guard case .string(let opName)? = json["op"] else { throw fail("missing \"op\" (a string)") }
        let key: String
        switch json["key"] {
        case nil, .null?: key = ""
        case .string(let name)?: key = name
        default: throw fail("\"key\" must be a string")
        }
        guard case .string(let result)? = json["result"] else { throw fail("missing \"result\" (ok, fail or unknown)") }
        guard ["ok", "fail", "unknown"].contains(result) else {
            throw fail("\"result\" must be ok, fail or unknown, not \(jsonQuoted(result))")
        }
        let callTime = try time("call", required: true)!
        var returnTime = try time("return", required: result != "unknown")
        if result == "unknown" { returnTime = nil }
        if let end = returnTime {
            guard end >= callTime else { throw fail("\"return\" (\(end)) is before \"call\" (\(callTime))") }
            guard end < Int64.max else { throw fail("\"return\" must be below \(Int64.max)") }
        }
        let unknown = result == "unknown"
        let action: Action
        switch opName.lowercased() {
        case "read", "get":
            if result != "ok" { return nil }  // a read that failed or timed out changed nothing
            guard let observed = json["value"] else { throw fail("a read needs \"value\": what it saw (null when absent)") }
            action = .read(observed: try value(observed, &history))
        case "write", "set":
            if result == "fail" { return nil }  // did not happen
            guard let written = json["value"], written != .null else { throw fail("a write needs a non-null \"value\"") }
            action = .write(try value(written, &history))
        case "cas":
            guard case .array(let pair)? = json["value"], pair.count == 2 else {
                throw fail("a cas needs \"value\": [expected, new]")
            }
            guard pair[1] != .null else { throw fail("a cas cannot set null") }
            action = .cas(expected: try value(pair[0], &history), new: try value(pair[1], &history), swapped: result == "ok")
        case "incr":
            if result == "fail" { return nil }
            action = .increment(result: unknown ? nil : try integer(json["value"], "an ok incr needs \"value\": the integer it returned"))
        case "del":
            if result == "fail" { return nil }
            let removed = unknown ? nil : try integer(json["value"], "an ok del needs \"value\": how many keys it removed")
            if let removed, removed != 0 && removed != 1 { throw fail("a del of one key removes 0 or 1, not \(removed)") }
            action = .delete(removed: removed.map { Int($0) })
        default:
            throw fail("unknown op \(jsonQuoted(opName)) (read, write, cas, get, set, incr, del)")
        }
        return Operation(
            client: client, key: key, action: action, callTime: callTime, returnTime: returnTime,
            callLine: line, returnLine: returnTime == nil ? nil : line)
    }

    func clientName() throws(InputError) -> String {
        switch json["client"] {
        case .string(let name)?: return name
        case .number(let text)? where Int64(text) != nil: return text
        default: throw fail("missing \"client\" (a string or an integer)")
        }
    }

    func time(_ name: String, required: Bool) throws(InputError) -> Int64? {
        switch json[name] {
        case nil, .null?:
            if required { throw fail("missing \"\(name)\" (integer nanoseconds)") }
            return nil
        case .number(let text)?:
            guard let nanoseconds = Int64(text) else { throw fail("\"\(name)\" must be an integer of nanoseconds, not \(text)") }
            return nanoseconds
        default:
            throw fail("\"\(name)\" must be an integer of nanoseconds")
        }
    }

    func value(_ json: JSON, _ history: inout History) throws(InputError) -> Value {
        switch json {
        case .null: return .absent
        case .string(let text): return history.value(of: text)
        case .number(let text):
            guard let number = Int64(text) else { throw fail("values are strings or integers, not \(text)") }
            return .integer(number)
        default: throw fail("values are strings, integers or null")
        }
    }

    func integer(_ json: JSON?, _ message: String) throws(InputError) -> Int64 {
        guard case .number(let text)? = json, let number = Int64(text) else { throw fail(message) }
        return number
    }
}

/// Writes a history as JSON lines that `parseJSONLines` reads back to the same operations (lines renumbered).
/// Reads and writes are spelled `read`/`write` for the register model and `get`/`set` for kv.
public func renderJSONLines(_ history: History, model: Model) -> String {
    func json(_ value: Value) -> String {
        switch value {
        case .absent: return "null"
        case .integer(let number): return String(number)
        case .text(let index): return jsonQuoted(history.texts[index])
        }
    }
    var out = ""
    for op in history.operations {
        let (name, value, result): (String, String, String)
        switch op.action {
        case .read(let observed): (name, value, result) = (model == .kv ? "get" : "read", json(observed), "ok")
        case .write(let written): (name, value, result) = (model == .kv ? "set" : "write", json(written), "ok")
        case .cas(let expected, let new, let swapped):
            (name, value, result) = ("cas", "[\(json(expected)),\(json(new))]", swapped ? "ok" : "fail")
        case .increment(let sum): (name, value, result) = ("incr", sum.map { String($0) } ?? "null", "ok")
        case .delete(let removed): (name, value, result) = ("del", removed.map { String($0) } ?? "null", "ok")
        }
        let returned = op.returnTime.map { String($0) } ?? "null"
        out += "{\"client\":\(jsonQuoted(op.client)),\"op\":\"\(name)\",\"key\":\(jsonQuoted(op.key)),\"value\":\(value),"
        out += "\"call\":\(op.callTime),\"return\":\(returned),\"result\":\"\(op.isUnknown ? "unknown" : result)\"}\n"
    }
    return out
}
