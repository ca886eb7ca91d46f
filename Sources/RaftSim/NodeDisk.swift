import RaftCore
import RaftHost

/// What a node's disk gives back at restart.
struct RecoveredState {
    var hardState: HardState
    var entries: [Entry]
    /// The newest snapshot; `entries` follow it.
    var snapshot: RaftCore.Snapshot? = nil
    /// What recovery found, in words (empty when nothing remarkable).
    var notes: [String]
}

/// The seam between the simulator and a node's storage. A node's host persists every Ready
/// through it (`NodeStorage`); the cluster crashes it and rebuilds nodes from what it recovers.
protocol NodeDisk: NodeStorage {
    /// Whether each Ready is synced (true) or left in the page cache, to be lost by a crash.
    var isSyncOn: Bool { get set }
    /// Loses every unsynced write (and may tear the last one).
    func crash(generator: inout SeededGenerator)
    /// Reads the disk back as a restarting node does.
    func recover() throws(SimError) -> RecoveredState
    /// Replaces the disk's contents (used by `setlog` on a crashed node).
    func replace(hardState: HardState, entries: [Entry]) throws(SimError)
    /// Writes the node's files into a real directory.
    func export(to directory: String) throws(SimError)
    /// Where the node's files live, for messages.
    var location: String { get }
}
