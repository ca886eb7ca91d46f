import RaftCore

/// A message waiting in the simulated network, with its stable id.
public struct InFlightMessage: Equatable, Sendable {
    /// The id shown as `#12`; ids only grow.
    public var id: Int
    /// The message itself.
    public var message: Message
}

/// Text for messages and entries, shared by the narration and the `msgs` listing.
public enum Describe {
    static func n(_ id: NodeID) -> String { id == .none ? "none" : "n\(id)" }

    /// `3@2` for index 3 of term 2.
    static func at(_ index: UInt64, _ term: UInt64) -> String { "\(index)@\(term)" }

    /// The terms of a run of entries, compressed: `1 1 2` → `1x2 2`.
    static func terms(_ entries: [Entry]) -> String {
        var parts: [String] = []
        var i = 0
        while i < entries.count {
            var j = i
            while j + 1 < entries.count && entries[j + 1].term == entries[i].term { j += 1 }
            let count = j - i + 1
            parts.append(count == 1 ? "\(entries[i].term)" : "\(entries[i].term)x\(count)")
            i = j + 1
        }
        return parts.joined(separator: " ")
    }

    /// `entries 2..3 (terms 2x2)` or `no entries`.
    static func entryRange(_ entries: [Entry]) -> String {
        guard let first = entries.first, let last = entries.last else { return "no entries" }
        let range = first.index == last.index ? "entry \(first.index)" : "entries \(first.index)..\(last.index)"
        return "\(range) (term\(entries.count == 1 ? "" : "s") \(terms(entries)))"
    }

    /// The key fields of a message, without sender and receiver: `term 2 prev 1@1 entries 2..2 (term 2) commit 1`.
    public static func fields(_ message: Message) -> String {
        switch message {
        case .append(let m):
            return "term \(m.term) prev \(at(m.prevLogIndex, m.prevLogTerm)) \(entryRange(m.entries)) commit \(m.leaderCommit)"
        case .appendResponse(let m):
            if m.isRejected {
                return "term \(m.term) rejects \(m.index) hint \(at(m.rejectHintIndex, m.rejectHintTerm))"
            }
            return "term \(m.term) match \(m.index)"
        case .vote(let m):
            return "term \(m.term) last \(at(m.lastLogIndex, m.lastLogTerm))\(m.isTransfer ? " transfer" : "")"
        case .voteResponse(let m):
            return "term \(m.term) \(m.isGranted ? "granted" : "refused")"
        case .heartbeat(let m):
            return "term \(m.term) commit \(m.commit)\(m.readContext.map { " read \($0)" } ?? "")"
        case .heartbeatResponse(let m):
            return "term \(m.term)\(m.readContext.map { " read \($0)" } ?? "")"
        case .timeoutNow(let m):
            return "term \(m.term)"
        case .installSnapshot(let m):
            let meta = m.snapshot.metadata
            return "term \(m.term) snapshot through \(at(meta.index, meta.term)) (\(m.snapshot.data.count) bytes)"
        case .readIndex(let m):
            return "term \(m.term) read \(m.context)"
        case .readIndexResponse(let m):
            return "term \(m.term) read \(m.context) index \(m.index)"
        }
    }

    /// `#12 n1->n2 App term 2 …`
    public static func line(_ item: InFlightMessage) -> String {
        "#\(item.id) \(n(item.message.from))->\(n(item.message.to)) \(item.message.kindName) \(fields(item.message))"
    }

    /// What sending this message means, in words, from the sender's side.
    static func sentence(_ message: Message, to: String) -> String {
        switch message {
        case .append(let m):
            if m.entries.isEmpty { return "sends \(to) an empty append (prev \(at(m.prevLogIndex, m.prevLogTerm)), commit \(m.leaderCommit))" }
            return "sends \(to) \(entryRange(m.entries)) after \(at(m.prevLogIndex, m.prevLogTerm)), commit \(m.leaderCommit)"
        case .appendResponse(let m):
            if m.isRejected {
                return "rejects \(to)'s append at \(m.index) (hint \(at(m.rejectHintIndex, m.rejectHintTerm)))"
            }
            return "tells \(to) its log matches through \(m.index)"
        case .vote(let m):
            return "asks \(to) for a \(m.isPreVote ? "pre-vote" : "vote") for term \(m.term) (last \(at(m.lastLogIndex, m.lastLogTerm)))"
        case .voteResponse(let m):
            let what = m.isPreVote ? "pre-vote" : "vote"
            return m.isGranted ? "grants its \(what) to \(to) for term \(m.term)" : "refuses its \(what) to \(to) (term \(m.term))"
        case .heartbeat(let m):
            return "sends \(to) a heartbeat (commit \(m.commit)\(m.readContext.map { ", confirming read \($0)" } ?? ""))"
        case .heartbeatResponse:
            return "answers \(to)'s heartbeat"
        case .timeoutNow:
            return "tells \(to) to campaign now (TimeoutNow)"
        case .installSnapshot(let m):
            let meta = m.snapshot.metadata
            return "sends \(to) a snapshot through \(at(meta.index, meta.term))"
        case .readIndex(let m):
            return "forwards read \(m.context) to \(to), the leader it knows"
        case .readIndexResponse(let m):
            return "confirms \(to)'s read \(m.context) at read index \(m.index)"
        }
    }
}
