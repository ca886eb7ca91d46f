import ArgumentParser
#if canImport(Glibc)
    import Glibc
#endif

/// The disk's own `fdatasync` rate when several writers share it: the ceiling a cluster whose
/// nodes all live on one disk (a benchmark on one machine) writes under.
struct DiskBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disk",
        abstract: "How many pwrite+fdatasync rounds per second the disk gives 1, 2, 3… writers at once.",
        discussion: """
            Each writer is a thread with a file of its own, preallocated and filled with zeros first \
            (as raftd's segments are), that overwrites --write-bytes at a time at advancing offsets, \
            each write followed by fdatasync, for --seconds. Reported per writer count: syncs per \
            second in all and per writer, and the median and 99th percentile of one write+sync. No \
            Raft code runs: this is what three raftd nodes on one disk share, whatever raftd does.
            """)

    @Option(help: "Directory for the writers' files (on the disk you want to measure).")
    var directory: String = "/tmp/raftbench-disk"

    @Option(help: "Writer counts to measure, comma-separated.")
    var writers: String = "1,3"

    @Option(help: "Bytes per write (2600 is about 18 of raftd's SET records, its batch under 50 clients).")
    var writeBytes: Int = 2600

    @Option(help: "Seconds each writer count runs.")
    var seconds: Double = 3

    func validate() throws {
        guard writeBytes >= 1, writeBytes <= 1 << 20 else { throw ValidationError("--write-bytes must be 1…1048576") }
        guard seconds > 0, seconds <= 600 else { throw ValidationError("--seconds must be more than 0 and at most 600") }
        guard !writerCounts.isEmpty, writerCounts.allSatisfy({ (1...64).contains($0) }) else {
            throw ValidationError("--writers must be a comma-separated list of counts 1…64, such as 1,3")
        }
    }

    var writerCounts: [Int] { writers.split(separator: ",").map { Int($0.filter { $0 != " " }) ?? 0 } }

    func run() throws {
        let created = mkdir(directory, 0o755) == 0
        guard created || errno == EEXIST else { throw ValidationError("cannot create \(directory)") }
        defer { if created { _ = rmdir(directory) } }
        print("disk: pwrite of \(writeBytes) B + fdatasync, each writer on a file of its own, \(fmtSeconds(seconds)) s per writer count")
        for count in writerCounts {
            let perWriterLatencies = try measure(writers: count)
            let total = perWriterLatencies.reduce(0) { $0 + $1.count }
            let latencies = perWriterLatencies.joined().sorted()
            let perWriter = perWriterLatencies.map { String(Int((Double($0.count) / seconds).rounded())) }.joined(separator: " / ")
            print(
                "  \(count) writer\(count == 1 ? " " : "s"): \(Int((Double(total) / seconds).rounded())) syncs/s in all (\(perWriter) per writer), "
                    + "write+sync median \(micro(latencies, 0.5)) µs, p99 \(micro(latencies, 0.99)) µs")
        }
    }

    /// One round: `writers` threads started together, each on its own file, joined at the end.
    /// Returns each writer's write+sync times, one per sync, in ns.
    func measure(writers: Int) throws -> [[UInt64]] {
        let writerBytes = 8 << 20
        let jobs = try (0..<writers).map { index in
            try WriterJob(path: "\(directory)/writer-\(index).dat", fileBytes: writerBytes, writeBytes: writeBytes, seconds: seconds)
        }
        defer { for job in jobs { job.close() } }
        var threads: [pthread_t] = []
        for job in jobs {
            do { threads.append(try start(job)) } catch {
                // The writers already started finish their seconds before their files close.
                for thread in threads { pthread_join(thread, nil) }
                throw error
            }
        }
        for thread in threads { pthread_join(thread, nil) }
        if let failed = jobs.first(where: { $0.failure != nil }) { throw ValidationError(failed.failure!) }
        return jobs.map(\.latenciesNanoseconds)
    }

    /// Runs `job` on a thread of its own (which keeps it alive until it has run).
    private func start(_ job: WriterJob) throws -> pthread_t {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(job).toOpaque()
        let started = pthread_create(
            &thread, nil,
            { raw in
                Unmanaged<WriterJob>.fromOpaque(raw!).takeRetainedValue().run()
                return nil
            }, box)
        guard started == 0 else {
            Unmanaged<WriterJob>.fromOpaque(box).release()
            throw ValidationError("cannot start a writer thread")
        }
        return thread
    }

    private func micro(_ sorted: [UInt64], _ quantile: Double) -> String {
        guard !sorted.isEmpty else { return "-" }
        let at = min(sorted.count - 1, Int(Double(sorted.count) * quantile))
        return String(sorted[at] / 1000)
    }

    private func fmtSeconds(_ s: Double) -> String { s == s.rounded() ? String(Int(s)) : String(s) }
}

/// One writer thread's file and loop. Touched by its thread only between start and join.
final class WriterJob: @unchecked Sendable {
    let path: String
    let fd: Int32
    let fileBytes: Int
    let buffer: [UInt8]
    let seconds: Double
    var latenciesNanoseconds: [UInt64] = []
    var failure: String?

    /// Creates the file and fills it with zeros, synced, so that the timed writes overwrite
    /// allocated blocks (no file growth, as with raftd's preallocated segments).
    init(path: String, fileBytes: Int, writeBytes: Int, seconds: Double) throws {
        self.path = path
        self.fileBytes = fileBytes
        self.seconds = seconds
        buffer = [UInt8](repeating: 0x5A, count: writeBytes)
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ValidationError("cannot create \(path)") }
        let zeros = [UInt8](repeating: 0, count: fileBytes)
        let written = zeros.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard written == fileBytes, fsync(fd) == 0 else { throw ValidationError("cannot fill \(path) with zeros") }
    }

    func run() {
        let endNanoseconds = nowNanoseconds() + UInt64(seconds * 1e9)
        var offset = 0
        latenciesNanoseconds.reserveCapacity(1 << 16)
        while true {
            let start = nowNanoseconds()
            guard start < endNanoseconds else { return }
            if offset + buffer.count > fileBytes { offset = 0 }
            let written = buffer.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
            guard written == buffer.count, fdatasync(fd) == 0 else {
                failure = "write or fdatasync failed on \(path): \(String(cString: strerror(errno)))"
                return
            }
            offset += buffer.count
            latenciesNanoseconds.append(nowNanoseconds() - start)
        }
    }

    func close() {
        _ = Glibc.close(fd)
        _ = unlink(path)
    }
}
