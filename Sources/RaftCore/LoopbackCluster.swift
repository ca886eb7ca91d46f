/// A minimal deterministic host for a cluster of `RaftNode`s, for tests and benchmarks of the core
/// alone: messages wait in one FIFO queue, each node's "disk" is an in-memory copy of what its
/// Ready asked to persist, and committed entries are collected per node.
///
/// RaftSim is the full simulator (numbered messages, real storage code on simulated disks,
/// invariant checker); this driver exists so the core can be tested and measured without it.
/// It runs each Ready exactly as a production host must: persist, send, apply, advance.
public struct LoopbackCluster: Sendable {
    /// The nodes; `nodes[i]` has id `i + 1`.
    public var nodes: [RaftNode]
    /// Persisted hard state per node (index `id - 1`).
    public private(set) var storedHardStates: [HardState]
    /// Persisted log per node (index `id - 1`): the entries after the stored snapshot.
    public private(set) var storedEntries: [[Entry]]
    /// Persisted snapshot per node (index `id - 1`).
    public private(set) var storedSnapshots: [Snapshot?]
    /// The snapshot each node's state machine was last restored from (index `id - 1`); `applied`
    /// then lists only the entries applied after it.
    public private(set) var restoredSnapshots: [Snapshot?]
    /// Entries each node applied, in order (index `id - 1`).
    public private(set) var applied: [[Entry]]
    /// Reads each node's host received (index `id - 1`).
    public private(set) var readStates: [[ReadState]]
    /// Whether each node is up (index `id - 1`).
    public private(set) var isUp: [Bool]
    /// Messages waiting for delivery, oldest first from `queueHead`.
    private var queue: [Message] = []
    private var queueHead = 0
    /// Links that lose messages: `isCut[from-1][to-1]`.
    private var isCut: [[Bool]]
    /// Messages dropped by the receiving nodes, with reasons (for tests that look at validation).
    public private(set) var ignored: [(message: Message, reason: String)] = []
    /// Whether to collect applied entries (benchmarks turn it off to measure the core alone).
    public var isRecordingApplied = true
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
        nodes = configs.map { [configuration] in RaftNode(config: $0, configuration: configuration) }
        storedHardStates = Array(repeating: .empty, count: count)
        storedEntries = Array(repeating: [], count: count)
        storedSnapshots = Array(repeating: nil, count: count)
        restoredSnapshots = Array(repeating: nil, count: count)
        applied = Array(repeating: [], count: count)
        readStates = Array(repeating: [], count: count)
        isUp = Array(repeating: true, count: count)
        isCut = Array(repeating: Array(repeating: false, count: count), count: count)
    }

    /// Replaces node `id`'s persisted state (while it is down) — for scenarios such as Figure 7.
    public mutating func setStoredState(_ id: NodeID, hardState: HardState, entries: [Entry]) {
        precondition(!isUp[Int(id) - 1], "set the log of a crashed node only")
        storedHardStates[Int(id) - 1] = hardState
        storedEntries[Int(id) - 1] = entries
    }

    /// The node with this id.
    public func node(_ id: NodeID) -> RaftNode { nodes[Int(id) - 1] }

    /// The current leader among the up nodes with the highest term, if any.
    public var leader: NodeID? {
        nodes.indices.filter { isUp[$0] && nodes[$0].role == .leader }
            .max(by: { nodes[$0].term < nodes[$1].term })
            .map { NodeID($0 + 1) }
    }

    /// Number of messages waiting.
    public var inFlightCount: Int { queue.count - queueHead }

    /// The waiting messages, oldest first.
    public var inFlight: ArraySlice<Message> { queue[queueHead...] }

    // MARK: Driving

    /// Handles node `id`'s Ready in production order: persist, send, apply, advance.
    public mutating func handleReady(_ id: NodeID) {
        let i = Int(id) - 1
        guard isUp[i], let ready = LoopbackCluster.takeReady(&nodes[i]) else { return }
        if let received = ready.snapshot {
            storedSnapshots[i] = received
            storedEntries[i] = []
        }
        if let hard = ready.hardState { storedHardStates[i] = hard }
        if let first = ready.entries.first {
            let keep = Int(first.index - 1 - (storedSnapshots[i]?.metadata.index ?? 0))
            if keep < storedEntries[i].count { storedEntries[i].removeSubrange(keep...) }
            storedEntries[i].append(contentsOf: ready.entries)
        }
        queue.append(contentsOf: ready.messages)
        if let received = ready.snapshot {
            restoredSnapshots[i] = received
            applied[i] = []
        }
        if isRecordingApplied { applied[i].append(contentsOf: ready.committedEntries) }
        readStates[i].append(contentsOf: ready.readStates)
        nodes[i].advance(ready)
    }

    /// Takes the node's Ready, if any, through an inout access (reading `hasReady` through the
    /// array's getter would copy the whole node).
    private static func takeReady(_ node: inout RaftNode) -> Ready? {
        node.hasReady ? node.ready() : nil
    }

    /// Ticks node `id` `count` times, handling its Ready after each.
    public mutating func tick(_ id: NodeID, times count: Int = 1) {
        for _ in 0..<count where isUp[Int(id) - 1] {
            nodes[Int(id) - 1].tick()
            handleReady(id)
        }
    }

    /// Ticks every up node once, in id order.
    public mutating func tickAll(times count: Int = 1) {
        for _ in 0..<count {
            for i in nodes.indices { tick(NodeID(i + 1)) }
        }
    }

    /// Starts an election on `id` now.
    public mutating func campaign(_ id: NodeID) {
        nodes[Int(id) - 1].campaign()
        handleReady(id)
    }

    /// Proposes `data` on node `id`.
    @discardableResult
    public mutating func propose(_ id: NodeID, _ data: [UInt8]) throws(RaftError) -> UInt64 {
        let index = try nodes[Int(id) - 1].propose(data)
        handleReady(id)
        return index
    }

    /// Delivers the oldest waiting message (lost if its receiver is down or its link is cut);
    /// returns false when nothing waits.
    @discardableResult
    public mutating func deliverOne() -> Bool {
        guard queueHead < queue.count else { return false }
        let message = queue[queueHead]
        queueHead += 1
        if queueHead > 4096 && queueHead * 2 > queue.count {
            queue.removeSubrange(0..<queueHead)
            queueHead = 0
        }
        // Ids outside the cluster come only from tests that inject hostile messages: a receiver
        // outside is nobody (the message is lost); a sender outside crosses no cut link.
        guard message.to >= 1, message.to <= UInt64(nodes.count) else { return true }
        let to = Int(message.to) - 1
        let isSenderInside = message.from >= 1 && message.from <= UInt64(nodes.count)
        guard isUp[to], !(isSenderInside && isCut[Int(message.from) - 1][to]) else { return true }
        if case .ignored(let reason) = nodes[to].step(message) {
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
    public mutating func dropAll() {
        queue.removeAll()
        queueHead = 0
    }

    /// Removes and returns the waiting messages that match `predicate` (the rest keep their order).
    public mutating func take(where predicate: (Message) -> Bool) -> [Message] {
        let waiting = Array(queue[queueHead...])
        queue = waiting.filter { !predicate($0) }
        queueHead = 0
        return waiting.filter(predicate)
    }

    /// Delivers, in order, every waiting message that matches `predicate` (the rest keep waiting);
    /// messages they cause are queued, not delivered. Returns how many were delivered.
    @discardableResult
    public mutating func deliver(where predicate: (Message) -> Bool) -> Int {
        let chosen = take(where: predicate)
        let rest = Array(queue[queueHead...])
        queue = chosen
        queueHead = 0
        for _ in chosen.indices { deliverOne() }
        let caused = Array(queue[queueHead...])
        queue = rest + caused
        queueHead = 0
        return chosen.count
    }

    /// Puts a message (back) at the end of the queue.
    public mutating func enqueue(_ message: Message) { queue.append(message) }

    /// Compacts node `id`'s log through `index` with `data` as the state machine's snapshot, and
    /// persists the snapshot and the shortened log.
    public mutating func compact(_ id: NodeID, through index: UInt64, data: [UInt8]) throws(RaftError) {
        let i = Int(id) - 1
        let taken = try nodes[i].compact(through: index, data: data)
        let dropped = Int(index - (storedSnapshots[i]?.metadata.index ?? 0))
        storedEntries[i].removeFirst(min(dropped, storedEntries[i].count))
        storedSnapshots[i] = taken
    }

    // MARK: Faults

    /// Loses node `id`'s volatile state; its persisted state stays.
    public mutating func crash(_ id: NodeID) {
        isUp[Int(id) - 1] = false
    }

    /// Rebuilds node `id` from its persisted state; its state machine starts over from nothing.
    public mutating func restart(_ id: NodeID) {
        let i = Int(id) - 1
        nodes[i] = RaftNode(config: configs[i], configuration: configuration,
                            hardState: storedHardStates[i], entries: storedEntries[i], snapshot: storedSnapshots[i])
        applied[i] = []
        restoredSnapshots[i] = storedSnapshots[i]
        isUp[i] = true
        handleReady(id)
    }

    /// Cuts every link between the two groups (both directions).
    public mutating func partition(_ a: [NodeID], _ b: [NodeID]) {
        for x in a { for y in b {
            isCut[Int(x) - 1][Int(y) - 1] = true
            isCut[Int(y) - 1][Int(x) - 1] = true
        } }
    }

    /// Cuts node `id` off from every other node.
    public mutating func isolate(_ id: NodeID) {
        partition([id], nodes.indices.map { NodeID($0 + 1) }.filter { $0 != id })
    }

    /// Restores every link.
    public mutating func heal() {
        for i in isCut.indices { for j in isCut[i].indices { isCut[i][j] = false } }
    }
}
