/// Membership changes by joint consensus (dissertation §4.3, as Rafter did): the leader appends
/// C_old,new; while it is in effect, elections and commitment need majorities of both; once it
/// commits the leader appends C_new; a leader that is not in C_new steps down once C_new commits.
extension RaftNode {
    /// Proposes one membership change; returns the index of its configuration entry.
    @discardableResult
    public mutating func proposeConfigChange(_ change: ConfigChange) throws(RaftError) -> UInt64 {
        try proposeConfigChange([change])
    }

    /// Proposes membership changes applied together in one joint step (e.g. 3 → 5 voters);
    /// returns the index of the configuration entry.
    @discardableResult
    public mutating func proposeConfigChange(_ changes: [ConfigChange]) throws(RaftError) -> UInt64 {
        guard role == .leader else { throw .notLeader(leader: leader) }
        guard leadTransferee == .none else { throw .transferInProgress(to: leadTransferee) }
        // One change at a time: a change is in progress until its final configuration commits.
        if configuration.isJoint || configurationIndex > log.committed {
            throw .configChangeInProgress(index: configurationIndex)
        }
        // A new leader may hold an uncommitted change of an earlier leader in its log without
        // knowing it; committing an entry of its own term first settles that (dissertation §4.1).
        if log.term(at: log.committed) != term { throw .noCommitInTerm }
        let next: Configuration
        switch configuration.applying(changes) {
        case .success(let configuration): next = configuration
        case .failure(let rejection): throw .invalidConfigChange(rejection.description)
        }
        appendLocal([Entry(term: term, index: 0, kind: .config, data: ConfigurationCodec.encode(next))])
        isBroadcastPending = true
        assertInvariants()
        return log.lastIndex
    }

    /// Puts the configuration of the latest config entry in the log (or the starting one) in effect.
    ///
    /// The entry in effect is named by index AND term: a follower may drop an uncommitted config
    /// entry at index k and, in the same append, receive another leader's config entry at k. By
    /// index alone nothing changed, and the node would keep counting votes and commits with the
    /// configuration of the entry it dropped; dissertation §4.1 says a server always uses the
    /// latest configuration in its log, so the replaced entry's configuration must go.
    ///
    /// `baseChanged`: the caller has just replaced `baseConfiguration` (a snapshot taken or
    /// received). Only then can a configuration in effect from index 0 differ from the base, so
    /// only then are the two compared (the comparison ran on every append before).
    mutating func syncConfiguration(baseChanged: Bool = false) {
        let index = log.configIndexes.last ?? 0
        let entryTerm = index == 0 ? 0 : (log.term(at: index) ?? 0)
        let isSameEntry =
            index == configurationIndex
            && (entryTerm == configurationTerm || config.unsafe.contains(.configEntryByIndexOnly))
        assert(
            !isSameEntry || index != 0 || baseChanged || configuration == baseConfiguration,
            "the configuration in effect from index 0 is the base one unless the base just changed")
        guard !isSameEntry || (index == 0 && baseChanged && configuration != baseConfiguration) else { return }
        configurationIndex = index
        configurationTerm = entryTerm
        if index == 0 {
            configuration = baseConfiguration
        } else {
            let data = log.entries(from: index, through: index).first!.data
            // Config entries are validated where they enter (the leader encodes them; followers
            // check them in `validationProblem`), so a stored one that does not decode is a bug.
            guard let decoded = ConfigurationCodec.decode(data) else {
                preconditionFailure("configuration entry \(index) does not decode")
            }
            configuration = decoded
        }
        if role == .leader {
            syncProgress()
            recountPendingReads()
        }
        if (role == .candidate || role == .preCandidate) && !mayCampaign {
            becomeFollower(term: term, leader: .none)
        }
    }

    /// Whether this node may stand for election: it votes in the configuration in effect, or
    /// that configuration's entry is not known to be committed and the node votes in the one
    /// before it.
    ///
    /// The second case is a removal in flight. A leader that appends a C_new without some server
    /// S and crashes may leave that entry on S alone: S's log is then ahead of every voter of
    /// C_new, and those voters (still joint, or needing S in their older configuration) cannot
    /// win without S's vote, which S refuses. If S could not campaign either, no leader could
    /// ever be elected. S counts votes in its latest configuration like any candidate (its own
    /// vote does not count there), so Election Safety holds; once S knows the entry committed
    /// it stays quiet, as a removed server must (dissertation §4.2.3).
    /// (Inlined, as `previousConfiguration`: a call with a non-mutating `self` from `tick` or
    /// `step` copied the whole node first.)
    var mayCampaign: Bool {
        @inline(__always) get {
            if configuration.isVoter(id) { return true }
            guard configurationIndex > log.committed else { return false }
            return previousConfiguration.isVoter(id)
        }
    }

    /// The configuration before the latest config entry: the one of the config entry before
    /// it, or the starting (or snapshot's) configuration.
    var previousConfiguration: Configuration {
        @inline(__always) get {
            let indexes = log.configIndexes
            guard indexes.count >= 2 else { return baseConfiguration }
            let index = indexes[indexes.count - 2]
            guard index >= log.firstIndex, let data = log.entries(from: index, through: index).first?.data,
                let decoded = ConfigurationCodec.decode(data)
            else { return baseConfiguration }
            return decoded
        }
    }

    /// Gives every member a progress entry and drops those of departed members. Runs on the
    /// leader right after it appends a config entry, which is then its last entry.
    mutating func syncProgress() {
        let members = configuration.members
        progress.removeAll { !members.contains($0.id) }
        for member in members where progressIndex(of: member) == nil {
            // A newcomer is probed with the last entry (the config entry that added it), so the
            // append that carries the change reaches it at once instead of after the next
            // heartbeat's answer (as etcd probes added members at their last index).
            var fresh = Progress(id: member, next: max(log.lastIndex, 1), maxInflight: config.maxInflightAppends)
            if member == id {
                fresh.match = log.lastIndex
                fresh.becomeReplicate()
            }
            // A member just added has had no chance to answer yet: counting it as inactive lets
            // a check-quorum round that ends before its first answer depose a healthy leader
            // (check-quorum, dissertation §6.2). etcd marks added members recently active too.
            fresh.isRecentActive = !config.unsafe.contains(.addedMemberInactive)
            progress.append(fresh)
        }
        progress.sort { $0.id < $1.id }
    }

    /// Leader: once C_old,new is committed, append C_new.
    mutating func leaveJointIfCommitted() {
        guard role == .leader, configuration.isJoint, configurationIndex <= log.committed else { return }
        appendLocal([
            Entry(
                term: term, index: 0, kind: .config,
                data: ConfigurationCodec.encode(configuration.leavingJoint))
        ])
        isBroadcastPending = true
    }

    /// Leader: once a C_new that excludes it is committed, step down. Returns whether it did.
    mutating func stepDownIfRemoved() -> Bool {
        guard role == .leader, !configuration.isJoint, !configuration.isVoter(id),
            configurationIndex <= log.committed
        else { return false }
        flushBroadcast()
        becomeFollower(term: term, leader: .none)
        return true
    }
}
