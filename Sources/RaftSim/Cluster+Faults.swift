import RaftCore
import RaftHost

/// Faults: crashes, restarts from disk, partitions, and rewriting a crashed node's disk.
extension Cluster {
    func crashNode(_ i: Int) {
        pendingReads.removeAll { $0.node == i }
        disks[i].crash(generator: &generator)
        hosts[i] = nil
        timeline.crashed(NodeID(i + 1))
    }

    /// Loses the node's volatile state and its unsynced writes.
    @discardableResult
    public func crash(_ id: NodeID) throws(SimError) -> [String] {
        try requireUp(id)
        begin()
        crashNode(Int(id) - 1)
        let disk = disks[Int(id) - 1]
        let unsynced =
            disk.isSyncOn
            ? ""
            : disk.location.hasPrefix("memory:")
                ? ", and so are its unsynced writes"
                : " (its unsynced writes survive: on real files only a power loss would lose them)"
        say("\(Describe.n(id)) crashes: volatile state is gone\(unsynced)")
        checkInvariants()
        return finish()
    }

    /// Arms a power cut on the node's disk: its next `operations` mutating file operations
    /// succeed, the one after fails, and the node crashes there, in the middle of whatever it was
    /// writing (a vote, its own append, a snapshot install, a compaction), before it sends
    /// anything that write was for. The crash model decides what of the unsynced part survives.
    @discardableResult
    public func crash(_ id: NodeID, afterOperations operations: Int) throws(SimError) -> [String] {
        try requireUp(id)
        try disks[Int(id) - 1].cutPower(afterOperations: operations)
        begin()
        say(
            "\(Describe.n(id))'s power will be cut after \(operations == 0 ? "no more" : "its next \(operations)") file operation\(operations == 1 ? "" : "s") (writes, syncs, renames, removals): it crashes in the middle of the write that reaches it"
        )
        return finish()
    }

    /// Whether a power cut armed on the node's disk (`crash NODE after K`) has not fired yet.
    public func isPowerCutArmed(_ id: NodeID) -> Bool { disks[Int(id) - 1].isPowerCutArmed }

    /// Whether `backup` was taken of the node's disk.
    public func hasBackup(_ id: NodeID) -> Bool { disks[Int(id) - 1].hasBackup }

    /// Crashes every running node at once (a power loss of the whole cluster).
    @discardableResult
    public func crashAll() throws(SimError) -> [String] {
        let running = upNodes
        guard !running.isEmpty else { throw SimError("every node is down already") }
        begin()
        for id in running { crashNode(Int(id) - 1) }
        say(
            "every node crashes at once (\(running.map(Describe.n).joined(separator: " "))): volatile state is gone everywhere\(disks.contains { !$0.isSyncOn } ? ", and so are the unsynced writes" : "")"
        )
        checkInvariants()
        return finish()
    }

    /// Restarts every crashed node, in id order.
    @discardableResult
    public func restartAll() throws(SimError) -> [String] {
        let down = ids.filter { !isUp($0) }
        guard !down.isEmpty else { throw SimError("every node is up already") }
        var lines: [String] = []
        for id in down { lines += try restart(id) }
        return lines
    }

    /// Copies the node's files aside, as an operator's backup (running or down; the latest is kept).
    @discardableResult
    public func backup(_ id: NodeID) throws(SimError) -> [String] {
        try validate(id)
        try disks[Int(id) - 1].backup()
        begin()
        let log = node(id).map { "term \($0.term), vote \(Describe.n($0.vote)), log through \($0.lastIndex)" } ?? "its disk as it is"
        say("\(Describe.n(id))'s files are copied aside (\(log)); `restore \(Describe.n(id))` puts them back while it is down")
        return finish()
    }

    /// Replaces a crashed node's files with its backup (an operator restoring an old copy). Raft
    /// cannot survive it: the node forgets votes it cast and entries it acknowledged since the
    /// backup. The checker keeps its history of the node, so what follows is judged as it is.
    @discardableResult
    public func restore(_ id: NodeID) throws(SimError) -> [String] {
        try validate(id)
        let i = Int(id) - 1
        guard hosts[i] == nil else { throw SimError("\(Describe.n(id)) is up; crash it first (restore replaces a crashed node's files)") }
        guard disks[i].hasBackup else { throw SimError("no backup of \(Describe.n(id)) was taken (backup \(Describe.n(id)) first)") }
        try disks[i].restoreBackup()
        begin()
        say(
            "\(Describe.n(id))'s files are replaced by its backup: it will restart with what it held then (UNSAFE: it forgets the votes and entries it gave since)"
        )
        return finish()
    }

    /// Rebuilds the node from its disk through storage recovery.
    @discardableResult
    public func restart(_ id: NodeID) throws(SimError) -> [String] {
        try validate(id)
        let i = Int(id) - 1
        guard hosts[i] == nil else { throw SimError("\(Describe.n(id)) is already up (crash it first)") }
        // Storage recovery (`LogStorage.open`) is the one place that checks and fixes what the disk
        // holds: it opens only a log whose entries are consecutive with non-decreasing terms, under
        // a hard state whose term covers them (raising the term itself when only the hard-state
        // write was lost), and refuses anything else with a StorageError.
        let recovered = try disks[i].recover()
        let notes = recovered.notes
        let node = RaftNode(
            config: nodeConfig(id), configuration: configuration,
            hardState: recovered.hardState, entries: recovered.entries, snapshot: recovered.snapshot)
        let host: SimHost
        do { host = try SimHost(node: node, storage: disks[i], transport: network) } catch {
            throw SimError("\(Describe.n(id)) cannot start: the state-machine data of its snapshot does not decode (\(error))")
        }
        begin()
        hosts[i] = host
        let commit = node.commitIndex
        persistedLast[i] = (recovered.snapshot?.metadata.index ?? 0) + UInt64(recovered.entries.count)
        checker.nodeRestarted(i, commit: commit)
        timeline.restarted(node)
        let hard = recovered.hardState
        say(
            "\(Describe.n(id)) restarts from its disk: term \(hard.term), vote \(Describe.n(hard.vote)), commit \(commit), \(recovered.entries.count) entr\(recovered.entries.count == 1 ? "y" : "ies")\(recovered.entries.isEmpty ? "" : " (terms \(Describe.terms(recovered.entries)))")"
        )
        if let snapshot = recovered.snapshot {
            say(
                "  \(Describe.n(id)) restores its state machine from its snapshot through \(Describe.at(snapshot.metadata.index, snapshot.metadata.term)): \(host.machine.contentsDescription)"
            )
        }
        for note in notes { say("  recovery: \(note)") }
        handleReady(i, before: narratedState(i))
        checkInvariants()
        return finish()
    }

    /// Splits the cluster: messages between different groups are lost on delivery. Nodes not
    /// named form one more group together. Replaces any earlier partition.
    @discardableResult
    public func partition(_ groups: [[NodeID]]) throws(SimError) -> [String] {
        var named: [NodeID] = []
        for group in groups {
            if group.isEmpty { throw SimError("a group of the partition is empty") }
            for id in group {
                try validate(id)
                if named.contains(id) { throw SimError("\(Describe.n(id)) is named twice") }
                named.append(id)
            }
        }
        var all = groups
        let rest = ids.filter { !named.contains($0) }
        if !rest.isEmpty { all.append(rest) }
        if all.count < 2 { throw SimError("a partition needs at least two groups") }
        begin()
        network.cut(between: all, ids: ids)
        say("partition: " + all.map { $0.map(Describe.n).joined(separator: " ") }.joined(separator: " | "))
        return finish()
    }

    /// Cuts one direction of one link: messages from `from` to `to` are lost on delivery, while
    /// `to` still reaches `from` (an asymmetric fault a partition cannot make).
    @discardableResult
    public func cutLink(from: NodeID, to: NodeID) throws(SimError) -> [String] {
        try validate(from)
        try validate(to)
        guard from != to else { throw SimError("a link joins two different nodes") }
        begin()
        network.setLink(from: from, to: to, cut: true)
        say(
            "the link \(Describe.n(from))->\(Describe.n(to)) is cut: messages from \(Describe.n(from)) to \(Describe.n(to)) are lost (\(Describe.n(to))->\(Describe.n(from)) \(network.isLinkCut(from: to, to: from) ? "is cut too" : "still works"))"
        )
        return finish()
    }

    /// Restores one direction of one link (the partition's other cuts stay).
    @discardableResult
    public func healLink(from: NodeID, to: NodeID) throws(SimError) -> [String] {
        try validate(from)
        try validate(to)
        guard from != to else { throw SimError("a link joins two different nodes") }
        begin()
        network.setLink(from: from, to: to, cut: false)
        say("the link \(Describe.n(from))->\(Describe.n(to)) is restored")
        return finish()
    }

    /// Whether any link is cut (by a partition or by `cutLink`).
    public var hasCutLinks: Bool { network.hasCutLinks }

    /// Restores every link.
    @discardableResult
    public func heal() -> [String] {
        begin()
        network.restoreLinks(ids: ids)
        say("every link is restored")
        return finish()
    }

    /// Lays down a log of the given terms at indexes 1…k on a crashed node's disk, with hard
    /// state term `term` (default: the last entry's term), no vote and commit 0.
    @discardableResult
    public func setLog(_ id: NodeID, terms: [UInt64], hardTerm: UInt64?) throws(SimError) -> [String] {
        try validate(id)
        let i = Int(id) - 1
        guard hosts[i] == nil else { throw SimError("\(Describe.n(id)) is up; crash it first (setlog rewrites a crashed node's disk)") }
        guard terms.count <= 100_000 else { throw SimError("at most 100000 entries") }
        var last: UInt64 = 0
        for term in terms {
            guard term >= 1 else { throw SimError("terms start at 1") }
            guard term >= last else { throw SimError("terms must not decrease along a log (\(term) after \(last))") }
            last = term
        }
        let term = hardTerm ?? last
        guard term >= last else { throw SimError("the hard-state term \(term) is below the last entry's term \(last)") }
        // Where another running node holds an entry with the same index and term, copy it, so
        // the fabricated log agrees with the real ones (Log Matching) wherever the terms do.
        let entries = terms.enumerated().map { offset, term in
            let index = UInt64(offset + 1)
            for case let other? in hosts.lazy.map({ $0?.node }) where index >= other.firstIndex && other.term(at: index) == term {
                return other.entries[Int(index - other.firstIndex)]
            }
            return Entry(term: term, index: index, kind: .normal, data: Array("setlog \(index)".utf8))
        }
        try disks[i].replace(hardState: HardState(term: term, vote: .none, commit: 0), entries: entries)
        begin()
        checker.nodeRewritten(i, term: term)
        persistedLast[i] = UInt64(entries.count)
        say("\(Describe.n(id))'s disk now holds \(entries.isEmpty ? "an empty log" : Describe.entryRange(entries)) and term \(term), no vote")
        return finish()
    }
}
