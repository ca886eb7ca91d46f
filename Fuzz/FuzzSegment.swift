// libFuzzer target: arbitrary bytes as a log segment (after a valid segment header half the
// time, so the record decoder is reached) go through RaftStorage's recovery scan. A crash, a
// trap or a hang is a bug: damage must come back as a classified problem, never a failure.
import RaftCore
import RaftStorage

/// libFuzzer entry: arbitrary bytes as a segment, then open and scan the log; any crash is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSegment(_ data: UnsafeRawPointer, _ count: Int) -> CInt {
    var bytes = Array(UnsafeRawBufferPointer(start: data, count: count))
    let fs = MemoryFileSystem()
    var rng = SeededGenerator(seed: 7)
    let logID = LogID(generator: &rng)
    if let first = bytes.first, first & 1 == 1 {
        bytes = RecordCodec.segmentHeader(logID: logID, sequence: 1, firstIndex: 1) + bytes.dropFirst()
    }
    do {
        try fs.createDirectory(atPath: "/d")
        let path = "/d/" + StorageFormat.segmentFileName(sequence: 1)
        try fs.openFile(atPath: path, create: true).close()
        fs.replaceContents(atPath: path, with: bytes)
        let storage = try LogStorage.open(directory: "/d", fileSystem: fs, options: StorageOptions(newLogID: logID))
        _ = storage.entries.count
        _ = storage.report.problems.count
        storage.close()
    } catch {
        // A refused directory is a fine answer.
    }
    return 0
}
