import RaftCore
import RaftHost
import RaftStorage

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
    /// What a crash keeps of unsynced writes (simulated disks; real files ignore it).
    var crashModel: MemoryFileSystem.CrashModel { get set }
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
    /// What the disk holds durably (a crash now keeps it), or nil when that cannot be known.
    func durableLog() -> DurableLog?
    /// Cuts the power after `operations` more mutating file operations: the rest of the write
    /// fails, the node crashes (simulated disks only; `crash` disarms it).
    func cutPower(afterOperations operations: Int) throws(SimError)
    /// Whether a power cut is armed and has not fired yet.
    var isPowerCutArmed: Bool { get }
    /// When the power cut has fired: what it stopped, in words (the crash narration says it).
    var powerCutNote: String? { get }
    /// Copies the disk's files aside, as an operator's backup (the latest copy is kept).
    func backup() throws(SimError)
    /// Whether `backup` was taken.
    var hasBackup: Bool { get }
    /// Replaces the disk's files with the backup's (the node must be down).
    func restoreBackup() throws(SimError)
}

/// What a node's disk holds durably (`NodeDisk.durableLog`).
struct DurableLog {
    var hardState: HardState
    var snapshotIndex: UInt64
    var snapshotTerm: UInt64
    /// The entries after the snapshot.
    var entries: [Entry]

    var lastIndex: UInt64 { snapshotIndex + UInt64(entries.count) }
    /// The term of the entry at `index` (the snapshot's term at its last index), or nil.
    func term(at index: UInt64) -> UInt64? {
        if index == snapshotIndex { return snapshotTerm }
        guard index > snapshotIndex, index <= lastIndex else { return nil }
        return entries[Int(index - snapshotIndex - 1)].term
    }
}
