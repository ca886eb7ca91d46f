import DequeModule
import RaftCore
import RaftHost

/// The simulated network: every message a node sends gets the next id (`#12`) and waits in
/// flight, oldest first, until the user (or the explorer) delivers, drops or duplicates it.
/// Links can be cut; a message on a cut link is lost when it is delivered.
///
/// It is the `Transport` of every simulated host: `send` only queues.
final class SimNetwork: Transport {
    /// Messages in flight, oldest (lowest id) first. A deque: delivery takes from the front, and
    /// with an array draining a long queue (`stabilize` after `tick 10000`) was quadratic.
    /// - Invariant: ids strictly increase along the queue (positions are 0-based offsets).
    private(set) var inFlight: Deque<InFlightMessage> = []
    /// The id the next message gets.
    private(set) var nextMessageID = 1
    /// `isCut[from-1][to-1]`: messages on this link are lost on delivery.
    private var isCut: [[Bool]]
    /// The groups of the current partition (empty when healed).
    private(set) var partitionGroups: [[NodeID]] = []
    /// Delivered messages kept for `replay`, and the holds of `delay`.
    private var record = DeliveryRecord()

    init(nodeCount: Int) {
        isCut = Array(repeating: Array(repeating: false, count: nodeCount), count: nodeCount)
    }

    func send(_ messages: [Message]) {
        let firstID = nextMessageID
        nextMessageID += messages.count
        inFlight.append(contentsOf: messages.indices.lazy.map { InFlightMessage(id: firstID + $0, message: messages[$0]) })
    }

    /// Puts a copy of the message at `position` in flight under a new id; returns the copy.
    func duplicate(at position: Int) -> InFlightMessage {
        let copy = InFlightMessage(id: nextMessageID, message: inFlight[position].message)
        nextMessageID += 1
        inFlight.append(copy)
        return copy
    }

    /// Takes the message at `position` out of flight.
    func remove(at position: Int) -> InFlightMessage {
        let item = position == 0 ? inFlight.removeFirst() : inFlight.remove(at: position)
        if !record.heldUntil.isEmpty { record.heldUntil[item.id] = nil }
        return item
    }

    /// The position in `inFlight` of the message with this id.
    func position(ofMessage id: Int) -> Int? {
        // Ids increase along the queue: binary search (a deque's indexes are 0..<count, random access).
        var low = 0
        var high = inFlight.count
        while low < high {
            let mid = (low + high) / 2
            if inFlight[mid].id < id { low = mid + 1 } else { high = mid }
        }
        return low < inFlight.count && inFlight[low].id == id ? low : nil
    }

    /// Whether the link from → to loses messages.
    func isLinkCut(from: NodeID, to: NodeID) -> Bool { isCut[Int(from) - 1][Int(to) - 1] }

    /// Cuts every link between different groups (and restores every other link).
    func cut(between groups: [[NodeID]], ids: [NodeID]) {
        restoreLinks(ids: ids)
        for (g, group) in groups.enumerated() {
            for (h, other) in groups.enumerated() where g != h {
                for a in group { for b in other { isCut[Int(a) - 1][Int(b) - 1] = true } }
            }
        }
        partitionGroups = groups
    }

    /// Cuts or restores the one direction from → to of one link, leaving every other link (and the
    /// partition's groups) as they are.
    func setLink(from: NodeID, to: NodeID, cut: Bool) {
        isCut[Int(from) - 1][Int(to) - 1] = cut
    }

    /// Whether any link is cut (by a partition or one direction at a time).
    var hasCutLinks: Bool { isCut.contains { $0.contains(true) } }

    /// Restores every link.
    func restoreLinks(ids: [NodeID]) {
        for a in ids { for b in ids { isCut[Int(a) - 1][Int(b) - 1] = false } }
        partitionGroups = []
    }

    // MARK: Delivered messages (`replay`) and held ones (`delay`)

    /// Recent deliveries kept whole.
    static let recentCapacity = 256
    /// Older deliveries kept in the thinned archive.
    static let archiveCapacity = 256
    /// One delivered message in this many (by id) moves to the archive when it leaves the recent record.
    static let archiveStride = 16

    /// Notes a message that left flight by delivery; `handled` when it reached a running node
    /// over a whole link (only those are kept for `replay`).
    func noteDelivered(_ item: InFlightMessage, handled: Bool) {
        record.deliveryCount += 1
        guard handled else { return }
        if record.recent.count == Self.recentCapacity {
            let old = record.recent.removeFirst()
            if old.id % Self.archiveStride == 0 {
                if record.archive.count == Self.archiveCapacity { record.archive.removeFirst() }
                record.archive.append(old)
            }
        }
        record.recent.append(item)
        assert(record.recent.count <= Self.recentCapacity && record.archive.count <= Self.archiveCapacity)
    }

    /// How many delivered messages are kept.
    var keptCount: Int { record.archive.count + record.recent.count }

    /// The kept delivered message at `position`, oldest first.
    func kept(at position: Int) -> InFlightMessage {
        precondition(position >= 0 && position < keptCount, "no kept message at \(position)")
        return position < record.archive.count ? record.archive[position] : record.recent[position - record.archive.count]
    }

    /// The kept delivered message with this id.
    func kept(id: Int) -> InFlightMessage? {
        record.recent.first { $0.id == id } ?? record.archive.first { $0.id == id }
    }

    /// Puts a copy of a delivered message in flight under a new id; returns the copy.
    func replay(_ message: Message) -> InFlightMessage {
        let copy = InFlightMessage(id: nextMessageID, message: message)
        nextMessageID += 1
        inFlight.append(copy)
        return copy
    }

    /// Holds the in-flight message `id` back for `deliveries` deliveries.
    func hold(_ id: Int, deliveries: Int) {
        precondition(deliveries >= 1 && position(ofMessage: id) != nil, "hold: #\(id) is not in flight")
        record.heldUntil[id] = record.deliveryCount + deliveries
    }

    /// The held messages still in flight and the deliveries each still waits for, by id.
    var held: [(id: Int, deliveries: Int)] {
        record.heldUntil.filter { $0.value > record.deliveryCount }.map { ($0.key, $0.value - record.deliveryCount) }.sorted { $0.id < $1.id }
    }

    /// The position of the message "the oldest" means: the oldest not held back, else (only
    /// held messages in flight) the oldest. Nil when nothing is in flight.
    func oldestPosition() -> Int? {
        guard !inFlight.isEmpty else { return nil }
        if record.heldUntil.isEmpty { return 0 }
        for position in inFlight.indices {
            let id = inFlight[position].id
            guard let until = record.heldUntil[id] else { return position }
            if until <= record.deliveryCount {
                record.heldUntil[id] = nil
                return position
            }
        }
        return 0
    }
}

/// What the network keeps of delivered messages (for `replay`) and which messages it holds back
/// (`delay`). Kept apart from the queue so that delivery stays a pop from the front when no
/// message is held.
struct DeliveryRecord {
    /// The most recent delivered messages, oldest first.
    var recent: Deque<InFlightMessage> = []
    /// Older delivered messages, thinned (those whose id is a multiple of the stride), oldest first:
    /// a stale message from many terms ago stays available without keeping every message.
    var archive: Deque<InFlightMessage> = []
    /// Messages delivered or lost so far: the clock of holds.
    var deliveryCount = 0
    /// Held messages: id → the delivery count at which the hold ends.
    var heldUntil: [Int: Int] = [:]
}
