import RaftCore
import RaftStorage

/// Streams the entries of the log that recovery would rebuild (no superseded entries, no torn
/// tail), in index order, after a verify pass. Returns that verify pass's result.
func scanEffectiveEntries(
    _ scanner: LogScanner, pre known: ScanResult? = nil,
    _ visit: @escaping (ScannedRecord, UnsafeRawBufferPointer) -> Void
) throws(LogdumpError) -> ScanResult {
    let pre: ScanResult
    if let known { pre = known } else { pre = try LogInput.run { () throws(StorageError) in try scanner.verify() } }
    _ = try LogInput.run { () throws(StorageError) in
        try scanner.scan(computeSuperseded: pre.mayHaveSupersededEntries) { r, payload in
            guard r.kind == .entry, pre.isEffective(r) else { return }
            visit(r, payload)
        }
    }
    return pre
}

/// `logdump diff A B`: the first index where two nodes' logs diverge, with both sides shown.
///
/// Memory stays small: a first pass over each log keeps one fingerprint per 4096 indexes; a second
/// pass keeps the entries of the first chunk that differs.
public struct LogDiff {
    /// The first log.
    public let a: LogInput
    /// The second log.
    public let b: LogInput
    /// Where both are read from.
    public let fileSystem: FileSystem
    /// Payload bytes shown per differing entry.
    public var maxBytes = 128
    static let chunk: UInt64 = 4096

    /// A comparison of `a` and `b`.
    public init(a: LogInput, b: LogInput, fileSystem: FileSystem, maxBytes: Int = 128) {
        self.a = a
        self.b = b
        self.fileSystem = fileSystem
        self.maxBytes = maxBytes
    }

    struct Fingerprint: Equatable { var hash: UInt64 = 0xcbf2_9ce4_8422_2325; var count = 0 }
    struct Item { var index: UInt64; var term: UInt64; var type: UInt8; var crc: UInt32; var length: Int; var prefix: [UInt8] }

    /// The indexes of chunk `c` (inclusive; the last chunk ends at UInt64.max).
    static func range(ofChunk c: Int) -> ClosedRange<UInt64> {
        let lo = UInt64(c) * chunk + 1
        let (hi, overflow) = lo.addingReportingOverflow(chunk - 1)
        return lo...(overflow ? UInt64.max : hi)
    }

    /// One fingerprint per chunk that holds entries, by chunk number: a map, not an array, so that
    /// an absurd index (a hostile file whose header checksum is right) costs one entry, not memory
    /// up to it. Entries come in index order but for damaged logs, so the current chunk is kept aside.
    func fingerprints(_ scanner: LogScanner, pre: ScanResult, from start: UInt64) throws(LogdumpError) -> (
        [Int: Fingerprint], last: UInt64, lastTerm: UInt64
    ) {
        var prints: [Int: Fingerprint] = [:]
        var currentChunk = -1
        var current = Fingerprint()
        var last = pre.snapshot?.index ?? 0, lastTerm = pre.snapshot?.term ?? 0
        _ = try scanEffectiveEntries(scanner, pre: pre) { r, _ in
            guard r.index >= start else { return }
            let c = Int((r.index &- 1) / Self.chunk)
            if c != currentChunk {
                if currentChunk >= 0 { prints[currentChunk] = current }
                currentChunk = c
                current = prints[c] ?? Fingerprint()
            }
            current.hash = (current.hash ^ (UInt64(r.checksum) | r.index << 32)) &* 0x100_0000_01b3
            current.count += 1
            last = r.index
            lastTerm = r.term
        }
        if currentChunk >= 0 { prints[currentChunk] = current }
        return (prints, last, lastTerm)
    }

    func items(_ scanner: LogScanner, pre: ScanResult, chunk c: Int, from start: UInt64) throws(LogdumpError) -> [Item] {
        var out: [Item] = []
        let range = Self.range(ofChunk: c)
        let lo = max(range.lowerBound, start), hi = range.upperBound
        let keep = maxBytes == 0 ? 4096 : maxBytes
        _ = try scanEffectiveEntries(scanner, pre: pre) { r, payload in
            guard r.index >= lo && r.index <= hi else { return }
            out.append(
                Item(
                    index: r.index, term: r.term, type: r.entryType, crc: r.checksum, length: r.payloadLength,
                    prefix: Array(payload.prefix(keep))))
        }
        return out
    }

    /// Prints where the logs agree and the first entries where they differ.
    public func run(out: Output, err: Output) throws(LogdumpError) -> LogdumpExit {
        let sa = try a.scanner(fileSystem: fileSystem), sb = try b.scanner(fileSystem: fileSystem)
        let preA = try LogInput.run { () throws(StorageError) in try sa.verify() }
        let preB = try LogInput.run { () throws(StorageError) in try sb.verify() }
        // With snapshots, only the indexes both logs still hold can be compared.
        let start = max(preA.firstIndex, preB.firstIndex)
        let (fa, lastA, termA) = try fingerprints(sa, pre: preA, from: start)
        let (fb, lastB, termB) = try fingerprints(sb, pre: preB, from: start)
        let nameA = a.directory ?? a.segmentFiles.joined(separator: " ")
        let nameB = b.directory ?? b.segmentFiles.joined(separator: " ")
        out.line("diff")
        out.line("  A  \(nameA): last index \(lastA) (term \(termA))")
        out.line("  B  \(nameB): last index \(lastB) (term \(termB))")
        if let w = preA.snapshotWords { out.line("  A starts after \(w)") }
        if let w = preB.snapshotWords { out.line("  B starts after \(w)") }
        if start > 1 { out.line("  compared from index \(start) (below it, a snapshot replaced the entries)") }
        var status = LogdumpExit.clean
        let differing = Set(fa.keys).union(fb.keys).sorted().filter { fa[$0] != fb[$0] }
        var found = false
        for c in differing {
            let ia = fa[c] != nil ? try items(sa, pre: preA, chunk: c, from: start) : []
            let ib = fb[c] != nil ? try items(sb, pre: preB, chunk: c, from: start) : []
            guard let index = firstDivergence(ia, ib, chunk: c, start: start, damagedA: damaged(preA), damagedB: damaged(preB)) else { continue }
            found = true
            status = .differ
            out.line("  identical through index \(index - 1)" + (index - 1 < start ? " (nothing in common)" : ""))
            let ea = ia.last { $0.index == index }, eb = ib.last { $0.index == index }
            if ea == nil && index > lastA && damaged(preA)[index] == nil {
                out.line("  A ends at index \(lastA); B continues:")
                if let eb { show("B", eb, out) }
            } else if eb == nil && index > lastB && damaged(preB)[index] == nil {
                out.line("  B ends at index \(lastB); A continues:")
                if let ea { show("A", ea, out) }
            } else {
                out.line("  first divergence at index \(index):")
                side("A", ea, index: index, damaged: damaged(preA)[index], out)
                side("B", eb, index: index, damaged: damaged(preB)[index], out)
                if let ea, let eb, ea.term != eb.term {
                    out.line(
                        "  the terms differ (\(ea.term) vs \(eb.term)): Raft keeps the entry of the higher term when the leader of that term replicates it"
                    )
                }
            }
            break
        }
        if !found {
            if differing.isEmpty {
                out.line("  identical: entries \(start)…\(lastA) have the same index, term, type and payload")
            } else {
                // The fingerprints differ only in the order of records (a log read in file order after damage).
                out.line(
                    "  identical by index: entries \(start)…\(lastA) have the same index, term, type and payload (the records are stored in a different order)"
                )
            }
        }
        out.flush()
        let wa = warnProblems(preA, command: "diff (A)", shown: "a damaged index is shown as such", to: err)
        let wb = warnProblems(preB, command: "diff (B)", shown: "a damaged index is shown as such", to: err)
        let worst = max(wa.rawValue, wb.rawValue)
        if worst > 0 { status = LogdumpExit(rawValue: worst)! }
        return status
    }

    /// Damaged records of a log by index (those whose index the scanner could read).
    func damaged(_ pre: ScanResult) -> [UInt64: StorageProblem] {
        var out: [UInt64: StorageProblem] = [:]
        for p in pre.problems where p.class != .tornTail { if let i = p.index, out[i] == nil { out[i] = p } }
        return out
    }

    /// The first index of a chunk where the two logs differ, compared index by index: an entry on
    /// one side only (the other damaged, missing or ended), or entries that differ. With several
    /// records of one index (read in file order after damage), the last one counts, as it would
    /// replace the others.
    func firstDivergence(
        _ ia: [Item], _ ib: [Item], chunk c: Int, start: UInt64,
        damagedA: [UInt64: StorageProblem], damagedB: [UInt64: StorageProblem]
    ) -> UInt64? {
        var byA: [UInt64: Item] = [:], byB: [UInt64: Item] = [:]
        for item in ia { byA[item.index] = item }
        for item in ib { byB[item.index] = item }
        let range = Self.range(ofChunk: c)
        let lo = max(range.lowerBound, start), hi = range.upperBound
        var indexes = Set(byA.keys).union(byB.keys)
        for i in damagedA.keys where i >= lo && i <= hi { indexes.insert(i) }
        for i in damagedB.keys where i >= lo && i <= hi { indexes.insert(i) }
        for index in indexes.sorted() {
            switch (byA[index], byB[index]) {
            case (let a?, let b?):
                if a.crc != b.crc || a.term != b.term || a.type != b.type || a.length != b.length { return index }
            default:
                return index
            }
        }
        return nil
    }

    /// One side of a divergence: the entry, or why there is none.
    func side(_ name: String, _ item: Item?, index: UInt64, damaged: StorageProblem?, _ out: Output) {
        if let item { return show(name, item, out) }
        out.write("    \(name) ")
        out.decimal(index, width: 10)
        if let damaged {
            out.write(padLeft(damaged.term.map(String.init) ?? "?", 7))
            out.write("  !!     " + damageWords(damaged) + "\n")
        } else {
            out.write("      -  !!     missing: no record of this index reads back\n")
        }
    }

    func show(_ side: String, _ item: Item, _ out: Output) {
        out.write("    \(side) ")
        out.decimal(item.index, width: 10)
        out.decimal(item.term, width: 7)
        out.spaces(2)
        out.write(pad(typeName(item.type), 7))
        item.prefix.withUnsafeBytes { raw in
            if item.type == EntryKind.config.rawValue, item.prefix.count == item.length, let c = configDescription(raw) {
                out.write(c)
            } else {
                out.command(raw, limit: 0)
                if item.prefix.count < item.length { out.write("…(+\(item.length - item.prefix.count) bytes)") }
            }
        }
        out.write("   crc \(formatChecksumText(item.crc))\n")
    }
}
