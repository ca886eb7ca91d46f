import Glibc
import RaftCore
import Testing
@testable import RaftStorage

/// Segments read through a mapping (`SegmentReading.map`, `.mapWhenLocked`) must scan exactly as
/// when copied through a window (`.copy`): same problems, rows, messages and records, damaged or
/// not; a file the scanner cannot map, or whose mapping is not the file's size, is read instead;
/// and `.mapWhenLocked` maps only while it holds the directory's lock.
@Suite struct MappedScanTests {
    /// A fresh real directory with the memory file system's files of `dir` in it.
    static func export(_ memory: MemoryFileSystem) throws -> String {
        let real = "/tmp/raftstorage-mapped-\(UInt64.random(in: 0...UInt64.max))"
        try memory.export(directory: dir, to: real)
        return real
    }

    static func remove(_ directory: String) {
        let fs = PosixFileSystem()
        for name in (try? fs.contentsOfDirectory(atPath: directory)) ?? [] { try? fs.removeFile(atPath: Path.join(directory, name)) }
        _ = rmdir(directory)
    }

    /// `FastPathTests.Outcome` of a directory read the given way.
    static func outcome(_ fs: FileSystem, _ directory: String, _ reading: SegmentReading, chunkSize: Int = 1 << 20) throws
        -> FastPathTests.Outcome
    {
        try FastPathTests.outcome(fs, directory: directory) { scanner in
            scanner.segmentReading = reading
            scanner.chunkSize = chunkSize
        }
    }

    /// Writes `bytes` as the whole of `path` (created or cut to them).
    static func write(_ bytes: [UInt8], to path: String) throws {
        let file = try PosixFileSystem().openFile(atPath: path, create: true)
        defer { file.close() }
        try file.truncate(to: 0)
        try file.write(bytes, at: 0)
    }

    @Test func damagedAndCutSegmentsScanTheSameMappedAndCopied() throws {
        let (memory, bytes) = try FastPathTests.damagedLogFixture()
        let real = try Self.export(memory)
        defer { Self.remove(real) }
        let fs = PosixFileSystem()
        let segment = segmentPath(1, in: real)
        let clean = try Self.outcome(fs, real, .map)
        #expect(clean.verified.problems.isEmpty && !clean.records.isEmpty)
        #expect(clean == (try Self.outcome(fs, real, .copy)))
        #expect(clean == (try Self.outcome(fs, real, .mapWhenLocked)))
        var compared = 0
        for at in stride(from: 0, to: bytes.count, by: 3) {
            for damage: (UInt8) -> UInt8 in [{ $0 ^ 0x01 }, { _ in 0 }] {
                var damaged = bytes
                damaged[at] = damage(damaged[at])
                guard damaged != bytes else { continue }
                try Self.write(damaged, to: segment)
                let mapped = try Self.outcome(fs, real, .map)
                #expect(mapped == (try Self.outcome(fs, real, .copy)), "byte \(at)")
                compared += 1
            }
        }
        for end in stride(from: bytes.count, through: 0, by: -5) {
            try Self.write(Array(bytes[0..<end]), to: segment)
            #expect(try Self.outcome(fs, real, .map) == Self.outcome(fs, real, .copy), "cut at \(end)")
            #expect(try Self.outcome(fs, real, .map, chunkSize: 4096) == Self.outcome(fs, real, .copy, chunkSize: 4096), "cut at \(end)")
        }
        #expect(compared > bytes.count / 3)
    }

    /// Every recovery row's log, mapped and copied.
    @Test(arguments: RecoveryRow.allCases)
    func everyRecoveryRowScansTheSameMappedAndCopied(_ row: RecoveryRow) throws {
        let memory = MemoryFileSystem()
        _ = try RecoveryRowTests.produce(row, memory)
        let real = try Self.export(memory)
        defer { Self.remove(real) }
        let mapped = try Self.outcome(PosixFileSystem(), real, .map)
        #expect(mapped == (try Self.outcome(PosixFileSystem(), real, .copy)), "row \(row)")
        #expect(mapped.verified.rows.contains(row.rawValue) || row == .P5, "row \(row): \(mapped.verified.rows)")
    }

    @Test func anEmptySegmentIsReadNotMapped() throws {
        let memory = MemoryFileSystem()
        _ = try buildLog(memory)
        let real = try Self.export(memory)
        defer { Self.remove(real) }
        try Self.write([], to: segmentPath(2, in: real))
        let counting = CountingFileSystem(base: PosixFileSystem())
        let mapped = try Self.outcome(counting, real, .map)
        #expect(mapped == (try Self.outcome(PosixFileSystem(), real, .copy)))
        #expect(mapped.verified.rows.contains(RecoveryRow.S1.rawValue), "\(mapped.verified.rows)")
        #expect(counting.mappings > 0, "the other segment was mapped")
    }

    /// A mapping that is not exactly the file's size — longer (pages past the end, or the file cut
    /// after `fstat`) or shorter (grown meanwhile) — is not used: the file is read, and nothing
    /// past its end is looked at.
    @Test(arguments: [4096, 1, -1, -100])
    func aMappingOfAnotherSizeThanTheFileIsNotUsed(_ difference: Int) throws {
        let memory = MemoryFileSystem()
        _ = try buildLog(memory)
        let real = try Self.export(memory)
        defer { Self.remove(real) }
        let expected = try Self.outcome(PosixFileSystem(), real, .copy)
        #expect(expected.verified.problems.isEmpty)
        // The mapping's extra bytes would read as a torn tail; a short one would lose records.
        let skewed = CountingFileSystem(base: PosixFileSystem(), mappingSizeDifference: difference, filler: 0xA5)
        #expect(try Self.outcome(skewed, real, .map) == expected)
        #expect(skewed.mappings > 0 && skewed.reads > 0)
        let exact = CountingFileSystem(base: PosixFileSystem())
        #expect(try Self.outcome(exact, real, .map) == expected)
        #expect(exact.mappings > 0 && exact.reads == 0, "an exact mapping is read in place")
    }

    @Test func mapWhenLockedMapsOnlyWhenTheLockIsFreeAndReleasesIt() throws {
        let memory = MemoryFileSystem()
        let built = try buildLog(memory)
        let real = try Self.export(memory)
        defer { Self.remove(real) }
        let free = CountingFileSystem(base: PosixFileSystem())
        let expected = try Self.outcome(PosixFileSystem(), real, .copy)
        #expect(try Self.outcome(free, real, .mapWhenLocked) == expected)
        #expect(free.mappings > 0 && free.reads == 0)
        // The scan let the lock go: a node can open the directory.
        let log = try openLog(PosixFileSystem(), real)
        #expect(log.entries == built.entries)
        // While the node holds it, the scan copies (a holder may cut a segment).
        let held = CountingFileSystem(base: PosixFileSystem())
        #expect(try Self.outcome(held, real, .mapWhenLocked) == expected)
        #expect(held.mappings == 0 && held.reads > 0)
        log.close()
        // Explicit files name no directory to lock: copied.
        let files = CountingFileSystem(base: PosixFileSystem())
        let scanner = LogScanner(segmentFiles: [segmentPath(1, in: real)], hardStateFile: nil, fileSystem: files)
        scanner.segmentReading = .mapWhenLocked
        #expect(try scanner.verify().entryRecords == built.entries.count)
        #expect(files.mappings == 0 && files.reads > 0)
    }
}

/// A file system that counts the mappings handed out and the reads of segment files, and can hand out a
/// mapping of another size than the file (`mappingSizeDifference`, its extra bytes `filler`).
final class CountingFileSystem: FileSystem {
    let base: FileSystem
    let mappingSizeDifference: Int
    let filler: UInt8
    var mappings = 0
    var reads = 0

    init(base: FileSystem, mappingSizeDifference: Int = 0, filler: UInt8 = 0) {
        self.base = base
        self.mappingSizeDifference = mappingSizeDifference
        self.filler = filler
    }

    func createDirectory(atPath path: String) throws(StorageError) { try base.createDirectory(atPath: path) }
    func contentsOfDirectory(atPath path: String) throws(StorageError) -> [String] { try base.contentsOfDirectory(atPath: path) }
    func fileExists(atPath path: String) -> Bool { base.fileExists(atPath: path) }
    func isDirectory(atPath path: String) -> Bool { base.isDirectory(atPath: path) }
    func openFile(atPath path: String, create: Bool) throws(StorageError) -> StorageFile {
        CountingFile(try base.openFile(atPath: path, create: create), self, isSegment: path.hasSuffix(".seg"))
    }
    func openFileForReading(atPath path: String) throws(StorageError) -> StorageFile {
        CountingFile(try base.openFileForReading(atPath: path), self, isSegment: path.hasSuffix(".seg"))
    }
    func syncDirectory(atPath path: String) throws(StorageError) { try base.syncDirectory(atPath: path) }
    func lockDirectory(atPath path: String) throws(StorageError) -> DirectoryLock? { try base.lockDirectory(atPath: path) }
    func rename(from: String, to: String) throws(StorageError) { try base.rename(from: from, to: to) }
    func removeFile(atPath path: String) throws(StorageError) { try base.removeFile(atPath: path) }
    func fileSize(atPath path: String) throws(StorageError) -> Int64 { try base.fileSize(atPath: path) }
}

final class CountingFile: StorageFile {
    let file: StorageFile
    unowned let fs: CountingFileSystem
    let isSegment: Bool
    private var skewed: UnsafeMutableRawBufferPointer?

    init(_ file: StorageFile, _ fs: CountingFileSystem, isSegment: Bool) {
        self.file = file
        self.fs = fs
        self.isSegment = isSegment
    }

    deinit { skewed?.deallocate() }

    func size() throws(StorageError) -> Int64 { try file.size() }
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(StorageError) -> Int {
        if isSegment { fs.reads += 1 }
        return try file.read(into: buffer, at: offset)
    }
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(StorageError) { try file.write(bytes, at: offset) }
    func truncate(to size: Int64) throws(StorageError) { try file.truncate(to: size) }
    func sync() throws(StorageError) { try file.sync() }
    func close() { file.close() }

    func mapForReading() -> UnsafeRawBufferPointer? {
        guard let view = file.mapForReading() else { return nil }
        fs.mappings += 1
        guard fs.mappingSizeDifference != 0 else { return view }
        // A copy of another length: the file's bytes, cut short or followed by `filler`.
        let count = max(0, view.count + fs.mappingSizeDifference)
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 64)
        copy.initializeMemory(as: UInt8.self, repeating: fs.filler)
        copy.baseAddress!.copyMemory(from: view.baseAddress!, byteCount: min(count, view.count))
        skewed = copy
        return UnsafeRawBufferPointer(start: copy.baseAddress, count: count)
    }
}
