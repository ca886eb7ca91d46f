/// A message between two Raft nodes. Every kind has its own payload with exhaustive fields;
/// `from`, `to` and `term` are common to all and reachable through the enum.
public enum Message: Equatable, Sendable {
    /// Leader → follower: entries to append (possibly none: a probe or a commit notice).
    case append(Append)
    /// Follower → leader: the outcome of an `append`.
    case appendResponse(AppendResponse)
    /// Candidate or pre-candidate → everyone: ask for a vote.
    case vote(Vote)
    /// Answer to a `vote`.
    case voteResponse(VoteResponse)
    /// Leader → follower: "I am still leader"; carries commit and an optional ReadIndex context.
    case heartbeat(Heartbeat)
    /// Follower → leader: answer to a `heartbeat`, echoing its read context.
    case heartbeatResponse(HeartbeatResponse)
    /// Leader → transfer target: start an election now, skipping pre-vote and leases (dissertation §3.10).
    case timeoutNow(TimeoutNow)
    /// Leader → follower: a snapshot that replaces the follower's log through its index (dissertation §5; paper §7).
    case installSnapshot(InstallSnapshot)
    /// Follower → leader: a ReadIndex read asked on the follower, forwarded (dissertation §6.4).
    case readIndex(ReadIndex)
    /// Leader → follower: a forwarded read is confirmed at a read index.
    case readIndexResponse(ReadIndexResponse)

    /// The sender.
    public var from: NodeID {
        switch self {
        case .append(let m): return m.from
        case .appendResponse(let m): return m.from
        case .vote(let m): return m.from
        case .voteResponse(let m): return m.from
        case .heartbeat(let m): return m.from
        case .heartbeatResponse(let m): return m.from
        case .timeoutNow(let m): return m.from
        case .installSnapshot(let m): return m.from
        case .readIndex(let m): return m.from
        case .readIndexResponse(let m): return m.from
        }
    }

    /// The receiver.
    public var to: NodeID {
        switch self {
        case .append(let m): return m.to
        case .appendResponse(let m): return m.to
        case .vote(let m): return m.to
        case .voteResponse(let m): return m.to
        case .heartbeat(let m): return m.to
        case .heartbeatResponse(let m): return m.to
        case .timeoutNow(let m): return m.to
        case .installSnapshot(let m): return m.to
        case .readIndex(let m): return m.to
        case .readIndexResponse(let m): return m.to
        }
    }

    /// The sender's term (for a pre-vote request: the term it would campaign in).
    public var term: UInt64 {
        switch self {
        case .append(let m): return m.term
        case .appendResponse(let m): return m.term
        case .vote(let m): return m.term
        case .voteResponse(let m): return m.term
        case .heartbeat(let m): return m.term
        case .heartbeatResponse(let m): return m.term
        case .timeoutNow(let m): return m.term
        case .installSnapshot(let m): return m.term
        case .readIndex(let m): return m.term
        case .readIndexResponse(let m): return m.term
        }
    }

    /// A short name of the kind, as shown by the REPL (`App`, `AppResp`, `Vote`, `PreVote`, …).
    public var kindName: String {
        switch self {
        case .append: return "App"
        case .appendResponse: return "AppResp"
        case .vote(let m): return m.isPreVote ? "PreVote" : "Vote"
        case .voteResponse(let m): return m.isPreVote ? "PreVoteResp" : "VoteResp"
        case .heartbeat: return "Heartbeat"
        case .heartbeatResponse: return "HeartbeatResp"
        case .timeoutNow: return "TimeoutNow"
        case .installSnapshot: return "Snapshot"
        case .readIndex: return "ReadIndex"
        case .readIndexResponse: return "ReadIndexResp"
        }
    }
}

/// `Message.append`: the AppendEntries RPC (paper Figure 2).
public struct Append: Equatable, Sendable {
    /// Sender (the leader).
    public var from: NodeID
    /// Receiver.
    public var to: NodeID
    /// The leader's term.
    public var term: UInt64
    /// Index of the entry just before `entries`.
    public var prevLogIndex: UInt64
    /// Term of the entry at `prevLogIndex` (0 when `prevLogIndex` is 0).
    /// - Invariant: `prevLogTerm <= term`.
    public var prevLogTerm: UInt64
    /// Entries to append.
    /// - Invariant: indexes are `prevLogIndex + 1, prevLogIndex + 2, …`; terms never decrease,
    ///   are at least `prevLogTerm` and at most `term`.
    public var entries: [Entry]
    /// The leader's commit index.
    public var leaderCommit: UInt64

    /// Creates the message.
    public init(
        from: NodeID, to: NodeID, term: UInt64, prevLogIndex: UInt64, prevLogTerm: UInt64,
        entries: [Entry], leaderCommit: UInt64
    ) {
        self.from = from
        self.to = to
        self.term = term
        self.prevLogIndex = prevLogIndex
        self.prevLogTerm = prevLogTerm
        self.entries = entries
        self.leaderCommit = leaderCommit
    }
}

/// The answer to AppendEntries.
public struct AppendResponse: Equatable, Sendable {
    /// Sender (the follower).
    public var from: NodeID
    /// Receiver (the leader).
    public var to: NodeID
    /// The follower's term.
    public var term: UInt64
    /// On success: the follower's log matches the leader's through this index.
    /// On rejection: the `prevLogIndex` that was rejected.
    public var index: UInt64
    /// Whether the follower refused the entries because its log does not contain `prevLogIndex`
    /// with `prevLogTerm`.
    public var isRejected: Bool
    /// On rejection, the fast-backtracking hint: the largest index whose term is at most the
    /// rejected `prevLogTerm` in the follower's log (so the leader skips a whole term at once).
    public var rejectHintIndex: UInt64
    /// The follower's term at `rejectHintIndex` (0 when unknown).
    public var rejectHintTerm: UInt64

    /// Creates the message.
    public init(
        from: NodeID, to: NodeID, term: UInt64, index: UInt64, isRejected: Bool = false,
        rejectHintIndex: UInt64 = 0, rejectHintTerm: UInt64 = 0
    ) {
        self.from = from
        self.to = to
        self.term = term
        self.index = index
        self.isRejected = isRejected
        self.rejectHintIndex = rejectHintIndex
        self.rejectHintTerm = rejectHintTerm
    }
}

/// `Message.vote`: the RequestVote RPC, or its pre-vote form (dissertation §9.6).
public struct Vote: Equatable, Sendable {
    /// Sender (the candidate).
    public var from: NodeID
    /// Receiver.
    public var to: NodeID
    /// The candidate's term; for a pre-vote, the term it would campaign in (its term + 1).
    public var term: UInt64
    /// Index of the candidate's last log entry.
    public var lastLogIndex: UInt64
    /// Term of the candidate's last log entry.
    /// - Invariant: `lastLogTerm <= term`.
    public var lastLogTerm: UInt64
    /// A pre-vote asks "would you vote for me?" without changing anyone's term.
    public var isPreVote: Bool
    /// Set when the election follows a leadership transfer: receivers ignore their leader lease.
    public var isTransfer: Bool

    /// Creates the message.
    public init(
        from: NodeID, to: NodeID, term: UInt64, lastLogIndex: UInt64, lastLogTerm: UInt64,
        isPreVote: Bool = false, isTransfer: Bool = false
    ) {
        self.from = from
        self.to = to
        self.term = term
        self.lastLogIndex = lastLogIndex
        self.lastLogTerm = lastLogTerm
        self.isPreVote = isPreVote
        self.isTransfer = isTransfer
    }
}

/// The answer to RequestVote.
public struct VoteResponse: Equatable, Sendable {
    /// Sender (the voter).
    public var from: NodeID
    /// Receiver (the candidate).
    public var to: NodeID
    /// When granted, the term of the request; when refused, the voter's term.
    public var term: UInt64
    /// Whether the vote (or pre-vote) is granted.
    public var isGranted: Bool
    /// Answers a pre-vote request.
    public var isPreVote: Bool

    /// Creates the message.
    public init(from: NodeID, to: NodeID, term: UInt64, isGranted: Bool, isPreVote: Bool = false) {
        self.from = from
        self.to = to
        self.term = term
        self.isGranted = isGranted
        self.isPreVote = isPreVote
    }
}

/// Leader heartbeat.
public struct Heartbeat: Equatable, Sendable {
    /// Sender (the leader).
    public var from: NodeID
    /// Receiver.
    public var to: NodeID
    /// The leader's term.
    public var term: UInt64
    /// `min(follower's match index, leader's commit)`: never more than the follower is known to hold.
    public var commit: UInt64
    /// The ReadIndex request this heartbeat confirms leadership for, if any.
    public var readContext: UInt64?

    /// Creates the message.
    public init(from: NodeID, to: NodeID, term: UInt64, commit: UInt64, readContext: UInt64? = nil) {
        self.from = from
        self.to = to
        self.term = term
        self.commit = commit
        self.readContext = readContext
    }
}

/// The answer to a heartbeat.
public struct HeartbeatResponse: Equatable, Sendable {
    /// Sender (the follower).
    public var from: NodeID
    /// Receiver (the leader).
    public var to: NodeID
    /// The follower's term.
    public var term: UInt64
    /// The read context of the heartbeat being answered.
    public var readContext: UInt64?

    /// Creates the message.
    public init(from: NodeID, to: NodeID, term: UInt64, readContext: UInt64? = nil) {
        self.from = from
        self.to = to
        self.term = term
        self.readContext = readContext
    }
}

/// Tells a leadership-transfer target to campaign at once.
public struct TimeoutNow: Equatable, Sendable {
    /// Sender (the leader).
    public var from: NodeID
    /// Receiver (the transfer target).
    public var to: NodeID
    /// The leader's term.
    public var term: UInt64

    /// Creates the message.
    public init(from: NodeID, to: NodeID, term: UInt64) {
        self.from = from
        self.to = to
        self.term = term
    }
}

/// Follower → leader: please confirm a linearizable read for me (ReadIndex from a follower,
/// dissertation §6.4). The follower keeps nothing: the leader answers, or the host times out.
public struct ReadIndex: Equatable, Sendable {
    /// Sender (the follower where the read was asked).
    public var from: NodeID
    /// Receiver (the leader the follower knows).
    public var to: NodeID
    /// The follower's term.
    public var term: UInt64
    /// The caller's request id, as given to `readIndex(_:)` on the follower.
    public var context: UInt64

    /// Creates the message.
    public init(from: NodeID, to: NodeID, term: UInt64, context: UInt64) {
        self.from = from
        self.to = to
        self.term = term
        self.context = context
    }
}

/// Leader → follower: the forwarded read `context` is confirmed at `index`; the follower serves
/// it once its state machine has applied through `index`.
public struct ReadIndexResponse: Equatable, Sendable {
    /// Sender (the leader).
    public var from: NodeID
    /// Receiver (the follower that forwarded the read).
    public var to: NodeID
    /// The leader's term.
    public var term: UInt64
    /// The request id the follower sent.
    public var context: UInt64
    /// The leader's commit index when the read arrived.
    public var index: UInt64

    /// Creates the message.
    public init(from: NodeID, to: NodeID, term: UInt64, context: UInt64, index: UInt64) {
        self.from = from
        self.to = to
        self.term = term
        self.context = context
        self.index = index
    }
}
