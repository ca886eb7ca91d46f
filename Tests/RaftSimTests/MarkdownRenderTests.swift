import Testing
@testable import RaftStepCLI

/// The lessons' Markdown at the terminal: styled with colour, plain without, refilled to a width.
@Suite("Markdown for the terminal")
struct MarkdownRenderTests {
    let plain = MarkdownRender(color: false)
    let colored = MarkdownRender(color: true)

    @Test("without colour: emphasis markers and heading hashes go, code keeps its backticks")
    func plainText() {
        #expect(
            plain.render("# Lesson 1 — First election\n\nA **follower** runs an *election timer*; type `tick`.")
                == ["Lesson 1 — First election", "", "A follower runs an election timer; type `tick`."])
    }

    @Test("with colour: bold, emphasis, code and headings get their escapes")
    func coloredText() {
        #expect(colored.render("## Title") == ["\u{1B}[1;4mTitle\u{1B}[0m"])
        #expect(
            colored.render("a **b c** *d* `e f`")
                == ["a \u{1B}[1mb c\u{1B}[0m \u{1B}[3md\u{1B}[0m \u{1B}[36m`e f`\u{1B}[0m"])
    }

    @Test("a span across the author's line break is styled on both lines")
    func spanAcrossLines() {
        #expect(colored.render("one **two\nthree** four") == ["one \u{1B}[1mtwo\u{1B}[0m", "\u{1B}[1mthree\u{1B}[0m four"])
        #expect(plain.render("one **two\nthree** four") == ["one two", "three four"])
    }

    @Test(
        "text that only looks like markup stays as it is",
        arguments: [
            "2 * 3 * 4", "C_old,new and C_new", "an unclosed **marker", "a lone ` backtick",
        ])
    func notMarkup(text: String) {
        #expect(plain.render(text) == [text])
        #expect(colored.render(text) == [text])
    }

    @Test("paragraphs are refilled to the width, words kept in order, nothing wider")
    func refill() {
        let text =
            "Who could win an election now? A candidate needs 4 of 7 votes, and a node votes only for a\ncandidate whose log is at least as **up to date** as its own."
        let narrow = MarkdownRender(color: false, widthColumns: 30).render(text)
        #expect(narrow.count > 3)
        #expect(narrow.allSatisfy { $0.count <= 30 }, "\(narrow)")
        #expect(narrow.joined(separator: " ") == plain.render(text).joined(separator: " "))
        let styled = MarkdownRender(color: true, widthColumns: 30).render(text)
        #expect(styled.count == narrow.count, "escapes take no columns")
    }

    @Test("a list item wraps under its own text")
    func listItems() {
        let lines = MarkdownRender(color: false, widthColumns: 24).render("Intro.\n- first item that is long enough to wrap\n- second")
        #expect(lines == ["Intro.", "- first item that is", "  long enough to wrap", "- second"])
    }

    @Test("tables are aligned, the separator row becomes a rule")
    func table() {
        let lines = plain.render("| node | terms |\n|---|---|\n| n1 | 1 1 4 |\n| n10 | 1 |")
        #expect(lines == ["  node  terms", "  ────  ─────", "  n1    1 1 4", "  n10   1"])
    }

    @Test("a fenced block is indented and kept verbatim")
    func fence() {
        #expect(plain.render("Run:\n```\n**not bold**\n```") == ["Run:", "  **not bold**"])
    }

    @Test("every lesson renders without leaving Markdown markers behind (plain)")
    func everyLesson() throws {
        for lesson in try LessonTests.catalog().lessons {
            for text in lesson.steps.map(\.text) + [lesson.conclusion] {
                for line in plain.render(text) {
                    #expect(!line.contains("**"), "\(lesson.slug): \(line)")
                    #expect(!line.hasPrefix("#"), "\(lesson.slug): \(line)")
                }
            }
        }
    }
}
