import RaftCore
import RaftStorage

/// Counts in power-of-two buckets: 0, 1, 2–3, 4–7, …
struct Log2Histogram {
    var buckets = [Int](repeating: 0, count: 66)
    var count = 0
    var sum: UInt64 = 0
    var minValue = UInt64.max
    var maxValue: UInt64 = 0

    @inline(__always)
    mutating func add(_ v: UInt64) {
        let b = 64 - v.leadingZeroBitCount
        buckets[b] += 1
        count += 1
        sum &+= v
        if v < minValue { minValue = v }
        if v > maxValue { maxValue = v }
    }

    static func label(_ b: Int) -> String {
        if b == 0 { return "0" }
        if b == 1 { return "1" }
        let lo = UInt64(1) << UInt64(b - 1)
        return "\(lo)–\(lo * 2 - 1)"
    }

    func lines(unit: String) -> [String] {
        guard count > 0 else { return ["    (none)"] }
        var out = ["    min \(minValue) \(unit), mean \(fixed(Double(sum) / Double(count), 1)) \(unit), max \(maxValue) \(unit)"]
        let widest = buckets.max() ?? 1
        for (b, n) in buckets.enumerated() where n > 0 {
            let bar = String(repeating: "#", count: max(1, n * 40 / max(widest, 1)))
            out.append(
                "    " + padLeft(Self.label(b), 15) + " " + padLeft(grouped(n), 12) + "  " + padLeft(fixed(100 * Double(n) / Double(count), 1), 5)
                    + "%  " + bar)
        }
        return out
    }
}

/// `logdump stats`: counts and bytes per entry type, per term (a timeline of leaderships), per
/// segment; the payload size distribution; batch sizes. One streaming pass after the verify pass.
public struct StatsReport {
    /// The log to count.
    public let input: LogInput
    /// Where its files are read from.
    public let fileSystem: FileSystem

    /// A report of `input` read through `fileSystem`.
    public init(input: LogInput, fileSystem: FileSystem) {
        self.input = input
        self.fileSystem = fileSystem
    }

    struct TermRun { var term: UInt64; var first: UInt64; var last: UInt64; var count: Int; var bytes: Int64 }
    struct TypeCount { var count = 0; var payloadBytes: Int64 = 0; var recordBytes: Int64 = 0 }

    /// What one pass over the records counts.
    struct Tally {
        var types = [TypeCount](repeating: TypeCount(), count: 256)
        var terms: [TermRun] = []
        var payloads = Log2Histogram()
        var batchEntries = Log2Histogram()
        var batchBytes = Log2Histogram()
        var perSegmentEffective: [Int]
        var superseded = 0, compacted = 0, torn = 0, tornBytes: Int64 = 0, markerBytes: Int64 = 0, batches = 0, unsynced = 0
        var bytesSinceMarker: Int64 = 0

        init(segmentCount: Int) { perSegmentEffective = [Int](repeating: 0, count: segmentCount) }

        /// Counts one record: torn-tail and batch-marker records apart, superseded and compacted
        /// entries apart, the rest by type, term run, segment and payload size.
        mutating func count(_ r: ScannedRecord, _ pre: ScanResult) {
            if pre.isInTornTail(file: r.file, offset: r.offset) {
                torn += 1
                tornBytes += Int64(r.size)
                return
            }
            if r.kind == .batch {
                countMarker(r)
                return
            }
            bytesSinceMarker += Int64(r.size)
            if r.superseded { superseded += 1; return }
            if r.index < pre.firstIndex { compacted += 1; return }
            types[Int(r.entryType)].count += 1
            types[Int(r.entryType)].payloadBytes += Int64(r.payloadLength)
            types[Int(r.entryType)].recordBytes += Int64(r.size)
            payloads.add(UInt64(r.payloadLength))
            if r.segmentOrdinal < perSegmentEffective.count { perSegmentEffective[r.segmentOrdinal] += 1 }
            if let last = terms.last, last.term == r.term, r.index == last.last + 1 {
                terms[terms.count - 1].last = r.index
                terms[terms.count - 1].count += 1
                terms[terms.count - 1].bytes += Int64(r.payloadLength)
            } else {
                terms.append(TermRun(term: r.term, first: r.index, last: r.index, count: 1, bytes: Int64(r.payloadLength)))
            }
        }

        /// A batch marker closes a batch: its entry count and the bytes written since the last marker.
        private mutating func countMarker(_ r: ScannedRecord) {
            batches += 1
            markerBytes += Int64(r.size)
            if let b = r.batch {
                batchEntries.add(UInt64(b.entryCount))
                if !b.synced { unsynced += 1 }
            }
            batchBytes.add(UInt64(bytesSinceMarker + Int64(r.size)))
            bytesSinceMarker = 0
        }
    }

    /// Verifies, counts in one streaming pass and prints the sections; problems go to `err`.
    public func run(out: Output, err: Output) throws(LogdumpError) -> LogdumpExit {
        let scanner = try input.scanner(fileSystem: fileSystem)
        let pre = try LogInput.run { () throws(StorageError) in try scanner.verify() }
        var tally = Tally(segmentCount: pre.segments.count)
        _ = try LogInput.run { () throws(StorageError) in
            try scanner.scan(computeSuperseded: pre.mayHaveSupersededEntries) { r, _ in tally.count(r, pre) }
        }
        writeSummary(tally, pre, out)
        writeTypesAndTerms(tally, out)
        writeSegments(tally, pre, out)
        out.line("")
        out.line("payload sizes (bytes)")
        for l in tally.payloads.lines(unit: "B") { out.line(l) }
        out.line("")
        out.line("batch sizes (entries per batch)")
        for l in tally.batchEntries.lines(unit: "entries") { out.line(l) }
        out.line("")
        out.line("batch sizes (bytes written per batch, marker included)")
        for l in tally.batchBytes.lines(unit: "B") { out.line(l) }
        out.flush()
        return warnProblems(pre, command: "stats", to: err)
    }

    private func writeSummary(_ t: Tally, _ pre: ScanResult, _ out: Output) {
        let effective = t.types.reduce(0) { $0 + $1.count }
        let totalBytes = pre.segments.reduce(Int64(0)) { $0 + $1.size }
        out.line("stats \(input.directory ?? input.segmentFiles.joined(separator: " "))")
        out.line(
            "  \(grouped(effective)) entries in the log (last index \(pre.lastIndex), term \(pre.lastTerm)), \(grouped(t.batches)) batches\(t.unsynced > 0 ? " (\(t.unsynced) unsynced)" : ""), \(pre.segments.count) segment(s), \(grouped(totalBytes)) bytes"
        )
        if let words = pre.snapshotWords { out.line("  the log starts after \(words)") }
        if t.compacted > 0 { out.line("  \(grouped(t.compacted)) entry record(s) at or below the snapshot's index (compacted, not part of the log)") }
        if t.superseded > 0 { out.line("  \(grouped(t.superseded)) superseded entry record(s) (replaced by a later conflict truncation)") }
        if t.torn > 0 { out.line("  \(grouped(t.torn)) record(s), \(grouped(t.tornBytes)) bytes in the torn tail (not part of the log)") }
    }

    private func writeTypesAndTerms(_ t: Tally, _ out: Output) {
        out.line("")
        out.line("by type" + padLeft("entries", 18) + padLeft("payload bytes", 18) + padLeft("record bytes", 16))
        for (k, c) in t.types.enumerated() where c.count > 0 {
            out.line(
                "  " + pad(typeName(UInt8(k)), 8) + padLeft(grouped(c.count), 15) + padLeft(grouped(c.payloadBytes), 18)
                    + padLeft(grouped(c.recordBytes), 16))
        }
        out.line("  " + pad("markers", 8) + padLeft(grouped(t.batches), 15) + padLeft("-", 18) + padLeft(grouped(t.markerBytes), 16))
        out.line("")
        out.line("by term (a timeline of leaderships)")
        out.line("  " + padLeft("term", 8) + padLeft("first", 12) + padLeft("last", 12) + padLeft("entries", 12) + padLeft("payload bytes", 16))
        let terms = t.terms
        // A long history shows its first and last hundred runs.
        let shownTerms = terms.count <= 200 ? terms[...] : terms[..<100] + terms[(terms.count - 100)...]
        for (k, run) in shownTerms.enumerated() {
            if terms.count > 200 && k == 100 { out.line("  … \(terms.count - 200) more term run(s) …") }
            out.line(
                "  " + padLeft(String(run.term), 8) + padLeft(String(run.first), 12) + padLeft(String(run.last), 12) + padLeft(grouped(run.count), 12)
                    + padLeft(grouped(run.bytes), 16))
        }
        if terms.isEmpty { out.line("    (no entries)") }
    }

    private func writeSegments(_ t: Tally, _ pre: ScanResult, _ out: Output) {
        out.line("")
        out.line("by segment")
        out.line("  " + pad("file", 26) + padLeft("bytes", 14) + padLeft("records", 10) + padLeft("markers", 9) + padLeft("in log", 9) + "  indexes")
        for (k, s) in pre.segments.enumerated() {
            let range = s.minIndex.map { "\($0)…\(s.maxIndex!)" } ?? "-"
            out.line(
                "  " + pad(s.name, 26) + padLeft(grouped(s.size), 14) + padLeft(grouped(s.entryRecords), 10) + padLeft(grouped(s.batchRecords), 9)
                    + padLeft(grouped(t.perSegmentEffective[k]), 9) + "  " + range + (s.header == nil ? " (header does not decode)" : ""))
        }
    }
}
