/// Output lines longer than the terminal, cut between words (issue 14 §3): the terminal would
/// cut them mid-word at its last column. Continuation lines hang under the first line's text,
/// indented a little more, so a narration line reads as one item. Scripts, piped input and the
/// golden transcripts are not wrapped: only a terminal has a width.
enum Wrap {
    /// How much deeper than the first line its continuation lines are indented.
    static let hangingIndentColumns = 4

    /// The columns `text` takes on a terminal: ANSI colour escapes take none.
    static func columns(_ text: String) -> Int {
        var count = 0
        var inEscape = false
        for scalar in text.unicodeScalars {
            if inEscape {
                if scalar == "m" { inEscape = false }
            } else if scalar == "\u{1B}" {
                inEscape = true
            } else {
                count += 1
            }
        }
        return count
    }

    /// `line` as lines of at most `widthColumns` columns, cut at blanks. A word longer than the
    /// room stays whole (on a line of its own); a line that fits is returned as it is.
    static func lines(_ line: String, widthColumns: Int) -> [String] {
        precondition(widthColumns > 0, "a terminal has at least one column")
        guard columns(line) > widthColumns else { return [line] }
        let indent = String(line.prefix(while: { $0 == " " }))
        // Deep indents would leave no room; past half the width the continuation starts at the margin.
        let hanging = indent.count + hangingIndentColumns < widthColumns / 2
            ? String(repeating: " ", count: indent.count + hangingIndentColumns) : ""
        let words = line.dropFirst(indent.count).split(separator: " ", omittingEmptySubsequences: true)
        var result: [String] = []
        var current = indent
        var used = indent.count
        var isFirstWord = true
        for word in words {
            let width = columns(String(word))
            if !isFirstWord && used + 1 + width > widthColumns {
                result.append(current)
                current = hanging + word
                used = hanging.count + width
                continue
            }
            current += (isFirstWord ? "" : " ") + word
            used += (isFirstWord ? 0 : 1) + width
            isFirstWord = false
        }
        result.append(current)
        assert(result.allSatisfy { columns($0) <= widthColumns || !$0.trimmingLeadingSpaces().contains(" ") })
        return result
    }
}

extension String {
    func trimmingLeadingSpaces() -> String { String(drop(while: { $0 == " " })) }
}
