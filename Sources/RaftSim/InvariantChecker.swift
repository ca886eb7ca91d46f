import RaftCore
import RaftHost

/// A broken safety property, with the evidence that shows it.
public struct InvariantViolation: Equatable, Sendable, CustomStringConvertible {
    /// The property, as named in the Raft paper (Figure 3) or by the simulator.
    public var invariant: String
    /// Nodes, indexes and terms that show the violation.
    public var evidence: String

    /// `Invariant: evidence`.
    public var description: String { "\(invariant): \(evidence)" }
}

/// Checks Raft's safety properties over the whole cluster after every step.
///
/// It keeps history (who led which term, who voted for whom, which entries committed), so it
/// catches violations that no single snapshot shows: two leaders of one term at different times,
/// a second vote in a term after a crash lost the first, a committed entry that a later leader lacks.
/// Work per step is proportional to what changed, not to the length of the logs.
struct InvariantChecker {
    let count: Int
    /// Election Safety: the leader seen for each term.
    private var leaderOfTerm: [UInt64: NodeID] = [:]
    /// Term monotonicity (across restarts): the highest term each node has reported.
    private var highestTerm: [UInt64]
    /// Commit monotonicity (within one life of a node).
    private var lastCommit: [UInt64]
    /// One vote per term per node, across restarts.
    private var votes: [[UInt64: NodeID]]
    /// Every committed entry, by index - 1, with the node and term that committed it first.
    private(set) var committed: [Entry] = []
    /// The highest index known committed anywhere (for the read check).
    var committedIndex: UInt64 { UInt64(committed.count) }
    private var committedBy: [(node: NodeID, term: UInt64)] = []
    /// Per key of the key-value store: the committed writes to it, `(index, value)` in index
    /// order (`nil` value: deleted), so a served read can be checked against the committed history.
    private(set) var writes: [String: [(index: UInt64, value: String?)]] = [:]
    /// Per committed index - 1: how many normal entries the history holds through it (a store's
    /// command count).
    private(set) var normalCount: [UInt32] = []
    /// The lowest committed index known by its term only (a placeholder), or `UInt64.max`: the
    /// history replays a store only below it.
    private(set) var firstPlaceholder = UInt64.max
    /// Per node: the applied index at which its store was last compared with the history (nil:
    /// compare at the next check).
    var storeVerified: [UInt64?]
    /// Per node: the first log index at which its latest snapshot was last compared (nil: compare
    /// at the next check).
    var snapshotVerified: [UInt64?]
    /// Per node: its committed prefix has been compared with `committed` through this index.
    private var commitVerified: [UInt64]
    /// Per node while leader: (term, last index) at the previous check.
    private var leaderLast: [(term: UInt64, lastIndex: UInt64)?]
    /// Per node while leader: its log has been compared with `committed` through this index.
    private var completenessVerified: [UInt64]
    /// Per pair a < b, at `a * count + b`: both logs are identical through this index. (One flat
    /// array: this is read for every pair at every step.)
    private var pairVerified: [UInt64]
    /// Per node: the lowest index at which its log changed (truncation) since the last check.
    var changedFrom: [UInt64?]
    /// Keys of violations already reported, so one fault is reported once.
    var reportedKeys: Set<String> = []
    /// Per node: the (term, vote) the vote check last looked at (see `checkVote`).
    private var voteChecked: [(term: UInt64, vote: NodeID)?]
    /// Per node: the term it last led when the Election Safety check looked (see `checkElection`).
    private var electionChecked: [UInt64?]

    /// The configuration every node starts with (before any configuration entry or snapshot).
    let startConfiguration: Configuration
    /// Per node: the configuration in effect derived from its own log (see `derivedConfiguration`).
    var derived: [DerivedConfiguration?]
    /// Per (term, candidate): the voters seen granting it their vote (never forgotten, not even
    /// by `nodeRewritten`: an election is judged by the votes that were cast).
    var ballots: [Ballot: [NodeID]] = [:]
    /// Per (voter, term): the candidate its first vote-granting message (or, for a candidate, its
    /// first RequestVote) went to, recorded from the message flow when it is sent, never from the
    /// node's own state, and never forgotten (not even by `nodeRewritten`).
    var grantsSent: [VoterTerm: NodeID] = [:]
    /// Messages sent while the sender's synced disk lacked what they promise, by message id: a
    /// violation once one of them is delivered (see `InvariantChecker+MessageFlow.swift`).
    var nonDurable: [Int: (key: String, violation: InvariantViolation)] = [:]
    /// Whether down node `i`'s disk holds the entry (index, term), or a snapshot covering it; set
    /// by the cluster (nil: down nodes count as holders).
    var downDiskHolds: ((Int, UInt64, UInt64) -> Bool)?
    /// Per node: the client proposals it took and has not answered (see
    /// `InvariantChecker+Acknowledgements.swift`); forgotten when it restarts (its clients' connections are gone).
    var proposals: [[ClientProposal]]
    /// Every acknowledgement a node made, when it made it.
    var acknowledgements: [Acknowledgement] = []
    /// The acknowledgements judged against the committed history so far.
    var acknowledgementsJudged = 0
    /// Checks since the last full check without the caches (see `forgetCaches`).
    var checksSinceFull = 0

    init(count: Int, configuration: Configuration) {
        self.count = count
        startConfiguration = configuration
        derived = Array(repeating: nil, count: count)
        highestTerm = Array(repeating: 0, count: count)
        lastCommit = Array(repeating: 0, count: count)
        votes = Array(repeating: [:], count: count)
        commitVerified = Array(repeating: 0, count: count)
        leaderLast = Array(repeating: nil, count: count)
        completenessVerified = Array(repeating: 0, count: count)
        pairVerified = Array(repeating: 0, count: count * count)
        changedFrom = Array(repeating: nil, count: count)
        voteChecked = Array(repeating: nil, count: count)
        electionChecked = Array(repeating: nil, count: count)
        storeVerified = Array(repeating: nil, count: count)
        snapshotVerified = Array(repeating: nil, count: count)
        proposals = Array(repeating: [], count: count)
    }

    /// Node `i`'s log was truncated at `index` (a later entry superseded the suffix).
    mutating func logTruncated(_ i: Int, at index: UInt64) {
        changedFrom[i] = min(changedFrom[i] ?? index, index)
    }

    /// Node `i` restarted from its disk: its log may differ from before, its commit starts over.
    mutating func nodeRestarted(_ i: Int, commit: UInt64) {
        changedFrom[i] = 1
        commitVerified[i] = 0
        lastCommit[i] = commit
        leaderLast[i] = nil
        completenessVerified[i] = 0
        storeVerified[i] = nil
        snapshotVerified[i] = nil
        proposals[i] = []
    }

    /// Node `i`'s disk was rewritten by hand (`setlog`): forget its history.
    mutating func nodeRewritten(_ i: Int, term: UInt64) {
        changedFrom[i] = 1
        highestTerm[i] = term
        votes[i] = [:]
        voteChecked[i] = nil
        commitVerified[i] = 0
        lastCommit[i] = 0
        leaderLast[i] = nil
        storeVerified[i] = nil
        snapshotVerified[i] = nil
        proposals[i] = []
    }

    /// Drops every "verified through" cache, so that the next check compares every log, commit
    /// and leader from the start instead of trusting what earlier checks saw and what the nodes
    /// reported of truncations (the cluster does this every `fullCheckPeriod` steps and at the
    /// end of an explorer run).
    mutating func forgetCaches() {
        for i in 0..<count {
            commitVerified[i] = 0
            completenessVerified[i] = 0
            leaderLast[i] = nil
            voteChecked[i] = nil
            storeVerified[i] = nil
            snapshotVerified[i] = nil
            // (`electionChecked` stays: an election is judged once, by the configuration in
            // effect when it was won; judged again later it would meet a newer configuration.)
            changedFrom[i] = 1
        }
        for k in pairVerified.indices { pairVerified[k] = 0 }
        checkedFacts.removeAll()
        checksSinceFull = 0
    }

    /// The value of `key` in the committed history after index `index` (nil: absent), or nil
    /// when the history does not reach `index` yet.
    func committedValue(of key: String, through index: UInt64) -> String?? {
        guard index <= UInt64(committed.count) else { return nil }
        guard let list = writes[key] else { return .some(nil) }
        return .some(Self.value(in: list, through: index))
    }

    /// The value the last write of `list` at or below `index` leaves (nil: absent).
    static func value(in list: [(index: UInt64, value: String?)], through index: UInt64) -> String? {
        // Binary search: the list is in index order.
        var low = 0
        var high = list.count
        while low < high {
            let mid = (low + high) / 2
            if list[mid].index <= index { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? nil : list[low - 1].value
    }

    /// The committed entry at `index` (a placeholder when it was known by its term only), or nil.
    func committedEntry(at index: UInt64) -> Entry? {
        guard index >= 1 && index <= UInt64(committed.count) else { return nil }
        return committed[Int(index - 1)]
    }

    /// The term of the committed entry at `index`, or nil when nothing has committed there yet.
    func committedTerm(at index: UInt64) -> UInt64? {
        guard index >= 1 && index <= UInt64(committed.count) else { return nil }
        return committed[Int(index - 1)].term
    }

    /// Records what the nodes have committed so far in the committed history and compares their
    /// committed entries with it (State Machine Safety); returns violations not reported before.
    /// The cluster calls this before a compaction drops entries from a log: an entry committed
    /// and compacted within one step would otherwise be known by its term only (the read check
    /// and the explorer's acknowledgements need its contents), and a committed entry that
    /// disagrees with the history would be folded into a snapshot unseen.
    mutating func recordCommitted(_ nodes: [SimHost?]) -> [InvariantViolation] {
        found.removeAll()
        recordedSinceCheck = true
        facts.removeAll(keepingCapacity: true)
        for i in 0..<count { facts.append(nodes[i].map { Facts($0.node, machineApplied: $0.machine.lastApplied) }) }
        extendCommitted(nodes)
        checkCommitted(nodes)
        return found
    }

    /// Checks every property; returns violations not reported before.
    mutating func check(_ nodes: [SimHost?]) -> [InvariantViolation] {
        found.removeAll()
        readFacts(nodes)
        defer {
            swap(&facts, &checkedFacts)
            recordedSinceCheck = false
        }
        if isUnchangedSinceLastCheck && acknowledgementsJudged == acknowledgements.count { return found }
        var newlyCommitted: [Int] = []
        for i in 0..<count {
            guard let node = facts[i] else { continue }
            var name: String { Describe.n(node.id) }
            // Term monotonicity, across restarts.
            if node.term < highestTerm[i] {
                report("\(i)", "Term Monotonicity", "\(name) is in term \(node.term) after having reached term \(highestTerm[i])")
            }
            highestTerm[i] = max(highestTerm[i], node.term)
            // Commit monotonicity, within a life.
            if node.commitIndex < lastCommit[i] {
                report("\(i)", "Commit Monotonicity", "\(name)'s commit index fell from \(lastCommit[i]) to \(node.commitIndex)")
            }
            if node.role == .leader && node.commitIndex > lastCommit[i] { newlyCommitted.append(i) }
            lastCommit[i] = node.commitIndex
            // Applied State: nothing is applied before it is committed (the core's count and the
            // state machine's own).
            if max(node.applied, node.machineApplied) > node.commitIndex {
                report(
                    "\(i)|\(node.commitIndex)", "Applied Before Commit",
                    "\(name) applied through index \(max(node.applied, node.machineApplied)) (state machine: \(node.machineApplied)) with its commit index at \(node.commitIndex)"
                )
            }
            checkVote(i, node)
            checkElection(i, node)
        }
        // After every vote of this step is recorded: judge new leaders and configurations.
        for i in 0..<count where facts[i] != nil {
            let moved =
                changedFrom[i] != nil || i >= checkedFacts.count || checkedFacts[i]?.lastIndex != facts[i]!.lastIndex
                || checkedFacts[i]?.firstIndex != facts[i]!.firstIndex
            if newLeaders.contains(i) { checkElectionQuorum(i, nodes[i]!.node) }
            if moved { checkConfigurationInEffect(i, nodes[i]!) }
        }
        newLeaders.removeAll(keepingCapacity: true)
        checkLeaderAppendOnly(nodes)
        extendCommitted(nodes)
        checkCommitted(nodes)
        checkAppliedState(nodes)
        if acknowledgementsJudged < acknowledgements.count { checkAcknowledgements() }
        checkLeaderCompleteness(nodes)
        checkLogMatching(nodes)
        for i in newlyCommitted { checkCommitQuorum(nodes[i]!.node, nodes) }
        for i in 0..<count { changedFrom[i] = nil }
        return found
    }

    private var found: [InvariantViolation] = []

    /// Copies out the few fields the checks read of each running node, in place (binding a
    /// whole RaftNode to read them copied it, which was most of the checker's cost).
    private mutating func readFacts(_ nodes: [SimHost?]) {
        facts.removeAll(keepingCapacity: true)
        for i in 0..<count { facts.append(nodes[i].map { Facts($0.node, machineApplied: $0.machine.lastApplied) }) }
    }

    /// One vote per term, across restarts.
    ///
    /// A (term, vote) the last look at this node already saw is skipped: that look either recorded
    /// it in `votes[i]` or reported its conflict, `votes[i]` only grows (`nodeRewritten` clears it
    /// and `voteChecked` together), so looking again would record nothing and report only a key
    /// already reported. Hashing two tables per node per step was a good part of the checker's cost.
    private mutating func checkVote(_ i: Int, _ node: Facts) {
        guard node.vote != .none else { return }
        if let seen = voteChecked[i], seen.term == node.term, seen.vote == node.vote { return }
        voteChecked[i] = (node.term, node.vote)
        recordBallot(node.id, term: node.term, candidate: node.vote)
        if let earlier = votes[i][node.term], earlier != node.vote {
            report(
                "\(i)|\(node.term)", "Vote Uniqueness",
                "\(Describe.n(node.id)) voted for \(Describe.n(earlier)) and then for \(Describe.n(node.vote)) in term \(node.term)")
        } else {
            votes[i][node.term] = node.vote
        }
    }

    /// Election Safety.
    ///
    /// A node already seen leading this term is skipped: that look either recorded it in
    /// `leaderOfTerm` or reported the other leader, and a term's leader is never replaced nor
    /// forgotten, so looking again would record nothing and report only a key already reported.
    private mutating func checkElection(_ i: Int, _ node: Facts) {
        guard node.role == .leader, electionChecked[i] != node.term else { return }
        electionChecked[i] = node.term
        if let other = leaderOfTerm[node.term], other != node.id {
            report(
                "\(node.term)", "Election Safety",
                "\(Describe.n(other)) and \(Describe.n(node.id)) were both elected leader of term \(node.term)")
        } else {
            leaderOfTerm[node.term] = node.id
            newLeaders.append(i)
        }
    }

    /// Nodes first seen leading their term in this check (judged once every vote is recorded).
    private var newLeaders: [Int] = []

    /// What `check` reads of each running node (nil: down).
    private struct Facts: Equatable {
        var id: NodeID
        var term: UInt64
        var vote: NodeID
        var role: Role
        var commitIndex: UInt64
        var firstIndex: UInt64
        var lastIndex: UInt64
        /// The core's applied index and the state machine's.
        var applied: UInt64
        var machineApplied: UInt64

        init(_ node: borrowing RaftNode, machineApplied: UInt64) {
            applied = node.appliedIndex
            self.machineApplied = machineApplied
            id = node.id
            term = node.term
            vote = node.vote
            role = node.role
            commitIndex = node.commitIndex
            firstIndex = node.firstIndex
            lastIndex = node.lastIndex
        }
    }
    private var facts: [Facts?] = []
    /// `facts` as the last check saw them.
    private var checkedFacts: [Facts?] = []
    /// `recordCommitted` ran since the last check (the records moved without a full check).
    private var recordedSinceCheck = false

    /// Whether a check now would find exactly what the last one found, so it can be skipped.
    ///
    /// Every node has the same facts as at the last check (running or down, term, vote, role,
    /// commit, first and last index), no log was cut or replaced since (`logTruncated`,
    /// `nodeRestarted` and `nodeRewritten` all set `changedFrom`), and `recordCommitted` did not
    /// run. A log then holds the same entries: it changes only by appending past its last index,
    /// by a cut or replacement that sets `changedFrom`, or by compaction, which moves its first
    /// index. Each check is a function of these facts, those entries and the checker's own
    /// records, and after the last check with the same inputs its records are a fixed point:
    /// monotonicity and leader bookkeeping store the same values, nothing newly commits or extends
    /// the history, and what stopped at a mismatch (commit, completeness or log comparison) would
    /// stop there again and report only a key already reported. So skipping loses nothing.
    /// (Ticks and heartbeats mostly change no fact.)
    private var isUnchangedSinceLastCheck: Bool {
        !recordedSinceCheck && facts == checkedFacts && !changedFrom.contains { $0 != nil }
    }

    /// Commit Quorum: the entry a leader has just committed is stored by a majority of every voter
    /// set of the configuration in effect at the leader (derived from its log and snapshot by the
    /// checker, not the leader's own belief, so a leader acting on a stale one is caught) — both C_old and C_new while joint; learners
    /// and non-members do not count. A node that is down counts when its disk holds it (read as
    /// its restart will read it), and a node whose snapshot covers the index counts.
    private mutating func checkCommitQuorum(_ leader: RaftNode, _ nodes: [SimHost?]) {
        let index = leader.commitIndex
        guard let term = leader.term(at: index) else { return }
        func holds(_ id: NodeID) -> Bool {
            guard id >= 1, Int(id) <= nodes.count else { return false }
            guard let node = nodes[Int(id) - 1]?.node else {
                // A node that is down holds what its disk holds (read as its restart will).
                return downDiskHolds?(Int(id) - 1, index, term) ?? true
            }
            return index < node.firstIndex || node.term(at: index) == term
        }
        guard let host = nodes[Int(leader.id) - 1], let configuration = derivedConfiguration(Int(leader.id) - 1, host) else { return }
        for (half, voters) in [("C_new", configuration.voters), ("C_old", configuration.outgoingVoters)] where !voters.isEmpty {
            let holders = voters.filter(holds)
            if holders.count < voters.count / 2 + 1 {
                let which =
                    configuration.isJoint
                    ? "\(half) of \(Describe.configEntry(configuration))" : "voters (\(voters.map(Describe.n).joined(separator: ",")))"
                report(
                    "\(leader.id)|\(index)", "Commit Quorum",
                    "\(Describe.n(leader.id)), leader of term \(leader.term), committed index \(index) (term \(term)) but only \(holders.isEmpty ? "no node" : holders.map(Describe.n).joined(separator: ", ")) of \(which) store\(holders.count == 1 ? "s" : "") it\(holders.contains { nodes[Int($0) - 1] == nil } ? " (counting nodes that are down)" : "")"
                )
                return
            }
        }
    }

    /// The data of a placeholder for an entry known only by its term (compacted before it was seen).
    static let compactedMark: [UInt8] = Array("(compacted)".utf8)

    /// The node's entry at `index`, or nil when its log does not hold it (compacted or beyond its end).
    static func entry(_ node: RaftNode, _ index: UInt64) -> Entry? {
        guard index >= node.firstIndex, index <= node.lastIndex else { return nil }
        return node.entries[Int(index - node.firstIndex)]
    }

    /// Equal entries; a placeholder (known by its term only) matches any entry of its term, or any
    /// entry at all when its term is unknown (0).
    static func same(_ a: Entry, _ b: Entry) -> Bool {
        // Term 0: below a snapshot's last index, where not even the term is known.
        if (a.kind == .noop && a.data == compactedMark) || (b.kind == .noop && b.data == compactedMark) {
            return a.term == b.term || a.term == 0 || b.term == 0
        }
        return a == b
    }

    /// Whether a violation with this key is new (and marks it reported), for checks outside `check`.
    mutating func claim(_ key: String, _ invariant: String) -> Bool {
        reportedKeys.insert(invariant + "|" + key).inserted
    }

    mutating func report(_ key: String, _ invariant: String, _ evidence: String) {
        if reportedKeys.insert(invariant + "|" + key).inserted {
            found.append(InvariantViolation(invariant: invariant, evidence: evidence))
        }
    }

    private mutating func checkLeaderAppendOnly(_ nodes: [SimHost?]) {
        for i in 0..<count {
            guard let node = facts[i], node.role == .leader else { leaderLast[i] = nil; continue }
            if let last = leaderLast[i], last.term == node.term {
                if let cut = changedFrom[i], cut <= last.lastIndex {
                    report(
                        "\(i)|\(node.term)", "Leader Append-Only",
                        "\(Describe.n(node.id)), leader of term \(node.term), overwrote its log from index \(cut) (it held \(last.lastIndex) entries)"
                    )
                } else if node.lastIndex < last.lastIndex {
                    report(
                        "\(i)|\(node.term)", "Leader Append-Only",
                        "\(Describe.n(node.id)), leader of term \(node.term), shrank its log from \(last.lastIndex) to \(node.lastIndex) entries")
                }
            } else {
                completenessVerified[i] = 0
            }
            leaderLast[i] = (node.term, node.lastIndex)
        }
    }

    /// Records newly committed entries (the first node to commit an index defines it).
    private mutating func extendCommitted(_ nodes: [SimHost?]) {
        for i in 0..<count {
            guard (facts[i]?.commitIndex ?? 0) > UInt64(committed.count), let node = nodes[i]?.node else { continue }
            for index in (committed.count + 1)...Int(node.commitIndex) {
                // An entry no log holds any more is known by its term only: a placeholder that
                // compares by term. (The cluster records before it compacts, so this is a fallback.)
                let entry =
                    InvariantChecker.entry(node, UInt64(index))
                    ?? Entry(term: node.term(at: UInt64(index)) ?? 0, index: UInt64(index), kind: .noop, data: InvariantChecker.compactedMark)
                committed.append(entry)
                committedBy.append((node.id, node.term))
                normalCount.append((normalCount.last ?? 0) + (entry.kind == .normal ? 1 : 0))
                if entry.kind == .noop && entry.data == InvariantChecker.compactedMark { firstPlaceholder = min(firstPlaceholder, UInt64(index)) }
                // (A placeholder's write, if any, is unknown here.)
                if entry.kind == .normal, let (key, value) = KeyValueStore.write(in: entry.data) {
                    writes[key, default: []].append((entry.index, value))
                }
            }
        }
    }

    /// State Machine Safety: every node's committed (and so applied) entries agree with the record.
    private mutating func checkCommitted(_ nodes: [SimHost?]) {
        for i in 0..<count {
            guard (facts[i]?.commitIndex ?? 0) > commitVerified[i], let node = nodes[i]?.node else { continue }
            // What a snapshot covers is compared by the snapshot's term at its last index only.
            var index = max(commitVerified[i] + 1, node.firstIndex - 1, 1)
            while index <= node.commitIndex {
                let theirs = committed[Int(index) - 1]
                let mine =
                    InvariantChecker.entry(node, index)
                    ?? Entry(term: node.term(at: index) ?? 0, index: index, kind: .noop, data: InvariantChecker.compactedMark)
                if !InvariantChecker.same(mine, theirs) {
                    let by = committedBy[Int(index) - 1]
                    report(
                        "\(i)|\(index)", "State Machine Safety",
                        "\(Describe.n(node.id)) committed index \(index) with term \(mine.term), but \(Describe.n(by.node)) had committed index \(index) with term \(theirs.term) (in term \(by.term))"
                    )
                    break
                }
                index += 1
            }
            commitVerified[i] = index - 1
        }
    }

    /// Leader Completeness: a leader holds every entry committed in an earlier term.
    private mutating func checkLeaderCompleteness(_ nodes: [SimHost?]) {
        for i in 0..<count {
            // (Nothing committed past what was verified: nothing to compare, no node to bind.)
            guard facts[i]?.role == .leader, completenessVerified[i] < UInt64(committed.count), let node = nodes[i]?.node else { continue }
            var index = completenessVerified[i] + 1
            while index <= UInt64(committed.count) {
                let record = committed[Int(index) - 1]
                let by = committedBy[Int(index) - 1]
                if by.term < node.term, record.term != 0, index + 1 >= node.firstIndex, node.term(at: index) != record.term {
                    let held = node.term(at: index).map { "term \($0) there" } ?? "no entry there"
                    report(
                        "\(i)|\(node.term)", "Leader Completeness",
                        "\(Describe.n(node.id)) became leader of term \(node.term) without entry \(index) (term \(record.term)), committed by \(Describe.n(by.node)) in term \(by.term); it has \(held)"
                    )
                    break
                }
                index += 1
            }
            completenessVerified[i] = index - 1
        }
    }

    /// Log Matching: when two logs hold an entry with the same index and term, they are identical
    /// up to there.
    private mutating func checkLogMatching(_ nodes: [SimHost?]) {
        for a in 0..<count {
            guard let factsA = facts[a] else { continue }
            for b in (a + 1)..<max(a + 1, count) {
                guard let factsB = facts[b] else { continue }
                let pair = a * count + b
                var verified = pairVerified[pair]
                if let cut = changedFrom[a] { verified = min(verified, cut - 1) }
                if let cut = changedFrom[b] { verified = min(verified, cut - 1) }
                let common = min(factsA.lastIndex, factsB.lastIndex)
                verified = min(verified, common)
                // Entries compacted into a snapshot are no longer held: compare from where both logs have entries.
                let start = max(factsA.firstIndex, factsB.firstIndex) - 1
                verified = max(verified, min(start, common))
                if verified == common {
                    // Identical through the shorter log's end: nothing can disagree.
                    if pairVerified[pair] != verified { pairVerified[pair] = verified }
                    continue
                }
                // The entry arrays only (binding the nodes would copy them whole).
                let ea = nodes[a]!.node.entries
                let eb = nodes[b]!.node.entries
                let oa = Int(factsA.firstIndex) - 1
                let ob = Int(factsB.firstIndex) - 1
                var i = Int(verified)
                let end = Int(common)
                while i < end && ea[i - oa] == eb[i - ob] { i += 1 }
                pairVerified[pair] = UInt64(i)
                var k = i
                while k < end {
                    if ea[k - oa].term == eb[k - ob].term {
                        report(
                            "\(a)|\(b)", "Log Matching",
                            "\(Describe.n(factsA.id)) and \(Describe.n(factsB.id)) both hold term \(ea[k - oa].term) at index \(k + 1) but differ at index \(i + 1) (\(Describe.n(factsA.id)): term \(ea[i - oa].term) \(ea[i - oa].kind), \(Describe.n(factsB.id)): term \(eb[i - ob].term) \(eb[i - ob].kind))"
                        )
                        break
                    }
                    k += 1
                }
            }
        }
    }
}
