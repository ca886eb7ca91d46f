import RaftCore

/// Checks on the message flow, which do not take a node's word for its state: every vote is
/// recorded when the message that grants it is sent, and what a message promises (an entry
/// stored, a vote cast) must already be on the sender's synced disk when it leaves.
extension InvariantChecker {
    /// A voter in a term (the key of `grantsSent`).
    struct VoterTerm: Hashable {
        var voter: NodeID
        var term: UInt64
    }

    /// Vote Uniqueness from the message flow: `voter` grants its vote in `term` to `candidate`
    /// (a granted VoteResponse, or a candidate's own RequestVote). A second candidate in one term
    /// is a violation at once, whatever the voter's disk or memory now says (a disk rolled back by
    /// `setlog` forgets the first vote; this record does not).
    mutating func recordGrantSent(voter: NodeID, term: UInt64, candidate: NodeID, messageID: Int) -> InvariantViolation? {
        let key = VoterTerm(voter: voter, term: term)
        guard let earlier = grantsSent[key] else {
            grantsSent[key] = candidate
            return nil
        }
        guard earlier != candidate else { return nil }
        let violation = InvariantViolation(
            invariant: "Vote Uniqueness",
            evidence:
                "\(Describe.n(voter)) granted its vote in term \(term) to \(Describe.n(earlier)), then sent a vote for \(Describe.n(candidate)) in the same term (#\(messageID))"
        )
        return claim("\(Int(voter) - 1)|\(term)", "Vote Uniqueness") ? violation : nil
    }

    /// What `message`, just sent by `node`, promises that `disk` (its synced state) lacks, or nil.
    ///
    /// - A successful append response promises the entries through its index, with the terms the
    ///   node's log gives them (or a snapshot covering them), and the response's term.
    /// - A granted vote promises the vote: the disk's term is past the vote's, or equal with this
    ///   candidate as its vote. A candidate's RequestVote promises its vote for itself likewise.
    static func durabilityGap(_ message: Message, node: RaftNode, disk: DurableLog) -> String? {
        func termGap(_ term: UInt64) -> String? {
            disk.hardState.term >= term ? nil : "its synced disk is in term \(disk.hardState.term)"
        }
        func voteGap(_ term: UInt64, _ candidate: NodeID) -> String? {
            if disk.hardState.term > term || (disk.hardState.term == term && disk.hardState.vote == candidate) { return nil }
            return "its synced disk holds term \(disk.hardState.term), vote \(Describe.n(disk.hardState.vote))"
        }
        switch message {
        case .appendResponse(let r) where !r.isRejected:
            if let gap = termGap(r.term) { return "acknowledged entries through index \(r.index) in term \(r.term), but \(gap)" }
            guard r.index > disk.snapshotIndex else { return nil }
            let want = node.term(at: r.index)
            if let held = disk.term(at: r.index), want == nil || held == want { return nil }
            return
                "acknowledged entries through index \(r.index) in term \(r.term), but its synced disk holds \(disk.lastIndex == 0 ? "no entry" : "entries through \(disk.lastIndex)")\(disk.term(at: r.index).map { " (term \($0) at \(r.index))" } ?? "")"
        case .voteResponse(let v) where v.isGranted && !v.isPreVote:
            return voteGap(v.term, v.to).map { "granted its vote in term \(v.term) to \(Describe.n(v.to)), but \($0)" }
        case .vote(let v) where !v.isPreVote:
            return voteGap(v.term, v.from).map { "asked for votes in term \(v.term) as a candidate, but \($0)" }
        default:
            return nil
        }
    }
}

extension Cluster {
    /// Looks at the messages node `i` has just sent (ids from `firstID` on): records the votes
    /// they grant (Vote Uniqueness) and which of them promise what the sender's synced disk lacks
    /// (reported as Durable Before Send when one of those is delivered: a message dropped before
    /// it reaches anyone — a crash in the middle of a write — promised nothing to anyone).
    func checkSent(_ i: Int, firstID: Int) {
        guard firstID < network.nextMessageID, let start = network.position(ofMessage: firstID), let host = hosts[i] else { return }
        let inFlight = network.inFlight
        var disk: DurableLog??
        for k in start..<inFlight.count {
            let item = inFlight[k]
            switch item.message {
            case .voteResponse(let v) where v.isGranted && !v.isPreVote:
                if let violation = checker.recordGrantSent(voter: v.from, term: v.term, candidate: v.to, messageID: item.id) { report([violation]) }
            case .vote(let v) where !v.isPreVote:
                if let violation = checker.recordGrantSent(voter: v.from, term: v.term, candidate: v.from, messageID: item.id) { report([violation]) }
            case .appendResponse(let r) where !r.isRejected:
                break
            default:
                continue
            }
            if disk == nil { disk = .some(disks[i].durableLog()) }
            guard let durable = disk!, let gap = InvariantChecker.durabilityGap(item.message, node: host.node, disk: durable) else { continue }
            // Reported once per sender and promise (a retried acknowledgement repeats it).
            checker.nonDurable[item.id] = (
                "\(i)|\(gap)",
                InvariantViolation(
                    invariant: "Durable Before Send",
                    evidence: "\(Describe.n(NodeID(i + 1))) \(gap) (#\(item.id) to \(Describe.n(item.message.to)))")
            )
        }
    }

    /// A message is delivered: when it promised what its sender's synced disk lacked, that is a
    /// violation now (the receiver acts on a promise a crash of the sender would break).
    func checkDelivered(_ id: Int) {
        guard !checker.nonDurable.isEmpty, let found = checker.nonDurable.removeValue(forKey: id),
            checker.claim(found.key, found.violation.invariant)
        else { return }
        report([found.violation])
    }

    /// A message was duplicated: the copy promises what the original did.
    func noteDuplicated(_ id: Int, as copy: Int) {
        guard !checker.nonDurable.isEmpty, let found = checker.nonDurable[id] else { return }
        checker.nonDurable[copy] = found
    }
}

extension Cluster {
    /// Whether down node `i`'s disk holds entry (index, term) or a snapshot covering it, read as
    /// its restart will read it (the storage opens once; the restart reuses what this read).
    func diskHolds(_ i: Int, index: UInt64, term: UInt64) -> Bool {
        guard hosts[i] == nil, let recovered = try? disks[i].recover() else { return false }
        let snapshotIndex = recovered.snapshot?.metadata.index ?? 0
        if index <= snapshotIndex { return true }
        let position = Int(index - snapshotIndex) - 1
        return position < recovered.entries.count && recovered.entries[position].term == term
    }
}

extension Cluster {
    /// Steps between full checks without the checker's caches.
    static let fullCheckPeriod = 1000

    /// Before a full check: the checker forgets its caches, and every running node's memory is
    /// compared with its disk.
    func fullCheckPrelude() {
        checker.forgetCaches()
        report(memoryDiskMismatches())
    }

    /// A full check now (the explorer runs one at the end of each run).
    func fullCheck() {
        fullCheckPrelude()
        report(checker.check(hosts))
    }

    /// Memory and Disk: after a step, what a running node holds in memory is what it wrote — its
    /// term and vote, and its log where both hold entries, with the same last index. (Unsynced
    /// writes count as written: a crash losing them is judged by Durable Before Send.)
    func memoryDiskMismatches() -> [InvariantViolation] {
        var found: [InvariantViolation] = []
        for i in hosts.indices {
            guard let host = hosts[i], !host.node.hasReady, let disk = try? disks[i].recover() else { continue }
            let node = host.node
            let name = Describe.n(node.id)
            let diskFirst = (disk.snapshot?.metadata.index ?? 0) + 1
            let diskLast = diskFirst - 1 + UInt64(disk.entries.count)
            var problem: String?
            if disk.hardState.term != node.term || disk.hardState.vote != node.vote {
                problem =
                    "it is in term \(node.term) with vote \(Describe.n(node.vote)), its disk holds term \(disk.hardState.term) with vote \(Describe.n(disk.hardState.vote))"
            } else if diskLast != node.lastIndex {
                problem = "its log ends at index \(node.lastIndex), its disk's at \(diskLast)"
            } else {
                var index = max(diskFirst, node.firstIndex)
                while index <= diskLast, problem == nil {
                    if disk.entries[Int(index - diskFirst)] != InvariantChecker.entry(node, index) {
                        problem = "its entry at index \(index) differs from its disk's"
                    }
                    index += 1
                }
            }
            guard let problem, checker.claim("\(i)", "Memory Matches Disk") else { continue }
            found.append(InvariantViolation(invariant: "Memory Matches Disk", evidence: "\(name): \(problem)"))
        }
        return found
    }
}

extension Cluster {
    /// The committed entry at `index` as the checker recorded it (the first node to commit it), or
    /// nil when it is not committed or known by its term only (compacted before it was seen).
    func committedEntry(at index: UInt64) -> Entry? {
        guard let entry = checker.committedEntry(at: index), entry.data != InvariantChecker.compactedMark || entry.kind != .noop else { return nil }
        return entry
    }
}
