import DequeModule
import RaftCore
import RaftHost

/// How a simulated cluster is built.
public struct ClusterOptions: Sendable, Equatable {
    /// Number of nodes, named n1…nN.
    public var nodeCount: Int = 3
    /// Seeds every random choice: election timeouts and torn writes at crashes.
    public var seed: UInt64 = 1
    /// Pre-vote (dissertation §9.6).
    public var preVote: Bool = true
    /// Check-quorum and leader leases.
    public var checkQuorum: Bool = true
    /// A new leader appends a no-op entry.
    public var leaderNoop: Bool = true
    /// A ReadIndex round's heartbeat goes only to a quorum's worth of voters
    /// (`Config.readRoundsAskQuorumOnly`, as `raftd` runs); off, to every member.
    public var readQuorum: Bool = false
    /// Teaching knobs that break one rule each.
    public var unsafe: UnsafeKnobs = []
    /// Base election timeout in ticks.
    public var electionTicks: Int = 10
    /// Heartbeat interval in ticks.
    public var heartbeatTicks: Int = 1
    /// Nodes with their own election or heartbeat setting (`set election-ticks NODE N`).
    public var nodeTiming: [NodeID: NodeTiming] = [:]
    /// When set, every node keeps real files in `DIR/nK` instead of a simulated disk.
    public var dataDirectory: String?
    /// How many of the nodes (n1…nK) form the starting configuration; nil: all of them. The
    /// others run but are not members until they are added (`add NODE`).
    public var voterCount: Int?
    /// Automatic compaction: a node compacts through its applied index once it holds this many
    /// applied entries after its snapshot; 0 turns it off.
    public var compactThreshold: Int = 0
    /// Bytes of zeros each memory disk's storage preallocates after its last record
    /// (`StorageOptions.preallocateBytes`, as raftd does with 4 MiB); 0 (the REPL's default)
    /// appends. The explorer turns it on so that its power cuts land in preallocated zeros.
    public var preallocateBytes: Int = 0

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
        if let problem = nodeTimingError() { return problem }
        if let voterCount, voterCount < 1 || voterCount > nodeCount { return "voters must be between 1 and the node count (\(nodeCount))" }
        return nil
    }
}

/// The host every simulated node runs in: the one Ready loop, over the simulated network and
/// disk, with the key-value store as its state machine.
public typealias SimHost = NodeHost<KeyValueStore>

/// A cluster of real `RaftNode`s on one simulated network, each with its own disk.
///
/// Every node runs in a `NodeHost` (RaftHost), the same Ready loop `raftd` runs; the cluster
/// feeds it inputs and narrates from the report the host returns. Every message a node emits
/// gets an increasing id and waits until it is delivered or dropped. The invariant checker runs
/// after every step. Methods that change the cluster validate their arguments first and throw
/// `SimError` without changing anything when they are wrong.
public final class Cluster {
    /// The options the cluster was built with (settings changed since are in `settings`).
    public let options: ClusterOptions
    /// The current settings, used for nodes that start from now on.
    public internal(set) var settings: ClusterOptions
    /// The node ids, 1…N.
    public let ids: [NodeID]
    /// The running nodes' hosts (nil: crashed).
    var hosts: [SimHost?]
    var disks: [NodeDisk]
    /// The last index each node's disk holds (for the checker's truncation records).
    var persistedLast: [UInt64]
    var configuration: Configuration
    let network: SimNetwork
    var generator: SeededGenerator
    var checker: InvariantChecker
    /// Every violation found so far, oldest first.
    public internal(set) var violations: [InvariantViolation] = []
    /// Inputs handled so far (deliveries, ticks, proposals…).
    public internal(set) var stepCount = 0
    /// Whether to narrate (the benchmark and long stabilizes turn it off).
    public var isNarrating = true
    var lines: [String] = []
    /// The recent history the pictures draw (`ladder`, the SVG timeline).
    public internal(set) var timeline: Timeline

    // Linearizable reads, for the read checks (Cluster+Reads.swift).
    var pendingReads: [PendingRead] = []
    var unverifiedReads: [(node: Int, context: UInt64, key: String, value: String?, applied: UInt64)] = []
    var nextReadContext: UInt64 = 1
    /// The unsafe `local-reads` shortcut (`setLocalReads`): reads skip ReadIndex.
    public internal(set) var isLocalReadsOn = false
    /// Reads served so far, as `(context, key, value)`, oldest first.
    public internal(set) var servedReads: [(context: UInt64, key: String, value: String?)] = []
    /// The read index each read was confirmed at (or, with local reads, answered from), by context.
    public internal(set) var readIndexes: [UInt64: UInt64] = [:]

    /// Builds the cluster: every node a follower in term 0 with an empty disk.
    public init(options: ClusterOptions) throws(SimError) {
        if let problem = options.validationError() { throw SimError(problem) }
        self.options = options
        self.settings = options
        ids = (1...options.nodeCount).map { NodeID($0) }
        configuration = Configuration(voters: Array(ids.prefix(options.voterCount ?? options.nodeCount)))
        generator = SeededGenerator(seed: options.seed ^ 0x5EED_0F_D15C)
        checker = InvariantChecker(count: options.nodeCount, configuration: configuration)
        timeline = Timeline(nodeCount: options.nodeCount)
        network = SimNetwork(nodeCount: options.nodeCount)
        persistedLast = Array(repeating: 0, count: options.nodeCount)
        hosts = Array(repeating: nil, count: options.nodeCount)
        disks = []
        for id in ids {
            disks.append(try Cluster.makeDisk(id: id, options: options))
        }
        for id in ids {
            let i = Int(id) - 1
            let recovered = try disks[i].recover()
            if recovered.entries.isEmpty && recovered.hardState == .empty && recovered.snapshot == nil {
                hosts[i] = makeHost(i, RaftNode(config: nodeConfig(id), configuration: configuration))
            } else {
                // A data directory from an earlier run: the node comes back from it.
                startupLines += try restart(id)
            }
        }
        checker.downDiskHolds = { [unowned self] i, index, term in self.diskHolds(i, index: index, term: term) }
    }

    /// What happened while the cluster started (nodes recovered from an existing --data-dir).
    public private(set) var startupLines: [String] = []

    private static func makeDisk(id: NodeID, options: ClusterOptions) throws(SimError) -> NodeDisk {
        try StorageDisk(name: Describe.n(id), realDirectory: options.dataDirectory, seed: options.seed, preallocateBytes: options.preallocateBytes)
    }

    func nodeConfig(_ id: NodeID) -> Config {
        var config = Config(id: id)
        config.seed = settings.seed
        config.preVote = settings.preVote
        config.checkQuorum = settings.checkQuorum
        config.leaderNoop = settings.leaderNoop
        config.readRoundsAskQuorumOnly = settings.readQuorum
        config.unsafe = settings.unsafe
        config.electionTicks = settings.electionTicks(of: id)
        config.heartbeatTicks = settings.heartbeatTicks(of: id)
        return config
    }

    /// A host for a node without a snapshot (a new node: its empty store cannot fail to restore).
    func makeHost(_ i: Int, _ node: RaftNode) -> SimHost {
        precondition(node.latestSnapshot == nil, "a node with a snapshot is restarted through `restart`")
        do { return try SimHost(node: node, storage: disks[i], transport: network) } catch {
            preconditionFailure("an empty store restored from nothing: \(error)")
        }
    }

    // MARK: Reading the state

    /// The node, or nil when it is crashed.
    public func node(_ id: NodeID) -> RaftNode? { hosts[Int(id) - 1]?.node }
    /// Whether the node runs.
    public func isUp(_ id: NodeID) -> Bool { hosts[Int(id) - 1] != nil }
    /// The node's key-value store (empty while crashed).
    public func store(_ id: NodeID) -> KeyValueStore { hosts[Int(id) - 1]?.machine ?? KeyValueStore() }
    /// Whether the node syncs each Ready.
    public func isSyncOn(_ id: NodeID) -> Bool { disks[Int(id) - 1].isSyncOn }
    /// Where the node's files live.
    public func diskLocation(_ id: NodeID) -> String { disks[Int(id) - 1].location }
    /// The nodes that run.
    public var upNodes: [NodeID] { ids.filter { isUp($0) } }
    /// The leader of the highest term among running nodes, if any.
    public var leader: NodeID? {
        var best: (id: NodeID, term: UInt64)?
        for case let host? in hosts where host.node.role == .leader {
            if best == nil || host.node.term > best!.term { best = (host.node.id, host.node.term) }
        }
        return best?.id
    }
    /// Messages in flight, oldest (lowest id) first.
    public var inFlight: Deque<InFlightMessage> { network.inFlight }
    /// The id the next message gets.
    public var nextMessageID: Int { network.nextMessageID }
    /// The groups of the current partition (empty when healed).
    public var partitionGroups: [[NodeID]] { network.partitionGroups }
    /// Whether the link from → to loses messages.
    public func isLinkCut(from: NodeID, to: NodeID) -> Bool { network.isLinkCut(from: from, to: to) }
    /// The in-flight message with this id.
    public func message(id: Int) -> InFlightMessage? {
        guard let position = network.position(ofMessage: id) else { return nil }
        return network.inFlight[position]
    }
    /// Why the message would be lost if delivered now, or nil.
    public func lossReason(_ message: Message) -> String? {
        if !isUp(message.to) { return "\(Describe.n(message.to)) is down" }
        if isLinkCut(from: message.from, to: message.to) {
            return "the link \(Describe.n(message.from))->\(Describe.n(message.to)) is cut"
        }
        return nil
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

    /// Handles node `i`'s Readys through its host (repeatedly, while it has one), narrating each
    /// report against the state `before` it.
    func handleReady(_ i: Int, before: NarratedState?) {
        // Read once: only `stabilize` and hosts switch it, between steps (every access to a
        // property of this class is checked for exclusivity at run time).
        let narrating = isNarrating
        var rounds = 0
        var before = before
        while let host = hosts[i], host.hasReady, rounds < 16 {
            rounds += 1
            if narrating, let before { narrateState(i, before: before); narrateRemoval(i, wasLeader: before.role == .leader) }
            host.recordsApplied = narrating
            let firstMessageID = network.nextMessageID
            guard let report = host.handleReady() else { break }
            recordDisk(i, report)
            checkSent(i, firstID: firstMessageID)
            if narrating { narrate(i, report, before: before, firstMessageID: firstMessageID) }
            if let failure = report.failure {
                say("  \(Describe.n(NodeID(i + 1))) \(disks[i].powerCutNote ?? Cluster.crashSentence(failure)); it crashes")
                crashNode(i)
                return
            }
            if let through = report.appliedThrough { checker.appliedThrough(i, through, node: host.node) }
            checkReads(i, report)
            compactIfOverThreshold(i)
            before = narratedState(i)
        }
        // In place: handing `host.node` to a function copies the whole node.
        if let host = hosts[i] { host.withNode { timeline.observe($0) } }
    }

    /// The checker's disk records: which indexes each disk now holds.
    private func recordDisk(_ i: Int, _ report: ReadyReport<KeyValueStore>) {
        if let snapshot = report.installedSnapshot {
            checker.logTruncated(i, at: 1)
            persistedLast[i] = snapshot.metadata.index
        }
        // Entries were written unless an earlier step failed (a failed write may have cut the suffix).
        guard report.failure == nil || report.failure?.stage == .save, let first = report.entries.first else { return }
        if first.index <= persistedLast[i] { checker.logTruncated(i, at: first.index) }
        if report.failure == nil { persistedLast[i] = report.entries.last!.index }
    }

    static func crashSentence(_ failure: HostFailure) -> String {
        switch failure.stage {
        case .saveSnapshot: return "cannot write the snapshot (\(failure.message))"
        case .restore: return "received a snapshot whose state-machine data does not decode"
        case .save: return "cannot write its disk (\(failure.message))"
        case .compact: return "cannot write its snapshot (\(failure.message))"
        }
    }

    /// Runs the checker; records and narrates new violations.
    func checkInvariants() {
        stepCount += 1
        if stepCount % Cluster.fullCheckPeriod == 0 { fullCheckPrelude() }
        var found = checker.check(hosts)
        if !unverifiedReads.isEmpty { found += verifyReads() }
        report(found)
    }

    /// Records violations and says so in the output.
    func report(_ found: [InvariantViolation]) {
        guard !found.isEmpty else { return }
        violations.append(contentsOf: found)
        for violation in found { lines.append("  !! INVARIANT VIOLATED — \(violation)") }
    }

    /// Records one violation found outside the checker and says so.
    func reportViolation(_ invariant: String, _ evidence: String) {
        report([InvariantViolation(invariant: invariant, evidence: evidence)])
    }
}
