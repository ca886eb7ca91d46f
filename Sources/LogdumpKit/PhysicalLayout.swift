import RaftCore
import RaftStorage

/// The columns of `dump --physical` in text: widths taken from what the verify pass saw (the
/// largest offset, index and term), so that the table is as narrow as its data, and a total width
/// (the terminal's) that no line passes: file names are shortened in the middle (`log-…01.seg`)
/// when the full names leave too little room, and the last column is cut with `…`.
struct PhysicalLayout {
    /// Columns a line may use (0: no limit).
    var widthColumns: Int
    var fileWidth: Int
    var offsetWidth: Int
    var sizeWidth: Int
    var indexWidth: Int
    var termWidth: Int
    var typeWidth: Int
    var statusWidth: Int
    /// Digits kept of a segment's or snapshot's 16-digit number when names are shortened (0: full names).
    var keptDigits = 0
    /// Spaces between columns: two, one in a narrow terminal.
    var gap = 2

    /// The room the command column should keep before file names are shortened.
    static let commandRoomColumns = 24

    init(_ pre: ScanResult, widthColumns: Int) {
        self.widthColumns = widthColumns
        let names = pre.segments.map(\.name) + pre.snapshotFiles.map(\.name)
        fileWidth = max(4, names.map(\.utf8.count).max() ?? 0)
        let largestFile = max(pre.segments.map(\.size).max() ?? 0, pre.snapshotFiles.map { Int64($0.fileSize) }.max() ?? 0)
        offsetWidth = max(6, digitCount(UInt64(max(0, largestFile))))
        sizeWidth = max(4, digitCount(UInt64(max(0, largestFile))))
        var topIndex = max(pre.maxIndexSeen, pre.lastIndex)
        var topTerm = max(pre.lastTerm, pre.hardState?.chosen?.hardState?.term ?? 0)
        for f in pre.snapshotFiles { topIndex = max(topIndex, f.index ?? 0); topTerm = max(topTerm, f.term ?? 0) }
        for p in pre.problems { topIndex = max(topIndex, p.index ?? 0); topTerm = max(topTerm, p.term ?? 0) }
        indexWidth = max(5, digitCount(topIndex))
        termWidth = max(4, digitCount(topTerm))
        let unknownType = pre.entriesByType.keys.contains { EntryKind(rawValue: $0) == nil }
        typeWidth = unknownType ? 8 : 6
        // One flag besides "ok" is the usual most; a rare second one only pushes that row's last column.
        var statuses = ["STATUS"]
        if pre.mayHaveSupersededEntries { statuses.append("ok,superseded") }
        if pre.tornTail != nil { statuses.append("ok,torn-tail") }
        if pre.snapshot != nil { statuses.append("ok,compacted") }
        for f in pre.snapshotFiles { statuses.append(Self.snapshotStatus(f, used: f.path == pre.snapshot?.path)) }
        statusWidth = statuses.map(\.utf8.count).max()!
        if widthColumns > 0 && fixedColumns + Self.commandRoomColumns > widthColumns {
            gap = 1
            let top = (pre.segments.compactMap { $0.header?.sequence } + pre.snapshotFiles.compactMap(\.index)).max() ?? 1
            keptDigits = max(2, digitCount(top))
            fileWidth = max(4, names.map { Self.shortName($0, keptDigits: keptDigits).unicodeScalars.count }.max() ?? 0)
        }
    }

    /// Columns before the command.
    var fixedColumns: Int {
        fileWidth + offsetWidth + 1 + sizeWidth + indexWidth + 1 + termWidth + typeWidth + 10 + statusWidth + 6 * gap
    }

    /// The status word of a snapshot file's row.
    static func snapshotStatus(_ f: SnapshotFileInfo, used: Bool) -> String {
        f.isValid ? (used ? "ok,log-starts-after" : "ok,older-unused") : "damaged"
    }

    /// `log-0000000000000001.seg` as `log-…01.seg` (the digits that tell segments apart).
    static func shortName(_ name: String, keptDigits: Int) -> String {
        let bytes = Array(name.utf8)
        guard let dash = bytes.firstIndex(of: UInt8(ascii: "-")), let dot = bytes.lastIndex(of: UInt8(ascii: ".")), dot > dash + 1 else {
            return name
        }
        let digits = bytes[(dash + 1)..<dot]
        guard digits.count > keptDigits + 1, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return name }
        return String(decoding: bytes[...dash], as: UTF8.self) + "…" + String(decoding: digits.suffix(keptDigits), as: UTF8.self)
            + String(decoding: bytes[dot...], as: UTF8.self)
    }

    /// A file name as the FILE column shows it.
    func fileName(_ name: String) -> String { keptDigits > 0 ? Self.shortName(name, keptDigits: keptDigits) : name }

    /// The header line.
    var header: String {
        let g = String(repeating: " ", count: gap)
        return pad("FILE", fileWidth) + g + padLeft("OFFSET", offsetWidth) + " " + padLeft("SIZE", sizeWidth) + g
            + padLeft("INDEX", indexWidth) + " " + padLeft("TERM", termWidth) + g + pad("TYPE", typeWidth) + g
            + pad("CRC", 10) + g + pad("STATUS", statusWidth) + g + "COMMAND"
    }

    /// Writes the columns before the command of a record row.
    func writeColumns(
        _ w: Output, file: String, offset: Int64, size: Int, index: String, term: String, type: String,
        crc: String, status: String
    ) {
        w.write(pad(fileName(file), fileWidth))
        w.spaces(gap)
        w.write(padLeft(String(offset), offsetWidth))
        w.spaces(1)
        w.write(padLeft(String(size), sizeWidth))
        w.spaces(gap)
        w.write(padLeft(index, indexWidth))
        w.spaces(1)
        w.write(padLeft(term, termWidth))
        w.spaces(gap)
        w.write(pad(type, typeWidth))
        w.spaces(gap)
        w.write(pad(crc, 10))
        w.spaces(gap)
        w.write(pad(status, statusWidth))
        w.spaces(gap)
    }

    /// A problem's row: file and offset, then `!!` and the problem (its class, index and term,
    /// what is wrong), wrapped under itself.
    func problemLines(_ p: StorageProblem) -> [String] {
        let lead = pad(fileName(p.file), fileWidth) + String(repeating: " ", count: gap) + padLeft(String(p.offset), offsetWidth) + "  !! "
        return wrapped(lead, p.class.rawValue + problemDetails(p), widthColumns: widthColumns)
    }
}

/// The number of decimal digits of `v`.
func digitCount(_ v: UInt64) -> Int {
    var n = 1, x = v
    while x >= 10 { x /= 10; n += 1 }
    return n
}

/// Terminal columns of one Unicode scalar: 2 for the wide (East Asian wide, emoji) ranges, else 1.
/// Errs towards 2, so that a line counted as fitting never wraps.
@inline(__always)
func scalarColumns(_ v: UInt32) -> Int {
    if v < 0x1100 { return 1 }
    if v <= 0x115F || (0x2600...0x27BF).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
        || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
        || (0xFFE0...0xFFE6).contains(v) || v >= 0x1F000
    {
        return 2
    }
    return 1
}

/// Terminal columns of a line.
func columns(_ s: String) -> Int { s.unicodeScalars.reduce(0) { $0 + scalarColumns($1.value) } }

/// The line cut to `width` columns, its last column `…` when something was cut (0: no limit).
func clipped(_ line: [UInt8], widthColumns width: Int) -> [UInt8] {
    guard width > 0 else { return line }
    // Fast path: plain ASCII that fits.
    if line.count <= width && !line.contains(where: { $0 >= 0x80 }) { return line }
    let text = String(decoding: line, as: UTF8.self)
    guard columns(text) > width else { return line }
    var out = ""
    var used = 0
    for s in text.unicodeScalars {
        let c = scalarColumns(s.value)
        if used + c > width - 1 { break }
        out.unicodeScalars.append(s)
        used += c
    }
    return Array((out + "…").utf8)
}

/// `text` after `lead`, wrapped at spaces so that no line passes `width` columns; continuation lines
/// are indented under the text (or by four columns when the lead takes more than half the width).
func wrapped(_ lead: String, _ text: String, widthColumns width: Int) -> [String] {
    guard width > 0, columns(lead + text) > width else { return [lead + text] }
    let leadColumns = columns(lead)
    let indent = String(repeating: " ", count: leadColumns * 2 <= width ? leadColumns : 4)
    var lines: [String] = []
    var current = lead
    var currentHasWord = false
    for word in text.split(separator: " ", omittingEmptySubsequences: false) {
        let candidate = current + (currentHasWord ? " " : "") + word
        if currentHasWord && columns(candidate) > width {
            lines.append(current)
            current = indent + word
        } else {
            current = candidate
        }
        currentHasWord = true
    }
    lines.append(current)
    // A single word longer than the line is cut rather than allowed to wrap.
    return lines.map { String(decoding: clipped(Array($0.utf8), widthColumns: width), as: UTF8.self) }
}
