import RaftCore
import RaftStorage

/// A simulated disk whose power can be cut in the middle of a write: `crash NODE after K` arms it,
/// the next K mutating file operations (writes, syncs, truncations, creations, renames, removals,
/// directory syncs) succeed, and every operation after them fails as if the machine had stopped.
///
/// The storage sees an I/O error, the host stops the Ready before sending anything (persist comes
/// first), and the cluster crashes the node; the crash model of the `MemoryFileSystem` below then
/// decides what of the unsynced operations survived. So a crash lands between any two steps of a
/// save, a snapshot install or a compaction, not only between Readys (issue 18 §3).
final class PowerCutFileSystem: FileSystem {
    /// The disk below.
    let base: MemoryFileSystem
    /// Mutating operations left before the power goes (nil: not armed).
    private(set) var operationsLeft: Int?
    /// The operations allowed when the cut was armed (for messages).
    private var armedOperations = 0
    /// Whether the power went: every operation fails until the node crashes (`reset`).
    private(set) var isPowerLost = false
    /// What the cut stopped, in words, once it fired.
    private(set) var cutNote: String?
    /// Which files' synced-or-not state may have changed (`StorageDisk.durableLog` reads it).
    var watch = SyncWatch()

    init(base: MemoryFileSystem) {
        self.base = base
    }

    /// Arms the cut: `operations` more mutating operations succeed, the next one fails.
    func arm(afterOperations operations: Int) {
        precondition(operations >= 0, "a count of operations")
        operationsLeft = operations
        armedOperations = operations
        isPowerLost = false
    }

    /// Disarms the cut and restores the power (the node crashed; what survived is on the disk).
    func reset() {
        operationsLeft = nil
        isPowerLost = false
        cutNote = nil
    }

    /// Spends one mutating operation, or fails when the power is (now) gone.
    func spend(_ what: @autoclosure () -> String) throws(StorageError) {
        guard let left = operationsLeft else { return }
        if isPowerLost || left == 0 {
            if !isPowerLost {
                cutNote =
                    "loses power in the middle of writing, after \(armedOperations) file operation\(armedOperations == 1 ? "" : "s") (\(what()) never happens)"
            }
            isPowerLost = true
            throw StorageError(
                .io, "the power was cut after \(armedOperations) file operation\(armedOperations == 1 ? "" : "s") (\(what()) did not happen)")
        }
        operationsLeft = left - 1
    }

    /// Fails a read once the power is gone (nothing runs after a power cut).
    func checkPower() throws(StorageError) {
        if isPowerLost { throw StorageError(.io, "the power is cut") }
    }

    func createDirectory(atPath path: String) throws(StorageError) {
        if !base.isDirectory(atPath: path) {
            try spend("creating \(path)")
            // The memory disk syncs the parents of a new directory itself: walk the names anew.
            watch.needsFullCheck = true
        }
        try base.createDirectory(atPath: path)
    }
    func contentsOfDirectory(atPath path: String) throws(StorageError) -> [String] {
        try checkPower()
        return try base.contentsOfDirectory(atPath: path)
    }
    func fileExists(atPath path: String) -> Bool { base.fileExists(atPath: path) }
    func isDirectory(atPath path: String) -> Bool { base.isDirectory(atPath: path) }
    func openFile(atPath path: String, create: Bool) throws(StorageError) -> StorageFile {
        if create && !base.fileExists(atPath: path) {
            try spend("creating \(path)")
            watch.noteNameChange(Path.normalized(path))
        } else {
            try checkPower()
        }
        return PowerCutFile(
            fileSystem: self, file: try base.openFile(atPath: path, create: create), path: Path.normalized(path), openedAtRename: watch.renameCount)
    }
    func openFileForReading(atPath path: String) throws(StorageError) -> StorageFile {
        try checkPower()
        return PowerCutFile(
            fileSystem: self, file: try base.openFileForReading(atPath: path), path: Path.normalized(path), openedAtRename: watch.renameCount)
    }
    func syncDirectory(atPath path: String) throws(StorageError) {
        try spend("syncing the directory \(path)")
        try base.syncDirectory(atPath: path)
        watch.noteDirectorySynced(Path.normalized(path))
    }
    func lockDirectory(atPath path: String) throws(StorageError) -> DirectoryLock? {
        try base.lockDirectory(atPath: path)
    }
    func rename(from: String, to: String) throws(StorageError) {
        try spend("renaming \(from)")
        watch.noteRename(from: Path.normalized(from), to: Path.normalized(to))
        try base.rename(from: from, to: to)
    }
    func removeFile(atPath path: String) throws(StorageError) {
        try spend("removing \(path)")
        watch.noteNameChange(Path.normalized(path))
        try base.removeFile(atPath: path)
    }
    func fileSize(atPath path: String) throws(StorageError) -> Int64 {
        try checkPower()
        return try base.fileSize(atPath: path)
    }
}

/// A file of a `PowerCutFileSystem`: its mutating operations spend the armed budget.
final class PowerCutFile: StorageFile {
    private let fileSystem: PowerCutFileSystem
    private let file: StorageFile
    private let path: String
    /// What the watch knows of this handle.
    private var mark: SyncWatch.HandleMark

    init(fileSystem: PowerCutFileSystem, file: StorageFile, path: String, openedAtRename: Int) {
        self.fileSystem = fileSystem
        self.file = file
        self.path = path
        mark = SyncWatch.HandleMark(openedAtRename: openedAtRename)
    }

    /// Tells the watch that this file's bytes (current or synced) change.
    private func noteChange() {
        fileSystem.watch.noteFileChange(path, &mark)
    }

    func size() throws(StorageError) -> Int64 {
        try fileSystem.checkPower()
        return try file.size()
    }
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(StorageError) -> Int {
        try fileSystem.checkPower()
        return try file.read(into: buffer, at: offset)
    }
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(StorageError) {
        try fileSystem.spend("writing \(bytes.count) bytes to \(path)")
        noteChange()
        try file.write(bytes, at: offset)
    }
    func truncate(to size: Int64) throws(StorageError) {
        try fileSystem.spend("cutting \(path)")
        noteChange()
        try file.truncate(to: size)
    }
    func sync() throws(StorageError) {
        try fileSystem.spend("syncing \(path)")
        noteChange()
        try file.sync()
    }
    func close() { file.close() }
    func mapForReading() -> UnsafeRawBufferPointer? { file.mapForReading() }
}
