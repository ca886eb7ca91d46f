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

    public init() {}

    public func validate() throws(LogdumpError) {
        if cutAt != nil && !acceptDataLoss { throw LogdumpError("--cut-at needs --accept-data-loss: a cut at an index loses acknowledged entries") }
        if let cutAt, cutAt < 1 { throw LogdumpError("--cut-at must be at least 1 (the log keeps the entries below it)") }
        if restore != nil && (acceptDataLoss || cutAt != nil) { throw LogdumpError("--restore cannot be combined with --accept-data-loss or --cut-at") }
        if let name = backupName, name.isEmpty || name.contains("/") || name.hasPrefix(".") { throw LogdumpError("--backup-name must be a plain folder name") }
    }
}

/// `logdump repair`: a dry-run plan by default; `--apply` locks, backs up, cuts, fsyncs and re-verifies.
public struct Repairer {
    public let directory: String
    public let fileSystem: FileSystem
    public let options: RepairOptions
    /// The time written into backup names and manifests (tests fix it).
    public var now: () -> String = utcTimestamp

    public init(directory: String, fileSystem: FileSystem, options: RepairOptions) {
        self.directory = Path.normalized(directory)
        self.fileSystem = fileSystem
        self.options = options
    }

    /// A computed repair.
    struct Planned {
        var plan: RepairPlan
        /// Lines explaining the plan: what goes and why it is safe.
        var explanation: [String]
        /// Entries that would be lost, as runs of one term.
        var lostRuns: [(term: UInt64, first: UInt64, last: UInt64)]
        /// Of those, the ones at or below the commit index.
        var committedLost: ClosedRange<UInt64>?
    }

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
        let planned: Planned
        if options.acceptDataLoss {
            guard let cutAt = options.cutAt else {
                let suggestion = pre.repairPlan(acceptDataLoss: true)?.lostIndexes?.lowerBound ?? (pre.lastIndex + 1)
                out.flush()
                throw LogdumpError("--accept-data-loss needs an explicit cut point: --cut-at INDEX (the log keeps the entries below it; the damage allows at most --cut-at \(suggestion), a batch boundary)")
            }
            planned = try planCut(at: cutAt, pre: pre, scanner: scanner)
        } else if pre.problems.isEmpty {
            out.line("nothing to repair")
            out.flush()
            return .clean
        } else if status == .tornTail || (pre.failureMarker != nil && pre.problems.allSatisfy { $0.class == .tornTail || $0.file == FailureMarker.fileName }) {
            planned = try planTornTail(pre: pre, scanner: scanner)
        } else {
            out.line("refused: \(verdictWord(status)) is not a torn tail; cutting it loses entries that were acknowledged as durable.")
            if let loss = pre.repairPlan(acceptDataLoss: true), let lost = loss.lostIndexes {
                out.line("  the first damage allows a cut at index \(lost.lowerBound) at most (entries \(lost.lowerBound)…\(lost.upperBound) would go);")
                out.line("  to do it anyway: logdump repair \(directory) --accept-data-loss --cut-at \(lost.lowerBound)   (dry run first, then --apply)")
            } else if pre.problems.allSatisfy({ !StorageFormat.isSegmentName($0.file) }) {
                out.line("  the segments read back; the hard state can be rewritten to match them: --accept-data-loss --cut-at \(pre.lastIndex + 1)")
            } else {
                out.line("  no cut can make this log consistent without knowing where to cut: choose a batch boundary with `logdump dump --physical`, then --accept-data-loss --cut-at INDEX")
            }
            out.flush()
            return status
        }
        render(planned, out: out)
        guard options.apply else {
            out.line("dry run: nothing was written")
            out.flush()
            return status
        }
        guard !planned.plan.actions.isEmpty else {
            out.line("nothing to write")
            out.flush()
            return status
        }
        let backup = try makeBackup(planned.plan, out: out)
        out.line("backed up to \(backup) (manifest of checksums in \(Path.join(backup, manifestName)))")
        do { try planned.plan.apply(fileSystem: fileSystem) } catch {
            out.flush()
            throw LogdumpError("the repair failed part way: \(error); undo it with: logdump repair \(directory) --restore \(backup)")
        }
        out.line("applied \(planned.plan.actions.count) action(s); files and directory synced")
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

    // MARK: Plans

    /// Cut a proven torn tail (from the scanner's plan); rewrite a torn hard-state slot from the good one.
    func planTornTail(pre: ScanResult, scanner: LogScanner) throws(LogdumpError) -> Planned {
        var plan = pre.repairPlan(acceptDataLoss: false) ?? RepairPlan(actions: [], onlyTornTail: true, lostIndexes: nil, summary: [])
        var explanation: [String] = []
        var runs: [(term: UInt64, first: UInt64, last: UInt64)] = []
        if let t = pre.tornTail {
            _ = try LogInput.run { () throws(StorageError) in
                try scanner.scan { r, _ in
                    guard r.kind == .entry, pre.isInTornTail(file: r.file, offset: r.offset) else { return }
                    appendRun(&runs, term: r.term, index: r.index)
                }
            }
            let point = pre.lastBatch.map { "batch \($0.batchSequence), which ends the log at index \(pre.lastIndex), term \(pre.lastTerm)" } ?? "the segment header"
            if t.removeFile {
                explanation.append(t.unacknowledgedEntries == 0
                    ? "why it is safe: \(t.file) is the last segment and its header was never completely written: it holds nothing, so removing it loses nothing"
                    : "why it is safe: \(t.file) is the last segment, its header never reached the disk and none of its batches was synced (sync policy never): nothing in it was acknowledged")
            } else {
                explanation.append("why it is safe: the damage at \(t.file):\(t.damageOffset) lies after the last batch marker (\(point)) in the last segment, and no synced batch marker after it is followed by more data.")
                explanation.append("  A batch marker is written before every fsync, a save is acknowledged only after it, and the next save writes only after that: what follows offset \(t.cutOffset) is the write(s) of saves whose sync never returned, so nothing there was ever acknowledged (a crash may keep a later page of such a write and lose an earlier one).")
            }
        }
        if pre.failureMarker != nil {
            if pre.tornTail == nil {
                _ = try LogInput.run { () throws(StorageError) in
                    try scanner.scan { r, _ in
                        guard r.kind == .entry, pre.isInTornTail(file: r.file, offset: r.offset) else { return }
                        appendRun(&runs, term: r.term, index: r.index)
                    }
                }
            }
            explanation.append("why the failure marker's undo is safe: the write whose sync failed was never acknowledged (a save returns only after its sync), so cutting it back loses nothing; storage could not do it itself")
        }
        plan.summary = plan.summary.filter { !$0.hasPrefix("nothing to cut") }
        if let rewrite = hardStateSlotRewrite(pre) {
            plan = RepairPlan(actions: plan.actions + [rewrite.action], onlyTornTail: true, lostIndexes: nil, summary: plan.summary + [rewrite.summary])
            explanation.append("why the hard-state rewrite is safe: it writes the state of the good slot (the last durable one) into both slots, atomically (temp file, fsync, rename, directory fsync)")
        }
        return Planned(plan: plan, explanation: explanation, lostRuns: runs, committedLost: nil)
    }

    /// A rewrite of the hard-state file from its good slot when the other slot is torn.
    func hardStateSlotRewrite(_ pre: ScanResult) -> (action: RepairAction, summary: String)? {
        guard let hs = pre.hardState, let chosen = hs.chosen, let state = chosen.hardState, let sequence = chosen.sequence, let logID = chosen.logID,
              pre.problems.contains(where: { $0.class == .tornTail && $0.file == StorageFormat.hardStateFileName }) else { return nil }
        let action = RepairAction.replaceHardState(path: hs.path, state: state, sequence: sequence, batchSequence: chosen.batchSequence ?? 0,
                                                   segmentSequence: chosen.segmentSequence ?? 0, logID: logID)
        return (action, "rewrite the torn hard-state slot from slot \(chosen.slot) (sequence \(sequence)): term \(state.term), vote \(state.vote), commit \(state.commit)")
    }

    /// Cut the log so that it keeps `1..<cutAt`: at the last batch boundary with that end which lies
    /// before any damage; later segments go; the hard state is rewritten to match.
    func planCut(at cutAt: UInt64, pre: ScanResult, scanner: LogScanner) throws(LogdumpError) -> Planned {
        var ordinals: [String: Int] = [:]
        for (i, s) in pre.segments.enumerated() where ordinals[s.name] == nil { ordinals[s.name] = i }
        // The first damage in the segments (torn tails count: nothing after them is kept either).
        let firstDamage = pre.problems.compactMap { p -> (Int, Int64)? in ordinals[p.file].map { ($0, p.offset) } }.min { $0 < $1 }
        let firstSegment = pre.segments.first
        guard let firstSegment, let firstHeader = firstSegment.header else {
            throw LogdumpError("the first segment's header does not decode: no cut can leave a readable log")
        }
        struct Point { var ordinal: Int; var end: Int64; var marker: BatchMarker?; var lastIndex: UInt64; var lastTerm: UInt64 }
        // A compacted log starts after its snapshot: the earliest cut keeps nothing but the snapshot.
        let firstIndex = pre.firstIndex
        guard cutAt >= firstIndex else {
            throw LogdumpError("--cut-at \(cutAt) is inside the snapshot (the log starts at index \(firstIndex)); the earliest cut is --cut-at \(firstIndex)")
        }
        var point: Point? = cutAt == firstIndex
            ? Point(ordinal: 0, end: Int64(StorageFormat.segmentHeaderSize), marker: nil, lastIndex: firstIndex - 1, lastTerm: pre.snapshot?.term ?? 0) : nil
        var below: UInt64?, above: UInt64?
        var runs: [(term: UInt64, first: UInt64, last: UInt64)] = []
        // Pass 1: the cut point. Pass 2: what lies after it.
        _ = try LogInput.run { () throws(StorageError) in
            try scanner.scan { r, _ in
                guard r.kind == .batch, let b = r.batch else { return }
                if let d = firstDamage, (r.segmentOrdinal, r.offset) >= d { return }
                let end = r.index + 1
                if end == cutAt {
                    point = Point(ordinal: r.segmentOrdinal, end: r.offset + Int64(r.size), marker: b, lastIndex: r.index, lastTerm: r.term)
                } else if end < cutAt {
                    below = max(below ?? 0, end)
                } else {
                    above = min(above ?? UInt64.max, end)
                }
            }
        }
        guard let point else {
            var hint: [String] = []
            hint.append("\(below ?? firstIndex)")
            if let above { hint.append("\(above)") }
            throw LogdumpError("--cut-at \(cutAt) is not a batch boundary before the first damage: the log can only be cut where a batch marker ends it"
                + (hint.isEmpty ? "" : " (nearest: --cut-at \(hint.joined(separator: " or ")))"))
        }
        var maxLostIndex: UInt64 = 0, minLostIndex = UInt64.max
        var lowestAfter = UInt64.max  // the lowest index written after the cut point: below it, the kept log is the later log
        _ = try LogInput.run { () throws(StorageError) in
            try scanner.scan(computeSuperseded: true) { r, _ in
                if r.kind == .entry, (r.segmentOrdinal, r.offset) >= (point.ordinal, point.end) { lowestAfter = min(lowestAfter, r.index) }
                guard r.kind == .entry, !r.superseded, r.index >= firstIndex, (r.segmentOrdinal, r.offset) >= (point.ordinal, point.end),
                      !pre.isInTornTail(file: r.file, offset: r.offset) else { return }
                appendRun(&runs, term: r.term, index: r.index)
                maxLostIndex = max(maxLostIndex, r.index)
                minLostIndex = min(minLostIndex, r.index)
            }
        }
        if let d = firstDamage, (point.ordinal, point.end) > d {
            throw LogdumpError("the damage starts at \(pre.segments[d.0].name):\(d.1), inside the part of the log a cut would keep: no cut can repair it")
        }
        let segment = pre.segments[point.ordinal]
        var actions: [RepairAction] = []
        if segment.size > point.end { actions.append(.truncate(path: segment.path, toLength: point.end)) }
        let later = pre.segments[(point.ordinal + 1)...]
        for s in later.reversed() { actions.append(.remove(path: s.path)) }
        var summary: [String] = []
        if segment.size > point.end { summary.append("cut \(segment.name) at offset \(point.end), the end of batch \(point.marker?.batchSequence ?? 0) (\(segment.size - point.end) bytes go)") }
        if !later.isEmpty { summary.append("remove \(later.count) later segment(s): \(later.map(\.name).joined(separator: ", "))") }
        let chosen = pre.hardState?.chosen
        var state = chosen?.hardState ?? HardState(term: point.lastTerm)
        if point.lastTerm > state.term { state = HardState(term: point.lastTerm, vote: .none, commit: state.commit) }
        let oldCommit = state.commit
        // Entries the kept log shares with the log that was committed: up to its end, and below any
        // index rewritten after the cut point (a kept entry that a later leader replaced was not the committed one).
        state.commit = min(state.commit, point.lastIndex, lowestAfter == UInt64.max ? UInt64.max : lowestAfter - 1)
        let logID = firstHeader.logID
        let sequence = max(pre.hardStateSequence, point.marker?.hardStateSequence ?? 0) + 1
        let hsPath = pre.hardState?.path ?? Path.join(directory, StorageFormat.hardStateFileName)
        actions.append(.replaceHardState(path: hsPath, state: state, sequence: sequence, batchSequence: point.marker?.batchSequence ?? pre.snapshot?.batchSequence ?? 0,
                                         segmentSequence: segment.header?.sequence ?? firstHeader.sequence, logID: logID))
        summary.append("rewrite the hard state: term \(state.term), vote \(state.vote), commit \(state.commit) (sequence \(sequence + 1))")
        let lost: ClosedRange<UInt64>? = maxLostIndex >= minLostIndex ? minLostIndex...maxLostIndex : nil
        let committed: ClosedRange<UInt64>? = oldCommit > state.commit ? (state.commit + 1)...oldCommit : nil
        var explanation = ["this is NOT safe: entries that were acknowledged as durable are lost" + (lost.map { " (indexes \($0.lowerBound)…\($0.upperBound) of the current log)" } ?? "")]
        if let committed {
            explanation.append("committed entries \(committed.lowerBound)…\(committed.upperBound) are lost: the cluster considers them permanent; restore this node from a peer instead if you can")
        }
        let unreadable = pre.problems.filter { $0.class != .tornTail && ordinals[$0.file] != nil }
        if !unreadable.isEmpty { explanation.append("records that do not read back at \(unreadable.map { "\($0.file):\($0.offset)" }.joined(separator: ", ")) go too; their contents are unknown (one of them may have rewritten kept entries: check the commit index against a peer)") }
        let plan = RepairPlan(actions: actions, onlyTornTail: false, lostIndexes: lost, summary: summary)
        return Planned(plan: plan, explanation: explanation, lostRuns: runs, committedLost: committed)
    }

    func render(_ p: Planned, out: Output) {
        out.line("plan:")
        if p.plan.actions.isEmpty { out.line("  (no file changes)") }
        for (k, a) in p.plan.actions.enumerated() { out.line("  \(k + 1). " + describe(a)) }
        for s in p.plan.summary { out.line("     " + s) }
        if p.lostRuns.isEmpty {
            out.line("entries that would go: none")
        } else {
            let total = p.lostRuns.reduce(UInt64(0)) { $0 + $1.last - $1.first + 1 }
            out.line("entries that would go (\(total)):")
            for r in p.lostRuns { out.line("  " + (r.first == r.last ? "index \(r.first)" : "indexes \(r.first)…\(r.last)") + ", term \(r.term)") }
        }
        if p.plan.onlyTornTail {
            out.line("committed entries that would go: none (a torn tail was never acknowledged)")
        } else if let c = p.committedLost {
            out.line("committed entries that would go: \(c.lowerBound)…\(c.upperBound)")
        } else {
            out.line("committed entries that would go: none")
        }
        for line in p.explanation { out.line(line) }
    }

    func describe(_ a: RepairAction) -> String {
        switch a {
        case .truncate(let path, let length):
            let size = (try? fileSystem.fileSize(atPath: path)) ?? length
            return "truncate \(Path.name(of: path)) from \(size) to \(length) bytes (cut at offset \(length))"
        case .remove(let path):
            return "remove \(Path.name(of: path))"
        case .replaceHardState(let path, let state, let sequence, _, _, _):
            return "rewrite \(Path.name(of: path)) (both slots): term \(state.term), vote \(state.vote), commit \(state.commit), sequence \(sequence + 1)"
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
                throw LogdumpError("\(copy) does not match the manifest (\(size) bytes, \(formatChecksumText(crc)); expected \(f.size) bytes, \(f.crc)): nothing was restored")
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
        out.line("verify after restore: \(verdictWord(LogdumpExit(worst: after.worst)))\(after.problems.isEmpty ? "" : " (\(after.problems.count) problem(s), as before the repair)")")
        out.flush()
        return .clean
    }
}

func appendRun(_ runs: inout [(term: UInt64, first: UInt64, last: UInt64)], term: UInt64, index: UInt64) {
    if let last = runs.last, last.term == term, last.last + 1 == index {
        runs[runs.count - 1].last = index
    } else {
        runs.append((term, index, index))
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
