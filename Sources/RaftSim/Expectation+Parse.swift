import RaftCore

/// `expect FORM ARGS…`, checked in the order the REPL has always checked it. Whether `all`
/// names anybody depends on the cluster at the time: the REPL checks that when it runs.
extension CommandParser {
    func expectation() throws(CommandError) -> Expectation {
        guard let form = args.first else { throw fail("say what to expect") }
        let rest = Array(args.dropFirst())
        switch form {
        case "leader":
            guard rest.count == 1 else { throw fail("expected: expect leader NODE|none") }
            return .leader(try target(rest[0]))
        case "role":
            guard rest.count == 2 else { throw fail("expected: expect role NODE ROLE") }
            let nodes = try expectNodes(rest[0])
            let wanted = rest[1] == "precandidate" ? "pre-candidate" : rest[1]
            guard Role(rawValue: wanted) != nil || wanted == "down" else {
                throw fail("'\(rest[1])' is not a role (follower, pre-candidate, candidate, leader, down)")
            }
            return .role(nodes, wanted)
        case "term", "commit", "applied":
            guard rest.count == 2 else { throw fail("expected: expect \(form) NODE|all N") }
            let nodes = try expectNodes(rest[0])
            return .counter(Expectation.Counter(rawValue: form)!, nodes, try value(rest[1]))
        case "log":
            let nodes = try expectNodes(rest.first)
            var terms: [UInt64] = []
            for word in rest.dropFirst() { terms.append(try value(word)) }
            return .log(nodes, terms)
        case "kv": return try expectKV(rest)
        case "msgs":
            guard rest.count == 1 else { throw fail("expected: expect msgs N") }
            return .msgs(try value(rest[0]))
        case "voted":
            guard rest.count == 2 else { throw fail("expected: expect voted NODE NODE|none") }
            let nodes = try expectNodes(rest[0])
            return .voted(nodes, try target(rest[1]))
        case "reads":
            guard rest.count == 2 else { throw fail("expected: expect reads NODE N (reads started there and not yet answered)") }
            let nodes = try expectNodes(rest[0])
            return .reads(nodes, try value(rest[1]))
        case "up", "down":
            guard rest.count == 1 else { throw fail("expected: expect \(form) NODE") }
            return .up(try expectNodes(rest[0]), form == "up")
        case "refused": return try expectRefused(rest)
        case "known-leader", "transfer":
            guard rest.count == 2 else { throw fail("expected: expect \(form) NODE|all NODE|none") }
            let nodes = try expectNodes(rest[0])
            let want = try target(rest[1])
            return form == "transfer" ? .transfer(nodes, want) : .knownLeader(nodes, want)
        case "progress": return try expectProgress(rest)
        case "read": return try expectRead(rest)
        case "config": return try expectConfig(rest)
        case "snapshot": return try expectSnapshot(rest)
        case "exit":
            guard rest.count == 1, let want = Int32(rest[0]) else {
                throw fail("expected: expect exit N (the exit code of the last logdump command)")
            }
            return .exit(want)
        case "invariants":
            guard rest == ["ok"] else { throw fail("expected: expect invariants ok") }
            return .invariantsHold
        case "violation":
            guard !rest.isEmpty else { throw fail("expected: expect violation NAME… (e.g. Leader Completeness)") }
            return .violation(rest)
        default:
            throw fail("unknown expectation '\(form)' (\(Expectation.forms.joined(separator: ", ")))")
        }
    }

    /// `NODE|all`.
    func expectNodes(_ word: String?) throws(CommandError) -> Expectation.Nodes {
        guard let word else { throw fail("name a node or all") }
        if word == "all" { return .all }
        guard let id = NodeName.parse(word), id <= UInt64(nodeCount ?? Int.max) else {
            throw CommandError(.notAClusterNode(word, orAll: true), command: name)
        }
        return .node(id)
    }

    /// `NODE|all|none`.
    func target(_ word: String) throws(CommandError) -> Expectation.Target {
        word == "none" ? .none : .nodes(try expectNodes(word))
    }

    func value(_ word: String?) throws(CommandError) -> UInt64 {
        guard let word, word.count <= 20, let v = UInt64(word) else { throw fail("expected a number\(word.map { ", not '\($0)'" } ?? "")") }
        return v
    }

    func expectKV(_ rest: [String]) throws(CommandError) -> Expectation {
        let nodes = try expectNodes(rest.first)
        guard rest.count >= 2 else { throw fail("expected: expect kv NODE|all KEY=VALUE… (KEY= for absent)") }
        var pairs: [Expectation.KeyValue] = []
        for word in rest.dropFirst() {
            guard let eq = word.firstIndex(of: "="), eq != word.startIndex else { throw fail("'\(word)' is not KEY=VALUE") }
            let v = String(word[word.index(after: eq)...])
            pairs.append(Expectation.KeyValue(key: String(word[..<eq]), value: v.isEmpty ? nil : v))
        }
        return .kv(nodes, pairs)
    }

    /// `refused COMMAND… [because WORD…]`: the last `because` starts the reason.
    func expectRefused(_ rest: [String]) throws(CommandError) -> Expectation {
        let usage = "expected: expect refused COMMAND… [because WORD…]"
        let cut = rest.lastIndex(of: "because")
        let command = Array(rest[..<(cut ?? rest.endIndex)])
        let reason = cut.map { Array(rest[rest.index(after: $0)...]) } ?? []
        guard let verb = command.first else { throw fail("name the command that should be refused — \(usage)") }
        guard verb != "expect", CommandTable.info(verb) != nil else { throw fail("'\(verb)' is not a command that can be refused — \(usage)") }
        if cut != nil && reason.isEmpty { throw fail("say the reason after 'because' — \(usage)") }
        return .refused(command: command, because: reason)
    }

    func expectProgress(_ rest: [String]) throws(CommandError) -> Expectation {
        let usage = "expected: expect progress LEADER FOLLOWER probe|replicate|snapshot [match=N] [next=N]"
        guard rest.count >= 3, rest.count <= 5 else { throw fail(usage) }
        let limit = UInt64(nodeCount ?? Int.max)
        guard let leader = NodeName.parse(rest[0]), leader <= limit, let follower = NodeName.parse(rest[1]), follower <= limit else {
            throw CommandError(.notTwoClusterNodes(usage: usage), command: name)
        }
        guard ["probe", "replicate", "snapshot"].contains(rest[2]) else {
            throw fail("'\(rest[2])' is not a progress state (probe, replicate, snapshot)")
        }
        var match: UInt64?, next: UInt64?
        for word in rest.dropFirst(3) {
            let parts = word.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, ["match", "next"].contains(parts[0]), parts[1].count <= 20, let v = UInt64(parts[1]) else {
                throw fail("'\(word)' is not match=N or next=N — \(usage)")
            }
            if parts[0] == "match" { match = v } else { next = v }
        }
        return .progress(leader: leader, follower: follower, state: rest[2], match: match, next: next)
    }

    func expectRead(_ rest: [String]) throws(CommandError) -> Expectation {
        let usage = "expected: expect read N KEY=VALUE|KEY= [index=I]"
        guard rest.count == 2 || rest.count == 3, rest[0].count <= 20, let context = UInt64(rest[0]) else { throw fail(usage) }
        guard let eq = rest[1].firstIndex(of: "="), eq != rest[1].startIndex else { throw fail("'\(rest[1])' is not KEY=VALUE — \(usage)") }
        let value = String(rest[1][rest[1].index(after: eq)...])
        var index: UInt64?
        if rest.count == 3 {
            guard rest[2].hasPrefix("index="), rest[2].count <= 26, let v = UInt64(rest[2].dropFirst(6)) else {
                throw fail("'\(rest[2])' is not index=N — \(usage)")
            }
            index = v
        }
        return .read(context: context, Expectation.KeyValue(key: String(rest[1][..<eq]), value: value.isEmpty ? nil : value), index: index)
    }

    /// `NODE|all` where a membership expectation names it (a node name's errors, not "or all").
    func memberNodes(_ word: String) throws(CommandError) -> Expectation.Nodes {
        word == "all" ? .all : .node(try node(word))
    }

    func expectConfig(_ rest: [String]) throws(CommandError) -> Expectation {
        let usage = "expected: expect config NODE|all voters=n1,n2,… [old=n1,n2,…] [learners=n4,…]"
        guard let first = rest.first, rest.count >= 2 else { throw fail(usage) }
        let nodes = try memberNodes(first)
        var voters: [NodeID]?
        var old: [NodeID] = []
        var learners: [NodeID] = []
        for word in rest.dropFirst() {
            guard let eq = word.firstIndex(of: "=") else { throw fail(usage) }
            var list: [NodeID] = []
            for item in word[word.index(after: eq)...].split(separator: ",") { list.append(try node(String(item))) }
            switch String(word[..<eq]) {
            case "voters", "new": voters = list
            case "old": old = list
            case "learners": learners = list
            default: throw fail(usage)
            }
        }
        guard let voters, !voters.isEmpty else { throw fail(usage) }
        guard !learners.contains(where: { voters.contains($0) || old.contains($0) }) else { throw fail("a learner is not also a voter") }
        return .config(nodes, voters: voters, old: old, learners: learners)
    }

    func expectSnapshot(_ rest: [String]) throws(CommandError) -> Expectation {
        let usage = "expected: expect snapshot NODE|all INDEX[@TERM]|none"
        guard rest.count == 2 else { throw fail(usage) }
        let nodes = try memberNodes(rest[0])
        guard rest[1] != "none" else { return .snapshot(nodes, index: nil, term: nil) }
        let parts = rest[1].split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts[0].count <= 20, let index = UInt64(parts[0]), index >= 1 else { throw fail(usage) }
        var term: UInt64?
        if parts.count == 2 {
            guard parts[1].count <= 20, let t = UInt64(parts[1]) else { throw fail(usage) }
            term = t
        }
        return .snapshot(nodes, index: index, term: term)
    }
}
