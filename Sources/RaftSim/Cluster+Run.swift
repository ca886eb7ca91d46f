import RaftCore

/// Letting the cluster run by itself: time passes and the network delivers, so a learner can
/// watch elections, heartbeats and commits happen without choosing each step.
extension Cluster {
    /// The most deliveries `run` makes after one tick (a bound against a message storm).
    public static let runDeliveriesPerTick = 10_000

    /// Ticks every running node `ticks` times; after each tick the network delivers every message
    /// (and the messages those cause) in order. Tells only what changed, tick by tick.
    @discardableResult
    public func run(ticks: Int) throws(SimError) -> [String] {
        guard ticks >= 1 && ticks <= 10_000 else { throw SimError("the tick count must be between 1 and 10000") }
        if upNodes.isEmpty { throw SimError("every node is down") }
        begin()
        let wasNarrating = isNarrating
        isNarrating = false
        defer { isNarrating = wasNarrating }
        var delivered = 0
        for round in 1...ticks {
            let mark = timeline.events.count + timeline.forgottenCount
            let lineMark = lines.count
            for id in upNodes {
                let i = Int(id) - 1
                hosts[i]!.tick()
                handleReady(i, before: nil)
                checkInvariants()
            }
            timeline.record(.ticked(count: 1))
            var count = 0
            while !network.inFlight.isEmpty && count < Cluster.runDeliveriesPerTick {
                deliver(at: network.oldestPosition() ?? 0)
                count += 1
            }
            delivered += count
            let fresh = timeline.events.suffix(max(0, timeline.events.count + timeline.forgottenCount - mark))
            let notable = fresh.compactMap(Cluster.runSentence)
            // Violations (always told) follow the tick that found them.
            if !notable.isEmpty { lines.insert("tick \(round): " + notable.joined(separator: "; "), at: lineMark) }
        }
        let state = ids.map { id -> String in
            guard let node = node(id) else { return "\(Describe.n(id)) down" }
            return "\(Describe.n(id)) \(node.role == .leader ? "leader " : "")t\(node.term) commit \(node.commitIndex)"
        }
        let remaining = network.inFlight.count
        lines.append(
            "ran \(ticks) tick\(ticks == 1 ? "" : "s"), delivered \(delivered) message\(delivered == 1 ? "" : "s")\(remaining > 0 ? ", \(remaining) still in flight" : ""); now: \(state.joined(separator: ", "))"
        )
        return finish()
    }

    /// What `run` tells of an event, or nil for messages and ticks.
    static func runSentence(_ event: TimelineEvent) -> String? {
        switch event {
        case .campaigned(let n, let term, let preVote):
            return "\(Describe.n(n)) \(preVote ? "asks for pre-votes for" : "campaigns for") term \(term)"
        case .elected(let n, let term): return "\(Describe.n(n)) becomes LEADER of term \(term)"
        case .steppedDown(let n, let term): return "\(Describe.n(n)) stops leading term \(term)"
        case .committed(let n, let index, _): return "\(Describe.n(n)) commits through \(index)"
        case .crashed(let n): return "\(Describe.n(n)) crashes"
        case .restarted(let n): return "\(Describe.n(n)) restarts"
        case .proposed(let n, let index, _): return "\(Describe.n(n)) appends entry \(index)"
        case .delivered, .dropped, .ticked: return nil
        }
    }
}
