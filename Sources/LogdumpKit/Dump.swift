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
    public let input: LogInput
    public let options: DumpOptions
    public let fileSystem: FileSystem

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
        let computeSuperseded = pre.mayHaveSupersededEntries
        let o = options
        let physical = o.physical
        let json = o.format == .jsonl
        let ring = o.tail.map { LineRing(capacity: $0) }
        let lineOut = ring == nil ? out : Output()
        var printed = 0
        let limit = o.limit ?? Int.max
        let from = o.from ?? 0, to = o.to ?? UInt64.max
        var typeMask = [Bool](repeating: true, count: 256)
        if let types = o.types { for t in 0..<256 { typeMask[t] = types.contains(UInt8(t)) } }
        let showBatches = physical && (o.types == nil || o.includeBatches)
        let maxBytes = o.maxBytes
        let term = o.term

        // Problems shown inline in physical dumps, in file order.
        var ordinals: [String: Int] = [:]
        for (i, s) in pre.segments.enumerated() where ordinals[s.name] == nil { ordinals[s.name] = i }
        let segmentProblems = pre.problems.filter { ordinals[$0.file] != nil }
            .sorted { (ordinals[$0.file]!, $0.offset) < (ordinals[$1.file]!, $1.offset) }
        let otherProblems = pre.problems.filter { ordinals[$0.file] == nil }
        var nextProblem = 0

        func emitProblem(_ p: StorageProblem) {
            if json {
                out.write("{\"record\":\"problem\",\"problem\":")
                out.jsonProblem(p)
                out.write("}\n")
            } else {
                out.write(pad(p.file, 26))
                out.write(padLeft(String(p.offset), 10))
                out.write("  !! " + problemLine(p) + "\n")
            }
        }

        if physical && !json && o.header {
            out.line(pad("FILE", 26) + padLeft("OFFSET", 10) + padLeft("SIZE", 7) + "  RECORD" + padLeft("INDEX", 10) + padLeft("TERM", 7)
                + "  " + pad("TYPE", 7) + pad("CRC", 12) + pad("STATUS", 22) + "COMMAND")
        } else if !physical && !json && o.header {
            out.line(padLeft("INDEX", 10) + padLeft("TERM", 7) + "  " + pad("TYPE", 7) + "COMMAND")
            if let words = pre.snapshotWords { out.line("(the log starts after \(words))") }
        }
        if physical { printSnapshots(pre, json: json, out: out) }
        let firstIndex = pre.firstIndex

        let result = try LogInput.run { () throws(StorageError) in
            try scanner.scan(computeSuperseded: computeSuperseded) { record, payload in
                if physical {
                    while nextProblem < segmentProblems.count {
                        let p = segmentProblems[nextProblem]
                        let po = ordinals[p.file]!
                        guard po < record.segmentOrdinal || (po == record.segmentOrdinal && p.offset <= record.offset) else { break }
                        emitProblem(p)
                        nextProblem += 1
                    }
                }
                let isEntry = record.kind == .entry
                if isEntry {
                    guard typeMask[Int(record.entryType)] else { return }
                } else {
                    guard showBatches else { return }
                }
                guard record.index >= from && record.index <= to else { return }
                if let term, record.term != term { return }
                let torn = pre.isInTornTail(file: record.file, offset: record.offset)
                let compacted = isEntry && record.index < firstIndex
                if !physical && (record.superseded || torn || compacted) { return }
                guard printed < limit else { return }
                printed += 1
                let w = lineOut
                if json {
                    w.write("{")
                    if physical {
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
                        w.jsonPayload(payload, limit: maxBytes)
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
                    if physical {
                        if isEntry { w.write(record.superseded ? ",\"superseded\":true" : ",\"superseded\":false") }
                        if compacted { w.write(",\"compacted\":true") }
                        w.write(torn ? ",\"torn_tail\":true" : ",\"torn_tail\":false")
                    }
                    w.write("}\n")
                } else if physical {
                    var name = record.file
                    name.withUTF8 { w.bytes(UnsafeRawBufferPointer($0)) }
                    w.spaces(26 - record.file.utf8.count)
                    w.decimal(UInt64(record.offset), width: 10)
                    w.decimal(UInt64(record.size), width: 7)
                    w.write(isEntry ? "  entry " : "  batch ")
                    w.decimal(record.index, width: 10)
                    w.decimal(record.term, width: 7)
                    w.spaces(2)
                    if isEntry {
                        let t = typeNames[Int(record.entryType)]
                        t.withUnsafeBytes { w.bytes($0) }
                        w.spaces(7 - t.count)
                    } else {
                        w.write("-      ")
                    }
                    w.checksum(record.checksum)
                    w.spaces(2)
                    var status = "ok"
                    if record.superseded { status += ",superseded" }
                    if compacted { status += ",compacted" }
                    if torn { status += ",torn-tail" }
                    w.write(pad(status, 22))
                    if isEntry {
                        if record.entryType == EntryKind.config.rawValue, let c = configDescription(payload) {
                            w.write(c)
                        } else {
                            w.command(payload, limit: maxBytes)
                        }
                    } else if let b = record.batch {
                        w.write("batch \(b.batchSequence): \(b.entryCount) entr\(b.entryCount == 1 ? "y" : "ies") from \(b.firstIndex), hard-state seq \(b.hardStateSequence)\(b.synced ? "" : ", unsynced")")
                    }
                    w.byte(10)
                } else {
                    w.decimal(record.index, width: 10)
                    w.decimal(record.term, width: 7)
                    w.spaces(2)
                    let t = typeNames[Int(record.entryType)]
                    t.withUnsafeBytes { w.bytes($0) }
                    w.spaces(7 - t.count)
                    if record.entryType == EntryKind.config.rawValue, let c = configDescription(payload) {
                        w.write(c)
                    } else {
                        w.command(payload, limit: maxBytes)
                    }
                    w.byte(10)
                }
                if let ring { ring.push(lineOut.take()) }
            }
        }
        if let ring { for line in ring.lines() { out.bytes(line) } }
        if physical {
            while nextProblem < segmentProblems.count { emitProblem(segmentProblems[nextProblem]); nextProblem += 1 }
            for p in otherProblems { emitProblem(p) }
        }
        out.flush()
        _ = result
        return warnProblems(pre, command: "dump", to: err)
    }

    /// The snapshot files of a physical dump, first.
    func printSnapshots(_ pre: ScanResult, json: Bool, out: Output) {
        var usedPath = ""
        if let chosen = pre.snapshot { usedPath = chosen.path }
        for k in 0..<pre.snapshotFiles.count {
            let f = pre.snapshotFiles[k]
            out.line(snapshotLine(f, used: f.path == usedPath, json: json))
        }
    }

    func snapshotLine(_ f: SnapshotFileInfo, used: Bool, json: Bool) -> String {
        var index = "-", term = "-", crc = "-", config = ""
        if let i = f.index { index = String(i) }
        if let t = f.term { term = String(t) }
        if let c = f.storedChecksum { crc = formatChecksumText(c) }
        if let c = f.configuration { config = c.description }
        let valid = f.isValid
        if json {
            let o = Output()
            o.write("{\"record\":\"snapshot\",\"file\":")
            o.jsonString(f.name)
            o.write(",\"size\":" + String(f.fileSize))
            if index != "-" { o.write(",\"index\":" + index + ",\"term\":" + term) }
            if !config.isEmpty { o.write(",\"config\":"); o.jsonString(config) }
            o.write(",\"valid\":" + (valid ? "true" : "false") + ",\"used\":" + (used ? "true" : "false") + ",\"checksum\":")
            o.jsonString(f.checksumStatus)
            o.write("}")
            return o.text
        }
        var line = pad(f.name, 26) + padLeft("0", 10) + padLeft(String(f.fileSize), 7) + "  snap  "
        line += padLeft(index, 10) + padLeft(term, 7) + "  -      " + pad(crc, 12)
        line += pad(valid ? (used ? "ok,log-starts-after" : "ok,older-unused") : "damaged", 22)
        line += "snapshot, checksum " + f.checksumStatus
        if !config.isEmpty { line += ", " + config }
        return line
    }
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
