import RaftCore

/// What a node's disk gives back at restart.
struct RecoveredState {
    var hardState: HardState
    var entries: [Entry]
    /// What recovery found, in words (empty when nothing remarkable).
    var notes: [String]
}

/// The seam between the simulator and a node's storage. The cluster persists every Ready through
/// it, crashes it, and rebuilds nodes from what it recovers.
protocol NodeDisk: AnyObject {
    /// Whether each Ready is synced (true) or left in the page cache, to be lost by a crash.
    var isSyncOn: Bool { get set }
    /// Persists one Ready's hard state and entries (conflict truncation included).
    func save(hardState: HardState?, entries: [Entry]) throws(SimError)
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

/// A stand-in disk that keeps a synced and an unsynced copy in memory.
final class VolatileMemoryDisk: NodeDisk {
    var isSyncOn = true
    private var durable = (hardState: HardState.empty, entries: [Entry]())
    private var current = (hardState: HardState.empty, entries: [Entry]())
    let location: String

    init(name: String) { location = "memory:\(name)" }

    func save(hardState: HardState?, entries: [Entry]) throws(SimError) {
        if let hardState { current.hardState = hardState }
        if let first = entries.first {
            let keep = Int(first.index) - 1
            if keep < current.entries.count { current.entries.removeSubrange(keep...) }
            current.entries.append(contentsOf: entries)
        }
        if isSyncOn { durable = current }
    }

    func crash(generator: inout SeededGenerator) { current = durable }

    func recover() throws(SimError) -> RecoveredState {
        RecoveredState(hardState: current.hardState, entries: current.entries, notes: [])
    }

    func replace(hardState: HardState, entries: [Entry]) throws(SimError) {
        current = (hardState, entries)
        durable = current
    }

    func export(to directory: String) throws(SimError) {
        throw SimError("this build keeps disks in memory only; export needs RaftStorage")
    }
}
