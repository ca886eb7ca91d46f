import RaftCore

/// The benchmark's own driver of three `RaftNode`s, without a host: the Ready loop of
/// `NodeHost` reduced to what a commit needs — persist to an in-memory log, queue the messages,
/// apply the committed entries, advance — so that the figure is the core's, as etcd's
/// BenchmarkProposal3Nodes uses its raw node with a MemoryStorage.
///
/// Messages wait in one FIFO queue, as in `LoopbackCluster`; a proposal's round ends when the
/// queue is empty, which (with no faults) is when every node has applied it.
struct CoreLoop {
    /// A node's "disk": what its Readys asked to persist.
    struct MemoryDisk {
        var hardState = HardState.empty
        var entries: [Entry] = []

        /// Stores a Ready's entries: an entry at or below the stored last index replaces the
        /// stored suffix from there (the Ready contract).
        mutating func append(_ new: [Entry]) {
            // Indexes read in place (`first` would copy an entry, retaining its payload).
            guard !new.isEmpty else { return }
            if !entries.isEmpty, new[0].index <= entries[0].index + UInt64(entries.count) - 1 {
                entries.removeSubrange(Int(new[0].index - entries[0].index)...)
            }
            entries.append(contentsOf: new)
        }
    }

    private(set) var nodes: [RaftNode]
    private var disks: [MemoryDisk]
    /// Messages waiting, oldest first.
    private var queue: [Message] = []
    /// The batch of messages being delivered (empty between `stabilize` calls).
    private var delivering: [Message] = []
    /// Entries each node's state machine applied, and the payload bytes it read.
    private(set) var appliedCounts: [Int]
    private(set) var appliedBytes = 0
    /// Messages the receivers dropped (late vote answers after an election, for example).
    private(set) var ignoredCount = 0

    init(count: Int, seed: UInt64) {
        let ids = (1...count).map { NodeID($0) }
        let configuration = Configuration(voters: ids)
        nodes = ids.map { id in
            var config = Config(id: id)
            config.seed = seed
            return RaftNode(config: config, configuration: configuration)
        }
        disks = Array(repeating: MemoryDisk(), count: count)
        appliedCounts = Array(repeating: 0, count: count)
    }

    /// Starts an election on `id` and delivers until the cluster is quiet.
    mutating func elect(_ id: NodeID) {
        nodes[Int(id) - 1].campaign()
        handleReady(Int(id) - 1)
        stabilize()
    }

    /// Proposes `data` on node `id` (its leader) and handles its Ready.
    mutating func propose(_ id: NodeID, _ data: [UInt8]) throws(RaftError) {
        try nodes[Int(id) - 1].propose(data)
    }

    /// Handles node `i`'s Ready: persist, send, apply, advance.
    mutating func handleReady(_ i: Int) {
        guard var ready = nodes[i].readyIfAny() else { return }
        if let hard = ready.hardState { disks[i].hardState = hard }
        disks[i].append(ready.entries)
        if queue.isEmpty {
            // Take the messages' array as the queue (a transport that owns what it was handed);
            // the node gets the queue's empty array back for its next messages.
            swap(&queue, &ready.messages)
        } else {
            queue.append(contentsOf: ready.messages)
        }
        appliedCounts[i] += ready.committedEntries.count
        for position in ready.committedEntries.indices { appliedBytes &+= ready.committedEntries[position].data.count }
        nodes[i].advance(ready)
    }

    /// Delivers messages, oldest first, handling each receiver's Ready, until none waits.
    mutating func stabilize() {
        // The waiting messages are delivered as a batch while the ones they cause queue up
        // behind them (FIFO overall). Each message is swapped out of the batch (the previous
        // one takes its place until the batch is emptied), so it is moved, never copied.
        var message = Message.timeoutNow(TimeoutNow(from: .none, to: .none, term: 0))
        var batch: [Message] = []
        swap(&batch, &delivering)
        while !queue.isEmpty {
            swap(&queue, &batch)
            for position in batch.indices {
                swap(&message, &batch[position])
                let to = Int(message.to) - 1
                if case .ignored = nodes[to].step(message) { ignoredCount += 1 }
                handleReady(to)
            }
            batch.removeAll(keepingCapacity: true)
        }
        swap(&batch, &delivering)
    }
}
