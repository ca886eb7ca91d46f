import RaftCore
import RaftHost

/// A minimal deterministic driver for a cluster of `RaftNode`s, for tests and benchmarks of the
/// core alone: messages wait in one FIFO queue, each node's "disk" is an in-memory copy of what its
/// Ready asked to persist, and committed entries are collected per node.
///
/// Every node runs in a `NodeHost` (RaftHost): the same Ready loop as the simulator's and
/// `raftd`'s nodes — persist, send, apply, advance — with `MemoryNodeStorage` as its disk and a
/// state machine that only records. RaftSim is the full simulator (numbered messages, real
/// storage code on simulated disks, invariant checker); this driver tests and measures the core
/// without it. (It moved out of RaftCore into this test-support target, as NIO ships NIOEmbedded.)
public struct LoopbackCluster {
    /// The hosts; `hosts[i]` runs node `i + 1`.
    private var hosts: [NodeHost<RecordingMachine>]
    /// Each node's in-memory disk.
    private var disks: [MemoryNodeStorage]
    private let network = LoopbackQueue()

    /// The nodes; `nodes[i]` has id `i + 1`. Setting an element replaces that node in its host
    /// (tests call the core's inputs on it directly and then `handleReady`).
    public var nodes: [RaftNode] {
        get { hosts.map(\.node) }
        set {
            precondition(newValue.count == hosts.count, "the cluster keeps its size")
            for i in hosts.indices { hosts[i].withNode { $0 = newValue[i] } }
        }
    }
    /// Persisted hard state per node (index `id - 1`).
    public var storedHardStates: [HardState] { disks.map(\.hardState) }
    /// Persisted log per node (index `id - 1`): the entries after the stored snapshot.
    public var storedEntries: [[Entry]] { disks.map(\.entries) }
    /// Persisted snapshot per node (index `id - 1`).
    public var storedSnapshots: [Snapshot?] { disks.map(\.snapshot) }
    /// The snapshot each node's state machine was last restored from (index `id - 1`); `applied`
    /// then lists only the entries applied after it.
    public private(set) var restoredSnapshots: [Snapshot?]
    /// Entries each node applied, in order (index `id - 1`).
    public private(set) var applied: [[Entry]]
    /// Reads each node's host received (index `id - 1`).
    public private(set) var readStates: [[ReadState]]
    /// Whether each node is up (index `id - 1`).
    public private(set) var isUp: [Bool]
    /// Links that lose messages: `isCut[from-1][to-1]`.
    private var isCut: [[Bool]]
    /// Messages dropped by the receiving nodes, with reasons (for tests that look at validation).
    public private(set) var ignored: [(message: Message, reason: String)] = []
    /// Whether to collect applied entries (benchmarks turn it off to measure the core alone).
    public var isRecordingApplied = true {
        didSet { for host in hosts { host.recordsApplied = isRecordingApplied } }
    }
    private let configs: [Config]
    private let configuration: Configuration

    /// Creates `count` nodes n1…nN that all start as followers in term 0. The starting
    /// configuration has `voters` (default: all of them); the others wait to be added.
    public init(count: Int, voters: [NodeID]? = nil, seed: UInt64 = 1, configure: (inout Config) -> Void = { _ in }) {
        precondition(count >= 1)
        let ids = (1...count).map { NodeID($0) }
        configuration = Configuration(voters: voters ?? ids)
        configs = ids.map { id in
            var config = Config(id: id)
            config.seed = seed
            configure(&config)
            return config
        }
        disks = ids.map { _ in MemoryNodeStorage() }
        hosts = []
        restoredSnapshots = Array(repeating: nil, count: count)
        applied = Array(repeating: [], count: count)
        readStates = Array(repeating: [], count: count)
        isUp = Array(repeating: true, count: count)
        isCut = Array(repeating: Array(repeating: false, count: count), count: count)
        for i in ids.indices {
            hosts.append(Self.host(RaftNode(config: configs[i], configuration: configuration), disks[i], network))
        }
    }

    private static func host(_ node: RaftNode, _ disk: MemoryNodeStorage, _ network: LoopbackQueue) -> NodeHost<RecordingMachine> {
        do { return try NodeHost(node: node, storage: disk, transport: network) } catch {
            preconditionFailure("a recording machine restores from any bytes: \(error)")
        }
    }

    /// Replaces node `id`'s persisted state (while it is down) — for scenarios such as Figure 7.
    public mutating func setStoredState(_ id: NodeID, hardState: HardState, entries: [Entry]) {
        precondition(!isUp[Int(id) - 1], "set the log of a crashed node only")
        disks[Int(id) - 1].hardState = hardState
        disks[Int(id) - 1].entries = entries
    }

    /// The node with this id.
    public func node(_ id: NodeID) -> RaftNode { hosts[Int(id) - 1].node }

    /// The current leader among the up nodes with the highest term, if any.
    public var leader: NodeID? {
        hosts.indices.filter { isUp[$0] && hosts[$0].node.role == .leader }
            .max(by: { hosts[$0].node.term < hosts[$1].node.term })
            .map { NodeID($0 + 1) }
    }

    /// Number of messages waiting.
    public var inFlightCount: Int { network.count }

    /// The waiting messages, oldest first.
    public var inFlight: ArraySlice<Message> { network.waiting }

    // MARK: Driving

    /// Handles node `id`'s Ready through its host: persist, send, apply, advance.
    public mutating func handleReady(_ id: NodeID) {
        let i = Int(id) - 1
        guard isUp[i], let report = hosts[i].handleReady() else { return }
        precondition(report.failure == nil, "memory storage does not fail: \(report.failure!)")
        if let received = report.installedSnapshot {
            restoredSnapshots[i] = received
            applied[i] = []
        }
        if isRecordingApplied { applied[i].append(contentsOf: report.applied.map(\.entry)) }
        readStates[i].append(contentsOf: report.confirmedReads)
    }

    /// Runs `body` on node `id` in place (no copy of the node), e.g. a proposal in a benchmark.
    public mutating func withNode<T, Failure: Error>(_ id: NodeID, _ body: (inout RaftNode) throws(Failure) -> T) throws(Failure) -> T {
        try hosts[Int(id) - 1].withNode(body)
    }

    /// Ticks node `id` `count` times, handling its Ready after each.
    public mutating func tick(_ id: NodeID, times count: Int = 1) {
        for _ in 0..<count where isUp[Int(id) - 1] {
            hosts[Int(id) - 1].tick()
            handleReady(id)
        }
    }

    /// Ticks every up node once, in id order.
    public mutating func tickAll(times count: Int = 1) {
        for _ in 0..<count {
            for i in hosts.indices { tick(NodeID(i + 1)) }
        }
    }

    /// Starts an election on `id` now.
    public mutating func campaign(_ id: NodeID) {
        hosts[Int(id) - 1].campaign()
        handleReady(id)
    }

    /// Proposes `data` on node `id`.
    @discardableResult
    public mutating func propose(_ id: NodeID, _ data: [UInt8]) throws(RaftError) -> UInt64 {
        let index = try hosts[Int(id) - 1].propose(data)
        handleReady(id)
        return index
    }

    /// Delivers the oldest waiting message (lost if its receiver is down or its link is cut);
    /// returns false when nothing waits.
    @discardableResult
    public mutating func deliverOne() -> Bool {
        guard let message = network.next() else { return false }
        // Ids outside the cluster come only from tests that inject hostile messages: a receiver
        // outside is nobody (the message is lost); a sender outside crosses no cut link.
        guard message.to >= 1, message.to <= UInt64(hosts.count) else { return true }
        let to = Int(message.to) - 1
        let isSenderInside = message.from >= 1 && message.from <= UInt64(hosts.count)
        guard isUp[to], !(isSenderInside && isCut[Int(message.from) - 1][to]) else { return true }
        if case .ignored(let reason) = hosts[to].step(message) {
            ignored.append((message, reason))
        }
        handleReady(message.to)
        return true
    }

    /// Delivers until nothing waits (at most `limit` messages); returns how many were delivered.
    @discardableResult
    public mutating func stabilize(limit: Int = 1_000_000) -> Int {
        var count = 0
        while count < limit && deliverOne() { count += 1 }
        return count
    }

    /// Delivers one message at a time until `condition` holds (checked before each delivery);
    /// returns whether it held before the queue ran dry.
    @discardableResult
    public mutating func deliver(until condition: (LoopbackCluster) -> Bool) -> Bool {
        while !condition(self) {
            if !deliverOne() { return false }
        }
        return true
    }

    /// Drops every waiting message.
    public mutating func dropAll() { network.replace(with: []) }

    /// Removes and returns the waiting messages that match `predicate` (the rest keep their order).
    public mutating func take(where predicate: (Message) -> Bool) -> [Message] {
        let waiting = Array(network.waiting)
        network.replace(with: waiting.filter { !predicate($0) })
        return waiting.filter(predicate)
    }

    /// Delivers, in order, every waiting message that matches `predicate` (the rest keep waiting);
    /// messages they cause are queued, not delivered. Returns how many were delivered.
    @discardableResult
    public mutating func deliverMatching(where predicate: (Message) -> Bool) -> Int {
        let chosen = take(where: predicate)
        let rest = Array(network.waiting)
        network.replace(with: chosen)
        for _ in chosen.indices { deliverOne() }
        let caused = Array(network.waiting)
        network.replace(with: rest + caused)
        return chosen.count
    }

    /// Puts a message (back) at the end of the queue.
    public mutating func enqueue(_ message: Message) { network.send([message]) }

    /// Compacts node `id`'s log through `index` with `data` as the state machine's snapshot, and
    /// persists the snapshot and the shortened log.
    public mutating func compact(_ id: NodeID, through index: UInt64, data: [UInt8]) throws(RaftError) {
        let i = Int(id) - 1
        let taken = try hosts[i].withNode { node throws(RaftError) in try node.compact(through: index, data: data) }
        disks[i].store(taken, received: false)
    }

    // MARK: Faults

    /// Loses node `id`'s volatile state; its persisted state stays.
    public mutating func crash(_ id: NodeID) {
        isUp[Int(id) - 1] = false
    }

    /// Rebuilds node `id` from its persisted state; its state machine starts over from its snapshot.
    public mutating func restart(_ id: NodeID) {
        let i = Int(id) - 1
        let disk = disks[i]
        hosts[i] = Self.host(
            RaftNode(
                config: configs[i], configuration: configuration,
                hardState: disk.hardState, entries: disk.entries, snapshot: disk.snapshot), disk, network)
        hosts[i].recordsApplied = isRecordingApplied
        applied[i] = []
        restoredSnapshots[i] = disk.snapshot
        isUp[i] = true
        handleReady(id)
    }

    /// Cuts every link between the two groups (both directions).
    public mutating func partition(_ a: [NodeID], _ b: [NodeID]) {
        for x in a {
            for y in b {
                isCut[Int(x) - 1][Int(y) - 1] = true
                isCut[Int(y) - 1][Int(x) - 1] = true
            }
        }
    }

    /// Cuts node `id` off from every other node.
    public mutating func isolate(_ id: NodeID) {
        partition([id], hosts.indices.map { NodeID($0 + 1) }.filter { $0 != id })
    }

    /// Restores every link.
    public mutating func heal() {
        for i in isCut.indices { for j in isCut[i].indices { isCut[i][j] = false } }
    }
}

/// The loopback cluster's network: one FIFO queue of messages (the hosts' transport).
final class LoopbackQueue: Transport {
    private var queue: [Message] = []
    private var head = 0

    var count: Int { queue.count - head }
    var waiting: ArraySlice<Message> { queue[head...] }

    func send(_ messages: [Message]) { queue.append(contentsOf: messages) }

    func next() -> Message? {
        guard head < queue.count else { return nil }
        let message = queue[head]
        head += 1
        // Drop the delivered prefix now and then, so a long run does not keep every message.
        if head > 4096 && head * 2 > queue.count {
            queue.removeSubrange(0..<head)
            head = 0
        }
        return message
    }

    func replace(with messages: [Message]) {
        queue = messages
        head = 0
    }
}

/// A node's disk in memory: what its Readys asked to persist, with conflict truncation.
public final class MemoryNodeStorage: NodeStorage {
    /// The persisted hard state.
    public var hardState: HardState = .empty
    /// The persisted entries after the snapshot.
    public var entries: [Entry] = []
    /// The persisted snapshot.
    public var snapshot: Snapshot?

    /// An empty disk.
    public init() {}

    /// Stores the hard state and the entries (an entry at or below the last stored index supersedes the suffix).
    public func save(hardState: HardState?, entries new: [Entry], mustSync: Bool) throws {
        if let hardState { self.hardState = hardState }
        guard let first = new.first else { return }
        let keep = Int(first.index - 1 - (snapshot?.metadata.index ?? 0))
        precondition(keep >= 0 && keep <= entries.count, "entries follow the stored log")
        if keep < entries.count { entries.removeSubrange(keep...) }
        entries.append(contentsOf: new)
    }

    /// Stores a snapshot: a received one replaces the whole log, a compaction drops what it covers.
    public func saveSnapshot(_ snapshot: Snapshot, hardState: HardState?, received: Bool) throws {
        if let hardState { self.hardState = hardState }
        store(snapshot, received: received)
    }

    func store(_ taken: Snapshot, received: Bool) {
        if received {
            entries = []
        } else {
            let dropped = Int(taken.metadata.index - (snapshot?.metadata.index ?? 0))
            entries.removeFirst(min(dropped, entries.count))
        }
        snapshot = taken
    }
}

/// A state machine that keeps nothing but what it was last restored from: the loopback cluster
/// records applied entries from the host's reports instead.
public struct RecordingMachine: StateMachine {
    /// The bytes of the last snapshot restored.
    public private(set) var restored: [UInt8] = []
    /// An empty machine.
    public init() {}
    /// Applies nothing; answers nothing.
    public mutating func apply(_ command: [UInt8], index: UInt64) {}
    /// Nothing to ask.
    public func query(_ query: Void) {}
    /// The bytes it was restored from.
    public func snapshot() -> [UInt8] { restored }
    /// Keeps the bytes.
    public mutating func restore(_ bytes: [UInt8]) throws(StateMachineError) { restored = bytes }
}
