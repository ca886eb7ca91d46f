import RaftCore

/// What a crashed node's disk holds, for the pictures: the log grid shows it (dimmed) in place of
/// the node, because what a down node will come back with matters (lesson 6: the term-3 entry on
/// n5's disk is the danger).
public struct DiskLog: Sendable {
    /// The hard state on the disk.
    public var hardState: HardState
    /// The entries on the disk, after the snapshot.
    public var entries: [Entry]
    /// The index the disk's snapshot covers (0: none).
    public var snapshotIndex: UInt64

    /// The last index on the disk.
    public var lastIndex: UInt64 { entries.last?.index ?? snapshotIndex }
    /// The term of the entry at `index` on the disk, or nil.
    public func term(at index: UInt64) -> UInt64? {
        guard index > snapshotIndex, index <= lastIndex else { return nil }
        return entries[Int(index - snapshotIndex - 1)].term
    }
}

extension Cluster {
    /// What the crashed node's disk holds, read as its restart will read it (the storage opens
    /// once; a later restart reuses what this read), or nil when the node runs or the disk cannot
    /// be read.
    public func diskLog(_ id: NodeID) -> DiskLog? {
        guard !isUp(id), let recovered = try? disks[Int(id) - 1].recover() else { return nil }
        return DiskLog(
            hardState: recovered.hardState, entries: recovered.entries,
            snapshotIndex: recovered.snapshot?.metadata.index ?? 0)
    }
}
