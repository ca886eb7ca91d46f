import RaftCore
import Testing
@testable import RaftStorage

/// `LogScanner.scanUntilStop`: a visitor that returns `.stop` ends the reading (issue 16 §7).
@Suite struct ScanStopTests {
    @Test func aStopEndsTheReadingAtThatRecord() throws {
        let memory = MemoryFileSystem()
        let log = try openLog(memory)
        for k in stride(from: UInt64(1), through: 400, by: 20) {
            try log.save(hardState: HardState(term: 1, vote: 1, commit: k - 1), entries: makeEntries(k...(k + 19), term: 1, size: 200))
        }
        log.close()
        let size = try memory.fileSize(atPath: segmentPath(1))
        let scanner = try LogScanner(directory: dir, fileSystem: memory)
        scanner.chunkSize = 4096
        var visited = 0
        let stopped = try scanner.scanUntilStop { record, _ in
            visited += 1
            return record.index >= 3 ? .stop : .next
        }
        #expect(visited == 3 && stopped.stoppedByVisitor)
        #expect(stopped.entryRecords == 3 && stopped.problems.isEmpty, "a stop inside a batch is not a torn tail")
        #expect(stopped.bytesScanned <= 4096 && stopped.bytesScanned < size)
        var all = 0
        let whole = try scanner.scanUntilStop { _, _ in
            all += 1; return .next
        }
        #expect(!whole.stoppedByVisitor && whole.bytesScanned >= size && all == whole.entryRecords + whole.batchRecords)
    }
}
