import RaftCore
import RaftStorage

/// Durable storage for one node: where a host persists each `Ready` before it sends anything.
///
/// `LogStorage` (RaftStorage) conforms; the simulator wraps it to crash and reopen it.
public protocol NodeStorage: AnyObject {
    /// Persists a Ready's hard state and entries; durable on return when `mustSync`.
    /// An entry at or below the stored last index supersedes the stored suffix from there.
    func save(hardState: HardState?, entries: [Entry], mustSync: Bool) throws
    /// Stores a snapshot and drops the log it covers; `received`: from the leader, replacing the
    /// whole log through its index, instead of compacting a prefix of this node's own.
    func saveSnapshot(_ snapshot: Snapshot, hardState: HardState?, received: Bool) throws
}

extension LogStorage: NodeStorage {
    /// `save(hardState:entries:)`, leaving out a hard state whose term and vote are unchanged.
    ///
    /// Only term and vote must be durable before a node answers (paper Figure 2: they are the
    /// persistent state; the commit index is volatile and is learned again from the leader). A
    /// hard state that changed only its commit index is therefore not written on its own — that
    /// write and its sync would double the fsyncs of a steady stream of appends — and is written
    /// with the next term or vote change. Whether a batch syncs is the storage's `syncPolicy`
    /// (`.everyBatch` for a durable node).
    public func save(hardState: HardState?, entries: [Entry], mustSync: Bool) throws {
        var durable = hardState
        if let new = hardState, new.term == self.hardState.term, new.vote == self.hardState.vote { durable = nil }
        guard durable != nil || !entries.isEmpty else { return }
        try save(hardState: durable, entries: entries)
    }

    /// `saveSnapshot(_:hardState:mode:)` with the mode a host means.
    public func saveSnapshot(_ snapshot: Snapshot, hardState: HardState?, received: Bool) throws {
        try saveSnapshot(snapshot, hardState: hardState, mode: received ? .received : .compaction)
    }
}
