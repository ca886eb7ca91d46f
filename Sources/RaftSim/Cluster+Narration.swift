import RaftCore
import RaftHost

/// The REPL's sentences: what a step did, told from the host's reports and the nodes' state.
extension Cluster {
    /// The state narration compares with after a step.
    struct NarratedState {
        var role: Role
        var term: UInt64
        var vote: NodeID
        var leader: NodeID
        var commit: UInt64
        /// Why the node will act as it does on the message being delivered (nil outside a delivery).
        var cause: DeliveryCause?
        /// Set when the state change was already told (before an `ignores it` line).
        var isStateTold = false
    }

    /// Node `i`'s narrated state; nil when it is down, and when nobody narrates (only narration
    /// compares with it, and every step takes one).
    func narratedState(_ i: Int) -> NarratedState? {
        guard isNarrating, let host = hosts[i] else { return nil }
        let node = host.node
        return NarratedState(role: node.role, term: node.term, vote: node.vote, leader: node.leader, commit: node.commitIndex)
    }

    /// Says how node `i`'s role, term, vote, leader and commit changed since `before`.
    func narrateState(_ i: Int, before: NarratedState) {
        guard !before.isStateTold, let after = narratedState(i) else { return }
        let id = NodeID(i + 1)
        var parts: [String] = []
        if after.term != before.term { parts.append("moves to term \(after.term)") }
        if after.role != before.role {
            switch after.role {
            case .leader: parts.append("becomes LEADER of term \(after.term)")
            case .candidate: parts.append("becomes candidate for term \(after.term)")
            case .preCandidate: parts.append("becomes pre-candidate (asks for term \(after.term + 1))")
            case .follower: parts.append("becomes follower")
            }
        }
        if after.vote != .none && (after.vote != before.vote || after.term != before.term) {
            parts.append(after.vote == id ? "votes for itself" : "votes for \(Describe.n(after.vote))")
        }
        if after.leader != before.leader && after.leader != .none && after.role != .leader {
            parts.append("follows leader \(Describe.n(after.leader))")
        }
        if let gone = before.cause?.discarded {
            // Told between the term change and the commit it makes possible.
            if !parts.isEmpty { say("  \(Describe.n(id)) \(parts.joined(separator: ", "))") }
            parts = []
            narrateDiscarded(Describe.n(id), gone)
        }
        if after.commit > before.commit { parts.append("commits through \(after.commit)") }
        if !parts.isEmpty { say("  \(Describe.n(id)) \(parts.joined(separator: ", "))") }
        if after.role == .leader, after.commit > before.commit, let node = hosts[i]?.node,
            node.config.unsafe.contains(.commitOldTerms), let entryTerm = node.term(at: after.commit), entryTerm != after.term
        {
            // The safe rule (paper §5.4.2) commits only an entry of the leader's own term by counting.
            say(
                "  !! commit-old-terms: \(Describe.n(id)) counts replicas for entry \(after.commit) of term \(entryTerm) (it leads term \(after.term)) — paper §5.4.2 forbids this"
            )
        }
    }

    /// Says which entries a follower discarded because they conflict with the leader's (Figure 2,
    /// receiver step 3).
    func narrateDiscarded(_ name: String, _ gone: (first: UInt64, terms: [UInt64], leaderTerm: UInt64)) {
        let last = gone.first + UInt64(gone.terms.count) - 1
        let entries = gone.terms.enumerated().map { Entry(term: $0.element, index: gone.first + UInt64($0.offset)) }
        let range = gone.terms.count == 1 ? "entry \(gone.first)" : "entries \(gone.first)..\(last)"
        let verb = gone.terms.count == 1 ? "it conflicts" : "they conflict"
        say(
            "  \(name) discards \(range) (term\(gone.terms.count == 1 ? "" : "s") \(Describe.terms(entries))): \(verb) with the leader's entry \(gone.first) (term \(gone.leaderTerm))"
        )
    }

    /// Tells what the host did with one Ready, step by step, up to a failure.
    func narrate(_ i: Int, _ report: ReadyReport<KeyValueStore>, before: NarratedState?, firstMessageID: Int) {
        let name = Describe.n(NodeID(i + 1))
        if let snapshot = report.installedSnapshot, report.failure == nil || report.failure?.stage != .restore {
            let meta = snapshot.metadata
            say(
                "  \(name) installs the snapshot through \(Describe.at(meta.index, meta.term)): persists it in place of its log through \(meta.index) and restores its store from it: \(store(NodeID(i + 1)).contentsDescription)"
            )
        }
        guard report.failure == nil else { return }
        if report.hardState != nil || !report.entries.isEmpty {
            narrateConfigEntries(i, report.entries)
            if !report.entries.isEmpty || (report.hardState.map { $0.term != before?.term || $0.vote != before?.vote } ?? false) {
                var what: [String] = []
                if !report.entries.isEmpty { what.append(Describe.entryRange(report.entries)) }
                if let hard = report.hardState { what.append("term \(hard.term) vote \(Describe.n(hard.vote)) commit \(hard.commit)") }
                say("  \(name) persists \(what.joined(separator: ", "))\(disks[i].isSyncOn ? "" : " (not synced)")")
            }
        }
        if !report.messages.isEmpty {
            narrateSent(
                name, report.messages.indices.map { InFlightMessage(id: firstMessageID + $0, message: report.messages[$0]) },
                cause: before?.cause)
        }
        narrateApplied(name, report.applied)
    }

    private func narrateSent(_ name: String, _ sent: [InFlightMessage], cause: DeliveryCause?) {
        // Group messages that say the same thing to different receivers.
        var groups: [(key: String, items: [InFlightMessage])] = []
        for item in sent {
            let key = "\(item.message.kindName) \(Describe.fields(item.message))"
            if let g = groups.firstIndex(where: { $0.key == key }) { groups[g].items.append(item) } else { groups.append((key, [item])) }
        }
        for group in groups {
            let receivers = group.items.map { Describe.n($0.message.to) }
            let sentence = Cluster.explained(Describe.sentence(group.items[0].message, to: Cluster.list(receivers)), group.items[0].message, cause)
            say("  \(name) \(sentence) → \(group.items.map { "#\($0.id)" }.joined(separator: " "))")
        }
    }

    private func narrateApplied(_ name: String, _ applied: [ReadyReport<KeyValueStore>.AppliedEntry]) {
        guard let first = applied.first?.entry.index, let last = applied.last?.entry.index else { return }
        let results = applied.prefix(8).map { Describe.applied($0.entry, $0.response) }
        let range = first == last ? "entry \(first)" : "entries \(first)..\(last)"
        let more = applied.count > results.count ? ", …" : ""
        say("  \(name) applies \(range): \(results.joined(separator: ", "))\(more)")
    }

    /// A sent message's sentence, with the cause of a refusal when one was derived.
    static func explained(_ sentence: String, _ message: Message, _ cause: DeliveryCause?) -> String {
        guard let cause else { return sentence }
        switch message {
        case .voteResponse(let response) where !response.isGranted:
            if let reason = cause.voteRefusal { return "\(sentence): \(reason)" }
        case .appendResponse(let response):
            if let stale = cause.staleSender, stale.from == response.to {
                return "rejects \(Describe.n(stale.from))'s message of term \(stale.theirTerm): its term is \(stale.ourTerm)"
            }
            if response.isRejected, let mismatch = cause.appendMismatch { return "\(sentence): \(mismatch)" }
        default:
            break
        }
        return sentence
    }

    static func list(_ names: [String]) -> String {
        if names.count <= 1 { return names.first ?? "" }
        return names.dropLast().joined(separator: ", ") + " and " + names.last!
    }
}

extension Describe {
    /// What applying an entry did, in a few words: `x=3`, `del x`, `'hello' (opaque)`, `noop`, `C_new (n1,n2)`.
    static func applied(_ entry: Entry, _ response: KeyValueStore.Response?) -> String {
        if entry.kind == .config, let configuration = ConfigurationCodec.decode(entry.data) {
            return configEntry(configuration)
        }
        guard entry.kind == .normal, let response else { return entry.kind.description }
        switch response {
        case .set(let key, let value): return "\(key)=\(value)"
        case .deleted(let keys, let count):
            if keys.count == 1 { return count == 1 ? "del \(keys[0])" : "del \(keys[0]) (absent)" }
            return "del \(keys.joined(separator: " ")) (\(count) removed)"
        case .incremented(let key, let value): return "\(key)=\(value)"
        case .opaque: return "'\(String(decoding: entry.data, as: UTF8.self))' (opaque)"
        case .error(let problem): return "refused: \(problem)"
        }
    }
}
