/// Teaching knobs that each deliberately break one named rule of Raft.
///
/// All are off by default. Lessons turn them on to show why a rule exists, and the mutation tests
/// prove that the invariant checker catches each one. A production node (`raftd`) refuses them.
public struct UnsafeKnobs: OptionSet, Sendable, Hashable {
    /// The raw bits.
    public let rawValue: UInt8
    /// Creates a set from raw bits.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

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
        (UnsafeKnobs.named + UnsafeKnobs.testOnlyRegressions).filter { contains($0.knob) }.map(\.name)
    }
}
