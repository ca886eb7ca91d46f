import RaftCore

/// Settings, disk tools and the test fingerprint.
extension Cluster {
    // MARK: Settings

    /// A protocol setting.
    public enum Setting: String, CaseIterable, Sendable {
        case preVote = "prevote"
        case checkQuorum = "checkquorum"
        case leaderNoop = "leader-noop"
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

    func applySettings(_ what: String) -> [String] {
        begin()
        if isPristine {
            for id in ids where isUp(id) {
                hosts[Int(id) - 1] = makeHost(Int(id) - 1, RaftNode(config: nodeConfig(id), configuration: configuration))
            }
            say("\(what): applies to every node now")
        } else {
            let running = upNodes.filter { node($0)!.config != nodeConfig($0) }
            say("\(what): applies to each node when it (re)starts" + (running.isEmpty ? "" : "; \(running.map(Describe.n).joined(separator: " ")) keep\(running.count == 1 ? "s" : "") the old setting until then"))
        }
        return finish()
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
        var text = "next #\(nextMessageID) steps \(stepCount) violations \(violations.count) cut \(partitionGroups) settings \(settings.preVote) \(settings.checkQuorum) \(settings.leaderNoop) \(settings.unsafe.rawValue) \(settings.electionTicks) \(settings.heartbeatTicks)\n"
        for id in ids {
            let i = Int(id) - 1
            if let node = node(id) {
                text += "\(Describe.n(id)) \(node.role) t\(node.term) v\(node.vote) c\(node.commitIndex) a\(node.appliedIndex) l\(node.leader) e\(node.electionElapsedTicks)/\(node.electionTimeoutTicks) [\(Describe.terms(node.entries))] kv \(store(id).contentsDescription) sync \(disks[i].isSyncOn)\n"
            } else {
                text += "\(Describe.n(id)) down sync \(disks[i].isSyncOn)\n"
            }
        }
        for item in inFlight { text += Describe.line(item) + "\n" }
        text += "reads \(nextReadContext) \(pendingReads.map { "\($0.context)@n\($0.node + 1)" }) served \(servedReads.count)\n"
        return text
    }
}
