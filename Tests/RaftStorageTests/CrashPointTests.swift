import RaftCore
import Testing
@testable import RaftStorage

/// A file system that fails every mutating call after a budget of them, to stop a save at any step.
final class FailingFileSystem: FileSystem {
    let base: MemoryFileSystem
    var budget: Int

    init(base: MemoryFileSystem, budget: Int) {
        self.base = base
        self.budget = budget
    }

    func spend() throws(StorageError) {
        if budget <= 0 { throw StorageError(.io, "injected power loss") }
        budget -= 1
    }

    func createDirectory(atPath path: String) throws(StorageError) { try spend(); try base.createDirectory(atPath: path) }
    func contentsOfDirectory(atPath path: String) throws(StorageError) -> [String] { try base.contentsOfDirectory(atPath: path) }
    func fileExists(atPath path: String) -> Bool { base.fileExists(atPath: path) }
    func isDirectory(atPath path: String) -> Bool { base.isDirectory(atPath: path) }
    func openFile(atPath path: String, create: Bool) throws(StorageError) -> StorageFile {
        if create && !base.fileExists(atPath: path) { try spend() }
        return FailingFile(fs: self, file: try base.openFile(atPath: path, create: create))
    }
    func syncDirectory(atPath path: String) throws(StorageError) { try spend(); try base.syncDirectory(atPath: path) }
    func rename(from: String, to: String) throws(StorageError) { try spend(); try base.rename(from: from, to: to) }
    func removeFile(atPath path: String) throws(StorageError) { try spend(); try base.removeFile(atPath: path) }
    func fileSize(atPath path: String) throws(StorageError) -> Int64 { try base.fileSize(atPath: path) }
}

final class FailingFile: StorageFile {
    let fs: FailingFileSystem
    let file: StorageFile
    init(fs: FailingFileSystem, file: StorageFile) {
        self.fs = fs
        self.file = file
    }
    func size() throws(StorageError) -> Int64 { try file.size() }
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(StorageError) -> Int { try file.read(into: buffer, at: offset) }
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(StorageError) { try fs.spend(); try file.write(bytes, at: offset) }
    func truncate(to size: Int64) throws(StorageError) { try fs.spend(); try file.truncate(to: size) }
    func sync() throws(StorageError) { try fs.spend(); try file.sync() }
    func close() { file.close() }
}

@Suite struct CrashPointTests {
    /// Power loss after every possible step of a save (with `.everyBatch`), with a torn last write:
    /// the log always reopens, only ever reports a torn tail, and holds either the state before the
    /// save or the state after it; a save that returned is never lost.
    @Test(arguments: 0..<6 as Range<UInt64>)
    func powerLossAtEveryStepOfASave(seed: UInt64) throws {
        var g = SeededGenerator(seed: 1000 + seed)
        var steps = 0
        for budget in 0..<40 {
            let memory = MemoryFileSystem()
            let fs = FailingFileSystem(base: memory, budget: Int.max)
            // A history with rotations and conflicts, all acknowledged.
            var history = SeededGenerator(seed: seed)
            let log = try openLog(fs, segmentSize: 400)
            var term: UInt64 = 1
            for _ in 0..<Int(history.next(below: 6) + 2) {
                if history.next(below: 3) == 0 { term += 1 }
                let first = UInt64(history.next(in: max(Int(log.hardState.commit) + 1, Int(log.lastIndex) - 1)..<(Int(log.lastIndex) + 2)))
                try log.save(
                    hardState: HardState(term: term, vote: 1, commit: min(log.lastIndex, first - 1)),
                    entries: makeEntries(first...(first + history.next(below: 3)), term: term, size: 30))
            }
            let before = (log.entries, log.hardState)
            // The interrupted save: a new term (hard state), a conflict, and enough bytes to rotate.
            fs.budget = budget
            let first = max(log.hardState.commit + 1, log.lastIndex)
            let newState = HardState(term: term + 1, vote: 2, commit: log.hardState.commit)
            var completed = false
            do {
                try log.save(hardState: newState, entries: makeEntries(first...(first + 2), term: term + 1, size: 90))
                completed = true
            } catch {}
            let after = (log.entries, log.hardState)
            log.close()
            var tear: SeededGenerator? = SeededGenerator(seed: g.next())
            memory.crash(tearingWith: &tear)
            let reopened = try openLog(memory, segmentSize: 400)
            let problems = reopened.report.problems
            #expect(problems.allSatisfy { $0.class == .tornTail }, "seed \(seed) budget \(budget): \(problems)")
            if completed {
                #expect(reopened.entries == after.0, "seed \(seed) budget \(budget)")
                #expect(reopened.hardState == after.1)
            } else {
                #expect(reopened.entries == before.0 || reopened.entries == after.0, "seed \(seed) budget \(budget)")
                #expect(reopened.hardState == before.1 || reopened.hardState.term == newState.term)
                #expect(reopened.hardState.commit <= reopened.lastIndex)
                #expect(reopened.hardState.term >= reopened.lastTerm)
            }
            // The recovered log takes new writes and reopens cleanly.
            try reopened.save(
                hardState: HardState(term: term + 2, vote: 3, commit: reopened.hardState.commit),
                entries: makeEntries((reopened.lastIndex + 1)...(reopened.lastIndex + 1), term: term + 2))
            reopened.close()
            let again = try openLog(memory, segmentSize: 400)
            #expect(again.report.problems.isEmpty, "seed \(seed) budget \(budget): \(again.report.problems)")
            again.close()
            if completed { break }
            steps = budget
        }
        #expect(steps >= 3)  // the save took several steps, each one interrupted once
    }
}
