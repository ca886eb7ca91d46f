import RaftCore

/// Node and disk faults of the explorer (issue 18 §3): a crash in the middle of any write, a
/// whole-cluster crash, a node restarted from an old copy of its disk (unsafe), and joint steps
/// that add or remove two voters at once, mixed with leadership transfers.
extension Explorer {
    /// A node or disk fault.
    enum NodeFault: Sendable, Equatable {
        /// Cut the node's power after `operations` file operations, then make it write: it
        /// crashes in the middle of that write (or right after it, when it took fewer).
        case crashInWrite(NodeID, operations: Int, write: WriteTrigger)
        /// Every running node crashes at once; with `restart`, all come back at once.
        case crashAll(restart: Bool)
        /// Copy the node's files aside (the `old-disk` fault).
        case backup(NodeID)
        /// Crash the node if it runs, put its backup back in place and restart it (unsafe).
        case restoreOld(NodeID)
        /// One membership change of two nodes (both added, or both removed), then, when a
        /// target is given, a leadership transfer to it while the change is in progress.
        case jointChange([ConfigChange], transferTo: NodeID?)
    }

    /// What makes the node write while its power cut is armed.
    enum WriteTrigger: Sendable, Equatable {
        /// Deliver a message to it (a vote request: its grant; a pre-vote or vote answer: its
        /// self-vote as a candidate; an append or a snapshot: its log; an answer to a leader: its commit).
        case deliver(MessageRef)
        /// Its election timeout fires (without pre-vote: the term and self-vote are written).
        case campaign
        /// A client proposal on it as leader (its own append).
        case propose(key: UInt8, value: Int)
        /// A compaction through its applied index minus `back`.
        case compact(back: UInt64)
    }
}

extension Explorer.Generator {
    /// A crash in the middle of a write: what makes the node write, and after how many of its
    /// file operations the power goes (a save takes a few; a snapshot install or compaction more).
    func writeCrash(_ rng: inout SeededGenerator, _ cluster: Cluster) -> Explorer.Action? {
        switch rng.next(below: 4) {
        case 0, 1:
            guard let (ref, snapshot) = writingMessage(&rng, cluster) else { return nil }
            let operations = Int(rng.next(below: snapshot ? 12 : 4))
            return .node(.crashInWrite(ref.to, operations: operations, write: .deliver(ref)))
        case 2:
            if let leader = cluster.leader, rng.next(below: 2) == 0 {
                let operations = Int(rng.next(below: 4))
                return .node(
                    .crashInWrite(
                        leader, operations: operations,
                        write: .propose(key: UInt8(rng.next(below: 5)), value: Int(rng.next(below: 1_000_000)))))
            }
            guard let candidate = pick(&rng, cluster.upNodes.filter { cluster.node($0)?.role != .leader }) else { return nil }
            return .node(.crashInWrite(candidate, operations: Int(rng.next(below: 4)), write: .campaign))
        default:
            let compactable = cluster.upNodes.filter { cluster.node($0).map { $0.appliedIndex >= $0.firstIndex } ?? false }
            guard let target = pick(&rng, compactable) else { return nil }
            let back = rng.next(below: 2) == 0 ? 0 : rng.next(below: 8)
            return .node(.crashInWrite(target, operations: Int(rng.next(below: 12)), write: .compact(back: back)))
        }
    }

    /// One of `ids`, or nil when there is none.
    private func pick(_ rng: inout SeededGenerator, _ ids: [NodeID]) -> NodeID? {
        ids.isEmpty ? nil : ids[Int(rng.next(below: UInt64(ids.count)))]
    }

    /// An in-flight message its receiver would handle now (up, link not cut), named by link and
    /// position; a snapshot half the time when one is in flight (they are rare and write most).
    private func writingMessage(_ rng: inout SeededGenerator, _ cluster: Cluster) -> (Explorer.MessageRef, snapshot: Bool)? {
        let inFlight = cluster.inFlight
        var candidates: [Int] = []
        var snapshots: [Int] = []
        for (position, item) in inFlight.enumerated() where cluster.lossReason(item.message) == nil {
            candidates.append(position)
            if case .installSnapshot = item.message { snapshots.append(position) }
        }
        guard !candidates.isEmpty else { return nil }
        let pool = !snapshots.isEmpty && rng.next(below: 2) == 0 ? snapshots : candidates
        let position = pool[Int(rng.next(below: UInt64(pool.count)))]
        let chosen = inFlight[position].message
        var ordinal = 0
        for k in 0..<position where inFlight[k].message.from == chosen.from && inFlight[k].message.to == chosen.to { ordinal += 1 }
        let isSnapshot: Bool
        if case .installSnapshot = chosen { isSnapshot = true } else { isSnapshot = false }
        return (Explorer.MessageRef(from: chosen.from, to: chosen.to, ordinal: ordinal), isSnapshot)
    }

    /// The `old-disk` fault: a backup of a node with none, else (half the time) a restart from
    /// that old copy, else a newer backup.
    func oldDiskAction(_ rng: inout SeededGenerator, _ cluster: Cluster, _ node: NodeID) -> Explorer.Action? {
        guard cluster.hasBackup(node), rng.next(below: 2) == 0 else { return .node(.backup(node)) }
        return .node(.restoreOld(node))
    }

    /// A joint step of two voters: two non-members added, or two voters removed (the leader may
    /// be one of them); half the time followed at once by a transfer to another voter of the
    /// new configuration. The core refuses what is not allowed now.
    func jointChange(_ rng: inout SeededGenerator, _ cluster: Cluster) -> Explorer.Action? {
        guard let leader = cluster.leader, let configuration = cluster.configuration(of: leader), !configuration.isJoint else { return nil }
        let outside = cluster.ids.filter { !configuration.isVoter($0) && !configuration.learners.contains($0) }
        let voters = configuration.voters
        var changes: [ConfigChange]
        var remaining = voters
        if outside.count >= 2 && (voters.count < 4 || rng.next(below: 2) == 0) {
            let first = outside[Int(rng.next(below: UInt64(outside.count)))]
            let rest = outside.filter { $0 != first }
            let second = rest[Int(rng.next(below: UInt64(rest.count)))]
            changes = [.addVoter(first), .addVoter(second)]
            remaining += [first, second]
        } else if voters.count >= 4 {
            let first = voters[Int(rng.next(below: UInt64(voters.count)))]
            let rest = voters.filter { $0 != first }
            let second = rest[Int(rng.next(below: UInt64(rest.count)))]
            changes = [.remove(first), .remove(second)]
            remaining.removeAll { $0 == first || $0 == second }
        } else {
            return nil
        }
        var target: NodeID?
        let others = remaining.filter { $0 != leader }
        if !others.isEmpty, rng.next(below: 2) == 0 { target = others[Int(rng.next(below: UInt64(others.count)))] }
        return .node(.jointChange(changes, transferTo: target))
    }
}

extension Explorer.Driver {
    /// Applies a node or disk fault; false when it could not take effect (nothing changed).
    mutating func performNodeFault(_ fault: Explorer.NodeFault) -> Bool {
        switch fault {
        case .crashInWrite(let id, let operations, let write):
            return crashInWrite(id, operations: operations, write: write)
        case .crashAll(let restart):
            guard (try? cluster.crashAll()) != nil else { return false }
            stats.faults += 1
            line(Command.crashAll)
            if restart, (try? cluster.restartAll()) != nil { line(Command.restartAll) }
        case .backup(let id):
            guard (try? cluster.backup(id)) != nil else { return false }
            line(Command.backup(id))
        case .restoreOld(let id):
            guard cluster.hasBackup(id) else { return false }
            if cluster.isUp(id) {
                guard (try? cluster.crash(id)) != nil else { return false }
                line(Command.crash(id))
            }
            guard (try? cluster.restore(id)) != nil else { return false }
            stats.faults += 1
            line(Command.restore(id))
            if (try? cluster.restart(id)) != nil { line(Command.restart(id)) }
        case .jointChange(let changes, let target):
            guard (try? cluster.changeMembership(changes)) != nil else { return false }
            stats.configChanges += 1
            let ids = changes.map(\.node)
            if case .remove = changes[0] { line(Command.removeNodes(ids)) } else { line(Command.add(ids, learner: false)) }
            if let target, (try? cluster.transfer(to: target)) != nil { line(Command.transfer(target)) }
        }
        return true
    }

    /// Arms the power cut, makes the node write, and crashes it afterwards if the cut did not
    /// fire (the write took fewer operations). What the node sent before the cut leaves; the
    /// write the cut stopped sent nothing (the host persists before it sends).
    private mutating func crashInWrite(_ id: NodeID, operations: Int, write: Explorer.WriteTrigger) -> Bool {
        guard let node = cluster.node(id) else { return false }
        // Check the trigger before arming, so that an action that cannot write changes nothing.
        var messageID: Int?
        switch write {
        case .deliver(let ref):
            guard ref.to == id, let resolved = resolve(ref), let item = cluster.message(id: resolved),
                cluster.lossReason(item.message) == nil
            else { return false }
            messageID = resolved
        case .campaign:
            guard node.role != .leader else { return false }
        case .propose:
            guard cluster.leader == id else { return false }
        case .compact:
            guard node.appliedIndex >= node.firstIndex else { return false }
        }
        guard (try? cluster.crash(id, afterOperations: operations)) != nil else { return false }
        stats.faults += 1
        line(
            "# \(Describe.n(id)) loses power after \(operations) more file operation\(operations == 1 ? "" : "s"), in the middle of the write that follows"
        )
        line(Command.crashAfter(id, operations: operations))
        switch write {
        case .deliver:
            if (try? cluster.deliver(.ids([messageID!]))) != nil { line(Command.deliver(.ids([messageID!]))) }
        case .campaign:
            if (try? cluster.campaign(id)) != nil { line(Command.campaign(id)) }
        case .propose(let key, let value):
            let text = "set k\(key) \(value)"
            if (try? cluster.propose(text, on: id)) != nil {
                // The entry may survive the cut and commit later: the client did ask for it.
                recordClientWrite(text)
                line(Command.propose(node: nil, text: text))
            }
        case .compact(let back):
            let index = max(node.firstIndex, node.appliedIndex - min(back, node.appliedIndex))
            if (try? cluster.compact(id, through: index)) != nil { line(Command.compact(id, through: index)) }
        }
        if cluster.isUp(id), (try? cluster.crash(id)) != nil { line(Command.crash(id)) }
        return true
    }
}
