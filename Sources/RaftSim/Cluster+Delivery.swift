import RaftCore

/// Delivering, dropping and duplicating messages of the simulated network.
extension Cluster {
    /// Which messages a `deliver`/`drop` selects.
    public enum Selector: Equatable, Sendable {
        /// The oldest message (passing over those `delay` holds back).
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

    /// Delivers one message by its position in flight.
    func deliver(at position: Int) {
        let item = network.remove(at: position)
        let message = item.message
        say(Describe.line(item))
        let lost = lossReason(message)
        network.noteDelivered(item, handled: lost == nil)
        timeline.record(
            .delivered(
                id: item.id, from: message.from, to: message.to, kind: message.kindName,
                term: message.term, lost: lost))
        if let reason = lost {
            say("  lost: \(reason)")
            return
        }
        checkDelivered(item.id)
        let r = Int(message.to) - 1
        let host = hosts[r]!
        var before = narratedState(r)
        if before != nil {
            // Derived from the node before the step; no copy of it is held across the step (the
            // step would then copy the whole log).
            let why = cause(of: message, at: host.node)
            before?.cause = why
            if let act = why.unsafeAct { say("  \(act)") }
        }
        let result = host.step(message)
        if let candidate = before?.cause?.discardCandidate, host.node.term(at: candidate.first) == candidate.leaderTerm {
            before?.cause?.discarded = candidate
        }
        if let told = before {
            // The term a reply carries comes first: everything after happens in that term.
            if let sentence = newerTermSentence(message, before: told) {
                say(sentence)
                narrateState(r, before: told)
                before?.isStateTold = true
            }
        }
        if case .ignored(let reason) = result {
            if let told = before {
                narrateState(r, before: told)
                before?.isStateTold = true
            }
            say("  \(Describe.n(message.to)) ignores it: \(before?.cause?.leaseSentence ?? reason)")
        }
        handleReady(r, before: before)
        checkInvariants()
    }

    private func select(_ selector: Selector) throws(SimError) -> [Int] {
        let inFlight = network.inFlight
        switch selector {
        case .oldest:
            // The oldest not held back by `delay`.
            guard let position = network.oldestPosition() else { throw SimError("no message is in flight") }
            return [inFlight[position].id]
        case .ids(let wanted):
            var seen: [Int] = []
            for id in wanted {
                guard network.position(ofMessage: id) != nil else {
                    throw SimError(
                        id >= nextMessageID ? "no message #\(id) yet (the next id is #\(nextMessageID))" : "#\(id) is not in flight any more")
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
            if let position = network.position(ofMessage: id) { deliver(at: position) }
        }
        return finish()
    }

    /// Loses the selected messages.
    @discardableResult
    public func drop(_ selector: Selector) throws(SimError) -> [String] {
        let chosen = try select(selector)
        begin()
        for id in chosen {
            if let position = network.position(ofMessage: id) {
                // Removed outside `say`, whose text is built only when narrating.
                let dropped = network.remove(at: position)
                timeline.record(
                    .dropped(
                        id: dropped.id, from: dropped.message.from, to: dropped.message.to,
                        kind: dropped.message.kindName, term: dropped.message.term))
                say("dropped \(Describe.line(dropped))")
            }
        }
        return finish()
    }

    /// The most copies one `duplicate` makes: `duplicate all` doubles what is in flight, so a few
    /// in a row would otherwise grow the queue (and memory) exponentially.
    public static let maxDuplicatesPerCommand = 1_000

    /// Puts a copy of each selected message in flight under a new id (the network delivers it twice).
    /// Refuses, copying nothing, when more than `maxDuplicatesPerCommand` messages are selected.
    @discardableResult
    public func duplicate(_ selector: Selector) throws(SimError) -> [String] {
        let chosen = try select(selector)
        guard chosen.count <= Cluster.maxDuplicatesPerCommand else {
            throw SimError(
                "that would duplicate \(chosen.count) messages; one duplicate copies at most \(Cluster.maxDuplicatesPerCommand) (choose fewer: ids, FROM->TO, to NODE, from NODE)"
            )
        }
        begin()
        for id in chosen {
            guard let position = network.position(ofMessage: id) else { continue }
            let copy = network.duplicate(at: position)
            noteDuplicated(id, as: copy.id)
            say("#\(id) duplicated as #\(copy.id)")
        }
        return finish()
    }

    /// The default bound of `stabilize`.
    public static let defaultStabilizeLimit = 100_000

    /// Delivers the oldest message until none is in flight, at most `limit` deliveries (a
    /// message `delay` holds back goes once its hold ends or nothing else is in flight).
    /// Narrates the first `narrationLimit` deliveries, then only counts.
    @discardableResult
    public func stabilize(limit: Int = Cluster.defaultStabilizeLimit, narrationLimit: Int = 200) throws(SimError) -> [String] {
        guard limit >= 1 else { throw SimError("the limit must be at least 1") }
        begin()
        let wasNarrating = isNarrating
        defer { isNarrating = wasNarrating }
        var delivered = 0
        while !network.inFlight.isEmpty && delivered < limit {
            if delivered == narrationLimit && isNarrating {
                isNarrating = false
                lines.append("  … (narration stops here; the rest is summarised)")
            }
            deliver(at: network.oldestPosition() ?? 0)
            delivered += 1
        }
        let remaining = network.inFlight.count
        lines.append(
            "stabilize: delivered \(delivered) message\(delivered == 1 ? "" : "s")"
                + (remaining > 0 ? "; \(remaining) still in flight (limit \(limit))" : "; nothing in flight"))
        if wasNarrating && delivered > narrationLimit {
            // The narration was cut short: say where things ended up.
            let state = ids.map { id -> String in
                guard let node = node(id) else { return "\(Describe.n(id)) down" }
                return "\(Describe.n(id)) \(node.role == .leader ? "leader " : "")t\(node.term) commit \(node.commitIndex)"
            }
            lines.append("now: " + state.joined(separator: ", "))
        }
        return finish()
    }
}
