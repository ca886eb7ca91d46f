import RaftCore
import Testing
@testable import RaftStorage

/// `MemoryFileSystem.crash(keepingPagesWith:)` (`CrashModel.pages`): any subset of unsynced pages,
/// a prefix of the unsynced name changes, replayable from the seed (issue 17 §1, §3).
@Suite struct PageCrashModelTests {
    static let page = StorageFormat.pageSize

    /// A synced 100-byte file, then three pages of unsynced bytes (1, 2, 3) written in one write.
    func fileWithUnsyncedPages() throws -> MemoryFileSystem {
        let fs = MemoryFileSystem()
        try fs.createDirectory(atPath: "/d")
        let f = try fs.openFile(atPath: "/d/a", create: true)
        try f.write([UInt8](repeating: 9, count: 100), at: 0)
        try f.sync()
        try fs.syncDirectory(atPath: "/d")
        var bytes: [UInt8] = []
        for p in 0..<3 { bytes += [UInt8](repeating: UInt8(p + 1), count: Self.page) }
        try f.write(Array(bytes[100...]), at: 100)
        f.close()
        return fs
    }

    @Test func anySubsetOfUnsyncedPagesSurvives() throws {
        var outcomes = Set<[Int]>()
        for seed in 0..<200 as Range<UInt64> {
            let fs = try fileWithUnsyncedPages()
            var g = SeededGenerator(seed: seed)
            fs.crash(keepingPagesWith: &g)
            let bytes = fs.contents(atPath: "/d/a")!
            #expect(bytes.count == 100 || bytes.count == 3 * Self.page, "seed \(seed)")
            #expect(bytes.prefix(100).allSatisfy { $0 == 9 }, "synced bytes survive (seed \(seed))")
            // Per page: 0 = lost (zeros past the synced length), 1 = kept, 2 = kept up to a byte (then zeros).
            var shape: [Int] = []
            for p in 0..<(bytes.count / Self.page) {
                let from = p == 0 ? 100 : p * Self.page
                let page = bytes[from..<((p + 1) * Self.page)]
                let written = page.prefix { $0 == UInt8(p + 1) }.count
                #expect(page.dropFirst(written).allSatisfy { $0 == 0 }, "seed \(seed) page \(p)")
                shape.append(written == 0 ? 0 : written == page.count ? 1 : 2)
            }
            outcomes.insert(shape)
            // What survived is durable now.
            fs.crash()
            #expect(fs.contents(atPath: "/d/a")! == bytes)
        }
        #expect(
            outcomes.contains([0, 1, 1]) && outcomes.contains([0, 0, 1]) && outcomes.contains([1, 0, 1]),
            "a later page survives an earlier lost one: \(outcomes.sorted { $0.lexicographicallyPrecedes($1) })")
        #expect(outcomes.contains { $0.contains(2) }, "a page cut inside")
    }

    @Test func theSameSeedReplaysTheSameOutcome() throws {
        for seed in 0..<20 as Range<UInt64> {
            var results: [[UInt8]] = []
            for _ in 0..<2 {
                let fs = try fileWithUnsyncedPages()
                var g = SeededGenerator(seed: seed)
                fs.crash(keepingPagesWith: &g)
                results.append(fs.contents(atPath: "/d/a")!)
            }
            #expect(results[0] == results[1])
        }
    }

    /// A new file and a rename may persist without a directory sync (ext4's journal may commit them
    /// early), in order, each whole: never both names of a rename, never neither.
    @Test func nameChangesMayPersistEarlyInOrder() throws {
        var seen = Set<String>()
        for seed in 0..<100 as Range<UInt64> {
            let fs = MemoryFileSystem()
            try fs.createDirectory(atPath: "/d")
            let x = try fs.openFile(atPath: "/d/x", create: true)
            try x.write([1], at: 0)
            try x.sync()
            try fs.syncDirectory(atPath: "/d")
            let n = try fs.openFile(atPath: "/d/new", create: true)
            try n.write([2], at: 0)
            try n.sync()
            try fs.rename(from: "/d/x", to: "/d/y")
            var g = SeededGenerator(seed: seed)
            fs.crash(keepingPagesWith: &g)
            let names = try fs.contentsOfDirectory(atPath: "/d")
            #expect(names == ["x"] || names == ["new", "x"] || names == ["new", "y"], "seed \(seed): \(names)")
            if names.contains("new") { #expect(fs.contents(atPath: "/d/new") == [2]) }
            #expect(fs.contents(atPath: "/d/" + names.last!) == [1])
            seen.insert(names.joined(separator: ","))
        }
        #expect(seen.count == 3)
    }

    /// `crashModel = .pages` routes the simulator's `crash(tearingWith:)` to the page model.
    @Test func crashModelSelectsThePageModel() throws {
        var outcomes = Set<Int>()
        for seed in 0..<40 as Range<UInt64> {
            let fs = try fileWithUnsyncedPages()
            fs.crashModel = .pages
            var g: SeededGenerator? = SeededGenerator(seed: seed)
            fs.crash(tearingWith: &g)
            #expect(g != SeededGenerator(seed: seed))
            let bytes = fs.contents(atPath: "/d/a")!
            outcomes.insert(bytes.count > 2 * Self.page && bytes[Self.page] == 0 && bytes[2 * Self.page] == 3 ? 1 : 0)
        }
        #expect(outcomes == [0, 1])
    }
}

/// LogStorage under the page crash model: whatever survives, the log reopens with at most a torn
/// tail and keeps every acknowledged (synced) save.
@Suite struct LogStoragePageCrashTests {
    @Test(arguments: [1, 3])
    func unsyncedSavesThenAPowerLoss(unsyncedSaves: Int) throws {
        var tornCuts = 0
        for seed in 0..<300 as Range<UInt64> {
            var g = SeededGenerator(seed: seed)
            let fs = MemoryFileSystem()
            // One unsynced save may rotate (small segments); several stay in one segment (rule D
            // looks at the last segment only, docs/storage-format.md §5.5).
            let segmentSize = unsyncedSaves == 1 ? 3000 : 64 << 20
            let log = try openLog(fs, segmentSize: segmentSize)
            var term: UInt64 = 1
            for _ in 0..<Int(g.next(below: 12) + 1) {
                if g.next(below: 4) == 0 { term += 1 }
                let first = UInt64(g.next(in: max(Int(log.hardState.commit) + 1, Int(log.lastIndex) - 1)..<(Int(log.lastIndex) + 2)))
                try log.save(
                    hardState: HardState(term: term, vote: 1, commit: min(log.lastIndex, first - 1)),
                    entries: makeEntries(first...(first + g.next(below: 6)), term: term, size: Int(g.next(below: 900))))
            }
            var states = [log.entries]
            log.syncPolicy = .never
            for _ in 0..<unsyncedSaves {
                if g.next(below: 3) == 0 { term += 1 }
                let first = UInt64(g.next(in: max(Int(log.hardState.commit) + 1, Int(log.lastIndex))..<(Int(log.lastIndex) + 2)))
                try log.save(
                    hardState: HardState(term: term, vote: 2, commit: log.hardState.commit),
                    entries: makeEntries(first...(first + g.next(below: 8)), term: term, size: Int(g.next(below: 1500))))
                states.append(log.entries)
            }
            log.close()
            fs.crash(keepingPagesWith: &g)
            let reopened: LogStorage
            do { reopened = try openLog(fs, segmentSize: segmentSize) } catch {
                Issue.record("seed \(seed): \(error)")
                continue
            }
            #expect(reopened.report.problems.allSatisfy { $0.class == .tornTail }, "seed \(seed): \(reopened.report.problems)")
            #expect(states.contains(reopened.entries), "seed \(seed): recovered \(reopened.lastIndex) entries")
            #expect(reopened.hardState.term >= reopened.lastTerm && reopened.hardState.commit <= reopened.lastIndex)
            if reopened.report.tornTailCut { tornCuts += 1 }
            // It takes new writes and reopens cleanly.
            try reopened.save(
                hardState: HardState(term: term + 1, vote: 3, commit: reopened.hardState.commit),
                entries: makeEntries((reopened.lastIndex + 1)...(reopened.lastIndex + 1), term: term + 1))
            reopened.close()
            let again = try openLog(fs, segmentSize: segmentSize)
            #expect(again.report.problems.isEmpty, "seed \(seed): \(again.report.problems)")
            again.close()
        }
        #expect(tornCuts > 30)
    }
}
