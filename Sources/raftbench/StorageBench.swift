import ArgumentParser
import RaftCore
import RaftStorage
#if canImport(Glibc)
    import Glibc
#endif

/// RaftStorage against baselines measured in the same run:
/// - append: `LogStorage.save` of batches (one fdatasync each) vs raw `pwrite`+`fdatasync` of the same bytes;
/// - scan: `LogScanner.verify` of a large log on a warm page cache vs `cat` of the same files.
struct StorageBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage",
        abstract: "RaftStorage append and scan throughput beside raw write+fdatasync and cat, in the same run.",
        discussion: """
            Append: LogStorage.save(hardState: nil, entries: batch) with SyncPolicy.everyBatch (one fdatasync \
            per batch) against pwrite+fdatasync of the very bytes it wrote, batch by batch, to a fresh file. \
            Rounds alternate (baseline, ours, baseline, …) and the median of each is reported. \
            Scan: a log of --scan-megabytes is written once, read once to warm the page cache, then timed: \
            `cat <segments> > /dev/null`, LogScanner.verify() (every checksum, every order check), and \
            LogStorage.open (which also rebuilds the entries in memory) on a --open-megabytes prefix.
            """)

    @Option(help: "Directory for the benchmark's files (on the disk you want to measure).")
    var directory: String = "/tmp/raftbench-storage"

    @Option(help: "Entries per batch.")
    var batchEntries: Int = 64

    @Option(help: "Payload bytes per entry.")
    var entryBytes: Int = 128

    @Option(help: "Batches per append round.")
    var batches: Int = 1000

    @Option(help: "Append rounds of each kind (median reported).")
    var rounds: Int = 5

    @Option(help: "Size of the log that the scan measures, in MiB.")
    var scanMegabytes: Int = 512

    @Option(help: "Size of the log that LogStorage.open measures, in MiB.")
    var openMegabytes: Int = 128

    @Option(help: "Timed scan repetitions (median reported).")
    var scanRepeats: Int = 5

    @Flag(help: "Only the append benchmark.")
    var appendOnly = false

    @Flag(help: "Only the scan benchmark.")
    var scanOnly = false

    func validate() throws {
        guard batchEntries >= 1, entryBytes >= 0, batches >= 1, rounds >= 1, scanMegabytes >= 1, scanRepeats >= 1, openMegabytes >= 1 else {
            throw ValidationError("sizes and counts must be positive")
        }
    }

    func run() throws {
        let fs = PosixFileSystem()
        try fs.createDirectory(atPath: directory)
        print("raftbench storage: \(directory); CRC32C \(CRC32C.hardwareAvailable ? "SSE4.2 hardware" : "portable table")")
        if !scanOnly { try appendBenchmark(fs) }
        if !appendOnly { try scanBenchmark(fs) }
    }

    // MARK: Append

    func makeBatches() -> [[Entry]] {
        let entryBytes = self.entryBytes, batchEntries = self.batchEntries
        var g = SeededGenerator(seed: 42)
        var result: [[Entry]] = []
        var index: UInt64 = 1
        for _ in 0..<batches {
            var batch: [Entry] = []
            for _ in 0..<batchEntries {
                batch.append(Entry(term: 1, index: index, kind: .normal, data: (0..<entryBytes).map { _ in UInt8(truncatingIfNeeded: g.next()) }))
                index += 1
            }
            result.append(batch)
        }
        return result
    }

    func clear(_ fs: PosixFileSystem, _ dir: String) throws {
        if fs.isDirectory(atPath: dir) {
            for name in try fs.contentsOfDirectory(atPath: dir) { try fs.removeFile(atPath: Path.join(dir, name)) }
        }
    }

    func appendBenchmark(_ fs: PosixFileSystem) throws {
        let batchList = makeBatches()
        let ourDir = Path.join(directory, "append")
        let baselinePath = Path.join(directory, "baseline.bin")
        var ours: [Double] = [], baseline: [Double] = [], oursNoSync: [Double] = [], baselineNoSync: [Double] = []
        var batchBytes: [[UInt8]] = []
        var totalBytes = 0

        /// LogStorage.save of every batch into a fresh log; returns the time of the saves alone.
        func runOurs(_ policy: SyncPolicy) throws -> Double {
            try clear(fs, ourDir)
            let log = try LogStorage.open(
                directory: ourDir, fileSystem: fs,
                options: StorageOptions(segmentSizeBytes: 1 << 30, syncPolicy: policy))
            try log.save(hardState: HardState(term: 1, vote: 1, commit: 0), entries: [])
            let segment = Path.join(ourDir, StorageFormat.segmentFileName(sequence: 1))
            let start = try fs.fileSize(atPath: segment)
            let t0 = nowNanoseconds()
            for batch in batchList { try log.save(hardState: nil, entries: batch) }
            let t1 = nowNanoseconds()
            log.close()
            if batchBytes.isEmpty {
                // Split the segment's bytes back into what each save wrote, for the baseline.
                let all = try fs.readFile(atPath: segment)
                let perBatch = (all.count - Int(start)) / batchList.count
                var at = Int(start)
                for _ in batchList {
                    batchBytes.append(Array(all[at..<(at + perBatch)]))
                    at += perBatch
                }
                totalBytes = perBatch * batchList.count
            }
            return Double(t1 - t0)
        }

        /// The same bytes, pwrite (+ fdatasync) per batch, to a fresh file.
        func runBaseline(sync: Bool) throws -> Double {
            _ = unlink(baselinePath)
            let fd = open(baselinePath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw ValidationError("cannot create \(baselinePath)") }
            defer { close(fd) }
            var offset: off_t = 0
            let b0 = nowNanoseconds()
            for bytes in batchBytes {
                let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, offset) }
                guard n == bytes.count, !sync || fdatasync(fd) == 0 else { throw ValidationError("baseline write failed") }
                offset += off_t(n)
            }
            return Double(nowNanoseconds() - b0)
        }

        _ = try runOurs(.everyBatch)  // warm-up, and the bytes for the baseline
        _ = try runBaseline(sync: true)
        for round in 0..<rounds {
            // Alternate who goes first, so drift in the disk's speed does not favour one side.
            if round % 2 == 0 {
                ours.append(try runOurs(.everyBatch))
                baseline.append(try runBaseline(sync: true))
            } else {
                baseline.append(try runBaseline(sync: true))
                ours.append(try runOurs(.everyBatch))
            }
        }
        // CPU side only, after the synced rounds: unsynced data left behind would otherwise make
        // the next fdatasync flush it too (ext4 commits the whole journal transaction).
        for _ in 0..<rounds {
            oursNoSync.append(try runOurs(.never))
            baselineNoSync.append(try runBaseline(sync: false))
        }
        try clear(fs, ourDir)
        _ = unlink(baselinePath)
        let oursNs = median(ours), baseNs = median(baseline)
        let n = Double(batchList.count)
        print("")
        print(
            "append: \(batchList.count) batches × \(batchEntries) entries × \(entryBytes) B, one fdatasync per batch, \(totalBytes / batchList.count) B written per batch; median of \(rounds) alternating rounds (after a warm-up)"
        )
        print(pad("  LogStorage.save", 34) + rate(oursNs, n, totalBytes))
        print(pad("  baseline pwrite+fdatasync", 34) + rate(baseNs, n, totalBytes))
        print("  ratio (ours / baseline throughput): \(fmt(baseNs / oursNs, 3))  (target ≥ 0.8)")
        print(pad("  without any sync: LogStorage.save", 34) + "\(fmt(median(oursNoSync) / n / 1000, 1)) µs/batch (encoding, checksums, write)")
        print(pad("  without any sync: pwrite", 34) + "\(fmt(median(baselineNoSync) / n / 1000, 1)) µs/batch")
    }

    func rate(_ ns: Double, _ batches: Double, _ bytes: Int) -> String {
        let seconds = ns / 1e9
        return
            "\(fmt(batches / seconds, 0)) batches/s  \(fmt(batches * Double(batchEntries) / seconds, 0)) entries/s  \(fmt(Double(bytes) / seconds / 1e6, 1)) MB/s  \(fmt(ns / batches / 1000, 1)) µs/batch"
    }

    // MARK: Scan

    /// Writes a log of about `megabytes` MiB in the storage format, batch by batch, without keeping
    /// its entries in memory (so the peak memory reported afterwards belongs to the scan).
    func writeLog(_ fs: PosixFileSystem, _ dir: String, megabytes: Int) throws -> [String] {
        try clear(fs, dir)
        let created = try LogStorage.open(directory: dir, fileSystem: fs)
        let logID = created.logID
        created.close()
        let entryBytes = self.entryBytes, batchEntries = self.batchEntries  // option wrappers are slow to read
        _ = try SyntheticLog.write(
            directory: dir, fileSystem: fs, logID: logID, megabytes: megabytes,
            entryBytes: entryBytes, batchEntries: batchEntries, seed: 7
        ) { data, _, g in
            for i in stride(from: 0, to: entryBytes, by: 8) {
                let v = g.next()
                for k in 0..<min(8, entryBytes - i) { data[i + k] = UInt8(truncatingIfNeeded: v >> UInt64(8 * k)) }
            }
        }
        return try fs.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".seg") }.map { Path.join(dir, $0) }
    }

    func scanBenchmark(_ fs: PosixFileSystem) throws {
        let dir = Path.join(directory, "scan")
        let t0 = nowNanoseconds()
        let segments = try writeLog(fs, dir, megabytes: scanMegabytes)
        let bytes = try segments.reduce(Int64(0)) { $0 + (try fs.fileSize(atPath: $1)) }
        print("")
        print(
            "scan: \(segments.count) segment(s), \(fmt(Double(bytes) / 1e6, 1)) MB, entries of \(entryBytes) B in batches of \(batchEntries) (written in \(fmt(Double(nowNanoseconds() - t0) / 1e9, 1)) s); warm page cache, median of \(scanRepeats)"
        )
        _ = try catFiles(segments)  // warm the cache
        var catTimes: [Double] = [], verifyTimes: [Double] = [], mappedTimes: [Double] = [], floorTimes: [Double] = []
        var result: ScanResult?
        // Alternating within each round (cat, the read + checksum floor, the default scan, the
        // mapped scan), so that no reading gets the quieter moments of a shared machine.
        var rssAfterVerify = 0.0
        for round in 0..<scanRepeats {
            catTimes.append(try catFiles(segments))
            floorTimes.append(try readAndChecksum(fs, segments))
            let v0 = nowNanoseconds()
            let scanner = try LogScanner(directory: dir, fileSystem: fs)
            result = try scanner.verify()
            verifyTimes.append(Double(nowNanoseconds() - v0))
            if round == 0 { rssAfterVerify = maxResidentMegabytes() }
            let m0 = nowNanoseconds()
            let mappingScanner = try LogScanner(directory: dir, fileSystem: fs)
            mappingScanner.segmentReading = .mapWhenLocked
            let mappedResult = try mappingScanner.verify()
            mappedTimes.append(Double(nowNanoseconds() - m0))
            guard mappedResult.entryRecords == result?.entryRecords, mappedResult.problems.isEmpty else {
                throw ValidationError("the mapped scan disagrees with the copying scan")
            }
        }
        guard let result, result.problems.isEmpty else { throw ValidationError("the benchmark log does not verify: \(result?.problems ?? [])") }
        let catNs = median(catTimes), verifyNs = median(verifyTimes)
        print(pad("  cat > /dev/null", 34) + "\(fmt(Double(bytes) / catNs, 2)) GB/s  (\(fmt(catNs / 1e6, 1)) ms)")
        print(
            pad("  LogScanner.verify", 34)
                + "\(fmt(Double(bytes) / verifyNs, 2)) GB/s  (\(fmt(verifyNs / 1e6, 1)) ms, \(result.entryRecords) entries, \(result.batchRecords) batches)"
        )
        print("  ratio (verify / cat): \(fmt(catNs / verifyNs, 3))  (target ≥ 0.8, issue 16 §7)")
        let floorNs = median(floorTimes)
        print(
            pad("  read + CRC32C, no record walk", 34)
                + "\(fmt(Double(bytes) / floorNs, 2)) GB/s  (\(fmt(floorNs / 1e6, 1)) ms; ratio to cat \(fmt(catNs / floorNs, 3)): the most a verify can reach here)"
        )
        let mappedNs = median(mappedTimes)
        print(
            pad("  LogScanner.verify, mapped", 34)
                + "\(fmt(Double(bytes) / mappedNs, 2)) GB/s  (\(fmt(mappedNs / 1e6, 1)) ms; segmentReading = .mapWhenLocked, mmap under the directory lock)"
        )
        print(
            "  peak resident memory after writing and one verify: \(fmt(rssAfterVerify, 1)) MB (the log is \(fmt(Double(bytes) / 1e6, 1)) MB)"
        )

        // Recovery proper: LogStorage.open rebuilds every entry in memory, on a smaller log.
        let openDir = Path.join(directory, "open")
        let openSegments = try writeLog(fs, openDir, megabytes: min(openMegabytes, scanMegabytes))
        let openBytes = try openSegments.reduce(Int64(0)) { $0 + (try fs.fileSize(atPath: $1)) }
        _ = try catFiles(openSegments)
        var openTimes: [Double] = [], openCat: [Double] = []
        var count = 0
        for _ in 0..<scanRepeats {
            openCat.append(try catFiles(openSegments))
            let o0 = nowNanoseconds()
            let log = try LogStorage.open(directory: openDir, fileSystem: fs)
            openTimes.append(Double(nowNanoseconds() - o0))
            count = log.entries.count
            log.close()
        }
        // Where open's time goes: the scan with a visitor that copies each payload into an Entry.
        var visitTimes: [Double] = []
        for _ in 0..<scanRepeats {
            var entries: [Entry] = []
            let v0 = nowNanoseconds()
            _ = try LogScanner(directory: openDir, fileSystem: fs).scan { record, payload in
                if let e = record.entry(payload: payload) { entries.append(e) }
            }
            visitTimes.append(Double(nowNanoseconds() - v0))
            count = entries.count
        }
        print(pad("  scan building [Entry]", 34) + "\(fmt(Double(openBytes) / median(visitTimes), 2)) GB/s  (\(fmt(median(visitTimes) / 1e6, 1)) ms)")
        print(
            pad("  cat > /dev/null (open log)", 34) + "\(fmt(Double(openBytes) / median(openCat), 2)) GB/s  (\(fmt(Double(openBytes) / 1e6, 1)) MB)")
        print(
            pad("  LogStorage.open", 34)
                + "\(fmt(Double(openBytes) / median(openTimes), 2)) GB/s  (\(fmt(median(openTimes) / 1e6, 1)) ms, \(count) entries rebuilt; target ≥ 3 GB/s)"
        )
        print("  ratio (open / cat of the open log): \(fmt(median(openCat) / median(openTimes), 3))")
        // A restarted process rebuilds its entries in memory it has never touched; the repeated
        // opens above reuse what the allocator got back from the previous one. What a first touch
        // of that much fresh memory costs here, 4 KiB pages:
        let touchNs = median((0..<scanRepeats).map { _ in firstTouchNanoseconds(bytes: Int(openBytes)) })
        print(
            pad("  first touch of as much fresh memory", 34)
                + "\(fmt(Double(openBytes) / touchNs, 2)) GB/s  (\(fmt(touchNs / 1e6, 1)) ms: what a restarted process pays before it stores one entry)"
        )
        try clear(fs, dir)
        try clear(fs, openDir)
    }

    /// Reads `files` through one window-sized buffer, as the scanner does, and checksums every
    /// byte with CRC32C, with no record walk: the floor under `LogScanner.verify`, in ns.
    func readAndChecksum(_ fs: PosixFileSystem, _ files: [String]) throws -> Double {
        let window = UnsafeMutableRawBufferPointer.allocate(byteCount: LogScanner.defaultChunkSize, alignment: 64)
        defer { window.deallocate() }
        var register: UInt32 = 0
        let t0 = nowNanoseconds()
        for path in files {
            let file = try fs.openFileForReading(atPath: path)
            defer { file.close() }
            var offset: Int64 = 0
            while case let n = try file.read(into: window, at: offset), n > 0 {
                register = CRC32C.update(register, UnsafeRawBufferPointer(rebasing: window[0..<n]))
                offset += Int64(n)
            }
        }
        let elapsed = Double(nowNanoseconds() - t0)
        precondition(files.isEmpty || register != 0, "random bytes checksum to 0 with odds 2^-32")
        return elapsed
    }

    /// Maps `bytes` of fresh anonymous memory, writes one byte per 4 KiB page, unmaps it; the
    /// time of the mapping and the writes, in ns (the kernel zeroes each page at its first touch).
    func firstTouchNanoseconds(bytes: Int) -> Double {
        let t0 = nowNanoseconds()
        guard let base = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), base != MAP_FAILED else {
            return .nan
        }
        let pages = base.assumingMemoryBound(to: UInt8.self)
        for offset in stride(from: 0, to: bytes, by: 4096) { pages[offset] = 1 }
        let elapsed = Double(nowNanoseconds() - t0)
        munmap(base, bytes)
        return elapsed
    }

    /// Runs `cat FILES > /dev/null` through posix_spawn and returns its wall time in ns.
    func catFiles(_ files: [String]) throws -> Double {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = (["cat"] + files).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let t0 = nowNanoseconds()
        let rc = posix_spawnp(&pid, "cat", &actions, nil, argv, environ)
        guard rc == 0 else { throw ValidationError("cannot run cat: \(rc)") }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return Double(nowNanoseconds() - t0)
    }
}

private func maxResidentMegabytes() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024  // kilobytes on Linux
}

private func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.isEmpty ? 0 : s[s.count / 2]
}

private func fmt(_ x: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let r = (x * scale).rounded() / scale
    var s = "\(r)"
    if digits == 0, s.hasSuffix(".0") { s.removeLast(2) }
    return s
}

private func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count) }
