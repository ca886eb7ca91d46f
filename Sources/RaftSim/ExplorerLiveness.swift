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
    func livenessGap(everyMember: Bool = true) -> String? {
        guard let leader = cluster.leader else { return "no leader" }
        let reads = cluster.pendingReads(on: leader)
        if !reads.isEmpty {
            return
                "\(Describe.n(leader)), the leader, has not answered read\(reads.count == 1 ? "" : "s") \(reads.map(String.init).joined(separator: ", "))"
        }
        if let configuration = cluster.configuration(of: leader), configuration.isJoint {
            return "\(Describe.n(leader)), the leader, is still in the joint configuration \(Describe.configEntry(configuration))"
        }
        if let node = cluster.node(leader), node.configurationIndex > node.commitIndex {
            return "\(Describe.n(leader)), the leader, has not committed its configuration entry \(node.configurationIndex)"
        }
        for id in members() where everyMember {
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
        if cluster.hasCutLinks { cluster.heal(); line(Command.heal) }
        guard endTimingSkew() else { return }
        for id in cluster.ids where !cluster.isSyncOn(id) || !cluster.isUp(id) {
            if !cluster.isSyncOn(id) {
                _ = try? cluster.setSync(id, true)
                line(Command.set(.sync(id, true)))
            }
            guard restartFromDisk(id) else { return }
        }
        guard settle(rounds: rounds, phase: "with the nodes that were up still up") else { return }
        // Each probe starts from a settled cluster.
        guard probeLostReadRound(rounds: rounds), probeCheckQuorumRound(),
            settle(rounds: rounds, phase: "after the check-quorum probe"), probeInheritedJoint(rounds: rounds),
            settle(rounds: rounds, phase: "after the joint probe"), probeCompetingChanges(rounds: rounds)
        else { return }
        // A probe that gave up early may have left its partition in place (the competing-changes
        // probe returns when no new leader emerges): the rest of the phase needs a whole network.
        if cluster.hasCutLinks { cluster.heal(); line(Command.heal) }
        line("# every node restarts from its disk")
        for id in cluster.ids {
            guard restartFromDisk(id) else { return }
        }
        guard settle(rounds: rounds, phase: "after every node restarted") else { return }
        if let leader = cluster.leader, (try? cluster.read("k0", on: leader)) != nil {
            line(Command.read(node: leader, key: "k0"))
            guard settle(rounds: rounds, phase: "after a read asked of the leader") else { return }
        }
        guard probeQuietPeriod(rounds: rounds) else { return }
        checkAcknowledgedWrites()
    }

    /// Rounds of the quiet period (issue 18 §2): four election timeouts.
    static let quietRoundsPerElectionTimeout = 4

    /// A quiet period with every member up and the network whole: one stable leader (no new
    /// term at all: nothing times out while a leader is heard), and progress — a write and a read
    /// every few rounds, each acknowledged or answered by the end. A leader at the end alone
    /// would pass a follower that never resets its election timer (leaders changing constantly).
    /// Nodes outside the leader's configuration are stopped first: a removed server that keeps
    /// campaigning disrupts a cluster without pre-vote and check-quorum, as Raft allows
    /// (dissertation §4.2.3), which is not what this period measures.
    mutating func probeQuietPeriod(rounds: Int) -> Bool {
        guard cluster.leader != nil else { return true }
        let members = members()
        for id in cluster.ids where !members.contains(id) && cluster.isUp(id) {
            _ = try? cluster.crash(id)
            line(Command.crash(id))
        }
        // A removed server may have raised a member's term just before it was stopped (right after
        // every node restarted no leader lease protects anyone): the leader then learns that term
        // and an election follows. Let that play out first; the period measures a settled cluster.
        guard settleToOneTerm(members: members, rounds: rounds) else { return false }
        guard let leader = cluster.leader, let term = cluster.node(leader)?.term else { return true }
        line("# quiet period: one stable leader, and writes and reads make progress")
        let quiet = Self.quietRoundsPerElectionTimeout * cluster.settings.electionTicks
        // The period's own writes and reads, so that only progress within it counts (an earlier
        // write acknowledged now, or a total, would hide writes and reads that never finish).
        let acknowledgementsBefore = cluster.clientAcknowledgements.count
        let servedBefore = cluster.servedReads.count
        var progress = QuietProgress()
        for k in 0..<quiet {
            if k % 4 == 0 {
                // (Read from the leader, not the driver's pending list: a single voter commits,
                // applies and acknowledges within the proposal's own step.)
                if let taker = cluster.leader, apply(.propose(key: 4, value: 1_000_000 + k)), let node = cluster.node(taker) {
                    progress.writes.append(QuietProgress.Write(node: taker, index: node.lastIndex, term: node.term))
                }
                let context = cluster.nextReadContext
                if apply(.read(key: 4)) { progress.reads.append(context) }
            }
            self.round()
            if !cluster.violations.isEmpty || extra != nil { return false }
        }
        // Let the last write and read finish (a few rounds; nothing new is asked).
        var extraRounds = 0
        while extraRounds < 2 * cluster.settings.electionTicks,
            progress.missing(acknowledged: cluster.clientAcknowledgements[acknowledgementsBefore...], served: cluster.servedReads[servedBefore...])
                != nil
        {
            self.round()
            extraRounds += 1
            if !cluster.violations.isEmpty || extra != nil { return false }
        }
        let highest = cluster.ids.compactMap { cluster.node($0)?.term }.max() ?? term
        var problem: String?
        if highest > term {
            problem =
                "the term rose from \(term) to \(highest) (\(Describe.n(leader)) led term \(term); now \(cluster.leader.map { Describe.n($0) } ?? "no node") leads)"
        } else {
            problem = progress.missing(
                acknowledged: cluster.clientAcknowledgements[acknowledgementsBefore...], served: cluster.servedReads[servedBefore...])
        }
        guard let problem else { return true }
        let failure = InvariantViolation(
            invariant: "Liveness", evidence: "in a quiet period of \(quiet + extraRounds) tick rounds with every member up: \(problem)")
        extra = failure
        line("# \(failure)")
        return false
    }

    /// Runs rounds until a leader exists and every running member is in its term; false only when
    /// the checker objected (the quiet period then judges whatever state remains).
    private mutating func settleToOneTerm(members: [NodeID], rounds: Int) -> Bool {
        for _ in 0..<rounds {
            if let leader = cluster.leader, let term = cluster.node(leader)?.term,
                members.allSatisfy({ !cluster.isUp($0) || cluster.node($0)?.term == term })
            {
                return true
            }
            round()
            if !cluster.violations.isEmpty || extra != nil { return false }
        }
        return true
    }

    /// Crashes node `id` if it is up and restarts it from its disk; false (with the failure
    /// recorded) when it cannot restart or the checker objected.
    /// Per-node timing (the `timing` fault) stops too: every node gets the cluster's election and
    /// heartbeat ticks, and a running node whose timing changed restarts to take them. Raft's
    /// liveness assumes election timeouts drawn from one interval (paper §5.2): without pre-vote,
    /// a node whose log is freshest but whose timeouts are the longest can lose every race to a
    /// stale node whose campaigns reset everyone's timer (the core resets it when a higher term
    /// makes it a follower, as etcd's raft does), and no leader is ever elected (seed 9437).
    private mutating func endTimingSkew() -> Bool {
        let skewed = cluster.settings.nodeTiming.keys.sorted()
        guard !skewed.isEmpty else { return true }
        let (election, heartbeat) = (cluster.settings.electionTicks, cluster.settings.heartbeatTicks)
        let cluster = self.cluster
        for id in skewed {
            // The heartbeat first when it shrinks, the election timeout first otherwise, so that
            // election ticks stay above heartbeat ticks after each step (each is one script line).
            if heartbeat < cluster.settings.heartbeatTicks(of: id) {
                _ = try? cluster.setNodeTiming(id, electionTicks: nil, heartbeatTicks: heartbeat)
                line(Command.set(.nodeHeartbeatTicks(id, heartbeat)))
                _ = try? cluster.setNodeTiming(id, electionTicks: election, heartbeatTicks: nil)
                line(Command.set(.nodeElectionTicks(id, election)))
            } else {
                _ = try? cluster.setNodeTiming(id, electionTicks: election, heartbeatTicks: nil)
                line(Command.set(.nodeElectionTicks(id, election)))
                _ = try? cluster.setNodeTiming(id, electionTicks: nil, heartbeatTicks: heartbeat)
                line(Command.set(.nodeHeartbeatTicks(id, heartbeat)))
            }
        }
        for id in skewed where cluster.isUp(id) {
            guard restartFromDisk(id) else { return false }
        }
        return true
    }

    private mutating func restartFromDisk(_ id: NodeID) -> Bool {
        if cluster.isUp(id) {
            _ = try? cluster.crash(id)
            line(Command.crash(id))
        }
        do {
            try cluster.restart(id)
            line(Command.restart(id))
        } catch {
            extra = InvariantViolation(invariant: "Liveness", evidence: "\(Describe.n(id)) cannot restart from its disk: \(error)")
            line(Command.restart(id))
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
            (try? cluster.propose("live", on: leader)) != nil
        {
            line(Command.propose(node: nil, text: "live"))
        }
        _ = try? cluster.tick([], count: 1)
        line(Command.tick(nodes: [], count: nil))
        if !cluster.inFlight.isEmpty {
            _ = try? cluster.stabilize(limit: 10_000)
            line(Command.stabilize(limit: 10_000))
        }
        if !pending.isEmpty { updateAcknowledgements() }
        if cluster.servedReads.count > readsChecked { checkReadAnswers() }
    }

    /// Runs rounds until nothing is missing (true) or `rounds` have passed (false, with the
    /// failure recorded as a Liveness violation and the script lines that show it).
    private mutating func settle(rounds: Int, phase: String, everyMember: Bool = true) -> Bool {
        var round = 0
        while round < rounds, livenessGap(everyMember: everyMember) != nil {
            round += 1
            self.round()
            if !cluster.violations.isEmpty || extra != nil { return false }
        }
        stats.livenessRounds += round
        guard let gap = livenessGap(everyMember: everyMember) else { return true }
        let failure: InvariantViolation
        if cluster.leader == nil {
            let roles = cluster.ids.map { id in cluster.node(id).map { "\(Describe.n(id)) \($0.role) t\($0.term)" } ?? "\(Describe.n(id)) down" }
            failure = InvariantViolation(
                invariant: "Liveness",
                evidence: "no leader after \(round) tick rounds \(phase) and the network healed (\(roles.joined(separator: ", ")))")
            extra = failure
            line("# \(failure): the next line fails and shows every role")
            line(Command.expect(.role(.all, "leader")))
        } else {
            let behind = members().filter { cluster.store($0).lastApplied < maxAcknowledged }
            let list = behind.map { "\(Describe.n($0)) through \(cluster.store($0).lastApplied)" }
            failure = InvariantViolation(
                invariant: "Liveness",
                evidence: "after \(round) tick rounds \(phase): \(gap)\(list.isEmpty ? "" : " (\(list.joined(separator: ", ")))")")
            extra = failure
            line("# \(failure)")
            let target = maxAcknowledged
            for id in behind { line(Command.expect(.counter(.applied, .node(id), target))) }
        }
        return false
    }

    /// Proposes one membership change on the leader and delivers until nothing is in flight.
    private mutating func settleChange(_ change: ConfigChange) -> Bool {
        guard (try? cluster.changeMembership([change])) != nil else { return false }
        line(change.description)
        _ = try? cluster.stabilize(limit: 10_000)
        line(Command.stabilize(limit: 10_000))
        return true
    }

    /// With check-quorum on, in a quiet cluster: a voter is added and removed at every tick of the
    /// leader's check-quorum round (a change, a tick, a full delivery; every third round idle, so
    /// that changes fall on every phase of the round), and the leader must keep leading. The
    /// other voters are first brought to an odd number with a bare majority up, where one more
    /// voter that counted as inactive would tip the quorum check (issue 15 §3). Afterwards the
    /// crashed voters restart and the removed ones are added back.
    mutating func probeCheckQuorumRound() -> Bool {
        guard cluster.settings.checkQuorum, let leader = cluster.leader, let term = cluster.node(leader)?.term,
            let start = cluster.configuration(of: leader), !start.isJoint
        else { return true }
        // The node to add and remove: one outside the configuration, else a follower voter; never
        // one in a higher term than the leader's (a removed server that campaigned answers with
        // its term and deposes the leader, as Raft wants).
        func fits(_ id: NodeID) -> Bool { cluster.isUp(id) && (cluster.node(id)?.term ?? .max) <= term }
        guard
            let target = cluster.ids.first(where: { !start.contains($0) && fits($0) })
                ?? cluster.ids.first(where: { $0 != leader && start.isVoter($0) && fits($0) })
        else { return true }
        line("# quiet check-quorum rounds: \(Describe.n(target)) is added and removed at every tick of \(Describe.n(leader))'s round")
        func stillLeads() -> Bool { cluster.node(leader).map { $0.role == .leader && $0.term == term } ?? false }
        if start.isVoter(target) { guard settleChange(.remove(target)) else { return true } }
        var others = start.voters.filter { $0 != target && $0 != leader }
        var removed: [NodeID] = []
        if (others.count + 1) % 2 == 0, let extra = others.last {
            guard settleChange(.remove(extra)) else { return true }
            removed.append(extra)
            others.removeLast()
        }
        var crashed: [NodeID] = []
        for id in others.prefix(others.count / 2) where cluster.isUp(id) {
            _ = try? cluster.crash(id)
            line(Command.crash(id))
            crashed.append(id)
        }
        // The target hears from no leader while outside the configuration, so its election timer
        // may be about to fire: at the first tick after the add, before the leader's first append
        // reaches it, it would campaign in a higher term and (without pre-vote) depose the leader
        // through its answer to that append, as Raft allows (etcd's raft would too; seed 6885).
        // Restarted, it starts a fresh timer (at least an election timeout), and the probe judges
        // only the check-quorum rule: a member just added has not answered yet.
        if cluster.isUp(target) {
            _ = try? cluster.crash(target)
            line(Command.crash(target))
        }
        guard (try? cluster.restart(target)) != nil else { return true }
        line(Command.restart(target))
        var lost = !stillLeads()
        let period = cluster.settings.electionTicks
        var step = 0
        while !lost && step < 3 * period + 2 {
            if step % 3 != 2, let configuration = cluster.configuration(of: leader), !configuration.isJoint {
                let change: ConfigChange = configuration.isVoter(target) ? .remove(target) : .addVoter(target)
                if (try? cluster.changeMembership([change])) != nil { line(change.description) }
            }
            _ = try? cluster.tick([], count: 1)
            line(Command.tick(nodes: [], count: nil))
            if !cluster.inFlight.isEmpty {
                _ = try? cluster.stabilize(limit: 10_000)
                line(Command.stabilize(limit: 10_000))
            }
            if !cluster.violations.isEmpty { return false }
            lost = !stillLeads()
            step += 1
        }
        if lost {
            let now = cluster.node(leader).map { "\($0.role) in term \($0.term)" } ?? "down"
            let failure = InvariantViolation(
                invariant: "Liveness",
                evidence:
                    "\(Describe.n(leader)), leader of term \(term), lost its leadership in a quiet cluster while \(Describe.n(target)) was added and removed (now \(now))"
            )
            extra = failure
            line("# \(failure)")
            line(Command.expect(.role(.node(leader), "leader")))
            return false
        }
        for id in crashed {
            _ = try? cluster.restart(id)
            line(Command.restart(id))
        }
        // Put the configuration back as it was (the members the rest of the phase waits for).
        if let configuration = cluster.configuration(of: leader), configuration.isVoter(target) != start.isVoter(target) {
            _ = settleChange(start.isVoter(target) ? .addVoter(target) : .remove(target))
        }
        for id in removed { _ = settleChange(.addVoter(id)) }
        return cluster.violations.isEmpty
    }

    /// A read asked of the settled leader whose first heartbeat round is lost must still be
    /// answered: the leader asks again in later rounds (issue 15 §2).
    private mutating func probeLostReadRound(rounds: Int) -> Bool {
        guard let leader = cluster.leader, cluster.pendingReads(on: leader).isEmpty else { return true }
        let mark = cluster.nextMessageID
        guard (try? cluster.read("k0", on: leader)) != nil else { return true }
        line(Command.read(node: leader, key: "k0"))
        let round = cluster.inFlight.filter { $0.id >= mark }.map(\.id)
        if !round.isEmpty, (try? cluster.drop(.ids(round))) != nil {
            line(Command.drop(.ids(round)))
        }
        return settle(rounds: rounds, phase: "after the first round of a read on the leader was lost")
    }

    /// A leader that inherits a committed joint configuration leaves it by itself (issue 15 §4):
    /// the settled leader proposes a change, commits C_old,new, and appends C_new, which is lost;
    /// a heartbeat tells the others that C_old,new committed; the leader crashes. The next leader
    /// has nothing to commit (no client proposal is made for it), yet must not stay joint.
    private mutating func probeInheritedJoint(rounds: Int) -> Bool {
        // Both halves must keep a majority without the crashed leader: an add needs 3 voters,
        // a removal 4.
        guard let leader = cluster.leader, let start = cluster.configuration(of: leader), !start.isJoint,
            start.voters.count >= 3
        else { return true }
        guard
            let target = cluster.ids.first(where: { !start.contains($0) && cluster.isUp($0) })
                ?? (start.voters.count >= 4 ? cluster.ids.first(where: { $0 != leader && start.isVoter($0) && cluster.isUp($0) }) : nil)
        else { return true }
        let change: ConfigChange = start.isVoter(target) ? .remove(target) : .addVoter(target)
        guard (try? cluster.changeMembership([change])) != nil, let node = cluster.node(leader) else { return true }
        line("# the next leader inherits a committed joint configuration")
        line(change.description)
        let jointIndex = node.lastIndex
        var deliveries = 0
        while (cluster.node(leader)?.commitIndex ?? 0) < jointIndex, !cluster.inFlight.isEmpty, deliveries < 10_000 {
            _ = try? cluster.deliver(.oldest)
            line(Command.deliver(.oldest))
            deliveries += 1
        }
        guard cluster.violations.isEmpty else { return false }
        guard (cluster.node(leader)?.commitIndex ?? 0) >= jointIndex else { return true }
        func dropAll() {
            let all = cluster.inFlight.map(\.id)
            if !all.isEmpty, (try? cluster.drop(.ids(all))) != nil { line(Command.drop(.all)) }
        }
        dropAll()
        _ = try? cluster.tick([leader], count: 1)
        line(Command.tick(nodes: [leader], count: nil))
        let beats = cluster.inFlight.filter { $0.message.from == leader && $0.message.to != target }.map(\.id)
        if !beats.isEmpty, (try? cluster.deliver(.ids(beats))) != nil {
            line(Command.deliver(.ids(beats)))
        }
        dropAll()
        _ = try? cluster.crash(leader)
        line(Command.crash(leader))
        guard cluster.violations.isEmpty else { return false }
        // The crashed leader holds C_new and could win again: it stays down until the next leader
        // is settled (and is not waited for until then).
        guard settle(rounds: rounds, phase: "after the leader crashed with C_old,new committed and C_new lost", everyMember: false) else {
            return false
        }
        guard restartFromDisk(leader) else { return false }
        return settle(rounds: rounds, phase: "after the old leader restarted")
    }

    /// Competing configuration changes at the same index (issue 15 §1): the settled leader, cut
    /// off alone, appends a write and a change; the others elect a leader that appends an entry of
    /// its term and then another change at the same index; after the
    /// heal the old leader replaces its change with the new leader's and must use that one.
    private mutating func probeCompetingChanges(rounds: Int) -> Bool {
        guard let old = cluster.leader, let start = cluster.configuration(of: old), !start.isJoint,
            start.voters.count >= 3, cluster.ids.allSatisfy({ cluster.isUp($0) })
        else { return true }
        let others = start.voters.filter { $0 != old }
        let mine: ConfigChange
        if let spare = cluster.ids.first(where: { !start.contains($0) }) { mine = .addVoter(spare) } else { mine = .remove(others[0]) }
        // A change waits for an entry of the leader's term to commit (without the no-op: a write).
        recordClientWrite("set k1 before")
        recordClientWrite("set k0 cut-off")
        recordClientWrite("set k1 new-side")
        if let node = cluster.node(old), node.term(at: node.commitIndex) != node.term, (try? cluster.propose("set k1 before", on: old)) != nil {
            line(Command.propose(node: old, text: "set k1 before"))
            _ = try? cluster.stabilize(limit: 10_000)
            line(Command.stabilize(limit: 10_000))
        }
        guard (try? cluster.partition([[old]])) != nil else { return true }
        line("# competing changes at one index: \(Describe.n(old)), cut off, and the next leader both propose one")
        line(Command.partition([[old]]))
        guard (try? cluster.propose("set k0 cut-off", on: old)) != nil else { return true }
        line(Command.propose(node: old, text: "set k0 cut-off"))
        guard (try? cluster.changeMembership([mine])) != nil, let index = cluster.node(old)?.lastIndex else { return true }
        line(mine.description)
        let oldTerm = cluster.node(old)!.term
        func newLeader() -> NodeID? { others.first { cluster.node($0).map { $0.role == .leader && $0.term > oldTerm } ?? false } }
        var round = 0
        while newLeader() == nil && round < rounds {
            round += 1
            _ = try? cluster.tick([], count: 1)
            line(Command.tick(nodes: [], count: nil))
            if !cluster.inFlight.isEmpty { _ = try? cluster.stabilize(limit: 10_000); line(Command.stabilize(limit: 10_000)) }
            if !cluster.violations.isEmpty { return false }
        }
        guard let next = newLeader(), let node = cluster.node(next) else { return true }
        // An entry of its own term (the no-op, or a client write), committed, then the change.
        if node.term(at: node.lastIndex) != node.term, (try? cluster.propose("set k1 new-side", on: next)) != nil {
            line(Command.propose(node: next, text: "set k1 new-side"))
            _ = try? cluster.stabilize(limit: 10_000)
            line(Command.stabilize(limit: 10_000))
        }
        // A different change that keeps the old leader a member (it must receive it).
        let theirs: ConfigChange
        switch mine {
        case .addVoter(let spare): theirs = .addLearner(spare)
        case .remove(let x):
            guard let y = others.first(where: { $0 != next && $0 != x }) else { return true }
            theirs = .remove(y)
        default: return true
        }
        guard cluster.node(next)?.lastIndex == index - 1, (try? cluster.changeMembership([theirs])) != nil else { return true }
        line(theirs.description)
        // Heal before the new side commits it: the old leader then takes the competing change
        // without the C_new that follows it.
        cluster.heal()
        line(Command.heal)
        // Only the new and the old leader talk until the old one holds the new change: it then
        // takes the change without the C_new that follows once the change commits.
        let newTerm = cluster.node(next)?.term ?? 0
        var deliveries = 0
        while cluster.node(old)?.term(at: index) != newTerm, deliveries < 20,
            let item = cluster.inFlight.first(where: {
                ($0.message.from == next && $0.message.to == old) || ($0.message.from == old && $0.message.to == next)
            }),
            (try? cluster.deliver(.ids([item.id]))) != nil
        {
            line(Command.deliver(.ids([item.id])))
            deliveries += 1
            if !cluster.violations.isEmpty { return false }
        }
        return settle(rounds: rounds, phase: "after competing changes at index \(index)")
    }
}
