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

    /// `line` as lines of at most `widthColumns` columns, cut at blanks. The blanks inside a
    /// line are kept (a table's columns stay aligned); a line whose text starts after a gap of two
    /// or more blanks (`help`'s `name      summary`) continues under that text, any other under
    /// its first word, `hangingIndentColumns` deeper. A word longer than the room stays whole
    /// (on a line of its own); a line that fits is returned as it is.
    static func lines(_ line: String, widthColumns: Int) -> [String] {
        precondition(widthColumns > 0, "a terminal has at least one column")
        guard columns(line) > widthColumns else { return [line] }
        let indent = String(line.prefix(while: { $0 == " " }))
        // Each word with the blanks before it, as typed.
        var pieces: [(gap: String, word: String)] = []
        var gap = "", word = ""
        for character in line.dropFirst(indent.count) {
            if character == " " {
                if !word.isEmpty { pieces.append((gap, word)); gap = ""; word = "" }
                gap.append(character)
            } else {
                word.append(character)
            }
        }
        if !word.isEmpty { pieces.append((gap, word)) }
        guard !pieces.isEmpty else { return [line] }
        let hanging = String(repeating: " ", count: hangingColumn(indent: indent.count, pieces: pieces, widthColumns: widthColumns))
        var result: [String] = []
        var current = indent + pieces[0].word
        var used = indent.count + columns(pieces[0].word)
        for piece in pieces.dropFirst() {
            let width = columns(piece.word)
            if used + piece.gap.count + width > widthColumns {
                result.append(current)
                current = hanging + piece.word
                used = hanging.count + width
            } else {
                current += piece.gap + piece.word
                used += piece.gap.count + width
            }
        }
        result.append(current)
        assert(result.allSatisfy { columns($0) <= widthColumns || !$0.trimmingLeadingSpaces().contains(" ") })
        return result
    }

    /// Where continuation lines start: under the text after a wide gap, else a little deeper than
    /// the first word; at the margin when that would leave less than half the width.
    static func hangingColumn(indent: Int, pieces: [(gap: String, word: String)], widthColumns: Int) -> Int {
        var column = indent
        for (n, piece) in pieces.enumerated() {
            column += piece.gap.count
            if n > 0 && piece.gap.count >= 2 { return column < widthColumns / 2 ? column : 0 }
            column += columns(piece.word)
        }
        let deeper = indent + hangingIndentColumns
        return deeper < widthColumns / 2 ? deeper : 0
    }
}

extension String {
    func trimmingLeadingSpaces() -> String { String(drop(while: { $0 == " " })) }
}
