import RaftCore

/// Stale messages and long delays (issue 18 §3): a delivered message put back in flight long
/// after it arrived (`replay`), and a message held back behind later traffic (`delay`).
/// Both are ordinary behaviour of an asynchronous network, which Raft must tolerate: a message
/// may be duplicated and may arrive arbitrarily late (paper §5.1: "servers retry RPCs if they do
/// not receive a response in a timely manner"; the network may "duplicate, and reorder" them).
extension Cluster {
    /// How many delivered messages the network keeps for `replay`.
    public var keptDeliveredCount: Int { network.keptCount }

    /// The delivered message kept at `position` (0: the oldest kept).
    public func keptDelivered(at position: Int) -> InFlightMessage { network.kept(at: position) }

    /// Puts a copy of the delivered message `id` back in flight under a new id, as a network
    /// that duplicated it and held the copy back would. The message must still be kept (the
    /// network keeps the most recent deliveries and a thinned record of older ones).
    @discardableResult
    public func replay(_ id: Int) throws(SimError) -> [String] {
        if network.position(ofMessage: id) != nil {
            throw SimError("#\(id) is still in flight, not delivered yet (duplicate copies a message in flight)")
        }
        guard id < nextMessageID else { throw SimError("no message #\(id) yet (the next id is #\(nextMessageID))") }
        guard let item = network.kept(id: id) else {
            throw SimError(
                "#\(id) is not among the delivered messages the network keeps: the last \(SimNetwork.recentCapacity) delivered, and about one in \(SimNetwork.archiveStride) of the \(SimNetwork.archiveCapacity * SimNetwork.archiveStride) before them (a dropped or lost message is not kept)"
            )
        }
        begin()
        let copy = network.replay(item.message)
        say("#\(id) replayed as #\(copy.id): \(Describe.line(copy))")
        return finish()
    }

    /// The most deliveries a `delay` may hold a message back for.
    public static let maxDelayDeliveries = 1_000_000

    /// Holds the in-flight message `id` back: delivering or dropping the oldest message,
    /// `stabilize` and `run` pass over it until `deliveries` other messages have been delivered
    /// (or lost). Naming it by id still delivers it at once; when only held messages are in
    /// flight the oldest of them goes.
    @discardableResult
    public func delay(_ id: Int, deliveries: Int) throws(SimError) -> [String] {
        guard (1...Cluster.maxDelayDeliveries).contains(deliveries) else {
            throw SimError("the delay is 1 to \(Cluster.maxDelayDeliveries) deliveries")
        }
        guard network.position(ofMessage: id) != nil else {
            throw SimError(id >= nextMessageID ? "no message #\(id) yet (the next id is #\(nextMessageID))" : "#\(id) is not in flight any more")
        }
        begin()
        network.hold(id, deliveries: deliveries)
        say(
            "#\(id) is held back until \(deliveries) other message\(deliveries == 1 ? " has" : "s have") been delivered (deliver \(id) delivers it now)"
        )
        return finish()
    }

    /// The in-flight messages held back by `delay`, with the deliveries each still waits for.
    public var heldMessages: [(id: Int, deliveries: Int)] { network.held }
}
