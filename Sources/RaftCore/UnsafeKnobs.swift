/// Teaching knobs that each deliberately break one named rule of Raft.
///
/// All are off by default. Lessons turn them on to show why a rule exists, and the mutation tests
/// prove that the invariant checker catches each one. A production node (`raftd`) refuses them.
public struct UnsafeKnobs: OptionSet, Sendable, Hashable {
    /// The raw bits.
    public let rawValue: UInt16
    /// Creates a set from raw bits.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Commit entries of earlier terms by counting replicas (breaks the rule of Figure 8).
    public static let commitOldTerms = UnsafeKnobs(rawValue: 1 << 0)
    /// Grant votes without the "candidate's log is at least as up to date" check (paper §5.4.1).
    public static let voteWithoutLogCheck = UnsafeKnobs(rawValue: 1 << 1)
    /// Accept AppendEntries from a leader of a lower term (paper §5.1: stale leaders must be rejected).
    public static let ignoreStaleTerm = UnsafeKnobs(rawValue: 1 << 2)

    /// Every knob with the spelling the REPL and scripts use (`set unsafe NAME on`).
    public static let named: [(name: String, knob: UnsafeKnobs)] = [
        ("commit-old-terms", .commitOldTerms),
        ("vote-without-log-check", .voteWithoutLogCheck),
        ("ignore-stale-term", .ignoreStaleTerm),
    ]

    // MARK: Test-only regressions (issue 15)
    //
    // UNSAFE, FOR MUTATION TESTS ONLY: each brings back one bug that issue 15 fixed, so a test can
    // prove that the checker or the explorer catches it. They teach nothing and are not offered by
    // the REPL, the lessons or the explorer's `--unsafe` (they are not in `named`).

    /// TEST ONLY (issue 15 §1, safety): name the config entry in effect by its index alone, so a follower
    /// that replaces a config entry at the same index keeps the dropped entry's configuration.
    public static let configEntryByIndexOnly = UnsafeKnobs(rawValue: 1 << 3)
    /// TEST ONLY (issue 15 §2, liveness): only the first heartbeat round of a read carries its context,
    /// so a read whose round is lost waits forever.
    public static let readContextFirstRoundOnly = UnsafeKnobs(rawValue: 1 << 4)
    /// TEST ONLY (issue 15 §3, liveness): a member just added counts as inactive for check-quorum.
    public static let addedMemberInactive = UnsafeKnobs(rawValue: 1 << 5)
    /// TEST ONLY (issue 15 §4, liveness): a new leader without the no-op never leaves an inherited joint
    /// configuration by itself.
    public static let noAutoLeaveJoint = UnsafeKnobs(rawValue: 1 << 6)

    // MARK: Test-only mutations (issue 18 §4)
    //
    // UNSAFE, FOR THE MUTATION SCORE ONLY: each is a plausible one-line bug in the core, so that
    // `raftstep explore --mutants` can show that the checker or the liveness phase catches it.
    // Not offered by the REPL, the lessons or `--unsafe`.

    /// TEST ONLY: hand the state machine one entry beyond the commit index.
    public static let applyBeyondCommit = UnsafeKnobs(rawValue: 1 << 7)
    /// TEST ONLY: the leader counts learners' acknowledgements toward the voters' majority.
    public static let countLearnerAcks = UnsafeKnobs(rawValue: 1 << 8)
    /// TEST ONLY: a follower does not reset its election timer on a valid append or heartbeat.
    public static let noTimerResetOnAppend = UnsafeKnobs(rawValue: 1 << 9)
    /// TEST ONLY: a candidate persists its term without its self-vote in the Ready that asks for
    /// votes (the vote reaches the disk one Ready later).
    public static let selfVoteNotPersisted = UnsafeKnobs(rawValue: 1 << 10)
    /// TEST ONLY: a proposal is appended with empty data.
    public static let dropProposalData = UnsafeKnobs(rawValue: 1 << 11)
    /// TEST ONLY: a proposal is appended with its last byte cut off.
    public static let rewriteProposalData = UnsafeKnobs(rawValue: 1 << 12)

    /// The test-only mutations with names (`raftstep explore --mutants`), the teaching knob that
    /// is also a one-line core bug first.
    public static let testOnlyMutations: [(name: String, knob: UnsafeKnobs)] = [
        ("commit-old-terms", .commitOldTerms),
        ("apply-beyond-commit", .applyBeyondCommit),
        ("count-learner-acks", .countLearnerAcks),
        ("no-timer-reset-on-append", .noTimerResetOnAppend),
        ("self-vote-not-persisted", .selfVoteNotPersisted),
        ("drop-proposal-data", .dropProposalData),
        ("rewrite-proposal-data", .rewriteProposalData),
    ]

    /// The test-only regressions with names for test output (never accepted by `init(name:)`).
    public static let testOnlyRegressions: [(name: String, knob: UnsafeKnobs)] = [
        ("config-entry-by-index-only", .configEntryByIndexOnly),
        ("read-context-first-round-only", .readContextFirstRoundOnly),
        ("added-member-inactive", .addedMemberInactive),
        ("no-auto-leave-joint", .noAutoLeaveJoint),
    ]

    /// Looks a knob up by its spelled name.
    public init?(name: String) {
        guard let found = UnsafeKnobs.named.first(where: { $0.name == name }) else { return nil }
        self = found.knob
    }

    /// The spelled names of the knobs in this set, in declaration order (test-only regressions last).
    public var names: [String] {
        (UnsafeKnobs.named + UnsafeKnobs.testOnlyRegressions + UnsafeKnobs.testOnlyMutations.dropFirst())
            .filter { contains($0.knob) }.map(\.name)
    }
}
