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
        position == 0 ? inFlight.removeFirst() : inFlight.remove(at: position)
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
}
