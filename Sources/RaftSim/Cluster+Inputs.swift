import RaftCore

/// Inputs from the user or the explorer: time, elections, proposals.
extension Cluster {
    /// Ticks the given nodes (all running nodes when empty) `count` times, in id order.
    @discardableResult
    public func tick(_ which: [NodeID], count: Int) throws(SimError) -> [String] {
        guard count >= 1 && count <= 10_000 else { throw SimError("the tick count must be between 1 and 10000") }
        for id in which { try requireUp(id) }
        let targets = which.isEmpty ? upNodes : which
        if targets.isEmpty { throw SimError("every node is down") }
        begin()
        for round in 1...count {
            let mark = lines.count
            timeline.record(.ticked(count: 1))
            for id in targets where isUp(id) {
                let i = Int(id) - 1
                let host = hosts[i]!
                let before = narratedState(i)
                let timeout = host.node.electionTimeoutTicks
                host.tick()
                if isNarrating, let before {
                    let after = host.node
                    if before.role != .leader && (after.role == .preCandidate || after.role == .candidate)
                        && (after.role != before.role || after.term != before.term)
                    {
                        say("  \(Describe.n(id))'s election timeout (\(timeout) ticks) fires")
                    } else if before.role == .leader && after.role != .leader {
                        say("  \(Describe.n(id)) has not heard from a quorum for an election timeout: it steps down (check-quorum)")
                    }
                }
                handleReady(i, before: before)
                checkInvariants()
            }
            if isNarrating && lines.count > mark && count > 1 {
                lines.insert("tick \(round) of \(count):", at: mark)
            }
        }
        if lines.isEmpty {
            say("ticked \(targets.map(Describe.n).joined(separator: " ")) \(count) time\(count == 1 ? "" : "s"); nothing happened")
        }
        return finish()
    }

    /// Makes the node's election timeout fire now.
    @discardableResult
    public func campaign(_ id: NodeID) throws(SimError) -> [String] {
        try requireUp(id)
        let i = Int(id) - 1
        let host = hosts[i]!
        if host.node.role == .leader { throw SimError("\(Describe.n(id)) is already the leader of term \(host.node.term)") }
        begin()
        let before = narratedState(i)
        host.campaign()
        handleReady(i, before: before)
        checkInvariants()
        return finish()
    }

    /// Asks the leader to hand leadership to `target`.
    @discardableResult
    public func transfer(to target: NodeID) throws(SimError) -> [String] {
        try requireUp(target)
        guard let leaderID = leader else { throw SimError("there is no leader to transfer from") }
        let i = Int(leaderID) - 1
        let before = narratedState(i)
        // The core validates and refuses before changing anything.
        do { try hosts[i]!.transferLeadership(to: target) } catch { throw SimError("\(Describe.n(leaderID)): \(error)") }
        begin()
        say("\(Describe.n(leaderID)) starts handing leadership to \(Describe.n(target))")
        handleReady(i, before: before)
        checkInvariants()
        return finish()
    }

    /// Proposes a client command (`nil`: the current leader).
    @discardableResult
    public func propose(_ text: String, on target: NodeID? = nil) throws(SimError) -> [String] {
        let i = try Int(chooseNode(target, verb: "propose NODE TEXT")) - 1
        let host = hosts[i]!
        let index: UInt64
        do {
            index = try host.propose(Array(text.utf8))
        } catch {
            throw SimError("\(Describe.n(NodeID(i + 1))) refuses: \(error)")
        }
        checker.proposalTaken(i, index: index, term: host.node.term, data: Array(text.utf8))
        begin()
        say("\(Describe.n(NodeID(i + 1))) appends '\(text)' at index \(index) (term \(host.node.term))")
        handleReady(i, before: narratedState(i))
        checkInvariants()
        return finish()
    }

    /// Proposes many commands at once on the leader (for benchmarks and bulk loads).
    public func proposeBatch(_ commands: [[UInt8]], on id: NodeID) throws(SimError) {
        try requireUp(id)
        let i = Int(id) - 1
        do { _ = try hosts[i]!.propose(batch: commands) } catch { throw SimError("\(Describe.n(id)) refuses: \(error)") }
        begin()
        handleReady(i, before: narratedState(i))
        checkInvariants()
        _ = finish()
    }

    /// The node a client request goes to: `target`, or the leader.
    func chooseNode(_ target: NodeID?, verb: String) throws(SimError) -> NodeID {
        if let target {
            try requireUp(target)
            return target
        }
        guard let leader else { throw SimError("there is no leader; name a node: \(verb)") }
        return leader
    }
}
