import RaftCore
import RaftSim

/// `expect …`: assertions used by lessons and scripts.
extension Session {
    /// The nodes `NODE|all` names now: `all` is every node that is up (none up is an error).
    func expectedNodes(_ nodes: Expectation.Nodes) throws(CommandError) -> [NodeID] {
        switch nodes {
        case .node(let id): return [id]
        case .all:
            let up = cluster.upNodes
            if up.isEmpty { throw CommandError("every node is down, so 'all' names nobody", command: "expect") }
            return up
        }
    }

    /// The node `NODE|all|none` names (`all`: the first node up; nil for none).
    func expectedTarget(_ target: Expectation.Target) throws(CommandError) -> NodeID? {
        switch target {
        case .none: return nil
        case .nodes(let nodes): return try expectedNodes(nodes).first
        }
    }

    /// `expect …`: checks the expectation; the outcome is `ok: …` or one `expect failed: …` line per failure.
    func expect(_ expectation: Expectation) throws(CommandError) -> Outcome {
        func upNode(_ id: NodeID) -> RaftNode? { cluster.node(id) }
        var failures: [String] = []
        var summary = ""

        switch expectation {
        case .leader(let target):
            let want = try expectedTarget(target)
            let have = cluster.leader
            if have != want { failures.append("leader is \(have.map { "n\($0)" } ?? "none"), expected \(want.map { "n\($0)" } ?? "none")") }
            summary = "leader is \(want.map { "n\($0)" } ?? "none")"
        case .role(let nodes, let wanted):
            for id in try expectedNodes(nodes) {
                let have = upNode(id).map { $0.role.rawValue } ?? "down"
                if have != wanted { failures.append("n\(id) is \(have), expected \(wanted)") }
            }
            summary = "\(nodes) is \(wanted)"
        case .counter(let counter, let nodes, let want):
            let form = counter.rawValue
            for id in try expectedNodes(nodes) {
                guard let node = upNode(id) else { failures.append("n\(id) is down"); continue }
                let have: UInt64
                switch counter {
                case .term: have = node.term
                case .commit: have = node.commitIndex
                case .applied: have = cluster.store(id).lastApplied
                }
                if have != want { failures.append("\(form) of n\(id) is \(have), expected \(want)") }
            }
            summary = "\(form) of \(nodes) is \(want)"
        case .log(let nodes, let want):
            for id in try expectedNodes(nodes) {
                guard let node = upNode(id) else { failures.append("n\(id) is down"); continue }
                // Entries compacted into a snapshot (before its last index) match any term.
                let compacted = Int(node.firstIndex) - 1 - (node.latestSnapshot == nil ? 0 : 1)
                let have = (0..<Int(node.lastIndex)).map { node.term(at: UInt64($0 + 1)) ?? 0 }
                let matches = have.count == want.count && zip(have, want).enumerated().allSatisfy { $0.offset < compacted || $0.element.0 == $0.element.1 }
                if !matches {
                    let shown = have.enumerated().map { $0.offset < compacted ? "s" : String($0.element) }
                    failures.append("log of n\(id) has terms [\(shown.joined(separator: " "))], expected [\(want.map(String.init).joined(separator: " "))]" + firstDifference(have, want, compacted: compacted))
                }
            }
            summary = "log of \(nodes) has terms [\(want.map(String.init).joined(separator: " "))]"
        case .kv(let nodes, let pairs):
            for id in try expectedNodes(nodes) {
                guard upNode(id) != nil else { failures.append("n\(id) is down"); continue }
                let store = cluster.store(id)
                for pair in pairs where store.values[pair.key] != pair.value {
                    failures.append("n\(id) has \(pair.key)=\(store.values[pair.key] ?? "(absent)"), expected \(pair.key)=\(pair.value ?? "(absent)")")
                }
            }
            summary = "kv of \(nodes): \(pairs.map(\.description).joined(separator: " "))"
        case .msgs(let want):
            if UInt64(cluster.inFlight.count) != want { failures.append("\(cluster.inFlight.count) message\(cluster.inFlight.count == 1 ? " is" : "s are") in flight, expected \(want)") }
            summary = "\(want) in flight"
        case .voted(let nodes, let target):
            let ids = try expectedNodes(nodes)
            let want: NodeID = try expectedTarget(target) ?? .none
            for id in ids {
                guard let node = upNode(id) else { failures.append("n\(id) is down"); continue }
                if node.vote != want { failures.append("n\(id) voted for \(node.vote == .none ? "nobody" : "n\(node.vote)") in term \(node.term), expected \(want == .none ? "nobody" : "n\(want)")") }
            }
            summary = "\(nodes) voted for \(target)"
        case .reads(let nodes, let want):
            for id in try expectedNodes(nodes) {
                let have = cluster.pendingReads(on: id).count
                if UInt64(have) != want { failures.append("n\(id) has \(have) pending read\(have == 1 ? "" : "s"), expected \(want)") }
            }
            summary = "\(nodes) has \(want) pending read\(want == 1 ? "" : "s")"
        case .up(let nodes, let up):
            for id in try expectedNodes(nodes) where cluster.isUp(id) != up {
                failures.append("n\(id) is \(cluster.isUp(id) ? "up" : "down")")
            }
            summary = "\(nodes) is \(up ? "up" : "down")"
        case .refused(let command, let reason):
            return expectRefused(command, because: reason)
        case .knownLeader(let nodes, let target), .transfer(let nodes, let target):
            let isTransfer = if case .transfer = expectation { true } else { false }
            let ids = try expectedNodes(nodes)
            let want: NodeID = try expectedTarget(target) ?? .none
            func show(_ id: NodeID) -> String { id == .none ? "none" : "n\(id)" }
            for id in ids {
                guard let node = upNode(id) else { failures.append("n\(id) is down"); continue }
                let have = isTransfer ? node.transferTarget : node.leader
                let what = isTransfer ? "n\(id)'s transfer target" : "the leader n\(id) knows"
                if have != want { failures.append("\(what) is \(show(have)), expected \(show(want))") }
            }
            summary = isTransfer ? "\(nodes) transfers to \(target)" : "\(nodes) knows leader \(target)"
        case .progress(let leader, let follower, let state, let match, let next):
            return expectProgress(leader: leader, follower: follower, state: state, match: match, next: next,
                                  shown: expectation.words.dropFirst(3).joined(separator: " "))
        case .read(let context, let pair, let index):
            return expectRead(context: context, pair, index: index, shown: expectation.words.dropFirst(2).joined(separator: " "))
        case .config(let nodes, let voters, let old, let learners):
            return try expectConfig(nodes, voters: voters, old: old, learners: learners)
        case .snapshot(let nodes, let index, let term):
            return try expectSnapshot(nodes, index: index, term: term)
        case .exit(let want):
            if let have = lastLogdumpExit {
                if have != want { failures.append("the last logdump command exited \(have), expected \(want)") }
            } else {
                failures.append("no logdump command has run yet")
            }
            summary = "logdump exit \(want)"
        case .invariantsHold:
            for violation in cluster.violations { failures.append("\(violation)") }
            summary = "invariants hold"
        case .violation(let name):
            let wanted = name.joined(separator: " ").lowercased().replacingDashes()
            if !cluster.violations.contains(where: { $0.invariant.lowercased().replacingDashes() == wanted }) {
                let seen = cluster.violations.map(\.invariant)
                failures.append("no \(name.joined(separator: " ")) violation was found" + (seen.isEmpty ? " (none at all)" : " (found: \(seen.joined(separator: ", ")))"))
            }
            summary = "\(name.joined(separator: " ")) was violated"
        }
        if failures.isEmpty { return Outcome(lines: ["ok: \(summary)"]) }
        return Outcome(lines: failures.map { "expect failed: \($0)" }, status: .expectationFailed)
    }

    /// `expect refused COMMAND… [because WORD…]`: the command is refused (it fails with an error
    /// and changes nothing); with `because`, every word after it appears in the error, in any case.
    func expectRefused(_ command: [String], because reason: [String]) -> Outcome {
        let result = execute(command.joined(separator: " "))
        let shown = command.joined(separator: " ")
        guard result.status == .error else {
            return Outcome(lines: ["expect failed: '\(shown)' was accepted, expected it to be refused"] + result.lines.map { "  \($0)" },
                           status: .expectationFailed)
        }
        let text = result.lines.joined(separator: " ").lowercased()
        let missing = reason.filter { !text.contains($0.lowercased()) }
        if !missing.isEmpty {
            return Outcome(lines: ["expect failed: '\(shown)' was refused, but not because \(reason.joined(separator: " ")): \(result.lines.joined(separator: " "))"],
                           status: .expectationFailed)
        }
        return Outcome(lines: ["ok: '\(shown)' is refused" + (reason.isEmpty ? "" : " because \(reason.joined(separator: " "))")])
    }

    /// `expect progress LEADER FOLLOWER probe|replicate|snapshot [match=N] [next=N]`: the leader's
    /// view of a follower's log.
    func expectProgress(leader: NodeID, follower: NodeID, state wanted: String, match: UInt64?, next: UInt64?, shown: String) -> Outcome {
        var failures: [String] = []
        if let node = cluster.node(leader), node.role == .leader {
            if let p = node.followerProgress.first(where: { $0.id == follower }) {
                let state = p.state.hasPrefix("snapshot") ? "snapshot" : p.state
                if state != wanted { failures.append("n\(leader) has n\(follower) in \(p.state), expected \(wanted)") }
                if let m = match, m != p.match { failures.append("n\(leader) has match \(p.match) for n\(follower), expected \(m)") }
                if let n = next, n != p.next { failures.append("n\(leader) has next \(p.next) for n\(follower), expected \(n)") }
            } else {
                failures.append("n\(leader) tracks no progress for n\(follower) (not a member of its configuration)")
            }
        } else {
            failures.append("n\(leader) is \(cluster.node(leader).map { $0.role.rawValue } ?? "down"), not leader")
        }
        if failures.isEmpty { return Outcome(lines: ["ok: n\(leader) has n\(follower) in \(shown)"]) }
        return Outcome(lines: failures.map { "expect failed: \($0)" }, status: .expectationFailed)
    }

    /// `expect read N KEY=VALUE|KEY= [index=I]`: read N was answered with this value (KEY= for
    /// absent), and confirmed at read index I.
    func expectRead(context: UInt64, _ pair: Expectation.KeyValue, index wantIndex: UInt64?, shown: String) -> Outcome {
        let (key, value) = (pair.key, pair.value ?? "")
        var failures: [String] = []
        if let served = cluster.servedReads.first(where: { $0.context == context }) {
            if served.key != key { failures.append("read \(context) was of \(served.key), not \(key)") }
            if served.value != (value.isEmpty ? nil : value) { failures.append("read \(context) was answered \(served.key)=\(served.value ?? "(absent)"), expected \(key)=\(value.isEmpty ? "(absent)" : value)") }
        } else {
            failures.append("read \(context) has not been answered")
        }
        if let wantIndex {
            let have = cluster.readIndexes[context]
            if have != wantIndex { failures.append("read \(context) was confirmed at \(have.map { "read index \($0)" } ?? "no read index"), expected \(wantIndex)") }
        }
        if failures.isEmpty { return Outcome(lines: ["ok: read \(context) answered \(shown)"]) }
        return Outcome(lines: failures.map { "expect failed: \($0)" }, status: .expectationFailed)
    }

    private func firstDifference(_ have: [UInt64], _ want: [UInt64], compacted: Int = 0) -> String {
        var i = 0
        while i < have.count && i < want.count && (i < compacted || have[i] == want[i]) { i += 1 }
        return "; first difference at index \(i + 1)"
    }
}

extension String {
    func replacingDashes() -> String { String(map { $0 == "-" || $0 == "_" ? " " : $0 }) }
}
