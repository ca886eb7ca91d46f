// Small public additions for `logdump` (Sources/LogdumpKit), built only on existing internals.
// Owned by the logdump work; nothing here decodes the format.

extension RepairPlan {
    /// A plan built by a caller (logdump's explicit-cut repair and its hard-state slot rewrite), so it
    /// is carried out by the one `apply` (truncate + fsync, remove, atomic hard-state rewrite,
    /// directory fsync).
    public init(actions: [RepairAction], onlyTornTail: Bool, lostIndexes: ClosedRange<UInt64>?, summary: [String]) {
        self.init(actions: actions, onlyTornTail: onlyTornTail, lostIndexes: lostIndexes, summary: summary, unfixable: [])
    }
}
