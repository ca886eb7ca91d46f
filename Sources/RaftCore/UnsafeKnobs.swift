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
    /// Grant votes without the "candidate's log is at least as up to date" check (§5.4.1).
    public static let voteWithoutLogCheck = UnsafeKnobs(rawValue: 1 << 1)
    /// Accept AppendEntries from a leader of a lower term (§5.1: stale leaders must be rejected).
    public static let ignoreStaleTerm = UnsafeKnobs(rawValue: 1 << 2)

    /// Every knob with the spelling the REPL and scripts use (`set unsafe NAME on`).
    public static let named: [(name: String, knob: UnsafeKnobs)] = [
        ("commit-old-terms", .commitOldTerms),
        ("vote-without-log-check", .voteWithoutLogCheck),
        ("ignore-stale-term", .ignoreStaleTerm),
    ]

    /// Looks a knob up by its spelled name.
    public init?(name: String) {
        guard let found = UnsafeKnobs.named.first(where: { $0.name == name }) else { return nil }
        self = found.knob
    }

    /// The spelled names of the knobs in this set, in declaration order.
    public var names: [String] { UnsafeKnobs.named.filter { contains($0.knob) }.map(\.name) }
}
