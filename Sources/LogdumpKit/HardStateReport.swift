import RaftCore
import RaftStorage

/// `logdump hardstate`: term, vote, commit and both slots with their checksums.
public struct HardStateReport {
    /// The data directory or hard-state file.
    public let path: String
    /// Where it is read from.
    public let fileSystem: FileSystem
    /// JSON instead of text.
    public var json = false

    /// `target` is a data directory or the hard-state file itself.
    public init(target: String, fileSystem: FileSystem, json: Bool = false) throws(LogdumpError) {
        let t = Path.normalized(target)
        guard fileSystem.fileExists(atPath: t) else { throw LogdumpError("\(t): no such file or directory") }
        if fileSystem.isDirectory(atPath: t) {
            let p = Path.join(t, StorageFormat.hardStateFileName)
            guard fileSystem.fileExists(atPath: p) else { throw LogdumpError("\(t) holds no hardstate file") }
            self.path = p
        } else {
            self.path = t
        }
        try requireRegularFile(self.path, fileSystem)
        self.fileSystem = fileSystem
        self.json = json
    }

    /// The classification of the file on its own (without the log): clean, torn (one slot does not
    /// read back but the other does), corruption (no slot reads back, or a wrong size),
    /// inconsistency (two valid slots that do not belong together).
    static func status(_ i: HardStateInspection) -> (LogdumpExit, [String]) {
        var findings: [String] = []
        var status = LogdumpExit.clean
        func worse(_ s: LogdumpExit) { if s.rawValue > status.rawValue { status = s } }
        if i.fileSize != Int64(StorageFormat.hardStateFileSize) {
            findings.append("the file is \(i.fileSize) bytes, expected \(StorageFormat.hardStateFileSize)")
            worse(.corruption)
        }
        guard let chosen = i.chosen, let sequence = chosen.sequence else {
            findings.append("no slot is valid")
            worse(.corruption)
            return (status, findings)
        }
        if let other = i.slots.first(where: { $0.slot != chosen.slot }) {
            switch other.status {
            case .valid:
                if other.sequence! + 1 != sequence {
                    findings.append("slots hold sequences \(other.sequence!) and \(sequence); they must be consecutive")
                    worse(.inconsistency)
                }
                if other.logID != chosen.logID {
                    findings.append("slots belong to different logs")
                    worse(.inconsistency)
                }
            case .empty where sequence == 0:
                break
            case .empty, .invalid:
                findings.append(
                    "slot \(other.slot) \(other.status == .empty ? "is zeroed" : "does not read back (\(other.reason ?? "invalid"))"): an interrupted write; slot \(chosen.slot) holds the last state (`logdump repair --apply` rewrites it)"
                )
                worse(.tornTail)
            }
        }
        return (status, findings)
    }

    /// Prints both slots and which one recovery would choose.
    public func run(out: Output) throws(LogdumpError) -> LogdumpExit {
        // A hard-state file is 1024 bytes; do not read a large file named in its place.
        let size = try LogInput.run { () throws(StorageError) in try fileSystem.fileSize(atPath: path) }
        if size > 1 << 16 {
            out.line("hardstate \(path) (\(size) bytes)")
            out.line("  ! the file is \(size) bytes, expected \(StorageFormat.hardStateFileSize): not a hard-state file")
            for line in Runbook.lines(for: .corruption, directory: Path.directory(of: path)) { out.line(line) }
            out.line("verdict: corruption (exit 3)")
            out.flush()
            return .corruption
        }
        let inspection = try LogInput.run { () throws(StorageError) in try HardStateInspection.inspect(path: path, fileSystem: fileSystem) }
        let (status, findings) = Self.status(inspection)
        if json {
            out.write("{\"file\":")
            out.jsonString(path)
            out.write(",\"size\":"); out.decimal(inspection.fileSize)
            if let c = inspection.chosen, let s = c.hardState {
                out.write(",\"term\":\(s.term),\"vote\":\(s.vote),\"commit\":\(s.commit),\"chosen_slot\":\(c.slot)")
            }
            out.write(",\"slots\":[")
            for (k, slot) in inspection.slots.enumerated() {
                if k > 0 { out.write(",") }
                out.write("{\"slot\":\(slot.slot),\"offset\":\(slot.offset),\"status\":\"\(slot.status.rawValue)\"")
                if let reason = slot.reason { out.write(",\"reason\":"); out.jsonString(reason) }
                out.write(
                    ",\"stored_crc\":\"\(formatChecksumText(slot.storedChecksum))\",\"computed_crc\":\"\(formatChecksumText(slot.computedChecksum))\""
                )
                if let seq = slot.sequence, let s = slot.hardState {
                    out.write(",\"sequence\":\(seq),\"term\":\(s.term),\"vote\":\(s.vote),\"commit\":\(s.commit)")
                    out.write(
                        ",\"log_id\":\"\(slot.logID?.description ?? "")\",\"batch_sequence\":\(slot.batchSequence ?? 0),\"segment_sequence\":\(slot.segmentSequence ?? 0),\"synced\":\(slot.synced)"
                    )
                }
                out.write("}")
            }
            out.write("],\"findings\":[")
            for (k, f) in findings.enumerated() { if k > 0 { out.write(",") }; out.jsonString(f) }
            out.write("],\"exit_code\":\(status.rawValue),\"next_step\":\"\(NextStep(status).rawValue)\"}\n")
        } else {
            out.line("hardstate \(path) (\(inspection.fileSize) bytes)")
            if let c = inspection.chosen, let s = c.hardState {
                out.line(
                    "  term \(s.term), vote \(s.vote == 0 ? "none" : String(s.vote)), commit \(s.commit)   (slot \(c.slot), sequence \(c.sequence ?? 0))"
                )
            } else {
                out.line("  no valid slot: the hard state is unknown")
            }
            for slot in inspection.slots {
                var line = "  slot \(slot.slot) @\(slot.offset): " + pad(slot.status.rawValue, 8)
                if let seq = slot.sequence, let s = slot.hardState {
                    line +=
                        "sequence \(seq), term \(s.term), vote \(s.vote), commit \(s.commit), log \(slot.logID?.description ?? "?"), after batch \(slot.batchSequence ?? 0), segment \(slot.segmentSequence ?? 0)\(slot.synced ? "" : ", unsynced")"
                } else if let reason = slot.reason {
                    line += reason
                }
                line += "; crc stored \(formatChecksumText(slot.storedChecksum)), computed \(formatChecksumText(slot.computedChecksum))"
                out.line(line)
            }
            if inspection.slots.count < 2 { out.line("  (the file is too short to hold both slots)") }
            for f in findings { out.line("  ! " + f) }
            for line in Runbook.lines(for: status, directory: Path.directory(of: path)) { out.line(line) }
            out.line("verdict: \(verdictWord(status)) (exit \(status.rawValue))")
        }
        out.flush()
        return status
    }
}
