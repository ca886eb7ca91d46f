import RaftCore
@testable import RaftStorage

let dir = "/data/n1"

/// Entries `from...through` in one term with payloads derived from the index.
func makeEntries(_ range: ClosedRange<UInt64>, term: UInt64, size: Int = 24) -> [Entry] {
    range.map { i in
        Entry(
            term: term, index: i, kind: i % 7 == 0 ? .noop : .normal,
            data: i % 7 == 0 ? [] : (0..<size).map { UInt8(truncatingIfNeeded: Int(i) &* 31 &+ $0) })
    }
}

func segmentPath(_ sequence: UInt64, in directory: String = dir) -> String {
    Path.join(directory, StorageFormat.segmentFileName(sequence: sequence))
}

func hardStatePath(in directory: String = dir) -> String { Path.join(directory, StorageFormat.hardStateFileName) }

let fixedLogID = LogID(bytes: Array(1...16))

/// Opens, expecting success.
func openLog(
    _ fs: FileSystem, _ directory: String = dir, segmentSize: Int = 64 << 20, policy: SyncPolicy = .everyBatch,
    logID: LogID = fixedLogID, preallocate: Int = 0
) throws -> LogStorage {
    try LogStorage.open(
        directory: directory, fileSystem: fs,
        options: StorageOptions(segmentSizeBytes: segmentSize, syncPolicy: policy, newLogID: logID, preallocateBytes: preallocate))
}

/// Opens, returning the error (nil when it opened).
func openError(_ fs: FileSystem, _ directory: String = dir) -> StorageError? {
    do {
        let log = try LogStorage.open(directory: directory, fileSystem: fs)
        log.close()
        return nil
    } catch {
        return error
    }
}

/// A small healthy log: three batches in terms 1, 1, 2, hard state saved with each.
func buildLog(_ fs: MemoryFileSystem, segmentSize: Int = 64 << 20) throws -> (entries: [Entry], hardState: HardState) {
    let log = try openLog(fs, segmentSize: segmentSize)
    defer { log.close() }
    try log.save(hardState: HardState(term: 1, vote: 1, commit: 0), entries: makeEntries(1...4, term: 1))
    try log.save(hardState: HardState(term: 1, vote: 1, commit: 4), entries: makeEntries(5...7, term: 1))
    try log.save(hardState: HardState(term: 2, vote: 2, commit: 6), entries: makeEntries(8...10, term: 2))
    return (log.entries, log.hardState)
}

/// Offsets of every valid record in a segment, from the scanner.
func recordOffsets(_ fs: FileSystem, _ directory: String = dir) throws -> [(file: String, offset: Int64, size: Int, kind: RecordKind)] {
    var out: [(String, Int64, Int, RecordKind)] = []
    _ = try LogScanner(directory: directory, fileSystem: fs).scan { r, _ in out.append((r.file, r.offset, r.size, r.kind)) }
    return out
}
