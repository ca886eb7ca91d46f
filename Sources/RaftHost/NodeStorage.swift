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
    /// `save(hardState:entries:)`; whether it syncs is the storage's `syncPolicy`: a host that
    /// wants durability runs with `.everyBatch`, which syncs every batch, also when `mustSync` is false.
    public func save(hardState: HardState?, entries: [Entry], mustSync: Bool) throws {
        try save(hardState: hardState, entries: entries)
    }

    /// `saveSnapshot(_:hardState:mode:)` with the mode a host means.
    public func saveSnapshot(_ snapshot: Snapshot, hardState: HardState?, received: Bool) throws {
        try saveSnapshot(snapshot, hardState: hardState, mode: received ? .received : .compaction)
    }
}
