import RaftCore
import RaftHost
import RaftStorage

/// A node's disk: RaftStorage's `LogStorage` over a `MemoryFileSystem` (a simulated disk that
/// loses unsynced writes at a crash and may tear the last one) or over real files (`--data-dir`).
final class StorageDisk: NodeDisk {
    private let fileSystem: FileSystem
    private let memory: MemoryFileSystem?
    /// The simulated disk as the storage sees it: power cuts in the middle of a write.
    private let powerCut: PowerCutFileSystem?
    /// The files of the last `backup`, by path relative to `directory`.
    private var backupFiles: [String: [UInt8]]?
    private let directory: String
    private var storage: LogStorage?
    /// Which files hold unsynced bytes or names, as of the last question (simulated disks).
    private var unsyncedFiles: UnsyncedFiles
    /// Draws log ids, so that the same seed writes the same bytes.
    private var idGenerator: SeededGenerator
    /// What a crash keeps of unsynced writes (simulated disks only).
    var crashModel: MemoryFileSystem.CrashModel {
        get { memory?.crashModel ?? .lastWriteTorn }
        set { memory?.crashModel = newValue }
    }
    var isSyncOn = true {
        didSet { storage?.syncPolicy = isSyncOn ? .everyBatch : .never }
    }

    /// Opens (creating) the node's storage.
    /// Zeros the storage preallocates on a memory disk (none on a real directory).
    let preallocateBytes: Int

    init(name: String, realDirectory: String?, seed: UInt64, preallocateBytes: Int = 0) throws(SimError) {
        self.preallocateBytes = realDirectory == nil ? preallocateBytes : 0
        idGenerator = SeededGenerator(seed: seed ^ 0xD15C_1D5E_ED00_0000 ^ UInt64(name.hashValueStable))
        if let realDirectory {
            fileSystem = PosixFileSystem()
            memory = nil
            powerCut = nil
            directory = Path.join(realDirectory, name)
        } else {
            let memoryFS = MemoryFileSystem()
            let cut = PowerCutFileSystem(base: memoryFS)
            fileSystem = cut
            memory = memoryFS
            powerCut = cut
            directory = "/" + name
        }
        unsyncedFiles = UnsyncedFiles(directory: directory)
        storage = try open()
    }

    var location: String { memory == nil ? directory : "memory:\(directory)" }

    private func open() throws(SimError) -> LogStorage {
        let options = StorageOptions(
            segmentSizeBytes: memory == nil ? 64 << 20 : 64 << 10, syncPolicy: isSyncOn ? .everyBatch : .never,
            newLogID: LogID(generator: &idGenerator), preallocateBytes: preallocateBytes)
        do {
            return try LogStorage.open(directory: directory, fileSystem: fileSystem, options: options)
        } catch {
            throw SimError("recovery of \(location) failed: \(error)")
        }
    }

    func save(hardState: HardState?, entries: [Entry], mustSync: Bool) throws {
        guard let storage else { throw SimError("the disk is not open") }
        do { try storage.save(hardState: hardState, entries: entries) } catch { throw SimError("\(error)") }
    }

    func saveSnapshot(_ snapshot: RaftCore.Snapshot, hardState: HardState?, received: Bool) throws {
        guard let storage else { throw SimError("the disk is not open") }
        do { try storage.saveSnapshot(snapshot, hardState: hardState, mode: received ? .received : .compaction) } catch { throw SimError("\(error)") }
    }

    /// What the disk holds durably, as a power loss now would leave it (no torn write kept): the
    /// checker's durability-at-send check reads it. When every file's current bytes and name are
    /// synced, that is what the open storage wrote; otherwise the synced bytes are copied to a
    /// scratch disk and recovered there (only runs with sync off pay for that). Nil on real files.
    func durableLog() -> DurableLog? {
        guard let memory, let storage else { return nil }
        let hasUnsynced = powerCut.map { unsyncedFiles.answer(memory, &$0.watch) } ?? UnsyncedFiles.walk(memory, directory)
        assert(hasUnsynced == UnsyncedFiles.walk(memory, directory), "the watched answer is the walked one")
        if !hasUnsynced {
            return DurableLog(
                hardState: storage.hardState, snapshotIndex: storage.snapshotIndex,
                snapshotTerm: storage.snapshotTerm, entries: storage.entries)
        }
        let scratch = MemoryFileSystem()
        Self.copyDurable(memory, directory, to: scratch)
        guard
            let copy = try? LogStorage.open(
                directory: directory, fileSystem: scratch,
                options: StorageOptions(segmentSizeBytes: 64 << 10, syncPolicy: .never))
        else {
            return DurableLog(hardState: HardState(), snapshotIndex: 0, snapshotTerm: 0, entries: [])
        }
        defer { copy.close() }
        return DurableLog(hardState: copy.hardState, snapshotIndex: copy.snapshotIndex, snapshotTerm: copy.snapshotTerm, entries: copy.entries)
    }

    /// Copies the synced bytes of every file under `directory` to `scratch` (durably there).
    private static func copyDurable(_ memory: MemoryFileSystem, _ directory: String, to scratch: MemoryFileSystem) {
        try? scratch.createDirectory(atPath: directory)
        guard let names = try? memory.contentsOfDirectory(atPath: directory) else { return }
        for name in names {
            let path = Path.join(directory, name)
            if memory.isDirectory(atPath: path) {
                copyDurable(memory, path, to: scratch)
            } else if let durable = memory.durableContents(atPath: path) {
                scratch.replaceContents(atPath: path, with: durable)
            }
        }
    }

    func crash(generator: inout SeededGenerator) {
        storage?.close()
        storage = nil
        if let memory {
            var tearing: SeededGenerator? = generator
            memory.crash(tearingWith: &tearing)
            if let tearing { generator = tearing }
            // A power loss leaves only what is on the platter: every name and byte is synced.
            unsyncedFiles.forget()
            powerCut?.watch.forgetNames(allSynced: true)
        }
        // The power comes back for the restart (an armed cut that did not fire is disarmed).
        powerCut?.reset()
        // On real files a process crash keeps what the kernel has; nothing more to do.
    }

    func recover() throws(SimError) -> RecoveredState {
        if storage == nil { storage = try open() }
        let storage = storage!
        var notes: [String] = []
        // Only the kind of problem: files, offsets and checksums are `logdump verify`'s job (and
        // change whenever the storage format's write pattern does).
        var kinds: [String] = []
        for problem in storage.report.problems where !kinds.contains(problem.class.rawValue) {
            kinds.append(problem.class.rawValue)
        }
        if !kinds.isEmpty {
            notes.append(
                "found \(kinds.joined(separator: ", ")) (\(storage.report.problems.count) problem\(storage.report.problems.count == 1 ? "" : "s"))"
                    + (storage.report.tornTailCut ? "; the torn tail was cut" : ""))
        } else if storage.report.tornTailCut {
            notes.append("a torn tail was cut")
        }
        // Without preallocation, zeros after the last record are a lost write (row R11 keeps them as
        // space to append over): say so, or a learner would not see that the crash cost anything.
        if preallocateBytes == 0, storage.report.unusedBytes > 0 {
            let bytes = storage.report.unusedBytes
            notes.append(
                "\(bytes) zero byte\(bytes == 1 ? "" : "s") after the last record: a write whose length reached the disk but whose data did not (never acknowledged); kept as unused space and written over"
            )
        }
        return RecoveredState(hardState: storage.hardState, entries: storage.entries, snapshot: storage.snapshot, notes: notes)
    }

    func replace(hardState: HardState, entries: [Entry]) throws(SimError) {
        storage?.close()
        storage = nil
        do {
            if fileSystem.isDirectory(atPath: directory) {
                for name in try fileSystem.contentsOfDirectory(atPath: directory) {
                    try fileSystem.removeFile(atPath: Path.join(directory, name))
                }
                try fileSystem.syncDirectory(atPath: directory)
            }
        } catch {
            throw SimError("cannot clear \(location): \(error)")
        }
        let fresh = try open()
        do {
            fresh.syncPolicy = .everyBatch
            try fresh.save(hardState: hardState, entries: entries)
            if entries.isEmpty { try fresh.sync() }
        } catch {
            throw SimError("cannot write \(location): \(error)")
        }
        fresh.syncPolicy = isSyncOn ? .everyBatch : .never
        fresh.close()
    }

    func export(to realDirectory: String) throws(SimError) {
        do {
            if let memory {
                try memory.export(directory: directory, to: realDirectory)
                return
            }
            // Real files already: copy them (a snapshot of what the files hold right now).
            guard Path.normalized(realDirectory) != Path.normalized(directory) else {
                throw SimError("\(realDirectory) is the node's own data directory")
            }
            try fileSystem.createDirectory(atPath: realDirectory)
            for name in try fileSystem.contentsOfDirectory(atPath: directory) where !fileSystem.isDirectory(atPath: Path.join(directory, name)) {
                let bytes = try fileSystem.readFile(atPath: Path.join(directory, name))
                let target = try fileSystem.openFile(atPath: Path.join(realDirectory, name), create: true)
                defer { target.close() }
                try target.truncate(to: 0)
                try target.write(bytes, at: 0)
                try target.sync()
            }
            try fileSystem.syncDirectory(atPath: realDirectory)
        } catch let error as SimError {
            throw error
        } catch {
            throw SimError("\(error)")
        }
    }
}

/// Power cuts in the middle of a write, and an operator's backups.
extension StorageDisk {
    func cutPower(afterOperations operations: Int) throws(SimError) {
        guard let powerCut else { throw SimError("a power cut in the middle of a write needs a simulated disk, not real files (\(location))") }
        guard operations >= 0 && operations <= 1000 else { throw SimError("the count of file operations must be between 0 and 1000") }
        powerCut.arm(afterOperations: operations)
    }

    var isPowerCutArmed: Bool { powerCut?.operationsLeft != nil && powerCut?.isPowerLost == false }

    var powerCutNote: String? { powerCut?.cutNote }

    /// The files as a reader sees them now (between steps no write is half done; with sync off
    /// they include what a crash would lose, as a copy of a running node's files would).
    func backup() throws(SimError) {
        let files = memory ?? fileSystem
        var copy: [String: [UInt8]] = [:]
        do {
            for name in try files.contentsOfDirectory(atPath: directory) {
                let path = Path.join(directory, name)
                guard !files.isDirectory(atPath: path) else { continue }
                copy[name] = try files.readFile(atPath: path)
            }
        } catch {
            throw SimError("cannot copy \(location): \(error)")
        }
        backupFiles = copy
    }

    var hasBackup: Bool { backupFiles != nil }

    /// Removes every file of the node and writes the backup's back, durably.
    func restoreBackup() throws(SimError) {
        guard let backupFiles else { throw SimError("no backup of \(location) was taken") }
        storage?.close()
        storage = nil
        powerCut?.watch.forgetNames(allSynced: false)
        do {
            let names = try fileSystem.contentsOfDirectory(atPath: directory)
            if let memory {
                for name in names { memory.removeDurably(atPath: Path.join(directory, name)) }
                for (name, bytes) in backupFiles { memory.replaceContents(atPath: Path.join(directory, name), with: bytes) }
                return
            }
            for name in names where !fileSystem.isDirectory(atPath: Path.join(directory, name)) {
                try fileSystem.removeFile(atPath: Path.join(directory, name))
            }
            for (name, bytes) in backupFiles {
                let file = try fileSystem.openFile(atPath: Path.join(directory, name), create: true)
                defer { file.close() }
                try file.write(bytes, at: 0)
                try file.sync()
            }
            try fileSystem.syncDirectory(atPath: directory)
        } catch {
            throw SimError("cannot restore \(location) from its backup: \(error)")
        }
    }
}

extension String {
    /// A hash that does not change between runs (Swift's `hashValue` is seeded per process).
    var hashValueStable: UInt32 {
        var h: UInt32 = 2_166_136_261
        for byte in utf8 { h = (h ^ UInt32(byte)) &* 16_777_619 }
        return h
    }
}
