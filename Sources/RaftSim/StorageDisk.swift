import RaftCore
import RaftStorage

/// Placeholder until RaftStorage lands: the volatile in-memory disk.
final class StorageDisk: NodeDisk {
    private let inner: VolatileMemoryDisk
    init(name: String, realDirectory: String?) throws(SimError) {
        if realDirectory != nil { throw SimError("--data-dir needs RaftStorage, which this build lacks") }
        inner = VolatileMemoryDisk(name: name)
    }
    var isSyncOn: Bool { get { inner.isSyncOn } set { inner.isSyncOn = newValue } }
    var location: String { inner.location }
    func save(hardState: HardState?, entries: [Entry]) throws(SimError) { try inner.save(hardState: hardState, entries: entries) }
    func crash(generator: inout SeededGenerator) { inner.crash(generator: &generator) }
    func recover() throws(SimError) -> RecoveredState { try inner.recover() }
    func replace(hardState: HardState, entries: [Entry]) throws(SimError) { try inner.replace(hardState: hardState, entries: entries) }
    func export(to directory: String) throws(SimError) { try inner.export(to: directory) }
}
