import ArgumentParser
import LogdumpKit
import RaftCore
import RaftStorage
#if canImport(Glibc)
    import Glibc
#endif

/// `raftbench logdump`: logdump verify and dump on a large log (warm page cache), beside `cat` of the
/// same files in the same run; peak RSS of each, measured in a child process, for two log sizes.
struct LogdumpBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logdump",
        abstract: "logdump verify (GB/s) and dump text to /dev/null (entries/s) beside cat, with peak RSS at two log sizes.",
        discussion: """
            The logs are written once under --directory (reused by later runs) with entries of --entry-bytes in \
            batches of --batch-entries. Each figure is the median of --repeats runs after one warm-up read. \
            Peak resident memory is the VmHWM of a child process that runs only that command (scan = LogScanner.verify alone), \
            so the two log sizes can be compared.
            """)

    @Option(help: "Directory for the benchmark logs (not the repository).")
    var directory: String = "/tmp/raftbench-logdump"

    @Option(help: "Size of the large log, in MiB.")
    var megabytes: Int = 512

    @Option(help: "Size of the small log for the memory comparison, in MiB.")
    var smallMegabytes: Int = 128

    @Option(help: "Payload bytes per entry.")
    var entryBytes: Int = 128

    @Option(help: "Entries per batch.")
    var batchEntries: Int = 64

    @Option(help: "Payloads: text (printable commands) or random (bytes, dumped as hex).")
    var payload: String = "text"

    @Option(help: "Timed repetitions (median reported).")
    var repeats: Int = 5

    @Option(help: .hidden)
    var child: String?

    func validate() throws {
        guard megabytes >= 1, smallMegabytes >= 1, entryBytes >= 0, batchEntries >= 1, repeats >= 1 else {
            throw ValidationError("sizes and counts must be positive")
        }
        guard payload == "text" || payload == "random" else { throw ValidationError("--payload is text or random") }
    }

    func logDirectory(_ mb: Int) -> String { Path.join(directory, "\(payload)-\(entryBytes)B-\(mb)MiB") }

    func run() throws {
        let fs = PosixFileSystem()
        pinAllocatorMmapThreshold()  // as logdump's main does
        if let child {
            // A child run: one command on one log, output to /dev/null (the parent reads our peak RSS).
            let parts = child.split(separator: ":")
            let dir = logDirectory(Int(parts[1])!)
            let null = Output(fd: open("/dev/null", O_WRONLY))
            let input = try LogInput.directoryInput(dir, fileSystem: fs)
            switch parts[0] {
            case "verify": _ = try Verifier(input: input, fileSystem: fs).run(out: null)
            case "scan": _ = try LogScanner(directory: dir, fileSystem: fs).verify()
            default: _ = try Dumper(input: input, options: DumpOptions(), fileSystem: fs).run(out: null, err: null)
            }
            // The high-water mark of this process image (ru_maxrss would include the parent's pages
            // from before exec), for the parent to read.
            print(highWaterMarkKB(), to: &standardError)
            return
        }
        try fs.createDirectory(atPath: directory)
        let big = try ensureLog(fs, megabytes)
        let small = try ensureLog(fs, smallMegabytes)
        let files = try fs.contentsOfDirectory(atPath: big).filter { $0.hasSuffix(".seg") }.map { Path.join(big, $0) }
        let bytes = try files.reduce(Int64(0)) { $0 + (try fs.fileSize(atPath: $1)) }
        let input = try LogInput.directoryInput(big, fileSystem: fs)
        let nullFD = open("/dev/null", O_WRONLY)
        defer { close(nullFD) }

        _ = try catTime(files)  // warm the page cache
        var cat: [Double] = [], verify: [Double] = [], dump: [Double] = [], jsonl: [Double] = []
        var entries = 0
        for _ in 0..<repeats {
            cat.append(try catTime(files))
            let v0 = nowNanoseconds()
            let status = try Verifier(input: input, fileSystem: fs).run(out: Output(fd: nullFD))
            verify.append(Double(nowNanoseconds() - v0))
            guard status == .clean else { throw ValidationError("the benchmark log does not verify clean") }
            let d0 = nowNanoseconds()
            _ = try Dumper(input: input, options: DumpOptions(), fileSystem: fs).run(out: Output(fd: nullFD), err: Output(fd: 2))
            dump.append(Double(nowNanoseconds() - d0))
            var o = DumpOptions()
            o.format = .jsonl
            let j0 = nowNanoseconds()
            _ = try Dumper(input: input, options: o, fileSystem: fs).run(out: Output(fd: nullFD), err: Output(fd: 2))
            jsonl.append(Double(nowNanoseconds() - j0))
        }
        entries = try LogScanner(directory: big, fileSystem: fs).verify().entryRecords
        let c = median(cat), v = median(verify), d = median(dump), j = median(jsonl)
        print(
            "logdump on \(files.count) segment(s), \(fmt(Double(bytes) / 1e6, 1)) MB, \(entries) entries of \(entryBytes) B (\(payload)) in batches of \(batchEntries); warm page cache; median of \(repeats)"
        )
        print(
            pad("  cat > /dev/null", 36)
                + "\(fmt(Double(bytes) / c, 2)) GB/s   \(fmt(Double(entries) / c * 1e3, 2)) M entries/s  (\(fmt(c / 1e6, 1)) ms)")
        print(
            pad("  logdump verify", 36)
                + "\(fmt(Double(bytes) / v, 2)) GB/s   \(fmt(Double(entries) / v * 1e3, 2)) M entries/s  (\(fmt(v / 1e6, 1)) ms)  target ≥ 2.5 GB/s")
        print(
            pad("  logdump dump (text > /dev/null)", 36)
                + "\(fmt(Double(bytes) / d, 2)) GB/s   \(fmt(Double(entries) / d * 1e3, 2)) M entries/s  (\(fmt(d / 1e6, 1)) ms)  target ≥ 2 M entries/s"
        )
        print(
            pad("  logdump dump --format jsonl", 36)
                + "\(fmt(Double(bytes) / j, 2)) GB/s   \(fmt(Double(entries) / j * 1e3, 2)) M entries/s  (\(fmt(j / 1e6, 1)) ms)")
        print("  ratios to cat: verify \(fmt(c / v, 3)), dump \(fmt(c / d, 3))")
        // Peak memory per command, in a child process each, for both sizes.
        for mode in ["scan", "verify", "dump"] {
            var line = pad("  peak RSS, \(mode)", 36)
            for mb in [smallMegabytes, megabytes] {
                line += "\(mb) MiB log: \(fmt(try childPeakRSS(mode: mode, mb: mb), 1)) MB   "
            }
            print(line)
        }
        _ = small
    }

    /// Writes a log of about `mb` MiB (once; reused when present and complete).
    func ensureLog(_ fs: PosixFileSystem, _ mb: Int) throws -> String {
        let dir = logDirectory(mb)
        let done = dir + ".complete"
        if fs.fileExists(atPath: done) { return dir }
        if fs.fileExists(atPath: dir) {
            for name in try fs.contentsOfDirectory(atPath: dir) { try fs.removeFile(atPath: Path.join(dir, name)) }
        }
        let t0 = nowNanoseconds()
        let created = try LogStorage.open(directory: dir, fileSystem: fs, options: StorageOptions(newLogID: LogID(bytes: Array(1...16))))
        let logID = created.logID
        created.close()
        let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
        let isText = payload == "text", entryBytes = self.entryBytes
        let last = try SyntheticLog.write(
            directory: dir, fileSystem: fs, logID: logID, megabytes: mb,
            entryBytes: entryBytes, batchEntries: batchEntries, seed: 11
        ) { data, index, g in
            if isText {
                let prefix = Array("set key\(index % 100_000) ".utf8)
                for i in 0..<entryBytes {
                    data[i] = i < prefix.count ? prefix[i] : letters[Int(g.next() % UInt64(letters.count))]
                }
            } else {
                for i in 0..<entryBytes { data[i] = UInt8(truncatingIfNeeded: g.next()) }
            }
        }
        let marker = try fs.openFile(atPath: done, create: true)
        marker.close()
        print("(wrote \(dir): \(last) entries in \(fmt(Double(nowNanoseconds() - t0) / 1e9, 1)) s)")
        return dir
    }

    /// Wall time of `cat FILES > /dev/null`, in ns.
    func catTime(_ files: [String]) throws -> Double {
        let t0 = nowNanoseconds()
        _ = try spawn("cat", files, stderrTo: nil)
        return Double(nowNanoseconds() - t0)
    }

    /// Peak RSS (MB) of `raftbench logdump --child MODE:MB`.
    func childPeakRSS(mode: String, mb: Int) throws -> Double {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let exe = String(decoding: buffer[0..<max(n, 0)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let report = Path.join(directory, "child-rss")
        _ = try spawn(
            exe,
            [
                "logdump", "--directory", directory, "--entry-bytes", String(entryBytes), "--payload", payload,
                "--child", "\(mode):\(mb)",
            ], stderrTo: report)
        let text = String(decoding: try PosixFileSystem().readFile(atPath: report), as: UTF8.self)
        guard let kb = Double(text.split(separator: "\n").last ?? "") else { throw ValidationError("child reported '\(text)'") }
        return kb / 1024
    }

    /// Runs a program with stdout on /dev/null (and stderr into a file, when given).
    func spawn(_ program: String, _ args: [String], stderrTo: String?) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        if let stderrTo { posix_spawn_file_actions_addopen(&actions, 2, stderrTo, O_WRONLY | O_CREAT | O_TRUNC, 0o644) }
        let argv: [UnsafeMutablePointer<CChar>?] = ([program] + args).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        guard posix_spawnp(&pid, program, &actions, nil, argv, environ) == 0 else { throw ValidationError("cannot run \(program)") }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        guard status == 0 else { throw ValidationError("\(program) \(args.joined(separator: " ")) exited with status \(status)") }
    }
}

/// VmHWM of /proc/self/status, in KiB.
private func highWaterMarkKB() -> Int {
    // /proc files report size 0: read until the end.
    let fd = open("/proc/self/status", O_RDONLY)
    guard fd >= 0 else { return 0 }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
        if n <= 0 { break }
        bytes += chunk[0..<n]
    }
    for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") ?? 0
    }
    return 0
}

private struct StandardError: TextOutputStream {
    mutating func write(_ s: String) { _ = s.withCString { Glibc.write(2, $0, strlen($0)) } }
}
nonisolated(unsafe) private var standardError = StandardError()

private func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

private func fmt(_ x: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let r = (x * scale).rounded()
    let whole = Int(r / scale)
    var frac = String(Int(r) - whole * Int(scale))
    while frac.count < digits { frac = "0" + frac }
    return digits > 0 ? "\(whole).\(frac)" : "\(whole)"
}

private func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count) }
