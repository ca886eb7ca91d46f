import RaftCore
import RaftStorage

/// Settings, disk tools and the test fingerprint.
extension Cluster {
    // MARK: Settings

    /// A protocol setting.
    public enum Setting: String, CaseIterable, Sendable {
        case preVote = "prevote"
        case checkQuorum = "checkquorum"
        case leaderNoop = "leader-noop"
        case readQuorum = "read-quorum"
    }

    /// Whether nothing has happened yet, so settings can apply to every node at once.
    public var isPristine: Bool { stepCount == 0 && inFlight.isEmpty }

    /// Changes a setting. On a pristine cluster every node restarts with it at once; otherwise
    /// it applies to each node at its next restart.
    @discardableResult
    public func set(_ setting: Setting, _ on: Bool) -> [String] {
        switch setting {
        case .preVote: settings.preVote = on
        case .checkQuorum: settings.checkQuorum = on
        case .leaderNoop: settings.leaderNoop = on
        case .readQuorum: settings.readQuorum = on
        }
        return applySettings("\(setting.rawValue) \(on ? "on" : "off")")
    }

    /// Turns a teaching knob on or off.
    @discardableResult
    public func setUnsafe(_ knob: UnsafeKnobs, name: String, _ on: Bool) -> [String] {
        if on { settings.unsafe.insert(knob) } else { settings.unsafe.remove(knob) }
        return applySettings("unsafe \(name) \(on ? "on" : "off")")
    }

    /// Sets the election and heartbeat timing.
    @discardableResult
    public func setTiming(electionTicks: Int?, heartbeatTicks: Int?) throws(SimError) -> [String] {
        var next = settings
        if let electionTicks { next.electionTicks = electionTicks }
        if let heartbeatTicks { next.heartbeatTicks = heartbeatTicks }
        if let problem = next.validationError() { throw SimError(problem) }
        settings = next
        return applySettings("election \(settings.electionTicks) ticks, heartbeat \(settings.heartbeatTicks)")
    }

    /// Gives one node its own election timeout or heartbeat interval (nil: keep what it has),
    /// as a node whose clock or configuration differs from the others' would have. The node's
    /// election ticks must still exceed its heartbeat ticks.
    @discardableResult
    public func setNodeTiming(_ id: NodeID, electionTicks: Int?, heartbeatTicks: Int?) throws(SimError) -> [String] {
        try validate(id)
        var next = settings
        var timing = next.nodeTiming[id] ?? NodeTiming()
        if let electionTicks { timing.electionTicks = electionTicks }
        if let heartbeatTicks { timing.heartbeatTicks = heartbeatTicks }
        next.nodeTiming[id] = timing
        if let problem = next.validationError() { throw SimError(problem) }
        settings = next
        return applySettings("\(Describe.n(id)): election \(settings.electionTicks(of: id)) ticks, heartbeat \(settings.heartbeatTicks(of: id))")
    }

    func applySettings(_ what: String) -> [String] {
        begin()
        if isPristine {
            for id in ids where isUp(id) {
                hosts[Int(id) - 1] = makeHost(Int(id) - 1, RaftNode(config: nodeConfig(id), configuration: configuration))
            }
            say("\(what): applies to every node now")
        } else {
            let running = upNodes.filter { node($0)!.config != nodeConfig($0) }
            say(
                "\(what): applies to each node when it (re)starts"
                    + (running.isEmpty
                        ? "" : "; \(running.map(Describe.n).joined(separator: " ")) keep\(running.count == 1 ? "s" : "") the old setting until then"))
        }
        return finish()
    }

    /// Chooses what a crash keeps of a simulated disk's unsynced writes: any subset of its 4 KiB
    /// pages (`pages`: as a real disk and page cache may, the explorer's model) or a prefix of the
    /// last write (the default, which the lessons show).
    @discardableResult
    public func setCrashModel(pages: Bool) -> [String] {
        for i in disks.indices { disks[i].crashModel = pages ? .pages : .lastWriteTorn }
        return [
            pages
                ? "a crash keeps any subset of a disk's unsynced 4 KiB pages (a page may be cut after a whole sector)"
                : "a crash keeps a prefix of a disk's last unsynced write"
        ]
    }

    /// Turns syncing of a node's disk on or off.
    @discardableResult
    public func setSync(_ id: NodeID, _ on: Bool) throws(SimError) -> [String] {
        try validate(id)
        begin()
        disks[Int(id) - 1].isSyncOn = on
        say("\(Describe.n(id)) \(on ? "syncs every Ready" : "no longer syncs: a crash loses what it wrote since its last sync")")
        return finish()
    }

    /// Writes the node's files into a real directory that `logdump` reads.
    @discardableResult
    public func exportDisk(_ id: NodeID, to directory: String) throws(SimError) -> [String] {
        try validate(id)
        try disks[Int(id) - 1].export(to: directory)
        return ["\(Describe.n(id))'s disk written to \(directory)"]
    }

    // MARK: For tests

    /// A text that changes whenever anything observable about the cluster changes.
    public var fingerprint: String {
        var text =
            "next #\(nextMessageID) steps \(stepCount) violations \(violations.count) cut \(partitionGroups) settings \(settings.preVote) \(settings.checkQuorum) \(settings.leaderNoop) \(settings.readQuorum) \(settings.unsafe.rawValue) \(settings.electionTicks) \(settings.heartbeatTicks)\(settings.nodeTiming.isEmpty ? "" : " \(settings.nodeTiming.sorted { $0.key < $1.key }.map { "n\($0.key):\($0.value.electionTicks ?? 0)/\($0.value.heartbeatTicks ?? 0)" })")\n"
        for id in ids {
            let i = Int(id) - 1
            if let node = node(id) {
                text +=
                    "\(Describe.n(id)) \(node.role) t\(node.term) v\(node.vote) c\(node.commitIndex) a\(node.appliedIndex) l\(node.leader) e\(node.electionElapsedTicks)/\(node.electionTimeoutTicks) [\(Describe.terms(node.entries))] kv \(store(id).contentsDescription) sync \(disks[i].isSyncOn)\n"
            } else {
                text += "\(Describe.n(id)) down sync \(disks[i].isSyncOn)\n"
            }
        }
        for item in inFlight { text += Describe.line(item) + "\n" }
        text += "reads \(nextReadContext) \(pendingReads.map { "\($0.context)@n\($0.node + 1)" }) served \(servedReads.count)\n"
        return text
    }
}

/// One node's own election timeout and heartbeat interval (nil: the cluster's setting).
public struct NodeTiming: Sendable, Equatable {
    /// Base election timeout in ticks.
    public var electionTicks: Int?
    /// Heartbeat interval in ticks.
    public var heartbeatTicks: Int?

    /// A timing with these settings.
    public init(electionTicks: Int? = nil, heartbeatTicks: Int? = nil) {
        self.electionTicks = electionTicks
        self.heartbeatTicks = heartbeatTicks
    }
}

extension ClusterOptions {
    /// The election ticks node `id` runs with: its own setting, else the cluster's.
    public func electionTicks(of id: NodeID) -> Int { nodeTiming[id]?.electionTicks ?? electionTicks }

    /// The heartbeat ticks node `id` runs with: its own setting, else the cluster's.
    public func heartbeatTicks(of id: NodeID) -> Int { nodeTiming[id]?.heartbeatTicks ?? heartbeatTicks }

    /// Why a node's own timing cannot run (the core's rule: election ticks exceed heartbeat ticks), or nil.
    func nodeTimingError() -> String? {
        for id in nodeTiming.keys.sorted() {
            guard id >= 1 && id <= UInt64(nodeCount) else { return "no node n\(id): this cluster has n1…n\(nodeCount)" }
            let (election, heartbeat) = (electionTicks(of: id), heartbeatTicks(of: id))
            if heartbeat < 1 { return "n\(id): heartbeat ticks must be at least 1" }
            if election <= heartbeat { return "n\(id): election ticks (\(election)) must exceed heartbeat ticks (\(heartbeat))" }
            if election > 10_000 { return "n\(id): election ticks must be at most 10000" }
        }
        return nil
    }
}
