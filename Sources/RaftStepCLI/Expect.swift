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
        let check: ExpectationCheck
        switch expectation {
        case .leader(let target): check = try checkLeader(target)
        case .role(let nodes, let wanted): check = try checkRole(nodes, wanted)
        case .counter(let counter, let nodes, let want): check = try checkCounter(counter, nodes, want)
        case .log(let nodes, let want): check = try checkLogTerms(nodes, want)
        case .kv(let nodes, let pairs): check = try checkStore(nodes, pairs)
        case .msgs(let want): check = checkInFlight(want)
        case .voted(let nodes, let target): check = try checkVote(nodes, target)
        case .reads(let nodes, let want): check = try checkPendingReads(nodes, want)
        case .up(let nodes, let up): check = try checkUp(nodes, up)
        case .knownLeader(let nodes, let target): check = try checkKnownLeader(nodes, target, transfer: false)
        case .transfer(let nodes, let target): check = try checkKnownLeader(nodes, target, transfer: true)
        case .exit(let want): check = checkLogdumpExit(want)
        case .invariantsHold: check = ExpectationCheck(failures: cluster.violations.map { "\($0)" }, summary: "invariants hold")
        case .violation(let name): check = checkViolation(name)
        case .refused(let command, let reason):
            return expectRefused(command, because: reason)
        case .progress(let leader, let follower, let state, let match, let next):
            check = checkProgress(
                leader: leader, follower: follower, state: state, match: match, next: next,
                shown: expectation.words.dropFirst(3).joined(separator: " "))
        case .read(let context, let pair, let index):
            check = checkRead(context: context, pair, index: index, shown: expectation.words.dropFirst(2).joined(separator: " "))
        case .config(let nodes, let voters, let old, let learners):
            check = try checkConfig(nodes, voters: voters, old: old, learners: learners)
        case .snapshot(let nodes, let index, let term):
            check = try checkSnapshot(nodes, index: index, term: term)
        }
        return check.outcome
    }

    /// `expect refused COMMAND… [because WORD…]`: the command is refused (it fails with an error
    /// and changes nothing); with `because`, every word after it appears in the error, in any case.
    func expectRefused(_ command: [String], because reason: [String]) -> Outcome {
        let result = execute(command.joined(separator: " "))
        let shown = command.joined(separator: " ")
        guard result.status == .error else {
            return Outcome(
                lines: ["expect failed: '\(shown)' was accepted, expected it to be refused"] + result.lines.map { "  \($0)" },
                status: .expectationFailed)
        }
        let text = result.lines.joined(separator: " ").lowercased()
        let missing = reason.filter { !text.contains($0.lowercased()) }
        if !missing.isEmpty {
            return Outcome(
                lines: [
                    "expect failed: '\(shown)' was refused, but not because \(reason.joined(separator: " ")): \(result.lines.joined(separator: " "))"
                ],
                status: .expectationFailed)
        }
        return Outcome(lines: ["ok: '\(shown)' is refused" + (reason.isEmpty ? "" : " because \(reason.joined(separator: " "))")])
    }

    /// `expect progress LEADER FOLLOWER probe|replicate|snapshot [match=N] [next=N]`: the leader's
    /// view of a follower's log.
    func checkProgress(leader: NodeID, follower: NodeID, state wanted: String, match: UInt64?, next: UInt64?, shown: String) -> ExpectationCheck {
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
        return ExpectationCheck(failures: failures, summary: "n\(leader) has n\(follower) in \(shown)")
    }

    /// `expect read N KEY=VALUE|KEY= [index=I]`: read N was answered with this value (KEY= for
    /// absent), and confirmed at read index I.
    func checkRead(context: UInt64, _ pair: Expectation.KeyValue, index wantIndex: UInt64?, shown: String) -> ExpectationCheck {
        let (key, value) = (pair.key, pair.value ?? "")
        var failures: [String] = []
        if let served = cluster.servedReads.first(where: { $0.context == context }) {
            if served.key != key { failures.append("read \(context) was of \(served.key), not \(key)") }
            if served.value != (value.isEmpty ? nil : value) {
                failures.append(
                    "read \(context) was answered \(served.key)=\(served.value ?? "(absent)"), expected \(key)=\(value.isEmpty ? "(absent)" : value)")
            }
        } else {
            failures.append("read \(context) has not been answered")
        }
        if let wantIndex {
            let have = cluster.readIndexes[context]
            if have != wantIndex {
                failures.append("read \(context) was confirmed at \(have.map { "read index \($0)" } ?? "no read index"), expected \(wantIndex)")
            }
        }
        return ExpectationCheck(failures: failures, summary: "read \(context) answered \(shown)")
    }
}

extension String {
    func replacingDashes() -> String { String(map { $0 == "-" || $0 == "_" ? " " : $0 }) }
}
