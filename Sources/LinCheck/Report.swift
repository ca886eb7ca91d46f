// The one line lincheck prints per file.

import JSONText

/// Input formats lincheck reads.
public enum HistoryFormat: String, Sendable, CaseIterable {
    /// One JSON object per line (docs/lincheck.md).
    case jsonl
    /// Jepsen's text log of a register test.
    case jepsen

    /// Parses `text` in this format.
    public func parse(_ text: String) throws(InputError) -> History {
        switch self {
        case .jsonl: return try parseJSONLines(text)
        case .jepsen: return try parseJepsenLog(text)
        }
    }
}

/// How many overlapping operations a verdict line names before it says "and N more".
let concurrentShown = 4

/// `NAME: linearizable`, `NAME: NOT linearizable (…)` or `NAME: unknown (…)`.
public func verdictLine(name: String, verdict: Verdict, history: History, model: Model = .register) -> String {
    switch verdict {
    case .linearizable:
        return "\(name): linearizable"
    case .unknown(let why):
        return "\(name): unknown (\(why))"
    case .notLinearizable(let violation):
        let key = violation.key.isEmpty ? "" : "key \(jsonQuoted(violation.key)): "
        var text = "\(name): NOT linearizable (\(key)stuck at \(history.describe(violation.stuck, model: model))"
        if let prefix = violation.prefixOperations {
            text += ": the \(prefix) operations called before it returned have no valid order"
        } else {
            text += " (the smallest failing prefix was not found within --max-states)"
        }
        if violation.concurrent.isEmpty {
            text += "; it overlaps no other operation"
        } else {
            let shown = violation.concurrent.prefix(concurrentShown).map { history.describe($0, model: model) }
            let more = violation.concurrent.count - shown.count
            text += "; concurrent: " + shown.joined(separator: ", ") + (more > 0 ? " and \(more) more" : "")
        }
        return text + ")"
    }
}
