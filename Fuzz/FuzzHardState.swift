// libFuzzer target: arbitrary bytes as the hard-state file go through RaftStorage's hard-state
// decoder (both slots, checksums, sequence numbers) via LogStorage.open.
import RaftCore
import RaftStorage

/// libFuzzer entry: arbitrary bytes as the hard-state file, then open the log; any crash is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHardState(_ data: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: data, count: count))
    let fs = MemoryFileSystem()
    do {
        try fs.createDirectory(atPath: "/d")
        let path = "/d/" + StorageFormat.hardStateFileName
        try fs.openFile(atPath: path, create: true).close()
        fs.replaceContents(atPath: path, with: bytes)
        let storage = try LogStorage.open(directory: "/d", fileSystem: fs)
        _ = storage.hardState
        storage.close()
    } catch {
    }
    return 0
}
