#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import RaftCore
import RaftStorage

/// Options of `logdump repair`.
public struct RepairOptions: Sendable {
    /// Carry the plan out (otherwise: dry run).
    public var apply = false
    /// Allow cutting acknowledged data (corruption, inconsistency, or a clean log).
    public var acceptDataLoss = false
    /// With `acceptDataLoss`: the first index that goes (the log keeps `1..<cutAt`).
    public var cutAt: UInt64?
    /// Undo a repair from this backup folder.
    public var restore: String?
    /// The backup folder's name (default: `logdump-backup-<UTC time>`).
    public var backupName: String?

    /// The defaults: plan only, nothing changed.
    public init() {}

    /// Refuses option combinations that contradict each other.
    public func validate() throws(LogdumpError) {
        if cutAt != nil && !acceptDataLoss { throw LogdumpError("--cut-at needs --accept-data-loss: a cut at an index loses acknowledged entries") }
        if let cutAt, cutAt < 1 { throw LogdumpError("--cut-at must be at least 1 (the log keeps the entries below it)") }
        if restore != nil && (acceptDataLoss || cutAt != nil) {
            throw LogdumpError("--restore cannot be combined with --accept-data-loss or --cut-at")
        }
        if let name = backupName, name.isEmpty || name.contains("/") || name.hasPrefix(".") {
            throw LogdumpError("--backup-name must be a plain folder name")
        }
    }
}

/// `logdump repair`: a dry-run plan by default; `--apply` locks, backs up, cuts, fsyncs and re-verifies.
public struct Repairer {
    /// The data directory to repair.
    public let directory: String
    /// Where its files are.
    public let fileSystem: FileSystem
    /// What to do and where the backup goes.
    public let options: RepairOptions
    /// The time written into backup names and manifests (tests fix it).
    public var now: () -> String = utcTimestamp

    /// A repair of `directory` with `options`.
    public init(directory: String, fileSystem: FileSystem, options: RepairOptions) {
        self.directory = Path.normalized(directory)
        self.fileSystem = fileSystem
        self.options = options
    }

    /// Prints the plan, and carries it out (after a backup) when asked to.
    public func run(out: Output, err: Output) throws(LogdumpError) -> LogdumpExit {
        try options.validate()
        if let restore = options.restore { return try runRestore(backup: restore, out: out) }
        _ = try LogInput.directoryInput(directory, fileSystem: fileSystem)
        let lock = options.apply ? try lockDirectory() : nil
        defer { lock?.release() }
        let scanner = try LogInput.run { () throws(StorageError) in try LogScanner(directory: directory, fileSystem: fileSystem) }
        let pre = try LogInput.run { () throws(StorageError) in try scanner.verify() }
        out.line("repair \(directory)" + (options.apply ? "" : " (dry run: nothing is written; --apply carries the plan out)"))
        if pre.problems.isEmpty {
            out.line("problems: none")
        } else {
            out.line("problems:")
            for p in pre.problems { out.line("  " + problemLine(p)) }
        }
        let status = LogdumpExit(worst: pre.worst)
        let planner = RepairPlanner(scanner: scanner, scan: pre)
        let plan: RepairPlan
        if options.acceptDataLoss {
            guard let cutAt = options.cutAt else {
                out.flush()
                throw LogdumpError(
                    "--accept-data-loss needs an explicit cut point: --cut-at INDEX (the log keeps the entries below it"
                        + (planner.largestCut.map { "; the damage allows at most --cut-at \($0), a batch boundary)" }
                            ?? "; the first segment's header is damaged, so no cut can leave a readable log)"))
            }
            plan = try Self.planned { () throws(RepairRefusal) in try planner.cutPlan(at: cutAt) }
        } else if pre.problems.isEmpty {
            out.line("nothing to repair")
            out.flush()
            return .clean
        } else if status == .tornTail
            || (pre.failureMarker != nil && pre.problems.allSatisfy { $0.class == .tornTail || $0.file == FailureMarker.fileName })
        {
            plan = try Self.planned { () throws(RepairRefusal) in try planner.tornTailPlan() }
        } else {
            refuse(status: status, pre: pre, largestCut: planner.largestCut, out: out)
            out.flush()
            return status
        }
        render(plan, out: out)
        guard options.apply else {
            out.line("dry run: nothing was written")
            out.flush()
            return status
        }
        guard !plan.actions.isEmpty else {
            out.line("nothing to write")
            out.flush()
            return status
        }
        let backup = try makeBackup(plan, out: out)
        out.line("backed up to \(backup) (manifest of checksums in \(Path.join(backup, manifestName)))")
        do { try plan.apply(fileSystem: fileSystem) } catch {
            out.flush()
            throw LogdumpError("the repair failed part way: \(error); undo it with: logdump repair \(directory) --restore \(backup)")
        }
        out.line("applied \(plan.actions.count) action(s); files and directory synced")
        let after = try LogInput.run { () throws(StorageError) in try LogScanner(directory: directory, fileSystem: fileSystem).verify() }
        let afterStatus = LogdumpExit(worst: after.worst)
        if after.problems.isEmpty {
            out.line("re-verify: clean (the log ends at index \(after.lastIndex), term \(after.lastTerm))")
        } else {
            out.line("re-verify: \(after.problems.count) problem(s) remain:")
            for p in after.problems { out.line("  " + problemLine(p)) }
        }
        out.line("undo with: logdump repair \(directory) --restore \(Path.name(of: backup))")
        out.flush()
        return afterStatus
    }

    /// The lock a node (`LogStorage`) holds while it has the directory open: a repair never writes
    /// under a running node or another repair.
    func lockDirectory() throws(LogdumpError) -> DirectoryLock? {
        do { return try fileSystem.lockDirectory(atPath: directory) } catch {
            throw LogdumpError("cannot lock \(directory): \(error.message); stop the node (or the other repair) using it first")
        }
    }

    // MARK: Plans (RaftStorage's `RepairPlanner` makes them; this renders them)

    /// Runs the planner, turning its refusal into a logdump error with the same words.
    static func planned(_ body: () throws(RepairRefusal) -> RepairPlan) throws(LogdumpError) -> RepairPlan {
        do { return try body() } catch { throw LogdumpError(error.message) }
    }

    /// Why nothing is cut without `--accept-data-loss`, and the cut that would be possible.
    func refuse(status: LogdumpExit, pre: ScanResult, largestCut: UInt64?, out: Output) {
        out.line("refused: \(verdictWord(status)) is not a torn tail; cutting it loses entries that were acknowledged as durable.")
        guard let cut = largestCut else {
            out.line("  the first segment's header does not decode: no cut can leave a readable log; restore this node from a peer")
            return
        }
        if pre.problems.allSatisfy({ !StorageFormat.isSegmentName($0.file) }) {
            out.line("  the segments read back; the hard state can be rewritten to match them: --accept-data-loss --cut-at \(cut)")
            return
        }
        out.line("  the durable log ends at index \(cut - 1): the batches through it read back and fit together, the first problem comes after them")
        if pre.maxIndexSeen >= cut {
            out.line(
                "  a cut there keeps \(pre.firstIndex)…\(cut - 1) and removes what the files hold after it (up to index \(pre.maxIndexSeen)), some of it acknowledged"
            )
        }
        if let commit = pre.hardState?.chosen?.hardState?.commit, commit >= cut {
            out.line(
                "  the hard state's commit index \(commit) is past that end: committed entries \(cut)…\(commit) would be lost (restore this node from a peer if you can)"
            )
        }
        out.line("  to do it anyway: logdump repair \(directory) --accept-data-loss --cut-at \(cut)   (dry run first, then --apply)")
    }

    func render(_ plan: RepairPlan, out: Output) {
        out.line("plan:")
        if plan.actions.isEmpty { out.line("  (no file changes)") }
        for (k, a) in plan.actions.enumerated() { out.line("  \(k + 1). " + describe(a)) }
        for s in plan.summary { out.line("     " + s) }
        if plan.lostRuns.isEmpty {
            out.line("entries that would go: none")
        } else {
            let total = plan.lostRuns.reduce(UInt64(0)) { $0 + $1.last - $1.first + 1 }
            out.line("entries that would go (\(total)):")
            for r in plan.lostRuns { out.line("  " + (r.first == r.last ? "index \(r.first)" : "indexes \(r.first)…\(r.last)") + ", term \(r.term)") }
        }
        if plan.onlyTornTail {
            out.line("committed entries that would go: none (a torn tail was never acknowledged)")
        } else if let c = plan.committedLost {
            out.line("committed entries that would go: \(c.lowerBound)…\(c.upperBound)")
        } else {
            out.line("committed entries that would go: none")
        }
        for line in plan.explanation { out.line(line) }
    }

    func describe(_ a: RepairAction) -> String {
        switch a {
        case .truncate(let path, let length):
            let size = (try? fileSystem.fileSize(atPath: path)) ?? length
            return "truncate \(Path.name(of: path)) from \(size) to \(length) bytes (cut at offset \(length))"
        case .remove(let path):
            return "remove \(Path.name(of: path))"
        case .replaceHardState(let path, let state, let sequence, _, _, _):
            return
                "rewrite \(Path.name(of: path)) (both slots): term \(state.term), vote \(state.vote), commit \(state.commit), sequence \(sequence + 1)"
        }
    }

    // MARK: Backup and restore

    let manifestName = "MANIFEST"

    /// Copies every file the plan touches into a new backup folder under the data directory, with a
    /// manifest of their sizes and CRC32Cs; everything synced.
    func makeBackup(_ plan: RepairPlan, out: Output) throws(LogdumpError) -> String {
        var paths: [String] = []
        for a in plan.actions {
            switch a {
            case .truncate(let path, _), .remove(let path), .replaceHardState(let path, _, _, _, _, _):
                if !paths.contains(path) && fileSystem.fileExists(atPath: path) { paths.append(path) }
            }
        }
        let stamp = now()
        var name = options.backupName ?? "logdump-backup-\(stamp)"
        var n = 2
        while fileSystem.fileExists(atPath: Path.join(directory, name)) { name = (options.backupName ?? "logdump-backup-\(stamp)") + "-\(n)"; n += 1 }
        let backup = Path.join(directory, name)
        var manifest = "logdump-backup 1\ndirectory \(directory)\ncreated \(stamp)\n"
        for s in plan.summary { manifest += "plan \(s)\n" }
        do {
            try fileSystem.createDirectory(atPath: backup)
            for path in paths {
                let (size, crc) = try copyFile(from: path, to: Path.join(backup, Path.name(of: path)))
                manifest += "file \(formatChecksumText(crc)) \(size) \(Path.name(of: path))\n"
            }
            try fileSystem.writeFileAtomically(Array(manifest.utf8), atPath: Path.join(backup, manifestName))
            try fileSystem.syncDirectory(atPath: backup)
            try fileSystem.syncDirectory(atPath: directory)
        } catch {
            throw LogdumpError("backup to \(backup) failed, nothing was repaired: \(error)")
        }
        return backup
    }

    /// Streams a file to `to` (via `to.tmp`, synced, renamed); returns its size and CRC32C.
    func copyFile(from: String, to: String) throws(StorageError) -> (Int64, UInt32) {
        let source = try fileSystem.openFileForReading(atPath: from)
        defer { source.close() }
        let temporary = to + ".tmp"
        if fileSystem.fileExists(atPath: temporary) { try fileSystem.removeFile(atPath: temporary) }
        let target = try fileSystem.openFile(atPath: temporary, create: true)
        var closed = false
        defer { if !closed { target.close() } }
        try target.truncate(to: 0)
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        var register: UInt32 = 0xFFFF_FFFF
        while true {
            let n = try source.read(into: buffer, at: offset)
            if n == 0 { break }
            let part = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            register = CRC32C.update(register, part)
            try target.write(part, at: offset)
            offset += Int64(n)
        }
        try target.sync()
        target.close()
        closed = true
        try fileSystem.rename(from: temporary, to: to)
        return (offset, ~register)
    }

    /// Size and CRC32C of a file, streamed.
    func fileChecksum(_ path: String) throws(StorageError) -> (Int64, UInt32) {
        let file = try fileSystem.openFileForReading(atPath: path)
        defer { file.close() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        var register: UInt32 = 0xFFFF_FFFF
        while true {
            let n = try file.read(into: buffer, at: offset)
            if n == 0 { break }
            register = CRC32C.update(register, UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            offset += Int64(n)
        }
        return (offset, ~register)
    }

    /// Puts the files of a backup back, after checking them against the manifest; checks the result.
    func runRestore(backup: String, out: Output) throws(LogdumpError) -> LogdumpExit {
        guard fileSystem.isDirectory(atPath: directory) else { throw LogdumpError("\(directory): no such directory") }
        let folder = fileSystem.isDirectory(atPath: backup) ? Path.normalized(backup) : Path.join(directory, backup)
        let manifestPath = Path.join(folder, manifestName)
        guard fileSystem.fileExists(atPath: manifestPath) else { throw LogdumpError("\(backup): not a logdump backup (no \(manifestName))") }
        let text = String(decoding: try LogInput.run { () throws(StorageError) in try fileSystem.readFile(atPath: manifestPath) }, as: UTF8.self)
        var files: [(name: String, size: Int64, crc: String)] = []
        for line in text.split(separator: "\n") where line.hasPrefix("file ") {
            let parts = line.split(separator: " ", maxSplits: 3)
            guard parts.count == 4, let size = Int64(parts[2]) else { throw LogdumpError("\(manifestPath): malformed line '\(line)'") }
            let name = String(parts[3])
            guard !name.contains("/"), !name.isEmpty else { throw LogdumpError("\(manifestPath): bad file name '\(name)'") }
            files.append((name, size, String(parts[1])))
        }
        guard text.hasPrefix("logdump-backup 1\n") else { throw LogdumpError("\(manifestPath): not a logdump backup manifest") }
        let lock = try lockDirectory()
        defer { lock?.release() }
        out.line("restore \(directory) from \(folder)")
        for f in files {
            let copy = Path.join(folder, f.name)
            let (size, crc) = try LogInput.run { () throws(StorageError) in try fileChecksum(copy) }
            guard size == f.size, formatChecksumText(crc) == f.crc else {
                throw LogdumpError(
                    "\(copy) does not match the manifest (\(size) bytes, \(formatChecksumText(crc)); expected \(f.size) bytes, \(f.crc)): nothing was restored"
                )
            }
        }
        for f in files {
            let target = Path.join(directory, f.name)
            let (size, crc) = try LogInput.run { () throws(StorageError) in try copyFile(from: Path.join(folder, f.name), to: target) }
            guard size == f.size, formatChecksumText(crc) == f.crc else { throw LogdumpError("restoring \(f.name) wrote different bytes") }
            out.line("  restored \(f.name): \(size) bytes, crc \(f.crc)")
        }
        try LogInput.run { () throws(StorageError) in try fileSystem.syncDirectory(atPath: directory) }
        for f in files {
            let (size, crc) = try LogInput.run { () throws(StorageError) in try fileChecksum(Path.join(directory, f.name)) }
            guard size == f.size, formatChecksumText(crc) == f.crc else { throw LogdumpError("\(f.name) does not read back as backed up") }
        }
        out.line("every restored file matches the manifest; the backup folder is kept (\(Path.name(of: folder)))")
        let after = try LogInput.run { () throws(StorageError) in try LogScanner(directory: directory, fileSystem: fileSystem).verify() }
        out.line(
            "verify after restore: \(verdictWord(LogdumpExit(worst: after.worst)))\(after.problems.isEmpty ? "" : " (\(after.problems.count) problem(s), as before the repair)")"
        )
        out.flush()
        return .clean
    }
}

extension StorageFormat {
    static func isSegmentName(_ name: String) -> Bool { segmentSequence(fileName: name) != nil }
}

/// `20261127T031500Z`.
public func utcTimestamp() -> String {
    var t = time(nil)
    var parts = tm()
    gmtime_r(&t, &parts)
    func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
    return "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))T\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))Z"
}
