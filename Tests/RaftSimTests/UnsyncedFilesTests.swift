import RaftCore
@testable import RaftSim
import RaftStorage
import Testing

/// The explorer asks after every acknowledgement whether a node's disk holds unsynced bytes or
/// names; `UnsyncedFiles` answers from what `SyncWatch` saw change instead of walking the disk. The
/// answer must be the walk's after any sequence of file operations: writes through handles opened
/// before a rename, files removed and created again under the same name, directory syncs, crashes.
@Suite struct UnsyncedFilesTests {
    /// Random operations on a power-cut file system; after each question the two answers agree.
    @Test(arguments: 1...60)
    func watchedAnswerIsTheWalkedOne(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let memory = MemoryFileSystem()
        let disk = PowerCutFileSystem(base: memory)
        var files = UnsyncedFiles(directory: "/n1")
        try disk.createDirectory(atPath: "/n1/s")
        let names = ["/n1/a", "/n1/b", "/n1/a.tmp", "/n1/s/c", "/other"]
        var handles: [StorageFile] = []
        var questions = 0
        var incremental = 0
        for step in 0..<600 {
            let name = names[Int(rng.next(below: UInt64(names.count)))]
            switch rng.next(below: 12) {
            case 0, 1:
                handles.append(try disk.openFile(atPath: name, create: true))
            case 2, 3, 4:
                guard !handles.isEmpty else { continue }
                let handle = handles[Int(rng.next(below: UInt64(handles.count)))]
                // Few possible contents, so that files often match their durable bytes (or another
                // file's) and answers flip both ways.
                let bytes = (0..<Int(1 + rng.next(below: 2))).map { _ in UInt8(rng.next(below: 2)) }
                try bytes.withUnsafeBytes { try handle.write($0, at: Int64(rng.next(below: 3))) }
            case 5:
                guard !handles.isEmpty else { continue }
                try handles[Int(rng.next(below: UInt64(handles.count)))].truncate(to: Int64(rng.next(below: 3)))
            case 6, 7:
                guard !handles.isEmpty else { continue }
                try handles[Int(rng.next(below: UInt64(handles.count)))].sync()
            case 8:
                let target = names[Int(rng.next(below: UInt64(names.count)))]
                if memory.contents(atPath: name) != nil && Path.directory(of: name) == Path.directory(of: target) {
                    try disk.rename(from: name, to: target)
                }
            case 9:
                if memory.contents(atPath: name) != nil { try disk.removeFile(atPath: name) }
            case 10:
                try disk.syncDirectory(atPath: Path.directory(of: name))
            default:
                if rng.next(below: 8) == 0 {
                    var tearing: SeededGenerator? = rng
                    memory.crash(tearingWith: &tearing)
                    handles.removeAll()
                    files.forget()
                    disk.watch.forgetNames(allSynced: true)
                }
            }
            guard rng.next(below: 3) == 0 else { continue }
            questions += 1
            if disk.watch.canAnswerIncrementally { incremental += 1 }
            let watched = files.answer(memory, &disk.watch)
            #expect(watched == UnsyncedFiles.walk(memory, "/n1"), "seed \(seed), step \(step)")
        }
        // The test means something only if both ways of answering ran.
        #expect(incremental > 0 && incremental < questions)
    }

    /// A rename leaves the file under its old durable name too, until the directory is synced:
    /// a file created again under that name is judged against bytes a handle on the new name
    /// changes. Here that change makes every file synced; only a walk sees it.
    @Test func renamedFileStillBacksItsOldName() throws {
        let memory = MemoryFileSystem()
        let disk = PowerCutFileSystem(base: memory)
        var files = UnsyncedFiles(directory: "/n1")
        try disk.createDirectory(atPath: "/n1")
        func put(_ byte: UInt8, _ file: StorageFile, sync: Bool) throws {
            try [byte].withUnsafeBytes { try file.write($0, at: 0) }
            if sync { try file.sync() }
        }
        try put(UInt8(ascii: "x"), try disk.openFile(atPath: "/n1/a", create: true), sync: true)
        try put(UInt8(ascii: "y"), try disk.openFile(atPath: "/n1/b", create: true), sync: true)
        try disk.syncDirectory(atPath: "/n1")
        #expect(!files.answer(memory, &disk.watch))
        try disk.rename(from: "/n1/a", to: "/n1/b")
        try put(UInt8(ascii: "y"), try disk.openFile(atPath: "/n1/a", create: true), sync: false)
        #expect(files.answer(memory, &disk.watch))
        // a's durable bytes are the renamed file's: syncing "y" into it through b syncs a too.
        try put(UInt8(ascii: "y"), try disk.openFile(atPath: "/n1/b", create: false), sync: true)
        #expect(!UnsyncedFiles.walk(memory, "/n1"))
        #expect(!files.answer(memory, &disk.watch))
    }
}
