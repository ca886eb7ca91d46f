import RaftCore
import RaftStorage

/// `logdump verify`: every problem with its class, file, offset, index/term and checksums.
public struct Verifier {
    /// The log to verify.
    public let input: LogInput
    /// Where its files are read from.
    public let fileSystem: FileSystem
    /// JSON instead of text.
    public var json = false

    /// A verification of `input`.
    public init(input: LogInput, fileSystem: FileSystem, json: Bool = false) {
        self.input = input
        self.fileSystem = fileSystem
        self.json = json
    }

    /// Scans every file and prints the verdict, each problem with its row, and the runbook after a bad one.
    public func run(out: Output) throws(LogdumpError) -> LogdumpExit {
        let scanner = try input.scanner(fileSystem: fileSystem)
        let result = try LogInput.run { () throws(StorageError) in try scanner.verify() }
        let status = LogdumpExit(worst: result.worst)
        if json { renderJSON(result, status: status, out: out) } else { renderText(result, status: status, out: out) }
        out.flush()
        return status
    }

    var title: String { input.directory ?? (input.segmentFiles + (input.hardStateFile.map { [$0] } ?? [])).joined(separator: " ") }

    func renderText(_ r: ScanResult, status: LogdumpExit, out: Output) {
        out.line("verify \(title)")
        if let id = r.logID { out.line("  log id       \(id)") }
        let total = r.segments.reduce(Int64(0)) { $0 + $1.size }
        out.line("  segments     \(r.segments.count) (\(grouped(total)) bytes)")
        for s in r.segments {
            var line = "    " + pad(s.name, 26) + padLeft(grouped(s.size), 14) + " bytes  "
            if let h = s.header {
                line += "seq \(h.sequence), first index \(h.firstIndex), \(s.entryRecords) entries, \(s.batchRecords) batches"
                if let lo = s.minIndex, let hi = s.maxIndex { line += ", indexes \(lo)…\(hi)" }
                if s.unusedBytes > 0 && s.validEnd + s.unusedBytes == s.size {
                    line += ", data to offset \(s.validEnd), then \(grouped(s.unusedBytes)) preallocated zero bytes (unused)"
                } else if s.validEnd != s.size {
                    line += ", reads back to offset \(s.validEnd)"
                }
            } else {
                line += "header does not decode"
            }
            out.line(line)
        }
        for f in r.snapshotFiles {
            let used = f.path == r.snapshot?.path
            var line = "  snapshot     \(f.name): "
            if let i = f.index, let t = f.term { line += "index \(i), term \(t), " }
            line += f.isValid ? (used ? "the log starts after it" : "older, not used") : "does not read back"
            line += " (checksum \(f.checksumStatus))"
            out.line(line)
        }
        if !r.obsoleteSegments.isEmpty {
            out.line("  obsolete     \(r.obsoleteSegments.joined(separator: ", ")) (covered by the snapshot; not read)")
        }
        out.line("  records      \(r.entryRecords) entries, \(r.batchRecords) batch markers")
        if let b = r.lastBatch {
            out.line("  durable log  last index \(r.lastIndex), term \(r.lastTerm) (batch \(b.batchSequence))")
        } else {
            out.line("  durable log  empty (no batch marker)")
        }
        if let hs = r.hardState {
            if let chosen = hs.chosen, let state = chosen.hardState {
                out.line(
                    "  hard state   term \(state.term), vote \(state.vote), commit \(state.commit) (slot \(chosen.slot), sequence \(chosen.sequence ?? 0))"
                )
            } else {
                out.line("  hard state   no valid slot")
            }
            if let rec = r.recoveredHardState, rec != hs.chosen?.hardState {
                out.line("  recovery     would use term \(rec.term), vote \(rec.vote), commit \(rec.commit)")
            }
        } else if input.directory != nil {
            out.line("  hard state   missing")
        }
        if !r.otherFiles.isEmpty { out.line("  other files  \(r.otherFiles.joined(separator: ", ")) (ignored)") }
        for note in r.notes { out.line("  note: \(note)") }
        if r.problems.isEmpty {
            if let last = r.segments.last {
                out.line(
                    "problems: none. Every record reads back; the data ends at offset \(last.validEnd) of \(last.name), which is the normal end of written data"
                        + (last.unusedBytes > 0 ? " (the zeros after it are space preallocated for records, row R11)." : ".")
                )
            } else {
                out.line("problems: none.")
            }
        } else {
            var counts: [StorageProblem.Class: Int] = [:]
            for p in r.problems { counts[p.class, default: 0] += 1 }
            let parts = StorageProblem.Class.allCases.compactMap { c in counts[c].map { "\($0) \(c.rawValue)" } }
            out.line("problems: \(r.problems.count + r.problemsNotListed) (\(parts.joined(separator: ", ")))")
            for p in r.problems { out.line("  " + problemLine(p)) }
            if r.problemsNotListed > 0 {
                out.line("  … and \(r.problemsNotListed) more problem(s) not listed (the scanner keeps at most \(r.problems.count))")
            }
            if let t = r.tornTail {
                out.line(
                    t.removeFile
                        ? "  torn tail: \(t.file) was being created; removing it loses nothing acknowledged (`logdump repair` shows the plan)"
                        : "  torn tail: \(t.file) can be cut at offset \(t.cutOffset) (\(t.bytesLost) bytes) without losing anything acknowledged (`logdump repair` shows the plan)"
                )
            }
        }
        // The runbook comes before the verdict, so that the verdict stays the last line.
        for line in Runbook.lines(for: status, directory: input.directory) { out.line(line) }
        out.line("verdict: \(verdictWord(status)) (exit \(status.rawValue))")
    }

    func renderJSON(_ r: ScanResult, status: LogdumpExit, out: Output) {
        out.write("{\"input\":")
        out.jsonString(title)
        out.write(",\"verdict\":")
        out.jsonString(verdictWord(status))
        out.write(",\"exit_code\":")
        out.decimal(UInt64(status.rawValue))
        out.write(",\"next_step\":")
        out.jsonString(NextStep(status).rawValue)
        if let id = r.logID { out.write(",\"log_id\":"); out.jsonString(id.description) }
        out.write(",\"segments\":[")
        for (i, s) in r.segments.enumerated() {
            if i > 0 { out.write(",") }
            out.write("{\"file\":")
            out.jsonString(s.name)
            out.write(",\"size\":"); out.decimal(s.size)
            out.write(",\"header_ok\":" + (s.header != nil ? "true" : "false"))
            if let h = s.header {
                out.write(",\"sequence\":"); out.decimal(h.sequence)
                out.write(",\"first_index\":"); out.decimal(h.firstIndex)
            }
            out.write(",\"entries\":"); out.decimal(UInt64(s.entryRecords))
            out.write(",\"batches\":"); out.decimal(UInt64(s.batchRecords))
            if let lo = s.minIndex, let hi = s.maxIndex {
                out.write(",\"min_index\":"); out.decimal(lo)
                out.write(",\"max_index\":"); out.decimal(hi)
            }
            out.write(",\"valid_end\":"); out.decimal(s.validEnd)
            if s.unusedBytes > 0 { out.write(",\"unused_bytes\":"); out.decimal(s.unusedBytes) }
            out.write("}")
        }
        out.write("]")
        if let snap = r.snapshot, let i = snap.index, let t = snap.term {
            out.write(",\"snapshot\":{\"file\":"); out.jsonString(snap.name); out.write(",\"index\":\(i),\"term\":\(t)}")
        }
        out.write(",\"first_index\":"); out.decimal(r.firstIndex)
        out.write(",\"obsolete_segments\":[")
        for (i, f) in r.obsoleteSegments.enumerated() { if i > 0 { out.write(",") }; out.jsonString(f) }
        out.write("],\"entries\":"); out.decimal(UInt64(r.entryRecords))
        out.write(",\"batches\":"); out.decimal(UInt64(r.batchRecords))
        out.write(",\"last_index\":"); out.decimal(r.lastIndex)
        out.write(",\"last_term\":"); out.decimal(r.lastTerm)
        if let hs = r.hardState?.chosen?.hardState {
            out.write(",\"hard_state\":{\"term\":\(hs.term),\"vote\":\(hs.vote),\"commit\":\(hs.commit)}")
        }
        out.write(",\"other_files\":[")
        for (i, f) in r.otherFiles.enumerated() { if i > 0 { out.write(",") }; out.jsonString(f) }
        out.write("],\"notes\":[")
        for (i, n) in r.notes.enumerated() { if i > 0 { out.write(",") }; out.jsonString(n) }
        out.write("],\"problems\":[")
        for (i, p) in r.problems.enumerated() { if i > 0 { out.write(",") }; out.jsonProblem(p) }
        out.write("],\"problems_not_listed\":"); out.decimal(UInt64(r.problemsNotListed))
        if let t = r.tornTail {
            out.write(",\"torn_tail\":{\"file\":")
            out.jsonString(t.file)
            out.write(
                ",\"damage_offset\":\(t.damageOffset),\"cut_offset\":\(t.cutOffset),\"remove_file\":\(t.removeFile),\"bytes_lost\":\(t.bytesLost),\"unacknowledged_entries\":\(t.unacknowledgedEntries)}"
            )
        }
        out.write("}\n")
    }
}

func verdictWord(_ s: LogdumpExit) -> String {
    switch s {
    case .clean: return "clean"
    case .tornTail: return "torn tail"
    case .corruption: return "corruption"
    case .inconsistency: return "inconsistency"
    case .usageOrIO: return "error"
    case .differ: return "differ"
    }
}
