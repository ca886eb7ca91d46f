import RaftCore

/// The explorer's liveness phase: once faults stop, the cluster must make progress.
extension Explorer.Driver {
    /// The nodes the liveness phase waits for: the members of the leader's configuration
    /// (a removed node gets no more entries; a spare node never got any).
    func members() -> [NodeID] {
        guard let leader = cluster.leader, let configuration = cluster.configuration(of: leader) else { return cluster.ids }
        return cluster.ids.filter { configuration.contains($0) }
    }

    /// What is still missing for the phase to be over (nil: nothing).
    ///
    /// A leader exists; it has answered every read asked of it (a read asked of a node that is,
    /// or becomes, the live leader is answered: issue 15 §2); it is not in a joint configuration
    /// (a leader leaves one by itself: issue 15 §4); every member has applied every
    /// acknowledged proposal.
    func livenessGap() -> String? {
        guard let leader = cluster.leader else { return "no leader" }
        let reads = cluster.pendingReads(on: leader)
        if !reads.isEmpty { return "\(Describe.n(leader)), the leader, has not answered read\(reads.count == 1 ? "" : "s") \(reads.map(String.init).joined(separator: ", "))" }
        if let configuration = cluster.configuration(of: leader), configuration.isJoint {
            return "\(Describe.n(leader)), the leader, is still in the joint configuration \(Describe.configEntry(configuration))"
        }
        for id in members() {
            guard cluster.isUp(id), cluster.store(id).lastApplied >= maxAcknowledged else {
                return "the acknowledged entries through \(maxAcknowledged) are not applied everywhere"
            }
        }
        return nil
    }

    /// Faults stop and the network heals. First the nodes that are up stay up (with the reads
    /// they were asked), the others restart, and the cluster must settle; then, with check-quorum
    /// on, membership changes land at every tick of the leader's check-quorum round and the leader
    /// must keep leading; then every node restarts from its disk and the cluster must settle again
    /// and answer a new read. Each settling may take `rounds` rounds of one tick and a full delivery.
    mutating func liveness(rounds: Int) {
        let cluster = self.cluster
        line("# liveness: faults stop, the network heals, the nodes that are down restart")
        if cluster.hasCutLinks { cluster.heal(); line("heal") }
        for id in cluster.ids where !cluster.isSyncOn(id) || !cluster.isUp(id) {
            if !cluster.isSyncOn(id) {
                _ = try? cluster.setSync(id, true)
                line("set sync \(Describe.n(id)) on")
            }
            guard restartFromDisk(id) else { return }
        }
        guard settle(rounds: rounds, phase: "with the nodes that were up still up") else { return }
        guard probeCheckQuorumRound() else { return }
        line("# every node restarts from its disk")
        for id in cluster.ids {
            guard restartFromDisk(id) else { return }
        }
        guard settle(rounds: rounds, phase: "after every node restarted") else { return }
        if let leader = cluster.leader, (try? cluster.read("k0", on: leader)) != nil {
            line("read \(Describe.n(leader)) k0")
            guard settle(rounds: rounds, phase: "after a read asked of the leader") else { return }
        }
        checkAcknowledgedWrites()
    }

    /// Crashes node `id` if it is up and restarts it from its disk; false (with the failure
    /// recorded) when it cannot restart or the checker objected.
    private mutating func restartFromDisk(_ id: NodeID) -> Bool {
        if cluster.isUp(id) {
            _ = try? cluster.crash(id)
            line("crash \(Describe.n(id))")
        }
        do {
            try cluster.restart(id)
            line("restart \(Describe.n(id))")
        } catch {
            extra = InvariantViolation(invariant: "Liveness", evidence: "\(Describe.n(id)) cannot restart from its disk: \(error)")
            line("restart \(Describe.n(id))")
            return false
        }
        return cluster.violations.isEmpty
    }

    /// One round: a client proposal when the leader needs an entry of its term, one tick of every
    /// node, then delivery until nothing is in flight.
    private mutating func round() {
        // A leader commits earlier terms' entries, and answers reads, only with an entry of its
        // own term (Figure 8); without the leader's no-op, a client proposal gives it one. Only
        // when something waits for it: a leader with nothing to commit must leave a joint
        // configuration by itself.
        if let leader = cluster.leader, let node = cluster.node(leader), node.term(at: node.lastIndex) != node.term,
           node.commitIndex < node.lastIndex || !cluster.pendingReads(on: leader).isEmpty,
           (try? cluster.propose("live", on: leader)) != nil {
            line("propose live")
        }
        _ = try? cluster.tick([], count: 1)
        line("tick")
        if !cluster.inFlight.isEmpty {
            _ = try? cluster.stabilize(limit: 10_000)
            line("stabilize 10000")
        }
        if !pending.isEmpty { updateAcknowledgements() }
    }

    /// Runs rounds until nothing is missing (true) or `rounds` have passed (false, with the
    /// failure recorded as a Liveness violation and the script lines that show it).
    private mutating func settle(rounds: Int, phase: String) -> Bool {
        var round = 0
        while round < rounds, livenessGap() != nil {
            round += 1
            self.round()
            if !cluster.violations.isEmpty { return false }
        }
        stats.livenessRounds += round
        guard let gap = livenessGap() else { return true }
        let failure: InvariantViolation
        if cluster.leader == nil {
            let roles = cluster.ids.map { id in cluster.node(id).map { "\(Describe.n(id)) \($0.role) t\($0.term)" } ?? "\(Describe.n(id)) down" }
            failure = InvariantViolation(invariant: "Liveness", evidence: "no leader after \(round) tick rounds \(phase) and the network healed (\(roles.joined(separator: ", ")))")
            extra = failure
            line("# \(failure): the next line fails and shows every role")
            line("expect role all leader")
        } else {
            let behind = members().filter { cluster.store($0).lastApplied < maxAcknowledged }
            let list = behind.map { "\(Describe.n($0)) through \(cluster.store($0).lastApplied)" }
            failure = InvariantViolation(invariant: "Liveness", evidence: "after \(round) tick rounds \(phase): \(gap)\(list.isEmpty ? "" : " (\(list.joined(separator: ", ")))")")
            extra = failure
            line("# \(failure)")
            let target = maxAcknowledged
            for id in behind { line("expect applied \(Describe.n(id)) \(target)") }
        }
        return false
    }

    /// With check-quorum on, in a quiet cluster: a member is added or removed at every tick of
    /// the leader's check-quorum round (a change, a tick, a full delivery; every third round
    /// idle, so that changes fall on every phase of the round), and the leader must keep leading.
    /// A voter just added counts as active until it could have answered (issue 15 §3).
    private mutating func probeCheckQuorumRound() -> Bool {
        guard cluster.settings.checkQuorum, let leader = cluster.leader, let term = cluster.node(leader)?.term,
              let start = cluster.configuration(of: leader) else { return true }
        // The node to add and remove: one outside the configuration, else a follower voter.
        guard let target = cluster.ids.first(where: { !start.contains($0) && cluster.isUp($0) })
                ?? cluster.ids.first(where: { $0 != leader && start.isVoter($0) && cluster.isUp($0) }) else { return true }
        line("# quiet check-quorum rounds: \(Describe.n(target)) is added and removed at every tick of the round")
        let period = cluster.settings.electionTicks
        for step in 0..<(3 * period + 2) {
            if step % 3 != 2, let configuration = cluster.configuration(of: leader), !configuration.isJoint {
                let change: ConfigChange = configuration.isVoter(target) ? .remove(target) : .addVoter(target)
                if (try? cluster.changeMembership([change])) != nil { line(change.description) }
            }
            _ = try? cluster.tick([], count: 1)
            line("tick")
            if !cluster.inFlight.isEmpty {
                _ = try? cluster.stabilize(limit: 10_000)
                line("stabilize 10000")
            }
            if !cluster.violations.isEmpty { return false }
            guard let node = cluster.node(leader), node.role == .leader, node.term == term else {
                let now = cluster.node(leader).map { "\($0.role) in term \($0.term)" } ?? "down"
                let failure = InvariantViolation(invariant: "Liveness",
                    evidence: "\(Describe.n(leader)), leader of term \(term), lost its leadership in a quiet cluster while \(Describe.n(target)) was added and removed (now \(now))")
                extra = failure
                line("# \(failure)")
                line("expect role \(Describe.n(leader)) leader")
                return false
            }
        }
        // Leave the configuration as it was (the members the rest of the phase waits for).
        if let configuration = cluster.configuration(of: leader), configuration.isVoter(target) != start.isVoter(target), !configuration.isJoint {
            let change: ConfigChange = start.isVoter(target) ? .addVoter(target) : .remove(target)
            if (try? cluster.changeMembership([change])) != nil { line(change.description) }
            _ = try? cluster.stabilize(limit: 10_000)
            line("stabilize 10000")
        }
        return cluster.violations.isEmpty
    }
}
