import Foundation
import Testing
import LinCheck

/// The package's root directory (this file is Tests/LinCheckTests/Support.swift).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The vendored Jepsen histories.
let jepsenDirectory = packageRoot.appendingPathComponent("Tests/LinCheckTests/Data/jepsen-etcd")

/// Parses JSON lines and checks them; a parse error fails the test.
func verdict(
    _ jsonLines: String, model: Model = .register, maxStates: Int = Checker.defaultMaxStates,
    sourceLocation: SourceLocation = #_sourceLocation
) -> Verdict? {
    do {
        let history = try parseJSONLines(jsonLines)
        return Checker(model: model, maxStates: maxStates).check(history).verdict
    } catch {
        Issue.record("bad test history: \(error.description)", sourceLocation: sourceLocation)
        return nil
    }
}

/// One JSON line: `op(client, name, value, call, return)`; `ret: nil` with `result: "unknown"`.
func op(
    _ client: Int, _ name: String, _ value: String = "null", key: String? = nil, _ call: Int, _ ret: Int?,
    result: String = "ok"
) -> String {
    let keyField = key.map { ",\"key\":\"\($0)\"" } ?? ""
    let returned = ret.map(String.init) ?? "null"
    return "{\"client\":\(client),\"op\":\"\(name)\"\(keyField),\"value\":\(value),\"call\":\(call),\"return\":\(returned),\"result\":\"\(result)\"}"
}

extension Verdict {
    /// True for `.linearizable`.
    var isLinearizable: Bool { self == .linearizable }

    /// The violation, when there is one.
    var violation: Violation? {
        if case .notLinearizable(let found) = self { return found }
        return nil
    }

    /// True for `.unknown`.
    var isUnknown: Bool {
        if case .unknown = self { return true }
        return false
    }
}
