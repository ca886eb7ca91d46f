import RaftCore

/// What a host did with one `Ready`, in the order it did it — for callers that narrate (the
/// REPL), check (the simulator's invariant checker) or measure (`raftd`). The host acts; the
/// report only tells.
public struct ReadyReport<Machine: StateMachine> {
    /// Role and leader, when they changed.
    public var softState: SoftState?
    /// A snapshot received from the leader, persisted in place of the log through its index
    /// (step 1a) and restored into the state machine, unless `failure` says the restore failed.
    public var installedSnapshot: Snapshot?
    /// The hard state persisted (step 1b), when it changed.
    public var hardState: HardState?
    /// The entries persisted (step 1b); an entry at or below the last stored index replaced the
    /// stored suffix from there (conflict truncation).
    public var entries: [Entry] = []
    /// Whether the core asked for the writes to be durable before sending.
    public var mustSync = false
    /// The messages handed to the transport (step 2), in order.
    public var messages: [Message] = []
    /// The committed entries applied (step 3), with the state machine's response to each normal
    /// entry (nil for entries without a command); empty when the host does not record them.
    public var applied: [AppliedEntry] = []
    /// The index applied through after this Ready, when entries were applied.
    public var appliedThrough: UInt64?
    /// Reads the core confirmed in this Ready (step 4), all of them (those asked through `read`
    /// are answered by the host once applied through their index).
    public var confirmedReads: [ReadState] = []
    /// Reads answered in this Ready, oldest first.
    public var answeredReads: [AnsweredRead] = []
    /// Reads given up because the leader they were asked under is gone: their clients get no answer.
    public var abandonedReads: [UInt64] = []
    /// Set when a step failed: the host stopped at that point and must be discarded (its node
    /// crashed, as a process whose disk fails does); nothing after that step happened.
    public var failure: HostFailure?

    @inlinable
    init() {}

    /// A committed entry and what applying it answered.
    public struct AppliedEntry {
        /// The entry.
        public var entry: Entry
        /// The state machine's answer, for a normal entry.
        public var response: Machine.Response?

        @usableFromInline
        init(entry: Entry, response: Machine.Response?) {
            self.entry = entry
            self.response = response
        }
    }

    /// A read answered from the state machine.
    public struct AnsweredRead {
        /// The read's id, as given to `read(_:context:)`.
        public var context: UInt64
        /// The question.
        public var query: Machine.Query
        /// The answer.
        public var result: Machine.QueryResult
        /// The index the state machine had applied through when it answered.
        public var appliedIndex: UInt64

        @usableFromInline
        init(context: UInt64, query: Machine.Query, result: Machine.QueryResult, appliedIndex: UInt64) {
            self.context = context
            self.query = query
            self.result = result
            self.appliedIndex = appliedIndex
        }
    }
}

/// Why a host stopped while handling a Ready.
public struct HostFailure: Error, Sendable, CustomStringConvertible {
    /// The step that failed.
    public enum Stage: String, Sendable {
        /// Persisting a received snapshot.
        case saveSnapshot = "write the snapshot"
        /// Restoring the state machine from a received snapshot.
        case restore = "restore the state machine from the snapshot"
        /// Persisting the hard state and entries.
        case save = "write its disk"
        /// Persisting a snapshot taken by compaction.
        case compact = "write its snapshot"
    }
    /// The step that failed.
    public var stage: Stage
    /// The underlying error, in words.
    public var message: String

    @usableFromInline
    init(stage: Stage, message: String) {
        self.stage = stage
        self.message = message
    }
    /// "cannot STAGE (MESSAGE)".
    public var description: String { "cannot \(stage.rawValue) (\(message))" }
}
