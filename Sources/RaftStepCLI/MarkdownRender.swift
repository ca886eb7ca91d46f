/// The lessons' Markdown for a terminal: headings, **bold**, *emphasis* and `code` styled with ANSI
/// escapes, tables aligned, fenced blocks indented, paragraphs refilled to the terminal's width.
/// Without colour (`NO_COLOR`, `--no-color`, output not a terminal) the text is plain: emphasis
/// markers and heading hashes are dropped, code keeps its backticks (they still say "type this").
public struct MarkdownRender: Sendable {
    /// Whether to emit ANSI escapes.
    public var color: Bool
    /// Refill paragraphs to this many columns; nil keeps the source's line breaks.
    public var widthColumns: Int?

    /// A renderer; `widthColumns` nil keeps the author's line breaks (as in tests and pipes).
    public init(color: Bool, widthColumns: Int? = nil) {
        precondition(widthColumns.map { $0 >= 20 } ?? true, "a width below 20 columns cannot hold a sentence")
        self.color = color
        self.widthColumns = widthColumns
    }

    enum Style {
        static let bold = "1"
        static let emphasis = "3"
        static let code = "36"
        static let heading = "1;4"
        static let dim = "2"
    }

    /// The rendered lines of a Markdown text.
    public func render(_ text: String) -> [String] {
        var output: [String] = []
        var paragraph: [String] = []
        var table: [String] = []
        var fence: [String]?
        func flush() {
            if !paragraph.isEmpty { output += renderParagraph(paragraph); paragraph = [] }
            if !table.isEmpty { output += renderTable(table); table = [] }
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let trimmed = line.trimmingSpaces()
            if var block = fence {
                if trimmed.hasPrefix("```") {
                    output += block.map { "  " + paint(Style.dim, $0) }
                    fence = nil
                } else {
                    block.append(line)
                    fence = block
                }
                continue
            }
            if trimmed.hasPrefix("```") { flush(); fence = []; continue }
            if trimmed.isEmpty { flush(); output.append(""); continue }
            if trimmed.hasPrefix("|") {
                if !paragraph.isEmpty { flush() }
                table.append(trimmed)
                continue
            }
            if !table.isEmpty { flush() }
            if let heading = Self.heading(trimmed) {
                flush()
                output.append(paint(Style.heading, plainInline(heading)))
                continue
            }
            if Self.isListItem(trimmed) && !paragraph.isEmpty { flush() }
            paragraph.append(line)
        }
        if let block = fence { output += block.map { "  " + $0 } }
        flush()
        // Blank lines: never two in a row, none at the ends.
        var result: [String] = []
        for line in output where !(line.isEmpty && (result.last?.isEmpty ?? true)) { result.append(line) }
        while result.last?.isEmpty == true { result.removeLast() }
        return result
    }

    /// `# Title` → `Title` (levels 1–6), or nil when the line is not a heading.
    static func heading(_ line: String) -> String? {
        let hashes = line.prefix(while: { $0 == "#" })
        guard (1...6).contains(hashes.count), line.dropFirst(hashes.count).first == " " else { return nil }
        return String(line.dropFirst(hashes.count + 1)).trimmingSpaces()
    }

    static func isListItem(_ line: String) -> Bool {
        if line.hasPrefix("- ") || line.hasPrefix("* ") { return true }
        let digits = line.prefix(while: { $0.isNumber })
        return !digits.isEmpty && line.dropFirst(digits.count).hasPrefix(". ")
    }

    // MARK: Paragraphs

    /// A run of text in one style (nil: unstyled).
    struct Run: Equatable {
        var text: String
        var style: String?
    }

    func renderParagraph(_ lines: [String]) -> [String] {
        guard let width = widthColumns else {
            // Keep the author's line breaks; a span may still cross them, so style the whole
            // paragraph at once and cut it where the source was cut.
            let runs = Self.inlineRuns(lines.joined(separator: "\n"))
            return split(runs, at: "\n").map(emit)
        }
        let indent = Self.isListItem(lines[0].trimmingSpaces()) ? "  " : ""
        let joined = lines.map { $0.trimmingSpaces() }.joined(separator: " ")
        return fill(Self.inlineRuns(joined), width: width, hangingIndent: indent)
    }

    /// Splits styled text into Markdown spans: `code`, **bold**, *emphasis*. Markers that do not
    /// open a span (`2 * 3`, an unclosed `**`) stay as text.
    static func inlineRuns(_ text: String) -> [Run] {
        let chars = Array(text)
        var runs: [Run] = []
        var plain = ""
        var i = 0
        func closing(_ marker: String, from start: Int) -> Int? {
            let m = Array(marker)
            var j = start
            while j + m.count <= chars.count {
                if Array(chars[j..<(j + m.count)]) == m, j > start, marker == "`" || chars[j - 1] != " " { return j }
                j += 1
            }
            return nil
        }
        while i < chars.count {
            let c = chars[i]
            var marker: String?
            if c == "`" {
                marker = "`"
            } else if c == "*", i + 1 < chars.count, chars[i + 1] == "*" {
                marker = "**"
            } else if c == "*" {
                marker = "*"
            }
            if let marker {
                let start = i + marker.count
                if start < chars.count, chars[start] != " ", let end = closing(marker, from: start) {
                    if !plain.isEmpty { runs.append(Run(text: plain, style: nil)); plain = "" }
                    let inner = String(chars[start..<end])
                    switch marker {
                    case "`": runs.append(Run(text: "`" + inner + "`", style: Style.code))
                    case "**": runs += inlineRuns(inner).map { Run(text: $0.text, style: $0.style ?? Style.bold) }
                    default: runs += inlineRuns(inner).map { Run(text: $0.text, style: $0.style ?? Style.emphasis) }
                    }
                    i = end + marker.count
                    continue
                }
            }
            plain.append(c)
            i += 1
        }
        if !plain.isEmpty { runs.append(Run(text: plain, style: nil)) }
        return runs
    }

    /// Cuts runs into lines at every `separator` character.
    func split(_ runs: [Run], at separator: Character) -> [[Run]] {
        var lines: [[Run]] = [[]]
        for run in runs {
            let pieces = run.text.split(separator: separator, omittingEmptySubsequences: false)
            for (n, piece) in pieces.enumerated() {
                if n > 0 { lines.append([]) }
                if !piece.isEmpty { lines[lines.count - 1].append(Run(text: String(piece), style: run.style)) }
            }
        }
        return lines
    }

    /// Refills runs into lines of at most `width` visible columns (a longer word gets a line of its own).
    func fill(_ runs: [Run], width: Int, hangingIndent: String) -> [String] {
        var words: [[Run]] = []
        var current: [Run] = []
        for run in runs {
            for (n, piece) in run.text.split(separator: " ", omittingEmptySubsequences: false).enumerated() {
                if n > 0 && !current.isEmpty { words.append(current); current = [] }
                if !piece.isEmpty { current.append(Run(text: String(piece), style: run.style)) }
            }
        }
        if !current.isEmpty { words.append(current) }
        var lines: [String] = []
        var line: [Run] = []
        var used = 0
        for word in words {
            let wordWidth = word.reduce(0) { $0 + $1.text.count }
            let indent = lines.isEmpty ? 0 : hangingIndent.count
            if !line.isEmpty && indent + used + 1 + wordWidth > width {
                lines.append((lines.isEmpty ? "" : hangingIndent) + emit(line))
                line = []
                used = 0
            }
            if let last = line.last {
                // A space inside a styled phrase keeps the phrase's style (one escape per phrase).
                line.append(Run(text: " ", style: last.style == word[0].style ? last.style : nil))
                used += 1
            }
            line += word
            used += wordWidth
        }
        if !line.isEmpty { lines.append((lines.isEmpty ? "" : hangingIndent) + emit(line)) }
        return lines
    }

    /// The runs as text, neighbours of one style painted together.
    func emit(_ runs: [Run]) -> String {
        var text = ""
        var index = 0
        while index < runs.count {
            var merged = runs[index]
            while index + 1 < runs.count && runs[index + 1].style == merged.style {
                index += 1
                merged.text += runs[index].text
            }
            text += merged.style.map { paint($0, merged.text) } ?? merged.text
            index += 1
        }
        return text
    }

    func plainInline(_ text: String) -> String {
        Self.inlineRuns(text).map(\.text).joined()
    }

    func paint(_ style: String, _ text: String) -> String {
        color && !text.isEmpty ? "\u{1B}[\(style)m\(text)\u{1B}[0m" : text
    }

    // MARK: Tables

    /// `| a | b |` rows with a `|---|` separator → aligned columns, header styled, a rule under it.
    func renderTable(_ rows: [String]) -> [String] {
        var cells: [[String]] = []
        var hasHeader = false
        for row in rows {
            var inner = Substring(row)
            if inner.hasPrefix("|") { inner = inner.dropFirst() }
            if inner.hasSuffix("|") { inner = inner.dropLast() }
            let parts = inner.split(separator: "|", omittingEmptySubsequences: false).map { String($0).trimmingSpaces() }
            if parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { "-: ".contains($0) } }) {
                hasHeader = cells.count == 1
                continue
            }
            cells.append(parts.map(plainInline))
        }
        let columns = cells.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in cells { for (c, cell) in row.enumerated() { widths[c] = max(widths[c], cell.count) } }
        var lines: [String] = []
        for (r, row) in cells.enumerated() {
            let text = "  " + row.enumerated().map { c, cell in cell.padding(widths[c]) }.joined(separator: "  ").trimmingTrailingSpaces()
            if r == 0 && hasHeader {
                lines.append(paint(Style.bold, text))
                lines.append("  " + widths.map { String(repeating: "─", count: $0) }.joined(separator: "  "))
            } else {
                lines.append(text)
            }
        }
        return lines
    }
}
