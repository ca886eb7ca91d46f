import RaftCore
import RaftSim

/// What one expectation found: its failures (none: it holds) and the words `ok:` shows.
struct ExpectationCheck {
    var failures: [String] = []
    var summary: String

    /// `ok: SUMMARY`, or one `expect failed: …` line per failure.
    var outcome: Session.Outcome {
        if failures.isEmpty { return Session.Outcome(lines: ["ok: \(summary)"]) }
        return Session.Outcome(lines: failures.map { "expect failed: \($0)" }, status: .expectationFailed)
    }
}

/// The `expect` forms that compare a node's state, or the cluster's, with a wanted value: one
/// function per form, each returning its failures and summary.
extension Session {
    /// `expect leader NODE|none`.
    func checkLeader(_ target: Expectation.Target) throws(CommandError) -> ExpectationCheck {
        let want = try expectedTarget(target)
        let have = cluster.leader
        var check = ExpectationCheck(summary: "leader is \(want.map { "n\($0)" } ?? "none")")
        if have != want { check.failures.append("leader is \(have.map { "n\($0)" } ?? "none"), expected \(want.map { "n\($0)" } ?? "none")") }
        return check
    }

    /// `expect NODE|all is leader|candidate|follower|…`.
    func checkRole(_ nodes: Expectation.Nodes, _ wanted: String) throws(CommandError) -> ExpectationCheck {
        var check = ExpectationCheck(summary: "\(nodes) is \(wanted)")
        for id in try expectedNodes(nodes) {
            let have = cluster.node(id).map { $0.role.rawValue } ?? "down"
            if have != wanted { check.failures.append("n\(id) is \(have), expected \(wanted)") }
        }
        return check
    }

    /// `expect term|commit|applied NODE|all N`.
    func checkCounter(_ counter: Expectation.Counter, _ nodes: Expectation.Nodes, _ want: UInt64) throws(CommandError) -> ExpectationCheck {
        let form = counter.rawValue
        var check = ExpectationCheck(summary: "\(form) of \(nodes) is \(want)")
        for id in try expectedNodes(nodes) {
            guard let node = cluster.node(id) else { check.failures.append("n\(id) is down"); continue }
            let have: UInt64
            switch counter {
            case .term: have = node.term
            case .commit: have = node.commitIndex
            case .applied: have = cluster.store(id).lastApplied
            }
            if have != want { check.failures.append("\(form) of n\(id) is \(have), expected \(want)") }
        }
        return check
    }

    /// `expect log NODE|all TERM…`: the terms of the node's log, entry by entry.
    func checkLogTerms(_ nodes: Expectation.Nodes, _ want: [UInt64]) throws(CommandError) -> ExpectationCheck {
        var check = ExpectationCheck(summary: "log of \(nodes) has terms [\(want.map(String.init).joined(separator: " "))]")
        for id in try expectedNodes(nodes) {
            guard let node = cluster.node(id) else { check.failures.append("n\(id) is down"); continue }
            // Entries compacted into a snapshot (before its last index) match any term.
            let compacted = Int(node.firstIndex) - 1 - (node.latestSnapshot == nil ? 0 : 1)
            let have = (0..<Int(node.lastIndex)).map { node.term(at: UInt64($0 + 1)) ?? 0 }
            let matches =
                have.count == want.count && zip(have, want).enumerated().allSatisfy { $0.offset < compacted || $0.element.0 == $0.element.1 }
            if !matches {
                let shown = have.enumerated().map { $0.offset < compacted ? "s" : String($0.element) }
                check.failures.append(
                    "log of n\(id) has terms [\(shown.joined(separator: " "))], expected [\(want.map(String.init).joined(separator: " "))]"
                        + firstDifference(have, want, compacted: compacted))
            }
        }
        return check
    }

    /// `expect kv NODE|all KEY=VALUE…` (KEY= for absent).
    func checkStore(_ nodes: Expectation.Nodes, _ pairs: [Expectation.KeyValue]) throws(CommandError) -> ExpectationCheck {
        var check = ExpectationCheck(summary: "kv of \(nodes): \(pairs.map(\.description).joined(separator: " "))")
        for id in try expectedNodes(nodes) {
            guard cluster.node(id) != nil else { check.failures.append("n\(id) is down"); continue }
            let store = cluster.store(id)
            for pair in pairs where store.values[pair.key] != pair.value {
                check.failures.append(
                    "n\(id) has \(pair.key)=\(store.values[pair.key] ?? "(absent)"), expected \(pair.key)=\(pair.value ?? "(absent)")")
            }
        }
        return check
    }

    /// `expect msgs N`: how many messages are in flight.
    func checkInFlight(_ want: UInt64) -> ExpectationCheck {
        var check = ExpectationCheck(summary: "\(want) in flight")
        let count = cluster.inFlight.count
        if UInt64(count) != want { check.failures.append("\(count) message\(count == 1 ? " is" : "s are") in flight, expected \(want)") }
        return check
    }

    /// `expect NODE|all voted NODE|none`: the vote of the node's current term.
    func checkVote(_ nodes: Expectation.Nodes, _ target: Expectation.Target) throws(CommandError) -> ExpectationCheck {
        var check = ExpectationCheck(summary: "\(nodes) voted for \(target)")
        let ids = try expectedNodes(nodes)
        let want: NodeID = try expectedTarget(target) ?? .none
        for id in ids {
            guard let node = cluster.node(id) else { check.failures.append("n\(id) is down"); continue }
            if node.vote != want {
                check.failures.append(
                    "n\(id) voted for \(node.vote == .none ? "nobody" : "n\(node.vote)") in term \(node.term), expected \(want == .none ? "nobody" : "n\(want)")"
                )
            }
        }
        return check
    }

    /// `expect reads NODE|all N`: reads waiting on the node.
    func checkPendingReads(_ nodes: Expectation.Nodes, _ want: UInt64) throws(CommandError) -> ExpectationCheck {
        var check = ExpectationCheck(summary: "\(nodes) has \(want) pending read\(want == 1 ? "" : "s")")
        for id in try expectedNodes(nodes) {
            let have = cluster.pendingReads(on: id).count
            if UInt64(have) != want { check.failures.append("n\(id) has \(have) pending read\(have == 1 ? "" : "s"), expected \(want)") }
        }
        return check
    }

    /// `expect NODE|all up|down`.
    func checkUp(_ nodes: Expectation.Nodes, _ up: Bool) throws(CommandError) -> ExpectationCheck {
        var check = ExpectationCheck(summary: "\(nodes) is \(up ? "up" : "down")")
        for id in try expectedNodes(nodes) where cluster.isUp(id) != up {
            check.failures.append("n\(id) is \(cluster.isUp(id) ? "up" : "down")")
        }
        return check
    }

    /// `expect NODE|all knows leader NODE|none`, or with `transfer`, `expect NODE|all transfers to NODE|none`.
    func checkKnownLeader(_ nodes: Expectation.Nodes, _ target: Expectation.Target, transfer: Bool) throws(CommandError) -> ExpectationCheck {
        var check = ExpectationCheck(summary: transfer ? "\(nodes) transfers to \(target)" : "\(nodes) knows leader \(target)")
        let ids = try expectedNodes(nodes)
        let want: NodeID = try expectedTarget(target) ?? .none
        func show(_ id: NodeID) -> String { id == .none ? "none" : "n\(id)" }
        for id in ids {
            guard let node = cluster.node(id) else { check.failures.append("n\(id) is down"); continue }
            let have = transfer ? node.transferTarget : node.leader
            let what = transfer ? "n\(id)'s transfer target" : "the leader n\(id) knows"
            if have != want { check.failures.append("\(what) is \(show(have)), expected \(show(want))") }
        }
        return check
    }

    /// `expect exit N`: the exit status of the last `logdump` command.
    func checkLogdumpExit(_ want: Int32) -> ExpectationCheck {
        var check = ExpectationCheck(summary: "logdump exit \(want)")
        if let have = lastLogdumpExit {
            if have != want { check.failures.append("the last logdump command exited \(have), expected \(want)") }
        } else {
            check.failures.append("no logdump command has run yet")
        }
        return check
    }

    /// `expect violation NAME…`: the checker found this invariant broken (dashes and case ignored).
    func checkViolation(_ name: [String]) -> ExpectationCheck {
        var check = ExpectationCheck(summary: "\(name.joined(separator: " ")) was violated")
        let wanted = name.joined(separator: " ").lowercased().replacingDashes()
        if !cluster.violations.contains(where: { $0.invariant.lowercased().replacingDashes() == wanted }) {
            let seen = cluster.violations.map(\.invariant)
            check.failures.append(
                "no \(name.joined(separator: " ")) violation was found"
                    + (seen.isEmpty ? " (none at all)" : " (found: \(seen.joined(separator: ", ")))"))
        }
        return check
    }

    private func firstDifference(_ have: [UInt64], _ want: [UInt64], compacted: Int = 0) -> String {
        var i = 0
        while i < have.count && i < want.count && (i < compacted || have[i] == want[i]) { i += 1 }
        return "; first difference at index \(i + 1)"
    }
}
