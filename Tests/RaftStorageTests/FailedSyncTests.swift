#if canImport(Glibc)
    import Glibc
#endif
import RaftCore
import Testing
@testable import RaftStorage

/// A `FileSystem` over a `MemoryFileSystem` that injects failures: a failed `fdatasync` (the bytes
/// stay in the page cache, readable, but are not made durable), a full disk (a write stores what
/// fits, then fails with ENOSPC), and failing undo steps.
final class FaultyFileSystem: FileSystem {
    let base: MemoryFileSystem
    /// Fail this many of the next file syncs whose path satisfies `syncFailsFor`.
    var failingSyncs = 0
    var syncFailsFor: (String) -> Bool = { _ in true }
    /// Fail this many of the next directory syncs.
    var failingDirectorySyncs = 0
    /// Fail every truncation (an undo that cannot cut).
    var truncateFails = false
    /// Bytes the disk still has room for (nil: unlimited); a write past it stores what fits and fails.
    var freeBytes: Int?
    /// After the first injected failure every mutating call fails too (the process is gone).
    var stopAfterFailure = false
    private(set) var failed = false

    init(base: MemoryFileSystem) { self.base = base }

    func check() throws(StorageError) {
        if stopAfterFailure && failed { throw StorageError(.io, "the process stopped (injected)") }
    }
    func injected(_ what: String, _ code: Int32) -> StorageError {
        failed = true
        return StorageError(.io, "\(what): \(String(cString: strerror(code))) (injected)", errno: code)
    }

    func createDirectory(atPath path: String) throws(StorageError) { try check(); try base.createDirectory(atPath: path) }
    func contentsOfDirectory(atPath path: String) throws(StorageError) -> [String] { try base.contentsOfDirectory(atPath: path) }
    func fileExists(atPath path: String) -> Bool { base.fileExists(atPath: path) }
    func isDirectory(atPath path: String) -> Bool { base.isDirectory(atPath: path) }
    func openFile(atPath path: String, create: Bool) throws(StorageError) -> StorageFile {
        FaultyFile(fs: self, file: try base.openFile(atPath: path, create: create), path: path)
    }
    func syncDirectory(atPath path: String) throws(StorageError) {
        try check()
        if failingDirectorySyncs > 0 {
            failingDirectorySyncs -= 1
            throw injected("fsync \(path)", EIO)  // the names stay in the page cache, not durable
        }
        try base.syncDirectory(atPath: path)
    }
    func rename(from: String, to: String) throws(StorageError) { try check(); try base.rename(from: from, to: to) }
    func removeFile(atPath path: String) throws(StorageError) { try check(); try base.removeFile(atPath: path) }
    func fileSize(atPath path: String) throws(StorageError) -> Int64 { try base.fileSize(atPath: path) }
}

final class FaultyFile: StorageFile {
    let fs: FaultyFileSystem
    let file: StorageFile
    let path: String
    init(fs: FaultyFileSystem, file: StorageFile, path: String) {
        self.fs = fs
        self.file = file
        self.path = path
    }
    func size() throws(StorageError) -> Int64 { try file.size() }
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(StorageError) -> Int { try file.read(into: buffer, at: offset) }
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(StorageError) {
        try fs.check()
        let growth = max(0, Int(offset) + bytes.count - Int(try file.size()))
        if let free = fs.freeBytes, growth > free {
            let fits = bytes.count - (growth - free)
            if fits > 0 { try file.write(UnsafeRawBufferPointer(rebasing: bytes[0..<fits]), at: offset) }
            fs.freeBytes = 0
            throw fs.injected("write \(path)", ENOSPC)
        }
        if let free = fs.freeBytes { fs.freeBytes = free - growth }
        try file.write(bytes, at: offset)
    }
    func truncate(to size: Int64) throws(StorageError) {
        try fs.check()
        if fs.truncateFails { throw fs.injected("ftruncate \(path)", EIO) }
        try file.truncate(to: size)
    }
    func sync() throws(StorageError) {
        try fs.check()
        if fs.failingSyncs > 0 && fs.syncFailsFor(path) {
            fs.failingSyncs -= 1
            throw fs.injected("fdatasync \(path)", EIO)  // the bytes stay in the page cache, not durable
        }
        try file.sync()
    }
    func close() { file.close() }
}

/// Issue 17 §2: after a failed fsync, a reopen must not trust what the page cache still shows.
@Suite struct FailedSyncTests {
    func history(_ fs: FileSystem, segmentSize: Int = 64 << 20) throws -> LogStorage {
        let log = try openLog(fs, segmentSize: segmentSize)
        try log.save(hardState: HardState(term: 1, vote: 1, commit: 0), entries: makeEntries(1...4, term: 1))
        try log.save(hardState: HardState(term: 1, vote: 1, commit: 4), entries: makeEntries(5...7, term: 1))
        return log
    }

    @Test func aBatchWhoseSyncFailedIsCutBackBeforeAnyReopen() throws {
        let memory = MemoryFileSystem()
        let fs = FaultyFileSystem(base: memory)
        let log = try history(fs)
        let before = (log.entries, log.hardState)
        fs.failingSyncs = 1
        fs.syncFailsFor = { $0.hasSuffix(".seg") }
        #expect(throws: StorageError.self) { try log.save(hardState: nil, entries: makeEntries(8...9, term: 1)) }
        #expect(throws: StorageError.self) { try log.save(hardState: nil, entries: makeEntries(8...8, term: 1)) }  // unusable now
        log.close()
        // The same boot: the page cache is what a reopen reads.
        let reopened = try openLog(memory)
        #expect(reopened.entries == before.0, "a reopen trusted a batch whose sync failed")
        #expect(reopened.report.problems.isEmpty)
        reopened.close()
        // And after a power loss too.
        memory.crash()
        let again = try openLog(memory)
        #expect(again.entries == before.0 && again.hardState == before.1)
        again.close()
    }

    @Test func aHardStateWhoseSyncFailedIsNotCurrentAfterAReopen() throws {
        let memory = MemoryFileSystem()
        let fs = FaultyFileSystem(base: memory)
        let log = try history(fs)
        let before = log.hardState
        fs.failingSyncs = 1
        fs.syncFailsFor = { $0.hasSuffix(StorageFormat.hardStateFileName) }
        #expect(throws: StorageError.self) {
            try log.save(hardState: HardState(term: 2, vote: 2, commit: 4), entries: makeEntries(8...8, term: 2))
        }
        log.close()
        let reopened = try openLog(memory)
        #expect(reopened.hardState == before, "a reopen trusted a vote whose sync failed")
        #expect(reopened.lastIndex == 7)
        #expect(reopened.report.problems.allSatisfy { $0.class == .tornTail })
        try reopened.save(hardState: HardState(term: 2, vote: 3, commit: 4), entries: makeEntries(8...8, term: 2))
        reopened.close()
        let again = try openLog(memory)
        #expect(again.report.problems.isEmpty && again.hardState.vote == 3)
        again.close()
    }

    @Test func aFailedRotationRemovesTheNewSegment() throws {
        let memory = MemoryFileSystem()
        let fs = FaultyFileSystem(base: memory)
        let log = try history(fs, segmentSize: 200)
        let before = log.entries
        let segments = log.segmentSequences
        let next = segmentPath(log.currentSegmentSequence + 1)
        fs.failingSyncs = 1
        fs.syncFailsFor = { $0 == next }
        #expect(throws: StorageError.self) { try log.save(hardState: nil, entries: makeEntries(8...8, term: 1)) }
        log.close()
        #expect(!memory.fileExists(atPath: next))
        let reopened = try openLog(memory, segmentSize: 200)
        #expect(reopened.entries == before && reopened.segmentSequences == segments)
        reopened.close()
    }

    /// The undo fails too: a marker file, every open refuses, `logdump repair` does the undo.
    @Test func anUndoThatFailsLeavesAMarkerUntilRepair() throws {
        let memory = MemoryFileSystem()
        let fs = FaultyFileSystem(base: memory)
        let log = try history(fs)
        let before = log.entries
        let acknowledgedLength = memory.contents(atPath: segmentPath(1))!.count
        fs.failingSyncs = 1
        fs.syncFailsFor = { $0.hasSuffix(".seg") }
        fs.truncateFails = true
        do {
            try log.save(hardState: nil, entries: makeEntries(8...9, term: 1))
            Issue.record("the save succeeded")
        } catch {
            #expect(error.kind == .unusable && error.message.contains("logdump repair"), "\(error)")
        }
        log.close()
        let markerPath = Path.join(dir, FailureMarker.fileName)
        let marker = try #require(FailureMarker.decode(try memory.readFile(atPath: markerPath)))
        #expect(marker.undo == .truncate(file: StorageFormat.segmentFileName(sequence: 1), length: Int64(acknowledgedLength)))
        #expect(openError(memory)?.kind == .unusable)
        memory.crash()  // the marker was written atomically: it survives
        #expect(openError(memory)?.kind == .unusable)

        let scan = try LogScanner(directory: dir, fileSystem: memory).verify()
        #expect(scan.problems.first?.file == FailureMarker.fileName)
        let plan = try #require(scan.repairPlan())
        #expect(plan.onlyTornTail && plan.actions.last == .remove(path: markerPath))
        try plan.apply(fileSystem: memory)
        let reopened = try openLog(memory)
        #expect(reopened.entries == before)
        #expect(reopened.report.problems.isEmpty)
        reopened.close()
    }

    @Test func markersRoundTripAndNothingElseDecodes() {
        for undo in [
            FailureMarker.Undo.truncate(file: "log-0000000000000003.seg", length: 4096), .remove(file: "log-0000000000000004.seg"),
            .dropHardStateSlot(slot: 1), .rollBack(file: "log-0000000000000002.seg", length: 640, hardState: nil),
            .rollBack(
                file: "log-0000000000000002.seg", length: 640,
                hardState: .init(state: HardState(term: 3, vote: 2, commit: 9), sequence: 7, batchSequence: 5, segmentSequence: 2)),
        ] {
            let marker = FailureMarker(undo: undo, failure: "fdatasync: EIO\nsecond line", undoFailure: "ftruncate: EIO")
            let decoded = FailureMarker.decode(marker.encode())
            #expect(decoded?.undo == undo && decoded?.failure == "fdatasync: EIO second line")
        }
        #expect(FailureMarker.decode(Array("hello\nundo: truncate\nfile: ../x\nlength: 100\n".utf8)) == nil)
        #expect(FailureMarker.decode(Array("x\nundo: truncate\nfile: a.seg\nlength: 12\n".utf8)) == nil)
        #expect(FailureMarker.decode(Array("x\nundo: drop-hard-state-slot\nslot: 2\n".utf8)) == nil)
    }
}

/// Issue 17 §3: a full disk.
@Suite struct DiskFullTests {
    /// A write that fails with ENOSPC marks the storage failed, and the part of the record that fit
    /// is cut back at once (so no reopen trusts it); acknowledged entries stay.
    @Test func aFullDiskRefusesWritesWithoutLosingAcknowledgedOnes() throws {
        let memory = MemoryFileSystem()
        let fs = FaultyFileSystem(base: memory)
        let log = try openLog(fs)
        try log.save(hardState: HardState(term: 1, vote: 1, commit: 0), entries: makeEntries(1...4, term: 1))
        let before = log.entries
        let length = memory.contents(atPath: segmentPath(1))!.count
        fs.freeBytes = 50
        do {
            try log.save(hardState: nil, entries: makeEntries(5...6, term: 1))
            Issue.record("the save succeeded on a full disk")
        } catch {
            #expect(error.errno == ENOSPC && error.message.contains("cut back"), "\(error)")
        }
        #expect(throws: StorageError.self) { try log.save(hardState: nil, entries: makeEntries(5...5, term: 1)) }
        #expect(memory.contents(atPath: segmentPath(1))!.count == length)
        log.close()
        memory.crash()
        let reopened = try openLog(memory)
        #expect(reopened.entries == before && reopened.report.problems.isEmpty)
        reopened.close()
    }

    /// The process stops right after the short write (no undo runs): the partial record is a torn
    /// tail, cut on the next open.
    @Test func aShortWriteLeftBehindIsATornTail() throws {
        let memory = MemoryFileSystem()
        let fs = FaultyFileSystem(base: memory)
        let log = try openLog(fs)
        try log.save(hardState: HardState(term: 1, vote: 1, commit: 0), entries: makeEntries(1...4, term: 1))
        let before = log.entries
        let length = memory.contents(atPath: segmentPath(1))!.count
        fs.freeBytes = 50
        fs.stopAfterFailure = true
        #expect(throws: StorageError.self) { try log.save(hardState: nil, entries: makeEntries(5...6, term: 1)) }
        log.close()
        #expect(memory.contents(atPath: segmentPath(1))!.count == length + 50)
        let reopened = try openLog(memory)
        #expect(reopened.report.tornTailCut && reopened.entries == before)
        #expect(reopened.report.problems.allSatisfy { $0.class == .tornTail })
        reopened.close()
    }
}

/// Issue 17 §3: a new directory is durable only through its parent's sync, and that sync's result counts.
@Suite struct DirectoryCreationTests {
    @Test func posixCreateDirectoryFailsWhenTheParentSyncFails() throws {
        let root = "/tmp/raftstep-mkdir-\(getpid())-\(UInt64.random(in: 0..<UInt64.max))"
        let posix = PosixFileSystem()
        try posix.createDirectory(atPath: root)
        defer { _ = rmdir(root + "/a"); _ = rmdir(root) }
        posix.injectedDirectorySyncError = { $0 == root ? EIO : nil }
        #expect(throws: StorageError.self) { try posix.createDirectory(atPath: root + "/a") }
        posix.injectedDirectorySyncError = nil
        try posix.createDirectory(atPath: root + "/a")  // exists now: nothing to sync
        // A file where a directory is asked for is an error, not a success.
        let file = try posix.openFile(atPath: root + "/f", create: true)
        file.close()
        defer { _ = unlink(root + "/f") }
        #expect(throws: StorageError.self) { try posix.createDirectory(atPath: root + "/f") }
    }

    @Test func aSimulatedDirectoryIsDurableThroughItsParentsSync() throws {
        let fs = MemoryFileSystem()
        let syncs = fs.directorySyncCount
        try fs.createDirectory(atPath: "/data/n1")
        #expect(fs.directorySyncCount == syncs + 2)  // "/" for /data, /data for /data/n1
        fs.crash()
        #expect(fs.isDirectory(atPath: "/data/n1"))
    }
}
