import RaftCore
import RaftSim

/// `expect …`: assertions used by lessons and scripts.
extension Session {
    func expect(_ args: [String]) throws(CommandError) -> Outcome {
        let name = "expect"
        guard let form = args.first else { throw CommandError("say what to expect", command: name) }
        let rest = Array(args.dropFirst())

        func nodes(_ word: String?) throws(CommandError) -> [NodeID] {
            guard let word else { throw CommandError("name a node or all", command: name) }
            if word == "all" {
                let up = cluster.upNodes
                if up.isEmpty { throw CommandError("every node is down, so 'all' names nobody", command: name) }
                return up
            }
            guard let id = NodeName.parse(word), id <= UInt64(cluster.ids.count) else {
                throw CommandError("'\(word)' is not a node of this cluster (n1…n\(cluster.ids.count)) or all", command: name)
            }
            return [id]
        }
        func value(_ word: String?) throws(CommandError) -> UInt64 {
            guard let word, word.count <= 20, let v = UInt64(word) else { throw CommandError("expected a number\(word.map { ", not '\($0)'" } ?? "")", command: name) }
            return v
        }
        func upNode(_ id: NodeID) -> RaftNode? { cluster.node(id) }
        var failures: [String] = []
        var summary = ""

        switch form {
        case "leader":
            guard rest.count == 1 else { throw CommandError("expected: expect leader NODE|none", command: name) }
            let want: NodeID? = rest[0] == "none" ? nil : try nodes(rest[0]).first
            let have = cluster.leader
            if have != want { failures.append("leader is \(have.map { "n\($0)" } ?? "none"), expected \(want.map { "n\($0)" } ?? "none")") }
            summary = "leader is \(want.map { "n\($0)" } ?? "none")"
        case "role":
            guard rest.count == 2 else { throw CommandError("expected: expect role NODE ROLE", command: name) }
            let ids = try nodes(rest[0])
            let wanted = rest[1] == "precandidate" ? "pre-candidate" : rest[1]
            guard Role(rawValue: wanted) != nil || wanted == "down" else {
                throw CommandError("'\(rest[1])' is not a role (follower, pre-candidate, candidate, leader, down)", command: name)
            }
            for id in ids {
                let have = upNode(id).map { $0.role.rawValue } ?? "down"
                if have != wanted { failures.append("n\(id) is \(have), expected \(wanted)") }
            }
            summary = "\(rest[0]) is \(wanted)"
        case "term", "commit", "applied":
            guard rest.count == 2 else { throw CommandError("expected: expect \(form) NODE|all N", command: name) }
            let ids = try nodes(rest[0])
            let want = try value(rest[1])
            for id in ids {
                guard let node = upNode(id) else { failures.append("n\(id) is down"); continue }
                let have: UInt64
                switch form {
                case "term": have = node.term
                case "commit": have = node.commitIndex
                default: have = cluster.store(id).lastApplied
                }
                if have != want { failures.append("\(form) of n\(id) is \(have), expected \(want)") }
            }
            summary = "\(form) of \(rest[0]) is \(want)"
        case "log":
            let ids = try nodes(rest.first)
            var want: [UInt64] = []
            for word in rest.dropFirst() { want.append(try value(word)) }
            for id in ids {
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
            summary = "log of \(rest[0]) has terms [\(want.map(String.init).joined(separator: " "))]"
        case "kv":
            let ids = try nodes(rest.first)
            guard rest.count >= 2 else { throw CommandError("expected: expect kv NODE|all KEY=VALUE… (KEY= for absent)", command: name) }
            var pairs: [(String, String?)] = []
            for word in rest.dropFirst() {
                guard let eq = word.firstIndex(of: "="), eq != word.startIndex else { throw CommandError("'\(word)' is not KEY=VALUE", command: name) }
                let v = String(word[word.index(after: eq)...])
                pairs.append((String(word[..<eq]), v.isEmpty ? nil : v))
            }
            for id in ids {
                guard upNode(id) != nil else { failures.append("n\(id) is down"); continue }
                let store = cluster.store(id)
                for (key, want) in pairs where store.values[key] != want {
                    failures.append("n\(id) has \(key)=\(store.values[key] ?? "(absent)"), expected \(key)=\(want ?? "(absent)")")
                }
            }
            summary = "kv of \(rest[0]): \(rest.dropFirst().joined(separator: " "))"
        case "msgs":
            guard rest.count == 1 else { throw CommandError("expected: expect msgs N", command: name) }
            let want = try value(rest[0])
            if UInt64(cluster.inFlight.count) != want { failures.append("\(cluster.inFlight.count) message\(cluster.inFlight.count == 1 ? " is" : "s are") in flight, expected \(want)") }
            summary = "\(want) in flight"
        case "voted":
            guard rest.count == 2 else { throw CommandError("expected: expect voted NODE NODE|none", command: name) }
            let ids = try nodes(rest[0])
            let want: NodeID = rest[1] == "none" ? .none : try nodes(rest[1]).first!
            for id in ids {
                guard let node = upNode(id) else { failures.append("n\(id) is down"); continue }
                if node.vote != want { failures.append("n\(id) voted for \(node.vote == .none ? "nobody" : "n\(node.vote)") in term \(node.term), expected \(want == .none ? "nobody" : "n\(want)")") }
            }
            summary = "\(rest[0]) voted for \(rest[1])"
        case "reads":
            guard rest.count == 2 else { throw CommandError("expected: expect reads NODE N (reads started there and not yet answered)", command: name) }
            let ids = try nodes(rest[0])
            let want = try value(rest[1])
            for id in ids {
                let have = cluster.pendingReads(on: id).count
                if UInt64(have) != want { failures.append("n\(id) has \(have) pending read\(have == 1 ? "" : "s"), expected \(want)") }
            }
            summary = "\(rest[0]) has \(want) pending read\(want == 1 ? "" : "s")"
        case "up", "down":
            guard rest.count == 1 else { throw CommandError("expected: expect \(form) NODE", command: name) }
            for id in try nodes(rest[0]) where cluster.isUp(id) != (form == "up") {
                failures.append("n\(id) is \(cluster.isUp(id) ? "up" : "down")")
            }
            summary = "\(rest[0]) is \(form)"
        case "refused":
            return try expectRefused(rest)
        case "known-leader", "transfer":
            guard rest.count == 2 else { throw CommandError("expected: expect \(form) NODE|all NODE|none", command: name) }
            let ids = try nodes(rest[0])
            let want: NodeID = rest[1] == "none" ? .none : try nodes(rest[1]).first!
            func show(_ id: NodeID) -> String { id == .none ? "none" : "n\(id)" }
            for id in ids {
                guard let node = upNode(id) else { failures.append("n\(id) is down"); continue }
                let have = form == "transfer" ? node.transferTarget : node.leader
                let what = form == "transfer" ? "n\(id)'s transfer target" : "the leader n\(id) knows"
                if have != want { failures.append("\(what) is \(show(have)), expected \(show(want))") }
            }
            summary = form == "transfer" ? "\(rest[0]) transfers to \(rest[1])" : "\(rest[0]) knows leader \(rest[1])"
        case "progress":
            return try expectProgress(rest)
        case "read":
            return try expectRead(rest)
        case "config":
            return try expectConfig(rest)
        case "snapshot":
            return try expectSnapshot(rest)
        case "exit":
            guard rest.count == 1, let want = Int32(rest[0]) else { throw CommandError("expected: expect exit N (the exit code of the last logdump command)", command: name) }
            if let have = lastLogdumpExit {
                if have != want { failures.append("the last logdump command exited \(have), expected \(want)") }
            } else {
                failures.append("no logdump command has run yet")
            }
            summary = "logdump exit \(want)"
        case "invariants":
            guard rest == ["ok"] else { throw CommandError("expected: expect invariants ok", command: name) }
            for violation in cluster.violations { failures.append("\(violation)") }
            summary = "invariants hold"
        case "violation":
            guard !rest.isEmpty else { throw CommandError("expected: expect violation NAME… (e.g. Leader Completeness)", command: name) }
            let wanted = rest.joined(separator: " ").lowercased().replacingDashes()
            if !cluster.violations.contains(where: { $0.invariant.lowercased().replacingDashes() == wanted }) {
                let seen = cluster.violations.map(\.invariant)
                failures.append("no \(rest.joined(separator: " ")) violation was found" + (seen.isEmpty ? " (none at all)" : " (found: \(seen.joined(separator: ", ")))"))
            }
            summary = "\(rest.joined(separator: " ")) was violated"
        default:
            throw CommandError("unknown expectation '\(form)' (\(CommandTable.expectForms.joined(separator: ", ")))", command: name)
        }
        if failures.isEmpty { return Outcome(lines: ["ok: \(summary)"]) }
        return Outcome(lines: failures.map { "expect failed: \($0)" }, status: .expectationFailed)
    }

    /// `expect refused COMMAND… [because WORD…]`: the command is refused (it fails with an error
    /// and changes nothing); with `because`, every word after it appears in the error, in any case.
    func expectRefused(_ rest: [String]) throws(CommandError) -> Outcome {
        let usage = "expected: expect refused COMMAND… [because WORD…]"
        let cut = rest.lastIndex(of: "because")
        let command = Array(rest[..<(cut ?? rest.endIndex)])
        let reason = cut.map { Array(rest[rest.index(after: $0)...]) } ?? []
        guard let verb = command.first else { throw CommandError("name the command that should be refused — \(usage)", command: "expect") }
        guard verb != "expect", CommandTable.info(verb) != nil else { throw CommandError("'\(verb)' is not a command that can be refused — \(usage)", command: "expect") }
        if cut != nil && reason.isEmpty { throw CommandError("say the reason after 'because' — \(usage)", command: "expect") }
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
    func expectProgress(_ rest: [String]) throws(CommandError) -> Outcome {
        let usage = "expected: expect progress LEADER FOLLOWER probe|replicate|snapshot [match=N] [next=N]"
        guard rest.count >= 3, rest.count <= 5 else { throw CommandError(usage, command: "expect") }
        guard let leader = NodeName.parse(rest[0]), leader <= UInt64(cluster.ids.count),
              let follower = NodeName.parse(rest[1]), follower <= UInt64(cluster.ids.count) else {
            throw CommandError("name two nodes of this cluster (n1…n\(cluster.ids.count)) — \(usage)", command: "expect")
        }
        guard ["probe", "replicate", "snapshot"].contains(rest[2]) else { throw CommandError("'\(rest[2])' is not a progress state (probe, replicate, snapshot)", command: "expect") }
        var want: [String: UInt64] = [:]
        for word in rest.dropFirst(3) {
            let parts = word.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, ["match", "next"].contains(parts[0]), parts[1].count <= 20, let v = UInt64(parts[1]) else {
                throw CommandError("'\(word)' is not match=N or next=N — \(usage)", command: "expect")
            }
            want[parts[0]] = v
        }
        var failures: [String] = []
        if let node = cluster.node(leader), node.role == .leader {
            if let p = node.followerProgress.first(where: { $0.id == follower }) {
                let state = p.state.hasPrefix("snapshot") ? "snapshot" : p.state
                if state != rest[2] { failures.append("n\(leader) has n\(follower) in \(p.state), expected \(rest[2])") }
                if let m = want["match"], m != p.match { failures.append("n\(leader) has match \(p.match) for n\(follower), expected \(m)") }
                if let n = want["next"], n != p.next { failures.append("n\(leader) has next \(p.next) for n\(follower), expected \(n)") }
            } else {
                failures.append("n\(leader) tracks no progress for n\(follower) (not a member of its configuration)")
            }
        } else {
            failures.append("n\(leader) is \(cluster.node(leader).map { $0.role.rawValue } ?? "down"), not leader")
        }
        if failures.isEmpty { return Outcome(lines: ["ok: n\(leader) has n\(follower) in \(rest.dropFirst(2).joined(separator: " "))"]) }
        return Outcome(lines: failures.map { "expect failed: \($0)" }, status: .expectationFailed)
    }

    /// `expect read N KEY=VALUE|KEY= [index=I]`: read N was answered with this value (KEY= for
    /// absent), and confirmed at read index I.
    func expectRead(_ rest: [String]) throws(CommandError) -> Outcome {
        let usage = "expected: expect read N KEY=VALUE|KEY= [index=I]"
        guard rest.count == 2 || rest.count == 3, rest[0].count <= 20, let context = UInt64(rest[0]) else { throw CommandError(usage, command: "expect") }
        guard let eq = rest[1].firstIndex(of: "="), eq != rest[1].startIndex else { throw CommandError("'\(rest[1])' is not KEY=VALUE — \(usage)", command: "expect") }
        let key = String(rest[1][..<eq])
        let value = String(rest[1][rest[1].index(after: eq)...])
        var wantIndex: UInt64?
        if rest.count == 3 {
            guard rest[2].hasPrefix("index="), rest[2].count <= 26, let v = UInt64(rest[2].dropFirst(6)) else { throw CommandError("'\(rest[2])' is not index=N — \(usage)", command: "expect") }
            wantIndex = v
        }
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
        if failures.isEmpty { return Outcome(lines: ["ok: read \(context) answered \(rest.dropFirst().joined(separator: " "))"]) }
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
