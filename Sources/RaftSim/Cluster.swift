import RaftCore

/// How a simulated cluster is built.
public struct ClusterOptions: Sendable, Equatable {
    /// Number of nodes, named n1…nN.
    public var nodeCount: Int = 3
    /// Seeds every random choice: election timeouts and torn writes at crashes.
    public var seed: UInt64 = 1
    /// Pre-vote (§9.6).
    public var preVote: Bool = true
    /// Check-quorum and leader leases.
    public var checkQuorum: Bool = true
    /// A new leader appends a no-op entry.
    public var leaderNoop: Bool = true
    /// Teaching knobs that break one rule each.
    public var unsafe: UnsafeKnobs = []
    /// Base election timeout in ticks.
    public var electionTicks: Int = 10
    /// Heartbeat interval in ticks.
    public var heartbeatTicks: Int = 1
    /// When set, every node keeps real files in `DIR/nK` instead of a simulated disk.
    public var dataDirectory: String?
    /// How many of the nodes (n1…nK) form the starting configuration; nil: all of them. The
    /// others run but are not members until they are added (`add NODE`).
    public var voterCount: Int?
    /// Automatic compaction: a node compacts through its applied index once it holds this many
    /// applied entries after its snapshot; 0 turns it off.
    public var compactThreshold: Int = 0

    /// The largest cluster the simulator builds.
    public static let maxNodes = 25

    /// Default options.
    public init() {}

    /// Why these options cannot build a cluster, or nil.
    public func validationError() -> String? {
        if nodeCount < 1 || nodeCount > ClusterOptions.maxNodes { return "a cluster has 1 to \(ClusterOptions.maxNodes) nodes" }
        if heartbeatTicks < 1 { return "heartbeat ticks must be at least 1" }
        if electionTicks <= heartbeatTicks { return "election ticks must exceed heartbeat ticks" }
        if electionTicks > 10_000 { return "election ticks must be at most 10000" }
        if let voterCount, voterCount < 1 || voterCount > nodeCount { return "voters must be between 1 and the node count (\(nodeCount))" }
        return nil
    }
}

/// A cluster of real `RaftNode`s on one simulated network, each with its own disk.
///
/// Every message a node emits gets an increasing id and waits until it is delivered or dropped.
/// After each input (a delivery, a tick, a proposal, a restart) the node's Ready is handled at
/// once in the production order: persist, send, apply, advance. The invariant checker runs after
/// every step. Methods that change the cluster validate their arguments first and throw
/// `SimError` without changing anything when they are wrong.
public final class Cluster {
    /// The options the cluster was built with (settings changed since are in `settings`).
    public let options: ClusterOptions
    /// The current settings, used for nodes that start from now on.
    public internal(set) var settings: ClusterOptions
    /// The node ids, 1…N.
    public let ids: [NodeID]
    var nodes: [RaftNode?]
    var disks: [NodeDisk]
    var machines: [KeyValueStore]
    var persistedLast: [UInt64]
    var configuration: Configuration
    /// Messages in flight, oldest (lowest id) first.
    public private(set) var inFlight: [InFlightMessage] = []
    /// The id the next message gets.
    public private(set) var nextMessageID = 1
    /// `isCut[from-1][to-1]`: messages on this link are lost on delivery.
    private var isCut: [[Bool]]
    /// The groups of the current partition (empty when healed).
    public private(set) var partitionGroups: [[NodeID]] = []
    private var generator: SeededGenerator
    var checker: InvariantChecker
    /// Every violation found so far, oldest first.
    public private(set) var violations: [InvariantViolation] = []
    /// Inputs handled so far (deliveries, ticks, proposals…).
    public private(set) var stepCount = 0
    /// Whether to narrate (the benchmark and long stabilizes turn it off).
    public var isNarrating = true
    private var lines: [String] = []

    /// Builds the cluster: every node a follower in term 0 with an empty disk.
    public init(options: ClusterOptions) throws(SimError) {
        if let problem = options.validationError() { throw SimError(problem) }
        self.options = options
        self.settings = options
        ids = (1...options.nodeCount).map { NodeID($0) }
        configuration = Configuration(voters: Array(ids.prefix(options.voterCount ?? options.nodeCount)))
        generator = SeededGenerator(seed: options.seed ^ 0x5EED_0F_D15C)
        checker = InvariantChecker(count: options.nodeCount)
        isCut = Array(repeating: Array(repeating: false, count: options.nodeCount), count: options.nodeCount)
        machines = Array(repeating: KeyValueStore(), count: options.nodeCount)
        persistedLast = Array(repeating: 0, count: options.nodeCount)
        nodes = []
        disks = []
        for id in ids {
            disks.append(try Cluster.makeDisk(id: id, options: options))
        }
        nodes = Array(repeating: nil, count: options.nodeCount)
        for id in ids {
            let i = Int(id) - 1
            let recovered = try disks[i].recover()
            if recovered.entries.isEmpty && recovered.hardState == .empty && recovered.snapshot == nil {
                nodes[i] = RaftNode(config: nodeConfig(id), configuration: configuration)
            } else {
                // A data directory from an earlier run: the node comes back from it.
                startupLines += try restart(id)
            }
        }
    }

    /// What happened while the cluster started (nodes recovered from an existing --data-dir).
    public private(set) var startupLines: [String] = []

    private static func makeDisk(id: NodeID, options: ClusterOptions) throws(SimError) -> NodeDisk {
        try StorageDisk(name: Describe.n(id), realDirectory: options.dataDirectory, seed: options.seed)
    }

    private func nodeConfig(_ id: NodeID) -> Config {
        var config = Config(id: id)
        config.seed = settings.seed
        config.preVote = settings.preVote
        config.checkQuorum = settings.checkQuorum
        config.leaderNoop = settings.leaderNoop
        config.unsafe = settings.unsafe
        config.electionTicks = settings.electionTicks
        config.heartbeatTicks = settings.heartbeatTicks
        return config
    }

    // MARK: Reading the state

    /// The node, or nil when it is crashed.
    public func node(_ id: NodeID) -> RaftNode? { nodes[Int(id) - 1] }
    /// Whether the node runs.
    public func isUp(_ id: NodeID) -> Bool { nodes[Int(id) - 1] != nil }
    /// The node's key-value store (empty while crashed).
    public func store(_ id: NodeID) -> KeyValueStore { machines[Int(id) - 1] }
    /// Whether the node syncs each Ready.
    public func isSyncOn(_ id: NodeID) -> Bool { disks[Int(id) - 1].isSyncOn }
    /// Where the node's files live.
    public func diskLocation(_ id: NodeID) -> String { disks[Int(id) - 1].location }
    /// The nodes that run.
    public var upNodes: [NodeID] { ids.filter { isUp($0) } }
    /// The leader of the highest term among running nodes, if any.
    public var leader: NodeID? {
        var best: RaftNode?
        for case let node? in nodes where node.role == .leader {
            if best == nil || node.term > best!.term { best = node }
        }
        return best?.id
    }
    /// Whether the link from → to loses messages.
    public func isLinkCut(from: NodeID, to: NodeID) -> Bool { isCut[Int(from) - 1][Int(to) - 1] }
    /// The in-flight message with this id.
    public func message(id: Int) -> InFlightMessage? {
        guard let position = position(ofMessage: id) else { return nil }
        return inFlight[position]
    }
    /// Why the message would be lost if delivered now, or nil.
    public func lossReason(_ message: Message) -> String? {
        if !isUp(message.to) { return "\(Describe.n(message.to)) is down" }
        if isLinkCut(from: message.from, to: message.to) {
            return "the link \(Describe.n(message.from))->\(Describe.n(message.to)) is cut"
        }
        return nil
    }

    private func position(ofMessage id: Int) -> Int? {
        // Ids increase along the array: binary search.
        var low = 0
        var high = inFlight.count
        while low < high {
            let mid = (low + high) / 2
            if inFlight[mid].id < id { low = mid + 1 } else { high = mid }
        }
        return low < inFlight.count && inFlight[low].id == id ? low : nil
    }

    /// Checks that `id` names a node of this cluster.
    public func validate(_ id: NodeID) throws(SimError) {
        guard id >= 1 && id <= UInt64(ids.count) else {
            throw SimError("no node \(Describe.n(id)): this cluster has n1…n\(ids.count)")
        }
    }

    func requireUp(_ id: NodeID) throws(SimError) {
        try validate(id)
        guard isUp(id) else { throw SimError("\(Describe.n(id)) is down (restart it first)") }
    }

    // MARK: Steps

    func begin() { lines.removeAll(keepingCapacity: true) }

    func finish() -> [String] {
        let result = lines
        lines.removeAll()
        return result
    }

    func say(_ text: @autoclosure () -> String) {
        if isNarrating { lines.append(text()) }
    }

    struct Snapshot {
        var role: Role
        var term: UInt64
        var vote: NodeID
        var leader: NodeID
        var commit: UInt64
    }

    /// The state narration compares with after a step; nil when the node is down, and when
    /// nobody narrates (only narration compares with it, and every step takes one).
    func snapshot(_ i: Int) -> Snapshot? {
        guard isNarrating else { return nil }
        return nodes[i].peek { Snapshot(role: $0.role, term: $0.term, vote: $0.vote, leader: $0.leader, commit: $0.commitIndex) }
    }

    /// Handles node `i`'s Ready (repeatedly, while it has one), narrating against `before`.
    func handleReady(_ i: Int, before: Snapshot?) {
        // Read once: only `stabilize` and hosts switch it, between steps (every access to a
        // property of this class is checked for exclusivity at run time).
        let narrating = isNarrating
        var rounds = 0
        var before = before
        while nodes[i].peek({ $0.hasReady }) == true, rounds < 16 {
            rounds += 1
            let ready = nodes[i]!.ready()
            if narrating, let before { narrateState(Describe.n(NodeID(i + 1)), before: before, after: snapshot(i)!); narrateRemoval(i, wasLeader: before.role == .leader) }
            if let snapshot = ready.snapshot, !installReceivedSnapshot(i, snapshot, hardState: ready.hardState) { return }
            guard persist(i, ready, before: before, narrating: narrating) else { return }
            send(i, ready.messages, narrating: narrating)
            apply(i, ready.committedEntries, narrating: narrating)
            confirmReads(i, ready.readStates)
            serveReads(i)
            nodes[i]!.advance(ready)
            compactIfOverThreshold(i)
            before = snapshot(i)
        }
    }

    /// 1. Persist: the Ready's hard state and entries. False when the disk failed (the node crashed).
    private func persist(_ i: Int, _ ready: Ready, before: Snapshot?, narrating: Bool) -> Bool {
        guard ready.hardState != nil || !ready.entries.isEmpty else { return true }
        var name: String { Describe.n(NodeID(i + 1)) }
        if let first = ready.entries.first, first.index <= persistedLast[i] {
            checker.logTruncated(i, at: first.index)
        }
        do {
            try disks[i].save(hardState: ready.hardState, entries: ready.entries)
        } catch {
            say("  \(name) cannot write its disk (\(error)); it crashes")
            crashNode(i)
            return false
        }
        if let last = ready.entries.last { persistedLast[i] = last.index }
        guard narrating else { return true }
        narrateConfigEntries(i, ready.entries)
        if !ready.entries.isEmpty || (ready.hardState.map { $0.term != before?.term || $0.vote != before?.vote } ?? false) {
            var what: [String] = []
            if !ready.entries.isEmpty { what.append(Describe.entryRange(ready.entries)) }
            if let hard = ready.hardState { what.append("term \(hard.term) vote \(Describe.n(hard.vote)) commit \(hard.commit)") }
            say("  \(name) persists \(what.joined(separator: ", "))\(disks[i].isSyncOn ? "" : " (not synced)")")
        }
        return true
    }

    /// 2. Send: the Ready's messages go in flight under the next ids.
    private func send(_ i: Int, _ messages: [Message], narrating: Bool) {
        guard !messages.isEmpty else { return }
        let firstID = nextMessageID
        nextMessageID += messages.count
        inFlight.append(contentsOf: messages.indices.lazy.map { InFlightMessage(id: firstID + $0, message: messages[$0]) })
        if narrating { narrateSent(Describe.n(NodeID(i + 1)), Array(inFlight.suffix(messages.count))) }
    }

    /// 3. Apply: the Ready's committed entries go to the node's state machine.
    private func apply(_ i: Int, _ entries: [Entry], narrating: Bool) {
        guard !entries.isEmpty else { return }
        guard narrating else {
            // Unnarrated (the explorer), the store changes the same way without describing it.
            machines[i].applyQuietly(entries)
            return
        }
        var results: [String] = []
        for entry in entries {
            let result = machines[i].apply(entry)
            if results.count < 8 { results.append(result) }
        }
        let first = entries.first!.index
        let last = entries.last!.index
        let range = first == last ? "entry \(first)" : "entries \(first)..\(last)"
        let more = entries.count > results.count ? ", …" : ""
        say("  \(Describe.n(NodeID(i + 1))) applies \(range): \(results.joined(separator: ", "))\(more)")
    }

    /// Reads: a confirmed read is served once the state machine has applied its index.
    private func confirmReads(_ i: Int, _ states: [ReadState]) {
        var name: String { Describe.n(NodeID(i + 1)) }
        for state in states {
            if let position = pendingReads.firstIndex(where: { $0.context == state.context && $0.node == i }) {
                pendingReads[position].index = state.index
                say("  \(name) confirms read \(state.context) at read index \(state.index) (a quorum still follows it)")
                let floor = pendingReads[position].committedAtStart
                if state.index < floor {
                    pendingReads[position].reported = true
                    let violation = InvariantViolation(invariant: "Linearizable Reads",
                        evidence: "\(name) confirmed read \(state.context) at index \(state.index), but index \(floor) was committed before the read was asked")
                    violations.append(violation)
                    lines.append("  !! INVARIANT VIOLATED — \(violation)")
                }
            }
        }
    }

    /// Linearizable reads waiting for confirmation or for the state machine to catch up.
    private struct PendingRead {
        var context: UInt64
        var node: Int
        var key: String
        var index: UInt64?
        /// The highest index committed anywhere when the read was asked: a linearizable read
        /// must reflect at least that much.
        var committedAtStart: UInt64
        /// Already reported as stale (its value is not checked again).
        var reported = false
    }
    private var pendingReads: [PendingRead] = []
    /// Reads answered since the last check: their values are compared with the committed history.
    private var unverifiedReads: [(node: Int, context: UInt64, key: String, value: String?, applied: UInt64)] = []
    private var nextReadContext: UInt64 = 1
    /// The unsafe `local-reads` shortcut (`setLocalReads`): reads skip ReadIndex.
    public private(set) var isLocalReadsOn = false
    /// Reads served so far, as `(context, key, value)`, oldest first.
    public private(set) var servedReads: [(context: UInt64, key: String, value: String?)] = []

    /// The contexts of the reads node `id` has started and not yet answered or abandoned.
    public func pendingReads(on id: NodeID) -> [UInt64] {
        pendingReads.filter { $0.node == Int(id) - 1 }.map(\.context)
    }

    private func serveReads(_ i: Int) {
        // Nothing pending, nothing to abandon or answer (the common case: skip the node's role).
        guard !pendingReads.isEmpty else { return }
        if let role = nodes[i].peek({ $0.role }), role != .leader, pendingReads.contains(where: { $0.node == i && $0.index == nil }) {
            // The core forgets unconfirmed reads when it stops leading; the client gets no answer.
            for read in pendingReads where read.node == i && read.index == nil {
                say("  \(Describe.n(NodeID(i + 1))) abandons read \(read.context): it is no longer leader")
            }
            pendingReads.removeAll { $0.node == i && $0.index == nil }
        }
        var position = 0
        while position < pendingReads.count {
            let read = pendingReads[position]
            if read.node == i, let index = read.index, machines[i].lastApplied >= index {
                let value = machines[i].values[read.key]
                servedReads.append((read.context, read.key, value))
                let applied = machines[i].lastApplied
                if !read.reported && applied < read.committedAtStart {
                    // Linearizability, at the answer: it must reflect every write committed before the read was asked.
                    let violation = InvariantViolation(invariant: "Linearizable Reads",
                        evidence: "\(Describe.n(NodeID(i + 1))) answered read \(read.context) from applied index \(applied), but index \(read.committedAtStart) was committed before the read was asked")
                    violations.append(violation)
                    lines.append("  !! INVARIANT VIOLATED — \(violation)")
                } else if !read.reported {
                    unverifiedReads.append((i, read.context, read.key, value, applied))
                }
                say("  \(Describe.n(NodeID(i + 1))) answers read \(read.context): \(read.key)=\(value ?? "(absent)")")
                pendingReads.remove(at: position)
            } else {
                position += 1
            }
        }
    }

    private func narrateState(_ name: String, before: Snapshot, after: Snapshot) {
        var parts: [String] = []
        if after.term != before.term { parts.append("moves to term \(after.term)") }
        if after.role != before.role {
            switch after.role {
            case .leader: parts.append("becomes LEADER of term \(after.term)")
            case .candidate: parts.append("becomes candidate for term \(after.term)")
            case .preCandidate: parts.append("becomes pre-candidate (asks for term \(after.term + 1))")
            case .follower: parts.append("becomes follower")
            }
        }
        if after.vote != .none && (after.vote != before.vote || after.term != before.term) {
            parts.append(after.vote == NodeID(Int(name.dropFirst()) ?? 0) ? "votes for itself" : "votes for \(Describe.n(after.vote))")
        }
        if after.leader != before.leader && after.leader != .none && after.role != .leader {
            parts.append("follows leader \(Describe.n(after.leader))")
        }
        if after.commit > before.commit { parts.append("commits through \(after.commit)") }
        if !parts.isEmpty { say("  \(name) \(parts.joined(separator: ", "))") }
    }

    private func narrateSent(_ name: String, _ sent: [InFlightMessage]) {
        // Group messages that say the same thing to different receivers.
        var groups: [(key: String, items: [InFlightMessage])] = []
        for item in sent {
            let key = "\(item.message.kindName) \(Describe.fields(item.message))"
            if let g = groups.firstIndex(where: { $0.key == key }) { groups[g].items.append(item) } else { groups.append((key, [item])) }
        }
        for group in groups {
            let receivers = group.items.map { Describe.n($0.message.to) }
            let sentence = Describe.sentence(group.items[0].message, to: Cluster.list(receivers))
            say("  \(name) \(sentence) → \(group.items.map { "#\($0.id)" }.joined(separator: " "))")
        }
    }

    static func list(_ names: [String]) -> String {
        if names.count <= 1 { return names.first ?? "" }
        return names.dropLast().joined(separator: ", ") + " and " + names.last!
    }

    /// Runs the checker; records and narrates new violations.
    func checkInvariants() {
        stepCount += 1
        var found = checker.check(&nodes)
        if !unverifiedReads.isEmpty { found += verifyReads() }
        report(found)
    }

    /// Records violations and says so in the output.
    func report(_ found: [InvariantViolation]) {
        guard !found.isEmpty else { return }
        violations.append(contentsOf: found)
        for violation in found { lines.append("  !! INVARIANT VIOLATED — \(violation)") }
    }

    /// Linearizable Reads, client-visible: an answered value is the value the committed history
    /// holds at the index the answering node had applied (which is at least the read index).
    private func verifyReads() -> [InvariantViolation] {
        var found: [InvariantViolation] = []
        var kept: [(node: Int, context: UInt64, key: String, value: String?, applied: UInt64)] = []
        for read in unverifiedReads {
            guard let expected = checker.committedValue(of: read.key, through: read.applied) else { kept.append(read); continue }
            if expected != read.value {
                found.append(InvariantViolation(invariant: "Linearizable Reads",
                    evidence: "\(Describe.n(NodeID(read.node + 1))) answered read \(read.context) with \(read.key)=\(read.value ?? "(absent)"), but the committed history holds \(read.key)=\(expected ?? "(absent)") through index \(read.applied)"))
            }
        }
        unverifiedReads = kept
        return found
    }

    // MARK: Delivery

    /// Delivers one message by its position in `inFlight`.
    private func deliver(at position: Int) {
        let item = inFlight.remove(at: position)
        let message = item.message
        say(Describe.line(item))
        if let reason = lossReason(message) {
            say("  lost: \(reason)")
            return
        }
        let r = Int(message.to) - 1
        if let trap = overwriteOfCommitted(nodes[r]!, message) {
            // The core would stop on a precondition here; that can only happen after safety was
            // already broken, so report it and lose the message instead of crashing the REPL.
            say("  lost: \(Describe.n(message.to)) refuses to overwrite committed entry \(trap.index) (term \(trap.ours)) with term \(trap.theirs)")
            let violation = InvariantViolation(invariant: "State Machine Safety",
                evidence: "\(Describe.n(message.from)) told \(Describe.n(message.to)) to replace its committed entry \(trap.index) (term \(trap.ours)) with one of term \(trap.theirs)")
            violations.append(violation)
            lines.append("  !! INVARIANT VIOLATED — \(violation)")
            stepCount += 1
            return
        }
        let before = snapshot(r)
        let result = nodes[r]!.step(message)
        if case .ignored(let reason) = result {
            say("  \(Describe.n(message.to)) ignores it: \(reason)")
        }
        handleReady(r, before: before)
        checkInvariants()
    }

    private func overwriteOfCommitted(_ node: RaftNode, _ message: Message) -> (index: UInt64, ours: UInt64, theirs: UInt64)? {
        guard case .append(let append) = message else { return nil }
        let processes = append.term > node.term || (append.term == node.term && node.role != .leader)
            || node.config.unsafe.contains(.ignoreStaleTerm)
        guard processes, append.prevLogIndex >= node.commitIndex,
              node.term(at: append.prevLogIndex) == append.prevLogTerm else { return nil }
        for entry in append.entries {
            guard let ours = node.term(at: entry.index) else { return nil }
            if ours != entry.term {
                return entry.index <= node.commitIndex ? (entry.index, ours, entry.term) : nil
            }
        }
        return nil
    }

    /// Which messages a `deliver`/`drop` selects.
    public enum Selector: Equatable, Sendable {
        /// The oldest message.
        case oldest
        /// These ids, in this order.
        case ids([Int])
        /// Every message from → to.
        case link(from: NodeID, to: NodeID)
        /// Every message to this node.
        case to(NodeID)
        /// Every message from this node.
        case from(NodeID)
        /// Everything in flight now.
        case all
    }

    private func select(_ selector: Selector) throws(SimError) -> [Int] {
        switch selector {
        case .oldest:
            guard let first = inFlight.first else { throw SimError("no message is in flight") }
            return [first.id]
        case .ids(let wanted):
            var seen: [Int] = []
            for id in wanted {
                guard position(ofMessage: id) != nil else {
                    throw SimError(id >= nextMessageID ? "no message #\(id) yet (the next id is #\(nextMessageID))" : "#\(id) is not in flight any more")
                }
                guard !seen.contains(id) else { throw SimError("#\(id) is named twice") }
                seen.append(id)
            }
            return seen
        case .link(let from, let to):
            try validate(from)
            try validate(to)
            let chosen = inFlight.filter { $0.message.from == from && $0.message.to == to }.map(\.id)
            if chosen.isEmpty { throw SimError("no message from \(Describe.n(from)) to \(Describe.n(to)) is in flight") }
            return chosen
        case .to(let to):
            try validate(to)
            let chosen = inFlight.filter { $0.message.to == to }.map(\.id)
            if chosen.isEmpty { throw SimError("no message to \(Describe.n(to)) is in flight") }
            return chosen
        case .from(let from):
            try validate(from)
            let chosen = inFlight.filter { $0.message.from == from }.map(\.id)
            if chosen.isEmpty { throw SimError("no message from \(Describe.n(from)) is in flight") }
            return chosen
        case .all:
            if inFlight.isEmpty { throw SimError("no message is in flight") }
            return inFlight.map(\.id)
        }
    }

    /// Delivers the selected messages in order; messages they cause stay in flight.
    @discardableResult
    public func deliver(_ selector: Selector) throws(SimError) -> [String] {
        let chosen = try select(selector)
        begin()
        for id in chosen {
            if let position = position(ofMessage: id) { deliver(at: position) }
        }
        return finish()
    }

    /// Loses the selected messages.
    @discardableResult
    public func drop(_ selector: Selector) throws(SimError) -> [String] {
        let chosen = try select(selector)
        begin()
        for id in chosen {
            if let position = position(ofMessage: id) {
                say("dropped \(Describe.line(inFlight[position]))")
                inFlight.remove(at: position)
            }
        }
        return finish()
    }

    /// Puts a copy of each selected message in flight under a new id (the network delivers it twice).
    @discardableResult
    public func duplicate(_ selector: Selector) throws(SimError) -> [String] {
        let chosen = try select(selector)
        begin()
        for id in chosen {
            guard let position = position(ofMessage: id) else { continue }
            let copy = InFlightMessage(id: nextMessageID, message: inFlight[position].message)
            nextMessageID += 1
            inFlight.append(copy)
            say("#\(id) duplicated as #\(copy.id)")
        }
        return finish()
    }

    /// The default bound of `stabilize`.
    public static let defaultStabilizeLimit = 100_000

    /// Delivers the oldest message until none is in flight, at most `limit` deliveries.
    /// Narrates the first `narrationLimit` deliveries, then only counts.
    @discardableResult
    public func stabilize(limit: Int = Cluster.defaultStabilizeLimit, narrationLimit: Int = 200) throws(SimError) -> [String] {
        guard limit >= 1 else { throw SimError("the limit must be at least 1") }
        begin()
        let wasNarrating = isNarrating
        defer { isNarrating = wasNarrating }
        var delivered = 0
        while !inFlight.isEmpty && delivered < limit {
            if delivered == narrationLimit && isNarrating {
                isNarrating = false
                lines.append("  … (narration stops here; the rest is summarised)")
            }
            deliver(at: 0)
            delivered += 1
        }
        let remaining = inFlight.count
        lines.append("stabilize: delivered \(delivered) message\(delivered == 1 ? "" : "s")" + (remaining > 0 ? "; \(remaining) still in flight (limit \(limit))" : "; nothing in flight"))
        if wasNarrating && delivered > narrationLimit {
            // The narration was cut short: say where things ended up.
            let state = ids.map { id -> String in
                guard let node = nodes[Int(id) - 1] else { return "\(Describe.n(id)) down" }
                return "\(Describe.n(id)) \(node.role == .leader ? "leader " : "")t\(node.term) commit \(node.commitIndex)"
            }
            lines.append("now: " + state.joined(separator: ", "))
        }
        return finish()
    }

    // MARK: Time and elections

    /// Ticks the given nodes (all running nodes when empty) `count` times, in id order.
    @discardableResult
    public func tick(_ which: [NodeID], count: Int) throws(SimError) -> [String] {
        guard count >= 1 && count <= 10_000 else { throw SimError("the tick count must be between 1 and 10000") }
        for id in which { try requireUp(id) }
        let targets = which.isEmpty ? upNodes : which
        if targets.isEmpty { throw SimError("every node is down") }
        begin()
        for round in 1...count {
            let mark = lines.count
            for id in targets where isUp(id) {
                let i = Int(id) - 1
                let before = snapshot(i)
                let timeout = nodes[i]!.electionTimeoutTicks
                nodes[i]!.tick()
                if isNarrating, let before, let after = nodes[i] {
                    if before.role != .leader && (after.role == .preCandidate || after.role == .candidate)
                        && (after.role != before.role || after.term != before.term) {
                        say("  \(Describe.n(id))'s election timeout (\(timeout) ticks) fires")
                    } else if before.role == .leader && after.role != .leader {
                        say("  \(Describe.n(id)) has not heard from a quorum for an election timeout: it steps down (check-quorum)")
                    }
                }
                handleReady(i, before: before)
                checkInvariants()
            }
            if isNarrating && lines.count > mark && count > 1 {
                lines.insert("tick \(round) of \(count):", at: mark)
            }
        }
        if lines.isEmpty {
            say("ticked \(targets.map(Describe.n).joined(separator: " ")) \(count) time\(count == 1 ? "" : "s"); nothing happened")
        }
        return finish()
    }

    /// Makes the node's election timeout fire now.
    @discardableResult
    public func campaign(_ id: NodeID) throws(SimError) -> [String] {
        try requireUp(id)
        let i = Int(id) - 1
        if nodes[i]!.role == .leader { throw SimError("\(Describe.n(id)) is already the leader of term \(nodes[i]!.term)") }
        begin()
        let before = snapshot(i)
        nodes[i]!.campaign()
        handleReady(i, before: before)
        checkInvariants()
        return finish()
    }

    /// Asks the leader to hand leadership to `target`.
    @discardableResult
    public func transfer(to target: NodeID) throws(SimError) -> [String] {
        try requireUp(target)
        guard let leaderID = leader else { throw SimError("there is no leader to transfer from") }
        let i = Int(leaderID) - 1
        var probe = nodes[i]!
        do { try probe.transferLeadership(to: target) } catch { throw SimError("\(Describe.n(leaderID)): \(error)") }
        begin()
        let before = snapshot(i)
        try? nodes[i]!.transferLeadership(to: target)
        say("\(Describe.n(leaderID)) starts handing leadership to \(Describe.n(target))")
        handleReady(i, before: before)
        checkInvariants()
        return finish()
    }

    /// Proposes a client command (`nil`: the current leader).
    @discardableResult
    public func propose(_ text: String, on target: NodeID? = nil) throws(SimError) -> [String] {
        let id: NodeID
        if let target {
            try requireUp(target)
            id = target
        } else {
            guard let leader else { throw SimError("there is no leader; name a node: propose NODE TEXT") }
            id = leader
        }
        let i = Int(id) - 1
        let index: UInt64
        do {
            index = try nodes[i]!.propose(Array(text.utf8))
        } catch {
            throw SimError("\(Describe.n(id)) refuses: \(error)")
        }
        begin()
        say("\(Describe.n(id)) appends '\(text)' at index \(index) (term \(nodes[i]!.term))")
        let before = snapshot(i)
        handleReady(i, before: before)
        checkInvariants()
        return finish()
    }

    /// Asks the leader (or `target`) for a linearizable read of `key` (ReadIndex): the leader
    /// confirms with a heartbeat round that it still leads, then answers once it has applied
    /// through the commit index it had when the read arrived.
    @discardableResult
    public func read(_ key: String, on target: NodeID? = nil) throws(SimError) -> [String] {
        let id: NodeID
        if let target {
            try requireUp(target)
            id = target
        } else {
            guard let leader else { throw SimError("there is no leader; name a node: read NODE KEY") }
            id = leader
        }
        let i = Int(id) - 1
        let context = nextReadContext
        if isLocalReadsOn { return readLocally(key, on: i, context: context) }
        do { try nodes[i]!.readIndex(context) } catch { throw SimError("\(Describe.n(id)) refuses: \(error)") }
        nextReadContext += 1
        pendingReads.append(PendingRead(context: context, node: i, key: key, index: nil, committedAtStart: checker.committedIndex))
        begin()
        say("\(Describe.n(id)) starts read \(context) of \(key)")
        handleReady(i, before: snapshot(i))
        checkInvariants()
        return finish()
    }

    /// Queues an answer for the read value check as if node `id` had served it now (tests only:
    /// it shows the comparison with the committed history catches a wrong value).
    func recordServedReadForTesting(node id: NodeID, key: String, value: String?) {
        let i = Int(id) - 1
        unverifiedReads.append((i, nextReadContext, key, value, machines[i].lastApplied))
        nextReadContext += 1
    }

    /// The unsafe `local-reads` shortcut: the node answers from its own state at once, as if it
    /// were sure to lead and to have applied everything committed (no ReadIndex round).
    private func readLocally(_ key: String, on i: Int, context: UInt64) -> [String] {
        nextReadContext += 1
        pendingReads.append(PendingRead(context: context, node: i, key: key, index: machines[i].lastApplied, committedAtStart: checker.committedIndex))
        begin()
        say("\(Describe.n(NodeID(i + 1))) answers read \(context) of \(key) from its own state, without confirming that it leads (unsafe local-reads)")
        serveReads(i)
        checkInvariants()
        return finish()
    }

    /// Switches the unsafe `local-reads` shortcut on or off.
    public func setLocalReads(_ on: Bool) -> [String] {
        begin()
        isLocalReadsOn = on
        say(on ? "UNSAFE: reads are answered from the asked node's own state, without ReadIndex (a stale leader answers stale values)"
               : "reads go through ReadIndex again")
        return finish()
    }

    /// Proposes many commands at once on the leader (for benchmarks and bulk loads).
    public func proposeBatch(_ commands: [[UInt8]], on id: NodeID) throws(SimError) {
        try requireUp(id)
        let i = Int(id) - 1
        do { try nodes[i]!.propose(batch: commands) } catch { throw SimError("\(Describe.n(id)) refuses: \(error)") }
        begin()
        handleReady(i, before: snapshot(i))
        checkInvariants()
        _ = finish()
    }

    // MARK: Faults

    func crashNode(_ i: Int) {
        pendingReads.removeAll { $0.node == i }
        disks[i].crash(generator: &generator)
        nodes[i] = nil
        machines[i] = KeyValueStore()
    }

    /// Loses the node's volatile state and its unsynced writes.
    @discardableResult
    public func crash(_ id: NodeID) throws(SimError) -> [String] {
        try requireUp(id)
        begin()
        crashNode(Int(id) - 1)
        let disk = disks[Int(id) - 1]
        let unsynced = disk.isSyncOn ? "" : disk.location.hasPrefix("memory:")
            ? ", and so are its unsynced writes"
            : " (its unsynced writes survive: on real files only a power loss would lose them)"
        say("\(Describe.n(id)) crashes: volatile state is gone\(unsynced)")
        checkInvariants()
        return finish()
    }

    /// Rebuilds the node from its disk through storage recovery.
    @discardableResult
    public func restart(_ id: NodeID) throws(SimError) -> [String] {
        try validate(id)
        let i = Int(id) - 1
        guard nodes[i] == nil else { throw SimError("\(Describe.n(id)) is already up (crash it first)") }
        var recovered = try disks[i].recover()
        var notes = recovered.notes
        if let problem = Cluster.logProblem(recovered.entries, after: recovered.snapshot?.metadata.index ?? 0) {
            throw SimError("\(Describe.n(id)) cannot start: its disk holds \(problem)")
        }
        if let last = recovered.entries.last, last.term > recovered.hardState.term {
            notes.append("the hard state's term \(recovered.hardState.term) is below the last entry's term \(last.term); starting in term \(last.term) with no vote")
            recovered.hardState = HardState(term: last.term, vote: .none, commit: recovered.hardState.commit)
        }
        begin()
        nodes[i] = RaftNode(config: nodeConfig(id), configuration: configuration,
                            hardState: recovered.hardState, entries: recovered.entries, snapshot: recovered.snapshot)
        let commit = nodes[i].peek { $0.commitIndex }!
        machines[i] = KeyValueStore()
        persistedLast[i] = (recovered.snapshot?.metadata.index ?? 0) + UInt64(recovered.entries.count)
        if let snapshot = recovered.snapshot { restoreStore(i, from: snapshot) }
        checker.nodeRestarted(i, commit: commit)
        let hard = recovered.hardState
        say("\(Describe.n(id)) restarts from its disk: term \(hard.term), vote \(Describe.n(hard.vote)), commit \(commit), \(recovered.entries.count) entr\(recovered.entries.count == 1 ? "y" : "ies")\(recovered.entries.isEmpty ? "" : " (terms \(Describe.terms(recovered.entries)))")")
        if let snapshot = recovered.snapshot { say("  \(Describe.n(id)) restores its state machine from its snapshot through \(Describe.at(snapshot.metadata.index, snapshot.metadata.term)): \(machines[i].contentsDescription)") }
        for note in notes { say("  recovery: \(note)") }
        handleReady(i, before: snapshot(i))
        checkInvariants()
        return finish()
    }

    static func logProblem(_ entries: [Entry], after start: UInt64 = 0) -> String? {
        var lastTerm: UInt64 = 0
        for (offset, entry) in entries.enumerated() {
            if entry.index != start + UInt64(offset + 1) { return "entry index \(entry.index) where \(start + UInt64(offset + 1)) was expected" }
            if entry.term == 0 { return "entry \(entry.index) with term 0" }
            if entry.term < lastTerm { return "entry \(entry.index) of term \(entry.term) after term \(lastTerm)" }
            lastTerm = entry.term
        }
        return nil
    }

    /// Splits the cluster: messages between different groups are lost on delivery. Nodes not
    /// named form one more group together. Replaces any earlier partition.
    @discardableResult
    public func partition(_ groups: [[NodeID]]) throws(SimError) -> [String] {
        var named: [NodeID] = []
        for group in groups {
            if group.isEmpty { throw SimError("a group of the partition is empty") }
            for id in group {
                try validate(id)
                if named.contains(id) { throw SimError("\(Describe.n(id)) is named twice") }
                named.append(id)
            }
        }
        var all = groups
        let rest = ids.filter { !named.contains($0) }
        if !rest.isEmpty { all.append(rest) }
        if all.count < 2 { throw SimError("a partition needs at least two groups") }
        begin()
        for a in ids { for b in ids { isCut[Int(a) - 1][Int(b) - 1] = false } }
        for (g, group) in all.enumerated() {
            for (h, other) in all.enumerated() where g != h {
                for a in group { for b in other { isCut[Int(a) - 1][Int(b) - 1] = true } }
            }
        }
        partitionGroups = all
        say("partition: " + all.map { $0.map(Describe.n).joined(separator: " ") }.joined(separator: " | "))
        return finish()
    }

    /// Restores every link.
    @discardableResult
    public func heal() -> [String] {
        begin()
        for a in ids { for b in ids { isCut[Int(a) - 1][Int(b) - 1] = false } }
        partitionGroups = []
        say("every link is restored")
        return finish()
    }

    /// Lays down a log of the given terms at indexes 1…k on a crashed node's disk, with hard
    /// state term `term` (default: the last entry's term), no vote and commit 0.
    @discardableResult
    public func setLog(_ id: NodeID, terms: [UInt64], hardTerm: UInt64?) throws(SimError) -> [String] {
        try validate(id)
        let i = Int(id) - 1
        guard nodes[i] == nil else { throw SimError("\(Describe.n(id)) is up; crash it first (setlog rewrites a crashed node's disk)") }
        guard terms.count <= 100_000 else { throw SimError("at most 100000 entries") }
        var last: UInt64 = 0
        for term in terms {
            guard term >= 1 else { throw SimError("terms start at 1") }
            guard term >= last else { throw SimError("terms must not decrease along a log (\(term) after \(last))") }
            last = term
        }
        let term = hardTerm ?? last
        guard term >= last else { throw SimError("the hard-state term \(term) is below the last entry's term \(last)") }
        // Where another running node holds an entry with the same index and term, copy it, so
        // the fabricated log agrees with the real ones (Log Matching) wherever the terms do.
        let entries = terms.enumerated().map { offset, term in
            let index = UInt64(offset + 1)
            for case let other? in nodes where index >= other.firstIndex && other.term(at: index) == term {
                return other.entries[Int(index - other.firstIndex)]
            }
            return Entry(term: term, index: index, kind: .normal, data: Array("setlog \(index)".utf8))
        }
        try disks[i].replace(hardState: HardState(term: term, vote: .none, commit: 0), entries: entries)
        begin()
        checker.nodeRewritten(i, term: term)
        persistedLast[i] = UInt64(entries.count)
        say("\(Describe.n(id))'s disk now holds \(entries.isEmpty ? "an empty log" : Describe.entryRange(entries)) and term \(term), no vote")
        return finish()
    }

    // MARK: Settings

    /// A protocol setting.
    public enum Setting: String, CaseIterable, Sendable {
        case preVote = "prevote"
        case checkQuorum = "checkquorum"
        case leaderNoop = "leader-noop"
    }

    /// Whether nothing has happened yet, so settings can apply to every node at once.
    public var isPristine: Bool { stepCount == 0 && inFlight.isEmpty }

    /// Changes a setting. On a pristine cluster every node restarts with it at once; otherwise
    /// it applies to each node at its next restart.
    @discardableResult
    public func set(_ setting: Setting, _ on: Bool) -> [String] {
        switch setting {
        case .preVote: settings.preVote = on
        case .checkQuorum: settings.checkQuorum = on
        case .leaderNoop: settings.leaderNoop = on
        }
        return applySettings("\(setting.rawValue) \(on ? "on" : "off")")
    }

    /// Turns a teaching knob on or off.
    @discardableResult
    public func setUnsafe(_ knob: UnsafeKnobs, name: String, _ on: Bool) -> [String] {
        if on { settings.unsafe.insert(knob) } else { settings.unsafe.remove(knob) }
        return applySettings("unsafe \(name) \(on ? "on" : "off")")
    }

    /// Sets the election and heartbeat timing.
    @discardableResult
    public func setTiming(electionTicks: Int?, heartbeatTicks: Int?) throws(SimError) -> [String] {
        var next = settings
        if let electionTicks { next.electionTicks = electionTicks }
        if let heartbeatTicks { next.heartbeatTicks = heartbeatTicks }
        if let problem = next.validationError() { throw SimError(problem) }
        settings = next
        return applySettings("election \(settings.electionTicks) ticks, heartbeat \(settings.heartbeatTicks)")
    }

    private func applySettings(_ what: String) -> [String] {
        begin()
        if isPristine {
            for id in ids where isUp(id) {
                nodes[Int(id) - 1] = RaftNode(config: nodeConfig(id), configuration: configuration)
            }
            say("\(what): applies to every node now")
        } else {
            let running = upNodes.filter { nodes[Int($0) - 1]!.config != nodeConfig($0) }
            say("\(what): applies to each node when it (re)starts" + (running.isEmpty ? "" : "; \(running.map(Describe.n).joined(separator: " ")) keep\(running.count == 1 ? "s" : "") the old setting until then"))
        }
        return finish()
    }

    /// Turns syncing of a node's disk on or off.
    @discardableResult
    public func setSync(_ id: NodeID, _ on: Bool) throws(SimError) -> [String] {
        try validate(id)
        begin()
        disks[Int(id) - 1].isSyncOn = on
        say("\(Describe.n(id)) \(on ? "syncs every Ready" : "no longer syncs: a crash loses what it wrote since its last sync")")
        return finish()
    }

    /// Writes the node's files into a real directory that `logdump` reads.
    @discardableResult
    public func exportDisk(_ id: NodeID, to directory: String) throws(SimError) -> [String] {
        try validate(id)
        try disks[Int(id) - 1].export(to: directory)
        return ["\(Describe.n(id))'s disk written to \(directory)"]
    }

    // MARK: For tests

    /// A text that changes whenever anything observable about the cluster changes.
    public var fingerprint: String {
        var text = "next #\(nextMessageID) steps \(stepCount) violations \(violations.count) cut \(partitionGroups) settings \(settings.preVote) \(settings.checkQuorum) \(settings.leaderNoop) \(settings.unsafe.rawValue) \(settings.electionTicks) \(settings.heartbeatTicks)\n"
        for id in ids {
            let i = Int(id) - 1
            if let node = nodes[i] {
                text += "\(Describe.n(id)) \(node.role) t\(node.term) v\(node.vote) c\(node.commitIndex) a\(node.appliedIndex) l\(node.leader) e\(node.electionElapsedTicks)/\(node.electionTimeoutTicks) [\(Describe.terms(node.entries))] kv \(machines[i].contentsDescription) sync \(disks[i].isSyncOn)\n"
            } else {
                text += "\(Describe.n(id)) down sync \(disks[i].isSyncOn)\n"
            }
        }
        for item in inFlight { text += Describe.line(item) + "\n" }
        text += "reads \(nextReadContext) \(pendingReads.map { "\($0.context)@n\($0.node + 1)" }) served \(servedReads.count)\n"
        return text
    }
}
