/// The leader's view of one follower's log (etcd's "progress tracker").
struct Progress {
    /// How the leader sends to this follower.
    enum State: Equatable {
        /// Don't know where the follower's log matches: one append at a time, backtracking.
        case probe
        /// Logs match through `match`: stream appends optimistically, up to the in-flight bound.
        case replicate
        /// A snapshot through `pending` is on its way; send nothing until the follower answers.
        case snapshot(pending: UInt64)
    }

    /// The follower.
    let id: NodeID
    /// Highest index known to be replicated on the follower.
    /// - Invariant: `match < next`.
    var match: UInt64 = 0
    /// Index of the next entry to send.
    var next: UInt64
    /// Sending mode.
    var state: State = .probe
    /// In probe state: an append is outstanding, so wait for its answer (or a heartbeat answer).
    var isProbeSent = false
    /// Whether the follower answered since the last check-quorum round.
    var isRecentActive = false
    /// When the follower last confirmed a pending read (its answer came while the read still
    /// waited, so it was among the first), as the leader's count of such answers
    /// (`RaftNode.readAcknowledgements`; 0: never since this node leads): read rounds ask the most
    /// recent first.
    var lastReadAcknowledgement: UInt64 = 0
    /// Appends in flight in replicate state, by the index of their last entry.
    var inflights: Inflights

    init(id: NodeID, next: UInt64, maxInflight: Int) {
        self.id = id
        self.next = next
        self.inflights = Inflights(capacity: maxInflight)
    }

    /// The state's name for display.
    var stateName: String {
        switch state {
        case .probe: return "probe"
        case .replicate: return "replicate"
        case .snapshot(let pending): return "snapshot(\(pending))"
        }
    }

    /// Whether the leader should hold back appends to this follower.
    var isPaused: Bool {
        switch state {
        case .probe: return isProbeSent
        case .replicate: return inflights.isFull
        case .snapshot: return true
        }
    }

    mutating func becomeProbe() {
        state = .probe
        next = match + 1
        isProbeSent = false
        inflights.removeAll()
    }

    mutating func becomeReplicate() {
        state = .replicate
        next = match + 1
        isProbeSent = false
        inflights.removeAll()
    }

    mutating func becomeSnapshot(pending index: UInt64) {
        state = .snapshot(pending: index)
        isProbeSent = false
        inflights.removeAll()
    }

    /// A successful append answer through `index`; false when it tells nothing new.
    mutating func maybeUpdate(_ index: UInt64) -> Bool {
        var updated = false
        if index > match {
            match = index
            updated = true
            isProbeSent = false
        }
        if next < index + 1 { next = index + 1 }
        return updated
    }

    /// A rejection of `rejected` with the follower's hint; false when the rejection is stale.
    mutating func maybeDecrease(rejected: UInt64, hint: UInt64) -> Bool {
        if state == .replicate {
            if rejected <= match { return false }
            next = match + 1
            return true
        }
        if next - 1 != rejected { return false }
        next = max(min(rejected, hint + 1), match + 1)
        isProbeSent = false
        return true
    }
}

/// A bounded FIFO of the last indexes of appends in flight to one follower.
struct Inflights {
    private var buffer: [UInt64]
    private var start = 0
    private(set) var count = 0

    init(capacity: Int) {
        precondition(capacity >= 1)
        buffer = Array(repeating: 0, count: capacity)
    }

    var isFull: Bool { count == buffer.count }

    mutating func add(_ lastIndex: UInt64) {
        precondition(!isFull, "cannot add to a full inflights window")
        buffer[(start + count) % buffer.count] = lastIndex
        count += 1
    }

    /// Frees every append whose last index is at or below `index`.
    mutating func free(through index: UInt64) {
        while count > 0 && buffer[start] <= index {
            start = (start + 1) % buffer.count
            count -= 1
        }
    }

    /// Frees the oldest append (a heartbeat answer shows the follower is alive but slow).
    mutating func freeFirst() {
        guard count > 0 else { return }
        start = (start + 1) % buffer.count
        count -= 1
    }

    mutating func removeAll() {
        start = 0
        count = 0
    }
}
