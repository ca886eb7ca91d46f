import RaftCore

extension Explorer {
    /// Draws the next action from the seed, given what the cluster looks like now.
    struct Generator {
        let nodes: UInt64
        let reorder, drop, duplicate, partition, crash, torn, proposals, reads, elections, membership, compaction, syncOff: Bool
        let oldDisk: Bool
        /// Drawn per run: in a sparse run only one proposal draw in `sparseness` takes effect,
        /// so new leaders often have no entry of their own term for a while (the Figure 8
        /// situation that the leader's no-op otherwise hides).
        var sparseness: UInt64 = 1
        /// After a change proposed on a leader just cut off (`competingChange`): the index of that
        /// change and the leader's term. A new leader is steered to propose its own change at the
        /// same index (issue 15 §1).
        var competing: (index: UInt64, term: UInt64)?
        /// The network and time faults switched on.
        let network: NetworkFaults

        init(options: Options) {
            nodes = UInt64(options.nodes)
            let f = options.faults
            reorder = f.contains(.reorder); drop = f.contains(.drop); duplicate = f.contains(.duplicate)
            partition = f.contains(.partition); crash = f.contains(.crash); torn = f.contains(.torn)
            proposals = f.contains(.proposals); reads = f.contains(.reads); elections = f.contains(.elections)
            membership = f.contains(.membership); compaction = f.contains(.compaction)
            syncOff = f.contains(.syncOff)
            oldDisk = f.contains(.oldDisk)
            network = NetworkFaults(f)
        }

        /// A random in-flight message, named by link and position on it.
        func randomMessage(_ rng: inout SeededGenerator, _ cluster: Cluster) -> MessageRef? {
            let inFlight = cluster.inFlight
            if inFlight.isEmpty { return nil }
            let position = Int(rng.next(below: UInt64(inFlight.count)))
            let chosen = inFlight[position].message
            var ordinal = 0
            for k in 0..<position where inFlight[k].message.from == chosen.from && inFlight[k].message.to == chosen.to { ordinal += 1 }
            return MessageRef(from: chosen.from, to: chosen.to, ordinal: ordinal)
        }

        /// A change the leader's configuration allows for `node`: add it when it is not a member
        /// (as a learner one time in three), promote or remove a learner, remove a voter half the
        /// time (so that configurations stay mostly full). The core still refuses what is not
        /// allowed now (a change in progress, no commit yet in the term, the last voter).
        private func memberChange(_ rng: inout SeededGenerator, _ cluster: Cluster, _ node: NodeID) -> Action? {
            guard let leader = cluster.leader, let configuration = cluster.configuration(of: leader), !configuration.isJoint else { return nil }
            if configuration.isVoter(node) { return rng.next(below: 2) == 0 ? .member(.remove(node)) : nil }
            if configuration.learners.contains(node) { return .member(rng.next(below: 3) == 0 ? .remove(node) : .promote(node)) }
            return .member(rng.next(below: 3) == 0 ? .addLearner(node) : .addVoter(node))
        }

        /// While a competing change is wanted: the action that steers the new leader to propose
        /// it at the same index (nil: none now). Proposals wait once the leader's next entry
        /// would land there; the change goes in once the leader has committed in its term.
        private mutating func steerCompeting(_ rng: inout SeededGenerator, _ cluster: Cluster, _ roll: UInt64) -> Action?? {
            guard let target = competing, let leader = cluster.leader, let node = cluster.node(leader), node.term > target.term else { return nil }
            if node.lastIndex + 1 > target.index { competing = nil; return nil }
            if node.lastIndex + 1 == target.index {
                if node.commitIndex == node.lastIndex && node.term(at: node.lastIndex) == node.term && rng.next(below: 2) == 0 {
                    for candidate in 1...nodes { if let change = memberChange(&rng, cluster, NodeID(candidate)) { return .some(change) } }
                }
                if (600..<680).contains(roll) { return .some(nil) }
            }
            return nil
        }

        mutating func next(_ rng: inout SeededGenerator, _ cluster: Cluster) -> Action? {
            let node = NodeID(1 + rng.next(below: nodes))
            let roll = rng.next(below: 1000)
            if competing != nil, let steered = steerCompeting(&rng, cluster, roll) { return steered }
            switch roll {
            case 0..<380:
                if cluster.inFlight.isEmpty { return nil }
                if reorder && rng.next(below: 4) == 0 { return randomMessage(&rng, cluster).map(Action.deliver) }
                return .deliverOldest
            case 380..<440:
                return drop ? randomMessage(&rng, cluster).map(Action.drop) : nil
            case 440..<570:
                // One tick draw in three ticks a node or a few only (skew).
                if network.skew && rng.next(below: 3) == 0 { return skewedTick(&rng, cluster) }
                return .tick
            case 570..<590:
                guard membership else { return nil }
                // One change in six is proposed on a leader just cut off, after a write, so a new
                // leader on the other side may propose a competing change at the same index
                // (issue 15 §1: a follower must take the configuration of the entry it keeps).
                if rng.next(below: 6) == 0, case .member(let change)? = memberChange(&rng, cluster, node),
                    let leader = cluster.leader, let held = cluster.node(leader)
                {
                    competing = (held.lastIndex + 2, held.term)
                    return .competingChange(change, value: Int(rng.next(below: 1_000_000)))
                }
                if rng.next(below: 4) == 0 { return jointChange(&rng, cluster) }
                return memberChange(&rng, cluster, node)
            case 590..<600:
                return compaction ? .compact(node, back: rng.next(below: 2) == 0 ? 0 : rng.next(below: 8)) : nil
            case 600..<680:
                guard proposals, sparseness == 1 || rng.next(below: sparseness) == 0 else { return nil }
                return .propose(key: UInt8(rng.next(below: 5)), value: Int(rng.next(below: 1_000_000)))
            case 680..<715:
                guard crash else { return nil }
                // Half the crashes hit the leader (the fault that matters most).
                if rng.next(below: 2) == 0, let leader = cluster.leader { return .crash(leader) }
                return .crash(node)
            case 715..<790:
                return crash || torn ? .restart(node) : nil
            case 790..<810:
                return partitionAction(&rng, cluster, node)
            case 810..<840:
                return partition || network.cutsLinks ? .heal : nil
            case 840..<870:
                return elections ? .campaign(node) : nil
            case 870..<880:
                return elections ? .transfer(node) : nil
            case 880..<900:
                return syncOff ? .sync(node, rng.next(below: 2) == 0) : nil
            case 900..<915:
                return duplicate ? randomMessage(&rng, cluster).map(Action.duplicate) : nil
            case 915..<935:
                return reads ? .read(key: UInt8(rng.next(below: 5))) : nil
            case 935..<950:
                return torn ? randomMessage(&rng, cluster).map(Action.torn) : nil
            case 950..<960 where torn:
                return writeCrash(&rng, cluster)
            case 960..<962 where crash:
                return .node(.crashAll(restart: rng.next(below: 2) == 0))
            case 962..<966 where oldDisk:
                return oldDiskAction(&rng, cluster, node)
            // The network's share of the stabilize rolls comes after the node faults' (each falls
            // back to stabilize when its fault is off).
            case 966..<976 where network.replay:
                return staleMessage(&rng, cluster).map(Action.replay)
            case 976..<986 where network.delay:
                return delayed(&rng, cluster)
            default:
                return .stabilize
            }
        }
    }

    /// Applies actions to a cluster, tracks what clients were told, and (when recording) writes
    /// each action that took effect as `raftstep` script lines.
    struct Driver {
        let cluster: Cluster
        let record: Bool
        var lines: [String] = []
        var stats = Stats()
        /// A failure the checker cannot see: liveness, or an acknowledged write lost.
        var extra: InvariantViolation?
        /// Proposals not yet acknowledged: the leader that took them, their index and term.
        var pending: [(node: NodeID, index: UInt64, term: UInt64, command: String)] = []
        /// Acknowledged proposals: index, term and the command the client sent.
        private var acknowledged: [(index: UInt64, term: UInt64, command: String)] = []
        /// The clients' own record: every value a client asked to write, per key (reads must
        /// answer one of them, or absent).
        var written: [String: Set<String>] = [:]
        /// How many of the cluster's served reads were compared with `written`.
        var readsChecked = 0
        var maxAcknowledged: UInt64 = 0

        init(cluster: Cluster, record: Bool) {
            self.cluster = cluster
            self.record = record
        }

        /// The first failure: the checker's, else the driver's.
        var failure: InvariantViolation? { cluster.violations.first ?? extra }

        /// Records a script line written by hand (a `#` comment).
        mutating func line(_ text: @autoclosure () -> String) {
            if record { lines.append(text()) }
        }

        /// Records a command as its canonical spelling, so the script says exactly what ran.
        mutating func line(_ command: @autoclosure () -> Command) {
            if record { lines.append(command().description) }
        }

        func resolve(_ ref: MessageRef) -> Int? {
            var ordinal = 0
            for item in cluster.inFlight where item.message.from == ref.from && item.message.to == ref.to {
                if ordinal == ref.ordinal { return item.id }
                ordinal += 1
            }
            return nil
        }

        /// Applies one action; false when it could not take effect (nothing changed).
        mutating func apply(_ action: Action) -> Bool {
            let ok = perform(action)
            if ok {
                stats.actions += 1
                if !pending.isEmpty { updateAcknowledgements() }
                if cluster.servedReads.count > readsChecked { checkReadAnswers() }
            }
            return ok
        }

        private mutating func perform(_ action: Action) -> Bool {
            let cluster = self.cluster
            switch action {
            case .deliverOldest:
                guard (try? cluster.deliver(.oldest)) != nil else { return false }
                line(.deliver(.oldest))
            case .deliver, .drop, .duplicate:
                return performOnMessage(action)
            case .torn(let ref):
                return tearWrite(ref)
            case .propose, .read:
                return performClientRequest(action)
            case .member, .competingChange, .compact:
                return performLogChange(action)
            case .tick:
                guard (try? cluster.tick([], count: 1)) != nil else { return false }
                line(.tick(nodes: [], count: nil))
            case .crash(let id):
                guard (try? cluster.crash(id)) != nil else { return false }
                stats.faults += 1
                line(.crash(id))
            case .restart(let id):
                guard (try? cluster.restart(id)) != nil else { return false }
                line(.restart(id))
            case .partition(let a, let b):
                guard (try? cluster.partition(a == b ? [[a]] : [[a], [b]])) != nil else { return false }
                stats.faults += 1
                line(.partition(a == b ? [[a]] : [[a], [b]]))
            case .heal:
                // One-way cuts leave no partition groups: ask whether any link is cut.
                guard cluster.hasCutLinks else { return false }
                cluster.heal()
                line(.heal)
            case .campaign(let id):
                guard (try? cluster.campaign(id)) != nil else { return false }
                line(.campaign(id))
            case .transfer(let id):
                guard (try? cluster.transfer(to: id)) != nil else { return false }
                line(.transfer(id))
            case .sync(let id, let on):
                guard cluster.isSyncOn(id) != on, (try? cluster.setSync(id, on)) != nil else { return false }
                if !on { stats.faults += 1 }
                line(.set(.sync(id, on)))
            case .stabilize:
                guard !cluster.inFlight.isEmpty, (try? cluster.stabilize(limit: 30)) != nil else { return false }
                line(.stabilize(limit: 30))
            case .tickSome, .split, .oneWay, .bridge, .replay, .delay:
                return performNetwork(action)
            case .node(let fault):
                return performNodeFault(fault)
            }
            return true
        }

        /// Delivers, drops or duplicates one in-flight message named by its link and position.
        private mutating func performOnMessage(_ action: Action) -> Bool {
            let cluster = self.cluster
            switch action {
            case .deliver(let ref):
                guard let id = resolve(ref), (try? cluster.deliver(.ids([id]))) != nil else { return false }
                stats.faults += 1
                line(.deliver(.ids([id])))
            case .drop(let ref):
                guard let id = resolve(ref), (try? cluster.drop(.ids([id]))) != nil else { return false }
                stats.faults += 1
                line(.drop(.ids([id])))
            case .duplicate(let ref):
                guard let id = resolve(ref), (try? cluster.duplicate(.ids([id]))) != nil else { return false }
                stats.faults += 1
                line(.duplicate(.ids([id])))
            default:
                preconditionFailure("not a message action: \(action)")
            }
            return true
        }

        /// Crash in the middle of a write: the node handles the message without syncing, the
        /// crash tears its unsynced write, and nothing it sent meanwhile leaves.
        private mutating func tearWrite(_ ref: MessageRef) -> Bool {
            let cluster = self.cluster
            // Only an append from the leader of the follower's own term: it changes no term
            // or vote, so losing it changes nothing anyone was told (the checker would
            // otherwise see a term or vote that no disk and no message ever held).
            guard let id = resolve(ref), let receiver = cluster.node(ref.to), receiver.role == .follower,
                let item = cluster.message(id: id), cluster.lossReason(item.message) == nil,
                case .append(let append) = item.message, append.term == receiver.term
            else { return false }
            let target = ref.to
            let wasSyncing = cluster.isSyncOn(target)
            let mark = cluster.nextMessageID
            _ = try? cluster.setSync(target, false)
            guard (try? cluster.deliver(.ids([id]))) != nil else {
                _ = try? cluster.setSync(target, wasSyncing)
                return false
            }
            if cluster.isUp(target) { _ = try? cluster.crash(target) }
            let sent = cluster.inFlight.filter { $0.id >= mark && $0.message.from == target }.map(\.id)
            if !sent.isEmpty { _ = try? cluster.drop(.ids(sent)) }
            _ = try? cluster.setSync(target, wasSyncing)
            stats.faults += 1
            line("# torn write: \(Describe.n(target)) crashes while writing what #\(id) makes it write")
            line(.set(.sync(target, false)))
            line(.deliver(.ids([id])))
            line(.crash(target))
            if !sent.isEmpty { line(.drop(.ids(sent))) }
            line(.set(.sync(target, wasSyncing)))
            return true
        }

        /// A client's write or read on the leader, recorded in the clients' own record.
        private mutating func performClientRequest(_ action: Action) -> Bool {
            let cluster = self.cluster
            switch action {
            case .propose(let key, let value):
                guard let leader = cluster.leader else { return false }
                let text = "set k\(key) \(value)"
                guard (try? cluster.propose(text, on: leader)) != nil, let node = cluster.node(leader) else { return false }
                pending.append((leader, node.lastIndex, node.term, text))
                recordClientWrite(text)
                line(.propose(node: nil, text: text))
            case .read(let key):
                guard let leader = cluster.leader, (try? cluster.read("k\(key)", on: leader)) != nil else { return false }
                stats.reads += 1
                line(.read(node: nil, key: "k\(key)"))
            default:
                preconditionFailure("not a client request: \(action)")
            }
            return true
        }

        /// A membership change (alone, or competing with one on a leader just cut off) or a compaction.
        private mutating func performLogChange(_ action: Action) -> Bool {
            let cluster = self.cluster
            switch action {
            case .member(let change):
                guard (try? cluster.changeMembership([change])) != nil else { return false }
                stats.configChanges += 1
                line(Command(change))
            case .competingChange(let change, let value):
                guard let leader = cluster.leader, (try? cluster.partition([[leader]])) != nil else { return false }
                stats.faults += 1
                line(.partition([[leader]]))
                _ = perform(.propose(key: 0, value: value))
                _ = perform(.member(change))
            case .compact(let id, let back):
                guard let node = cluster.node(id), node.appliedIndex >= node.firstIndex else { return false }
                let index = max(node.firstIndex, node.appliedIndex - min(back, node.appliedIndex))
                guard (try? cluster.compact(id, through: index)) != nil else { return false }
                stats.compactions += 1
                line(.compact(id, through: index))
            default:
                preconditionFailure("not a log change: \(action)")
            }
            return true
        }

        /// A proposal is acknowledged once the leader that took it applies it and the committed
        /// entry at its index is of its term (one leader per term: it is the proposal). The
        /// committed history, not the leader's log, says so: compaction may already have dropped
        /// the entry from the log by the time the driver looks. A proposal whose leader crashed,
        /// or whose index now holds another term, is never acknowledged.
        mutating func updateAcknowledgements() {
            var k = 0
            while k < pending.count {
                let p = pending[k]
                // Read through the host: copying the node or its store per pending proposal
                // was a visible share of the explorer's time.
                guard let host = cluster.hosts[Int(p.node) - 1] else {
                    pending.remove(at: k)
                    continue
                }
                if host.machine.lastApplied >= p.index {
                    if cluster.committedTerm(at: p.index) == p.term {
                        checkCommittedCommand(p.index, p.term, p.command)
                        acknowledged.append((p.index, p.term, p.command))
                        maxAcknowledged = max(maxAcknowledged, p.index)
                        stats.acknowledged += 1
                    }
                    pending.remove(at: k)
                    continue
                }
                if let held = host.node.term(at: p.index), held != p.term {
                    pending.remove(at: k)
                    continue
                }
                k += 1
            }
        }

        /// No acknowledged proposal is lost: every member holds each one, with its term (or has
        /// compacted it into a snapshot). A client-visible check beside the checker's: it looks
        /// at what the client was told, not at what the nodes say is committed.
        mutating func checkAcknowledgedWrites() {
            let final = members()
            for (index, term, command) in acknowledged {
                for id in final {
                    guard let node = cluster.node(id), let held = node.term(at: index) else { continue }
                    let entry = InvariantChecker.entry(node, index)
                    guard held != term || (entry != nil && entry!.data != Array(command.utf8)) else { continue }
                    let what = held != term ? "term \(held)" : "'\(String(decoding: entry!.data, as: UTF8.self))'"
                    let failure = InvariantViolation(
                        invariant: "Acknowledged Write Lost",
                        evidence:
                            "the proposal '\(command)' acknowledged at index \(index) in term \(term) is gone: \(Describe.n(id)) holds \(what) there")
                    extra = failure
                    line("# \(failure)")
                    return
                }
            }
        }
    }
}

extension Command {
    /// The command that proposes this membership change (`add n4`, `add n4 learner`, `remove n2`,
    /// `promote n3`), so the explorer's scripts spell changes through the one command model.
    init(_ change: ConfigChange) {
        switch change {
        case .addVoter(let id): self = .add([id], learner: false)
        case .addLearner(let id): self = .add([id], learner: true)
        case .remove(let id): self = .remove(id)
        case .promote(let id): self = .promote(id)
        }
    }
}
