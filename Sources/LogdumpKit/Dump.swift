import RaftCore
import RaftStorage

/// Output formats of `dump`.
public enum DumpFormat: String, Sendable, CaseIterable {
    case text
    case jsonl
}

/// Options of `logdump dump` (validated by the command line; tests build them directly).
public struct DumpOptions: Sendable {
    /// Lowest index shown (inclusive).
    public var from: UInt64?
    /// Highest index shown (inclusive).
    public var to: UInt64?
    /// Only entries of this term.
    public var term: UInt64?
    /// Only these entry type bytes (nil: all). In physical mode `includeBatches` says whether markers show.
    public var types: Set<UInt8>?
    /// With `types` set in physical mode: whether batch markers are shown.
    public var includeBatches = true
    /// Only the last N matching entries.
    public var tail: Int?
    /// At most N matching entries (the first ones).
    public var limit: Int?
    /// Text columns or JSON lines.
    public var format: DumpFormat = .text
    /// Records as stored (segment, offset, kind, markers, superseded, torn tail, problems inline).
    public var physical = false
    /// Payload bytes shown per entry (0: all).
    public var maxBytes = 128
    /// Print the column header line (text format).
    public var header = true
    /// Terminal columns a `--physical` text line may use (0: no limit); long fields are cut with `…`.
    public var widthColumns = 0

    /// The defaults: every entry, text format, a header.
    public init() {}

    /// Parses `normal,noop,config` (and `batch` for physical dumps) into type bytes.
    public static func parseTypes(_ text: String) throws(LogdumpError) -> (types: Set<UInt8>, batches: Bool) {
        var types = Set<UInt8>()
        var batches = false
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let name = part.trimmingSpaces().lowercased()
            if let kind = EntryKind.allCases.first(where: { $0.description == name }) {
                types.insert(kind.rawValue)
            } else if name == "batch" {
                batches = true
            } else if name.hasPrefix("type-"), let raw = UInt8(name.dropFirst(5)) {
                types.insert(raw)
            } else {
                throw LogdumpError("unknown entry type '\(part)': use normal, noop, config (and batch with --physical)")
            }
        }
        return (types, batches)
    }

    /// Checks combinations.
    public func validate() throws(LogdumpError) {
        if let from, let to, from > to { throw LogdumpError("--from \(from) is above --to \(to) (both are inclusive)") }
        if tail != nil && limit != nil { throw LogdumpError("--tail and --limit cannot be combined") }
        if let tail, tail < 1 { throw LogdumpError("--tail must be at least 1") }
        if let limit, limit < 1 { throw LogdumpError("--limit must be at least 1") }
        if maxBytes < 0 { throw LogdumpError("--max-bytes must be 0 (everything) or more") }
        if widthColumns < 0 { throw LogdumpError("--width must be 0 (no limit) or more") }
        if !physical && types != nil && types!.isEmpty { throw LogdumpError("--type batch only applies to --physical dumps") }
    }
}

extension Substring {
    func trimmingSpaces() -> String {
        String(self.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}

/// `logdump dump`: streams records from the scanner, filters them and renders text or JSON lines.
/// Memory stays flat: nothing is kept but a ring of `--tail` lines.
public struct Dumper {
    /// The log to dump.
    public let input: LogInput
    /// Filters and format.
    public let options: DumpOptions
    /// Where its files are read from.
    public let fileSystem: FileSystem

    /// A dump of `input` with `options`.
    public init(input: LogInput, options: DumpOptions, fileSystem: FileSystem) {
        self.input = input
        self.options = options
        self.fileSystem = fileSystem
    }

    /// Runs the dump; returns the exit status (problems are summarised on `err`).
    public func run(out: Output, err: Output) throws(LogdumpError) -> LogdumpExit {
        try options.validate()
        let scanner = try input.scanner(fileSystem: fileSystem)
        // Pass 1: where the torn tail is and what is wrong (no visiting, at verify speed).
        let pre = try LogInput.run { () throws(StorageError) in try scanner.verify() }
        let o = options
        let json = o.format == .jsonl
        let layout = o.physical && !json ? PhysicalLayout(pre, widthColumns: o.widthColumns) : nil
        let rows = DumpRows(options: o, pre: pre, layout: layout, out: out)

        if let layout, o.header {
            out.bytes(clipped(Array(layout.header.utf8), widthColumns: o.widthColumns))
            out.byte(10)
        } else if !o.physical && !json && o.header {
            out.line(padLeft("INDEX", 10) + padLeft("TERM", 7) + "  " + pad("TYPE", 7) + "COMMAND")
            if let words = pre.snapshotWords { out.line("(the log starts after \(words))") }
            if pre.problems.contains(where: { $0.class != .tornTail }) {
                // The scanner's order checks stop at the first damage: no later conflict truncation is applied.
                out.line("(damaged: from the first problem on, every record that reads back is shown in")
                out.line(" file order, superseded ones included; `!!` marks each problem)")
            }
        }
        if o.physical { printSnapshots(pre, layout: layout, out: out) }

        if let segments = earlyStopSegments(pre) {
            // Segment by segment, so that --from skips whole segments; reading stops at the record
            // that satisfies --limit or passes --to (indexes only grow in such a log).
            let to = o.to ?? UInt64.max
            for s in segments {
                if let from = o.from, let top = s.maxIndex, top < from { continue }
                let one = LogScanner(segmentFiles: [s.path], hardStateFile: nil, snapshotFiles: [], fileSystem: fileSystem)
                let scanned = try LogInput.run { () throws(StorageError) in
                    try one.scanUntilStop(
                        computeSuperseded: false,
                        visit: { record, payload in
                            rows.record(record, payload)
                            return rows.satisfied || record.index > to ? .stop : .next
                        })
                }
                if scanned.stoppedByVisitor || rows.satisfied || (s.maxIndex ?? 0) >= to { break }
            }
        } else {
            _ = try LogInput.run { () throws(StorageError) in
                try scanner.scan(computeSuperseded: pre.mayHaveSupersededEntries) { record, payload in rows.record(record, payload) }
            }
        }
        rows.finish()
        out.flush()
        return warnProblems(pre, command: "dump", shown: "each is marked `!!` where it occurs", to: err)
    }

    /// The segments to read one at a time when `--to` or `--limit` may stop the dump early: only
    /// for a log without problems or superseded entries (each index once, in order), where a
    /// segment read alone yields exactly the records it yields in a whole scan.
    func earlyStopSegments(_ pre: ScanResult) -> [SegmentSummary]? {
        guard options.tail == nil, options.limit != nil || options.to != nil || options.from != nil,
            pre.problems.isEmpty, !pre.mayHaveSupersededEntries
        else { return nil }
        return pre.segments
    }

    /// The snapshot files of a physical dump, first.
    func printSnapshots(_ pre: ScanResult, layout: PhysicalLayout?, out: Output) {
        for f in pre.snapshotFiles {
            let used = f.path == pre.snapshot?.path
            if let layout {
                out.bytes(clipped(Array(snapshotLine(f, used: used, layout: layout).utf8), widthColumns: layout.widthColumns))
                out.byte(10)
            } else {
                out.line(snapshotJSON(f, used: used))
            }
        }
    }

    func snapshotJSON(_ f: SnapshotFileInfo, used: Bool) -> String {
        let o = Output()
        o.write("{\"record\":\"snapshot\",\"file\":")
        o.jsonString(f.name)
        o.write(",\"size\":" + String(f.fileSize))
        if let i = f.index, let t = f.term { o.write(",\"index\":\(i),\"term\":\(t)") }
        if let c = f.configuration { o.write(",\"config\":"); o.jsonString(c.description) }
        o.write(",\"valid\":" + (f.isValid ? "true" : "false") + ",\"used\":" + (used ? "true" : "false") + ",\"checksum\":")
        o.jsonString(f.checksumStatus)
        o.write("}")
        return o.text
    }

    func snapshotLine(_ f: SnapshotFileInfo, used: Bool, layout: PhysicalLayout) -> String {
        let o = Output()
        layout.writeColumns(
            o, file: f.name, offset: 0, size: Int(f.fileSize), index: f.index.map(String.init) ?? "-",
            term: f.term.map(String.init) ?? "-", type: "snap", crc: f.storedChecksum.map(formatChecksumText) ?? "-",
            status: PhysicalLayout.snapshotStatus(f, used: used))
        o.write("snapshot, checksum " + f.checksumStatus)
        if let c = f.configuration { o.write(", " + c.description) }
        return o.text
    }
}

/// The rows of one dump: filters the records the scanner visits, puts each problem of a segment
/// in its place in file order (a `!!` row), and renders text, physical text or JSON lines.
final class DumpRows {
    let o: DumpOptions
    let pre: ScanResult
    let layout: PhysicalLayout?
    let out: Output
    let json: Bool
    let ring: LineRing?
    /// Where rows are written: `out`, or a scratch output for the `--tail` ring and clipped lines.
    let lineOut: Output
    var printed = 0
    let limit: Int
    let from: UInt64, to: UInt64
    var typeMask = [Bool](repeating: true, count: 256)
    let showBatches: Bool
    /// Problems in segments, in file order, and the next one to place.
    let segmentProblems: [StorageProblem]
    let otherProblems: [StorageProblem]
    var nextProblem = 0
    var ordinals: [String: Int] = [:]
    /// The index of the last entry record seen (places problems whose index is unknown).
    var lastIndexSeen: UInt64 = 0

    init(options: DumpOptions, pre: ScanResult, layout: PhysicalLayout?, out: Output) {
        o = options
        self.pre = pre
        self.layout = layout
        self.out = out
        json = options.format == .jsonl
        ring = options.tail.map { LineRing(capacity: $0) }
        lineOut = ring != nil || layout != nil ? Output() : out
        limit = options.limit ?? Int.max
        from = options.from ?? 0
        to = options.to ?? UInt64.max
        if let types = options.types { for t in 0..<256 { typeMask[t] = types.contains(UInt8(t)) } }
        showBatches = options.physical && (options.types == nil || options.includeBatches)
        var ordinals: [String: Int] = [:]
        for (i, s) in pre.segments.enumerated() where ordinals[s.name] == nil { ordinals[s.name] = i }
        self.ordinals = ordinals
        segmentProblems = pre.problems.filter { ordinals[$0.file] != nil }
            .sorted { (ordinals[$0.file]!, $0.offset) < (ordinals[$1.file]!, $1.offset) }
        otherProblems = pre.problems.filter { ordinals[$0.file] == nil }
    }

    /// Whether `--limit` is reached.
    var satisfied: Bool { printed >= limit }

    /// One visited record (problems before it in file order come first).
    func record(_ record: ScannedRecord, _ payload: UnsafeRawBufferPointer) {
        if nextProblem < segmentProblems.count { placeProblems(before: record) }
        let isEntry = record.kind == .entry
        if isEntry {
            lastIndexSeen = record.index
            guard typeMask[Int(record.entryType)] else { return }
        } else {
            guard showBatches else { return }
        }
        guard record.index >= from && record.index <= to else { return }
        if let term = o.term, record.term != term { return }
        let torn = pre.isInTornTail(file: record.file, offset: record.offset)
        let compacted = isEntry && record.index < pre.firstIndex
        if !o.physical && (record.superseded || torn || compacted) { return }
        guard printed < limit else { return }
        printed += 1
        if json {
            jsonRow(record, payload, isEntry: isEntry, torn: torn, compacted: compacted)
        } else if let layout {
            physicalRow(record, payload, isEntry: isEntry, torn: torn, compacted: compacted, layout: layout)
        } else {
            textRow(record, payload)
        }
        emit()
    }

    /// After the scan: the problems after the last record, then those outside the segments.
    func finish() {
        while nextProblem < segmentProblems.count { problemRow(segmentProblems[nextProblem]); nextProblem += 1 }
        if o.physical { for p in otherProblems { problemRow(p) } }
        if let ring { for line in ring.lines() { out.bytes(line) } }
    }

    func placeProblems(before record: ScannedRecord) {
        while nextProblem < segmentProblems.count {
            let p = segmentProblems[nextProblem]
            let po = ordinals[p.file]!
            guard po < record.segmentOrdinal || (po == record.segmentOrdinal && p.offset <= record.offset) else { break }
            problemRow(p)
            nextProblem += 1
        }
    }

    /// Hands the row in `lineOut` on: to the ring, clipped to the width, or (already) to `out`.
    func emit() {
        if let ring {
            let line = lineOut.take()
            ring.push(layout != nil ? clippedLine(line) : line)
        } else if layout != nil {
            out.bytes(clippedLine(lineOut.take()))
        }
    }

    func clippedLine(_ line: [UInt8]) -> [UInt8] {
        guard line.last == 10 else { return clipped(line, widthColumns: o.widthColumns) }
        return clipped(Array(line.dropLast()), widthColumns: o.widthColumns) + [10]
    }

    /// A problem's row. Physical dumps show every one; the entry table shows the corruption and
    /// inconsistencies of the segments that fall inside the filters (by index and term when the problem names them, or
    /// by the place in the log it sits at when not).
    func problemRow(_ p: StorageProblem) {
        if !o.physical {
            // A torn tail is not part of the log (recovery cuts it): stderr says it, the table does not.
            guard p.class != .tornTail else { return }
            let at = p.index ?? (lastIndexSeen &+ 1)
            guard at >= from && at <= to else { return }
            if let term = o.term, let t = p.term, t != term { return }
            guard printed < limit else { return }
            printed += 1
        }
        let w = lineOut
        if json {
            if o.physical {
                w.write("{\"record\":\"problem\",\"problem\":")
            } else {
                w.write("{")
                if let index = p.index { w.write("\"index\":"); w.decimal(index); w.write(",") }
                if let term = p.term { w.write("\"term\":"); w.decimal(term); w.write(",") }
                w.write("\"damaged\":true,\"problem\":")
            }
            w.jsonProblem(p)
            w.write("}\n")
        } else if let layout {
            for line in layout.problemLines(p) { w.line(line) }
            if let ring { for line in splitLines(w.take()) { ring.push(line) } } else { out.bytes(w.take()) }
            return
        } else {
            w.write(padLeft(p.index.map(String.init) ?? "?", 10))
            w.write(padLeft(p.term.map(String.init) ?? "?", 7))
            w.write("  !!     ")
            w.write(damageWords(p))
            w.byte(10)
        }
        emit()
    }

    func textRow(_ record: ScannedRecord, _ payload: UnsafeRawBufferPointer) {
        let w = lineOut
        w.decimal(record.index, width: 10)
        w.decimal(record.term, width: 7)
        w.spaces(2)
        let t = typeNames[Int(record.entryType)]
        t.withUnsafeBytes { w.bytes($0) }
        w.spaces(7 - t.count)
        command(record, payload, w)
        w.byte(10)
    }

    func command(_ record: ScannedRecord, _ payload: UnsafeRawBufferPointer, _ w: Output) {
        if record.entryType == EntryKind.config.rawValue, let c = configDescription(payload) {
            w.write(c)
        } else {
            w.command(payload, limit: o.maxBytes)
        }
    }

    func physicalRow(
        _ record: ScannedRecord, _ payload: UnsafeRawBufferPointer, isEntry: Bool, torn: Bool, compacted: Bool,
        layout: PhysicalLayout
    ) {
        let w = lineOut
        var status = "ok"
        if record.superseded { status += ",superseded" }
        if compacted { status += ",compacted" }
        if torn { status += ",torn-tail" }
        layout.writeColumns(
            w, file: record.file, offset: record.offset, size: record.size, index: String(record.index),
            term: String(record.term), type: isEntry ? typeName(record.entryType) : "batch",
            crc: formatChecksumText(record.checksum), status: status)
        if isEntry {
            command(record, payload, w)
        } else if let b = record.batch {
            w.write(
                "batch \(b.batchSequence): \(b.entryCount) entr\(b.entryCount == 1 ? "y" : "ies") from \(b.firstIndex), hard-state seq \(b.hardStateSequence)\(b.synced ? "" : ", unsynced")"
            )
        }
        w.byte(10)
    }

    func jsonRow(_ record: ScannedRecord, _ payload: UnsafeRawBufferPointer, isEntry: Bool, torn: Bool, compacted: Bool) {
        let w = lineOut
        w.write("{")
        if o.physical {
            w.write("\"record\":\"")
            w.write(isEntry ? "entry" : "batch")
            w.write("\",\"file\":")
            w.jsonString(record.file)
            w.write(",\"offset\":")
            w.decimal(record.offset)
            w.write(",\"record_size\":")
            w.decimal(UInt64(record.size))
            w.write(",\"crc\":\"")
            w.checksum(record.checksum)
            w.write("\",")
        }
        w.write("\"index\":")
        w.decimal(record.index)
        w.write(",\"term\":")
        w.decimal(record.term)
        if isEntry {
            w.write(",\"type\":\"")
            typeNames[Int(record.entryType)].withUnsafeBytes { w.bytes($0) }
            w.write("\",\"size\":")
            w.decimal(UInt64(record.payloadLength))
            if record.entryType == EntryKind.config.rawValue, let c = configDescription(payload) {
                w.write(",\"config\":")
                w.jsonString(c)
            }
            w.jsonPayload(payload, limit: o.maxBytes)
        } else if let b = record.batch {
            w.write(",\"batch_sequence\":")
            w.decimal(b.batchSequence)
            w.write(",\"hard_state_sequence\":")
            w.decimal(b.hardStateSequence)
            w.write(",\"first_index\":")
            w.decimal(b.firstIndex)
            w.write(",\"entries\":")
            w.decimal(UInt64(b.entryCount))
            w.write(b.synced ? ",\"synced\":true" : ",\"synced\":false")
        }
        if o.physical {
            if isEntry { w.write(record.superseded ? ",\"superseded\":true" : ",\"superseded\":false") }
            if compacted { w.write(",\"compacted\":true") }
            w.write(torn ? ",\"torn_tail\":true" : ",\"torn_tail\":false")
        }
        w.write("}\n")
    }
}

/// A problem in the entry table's command column: what kind of damage, where, and what is wrong
/// in a few words (the first clause of the message; stderr and `verify` give all of it).
func damageWords(_ p: StorageProblem) -> String {
    (p.class == .corruption ? "damaged (corruption)" : p.class.rawValue) + " at \(p.file):\(p.offset): " + firstClause(p.message)
}

/// A message up to its first ": " (the rest explains the classification).
func firstClause(_ message: String) -> String {
    let bytes = Array(message.utf8)
    for i in 0..<max(0, bytes.count - 1) where bytes[i] == UInt8(ascii: ":") && bytes[i + 1] == UInt8(ascii: " ") {
        return String(decoding: bytes[..<i], as: UTF8.self)
    }
    return message
}

/// Lines of a buffer, each with its newline.
func splitLines(_ bytes: [UInt8]) -> [[UInt8]] {
    var lines: [[UInt8]] = []
    var start = 0
    for (i, b) in bytes.enumerated() where b == 10 {
        lines.append(Array(bytes[start...i]))
        start = i + 1
    }
    if start < bytes.count { lines.append(Array(bytes[start...])) }
    return lines
}

/// The last N lines.
final class LineRing {
    private var storage: [[UInt8]] = []
    private var next = 0
    let capacity: Int
    init(capacity: Int) { self.capacity = capacity }
    func push(_ line: [UInt8]) {
        if storage.count < capacity { storage.append(line) } else { storage[next] = line; next = (next + 1) % capacity }
    }
    func lines() -> [[UInt8]] { Array(storage[next...] + storage[..<next]) }
}

extension Output {
    /// Takes what a memory output collected (and empties it).
    func take() -> [UInt8] {
        flush()
        defer { clearCapture() }
        return capturedBytes
    }
}
