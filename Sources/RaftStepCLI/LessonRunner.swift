import LineEditor
import RaftSim
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs lessons: all suggested commands non-interactively (`--check-all`), or step by step with
/// a learner at the prompt.
public enum LessonRunner {
    /// The lesson list with a mark for finished ones.
    public static func listing(_ catalog: LessonCatalog, progress: LessonProgress) -> [String] {
        var lines = ["Lessons (\(catalog.directory)); run one with `raftstep lesson N`:"]
        for lesson in catalog.lessons {
            let mark = progress.done.contains(lesson.slug) ? "✓" : " "
            let number = lesson.number < 10 ? " \(lesson.number)" : "\(lesson.number)"
            lines.append("\(mark) \(number)  \(lesson.title) — \(lesson.summary)")
        }
        return lines
    }

    /// Runs every suggested command and checks every expectation; `verbose` also writes the
    /// transcript. Returns whether the whole lesson passed.
    public static func check(_ lesson: Lesson, verbose: Bool = false, write: (String) -> Void) -> Bool {
        let session: Session
        do { session = try lesson.makeSession() } catch {
            write("lesson \(lesson.number): cannot start its cluster: \(error)")
            return false
        }
        var expectationCount = 0
        for (number, step) in lesson.steps.enumerated() {
            for line in step.commands + step.expectations {
                let result = session.execute(line)
                if verbose { write("> " + line); result.lines.forEach(write) }
                let tolerated = result.status == .violation && !session.stopsOnViolation
                if result.status != .ok && !tolerated {
                    write("FAILED lesson \(lesson.slug) step \(number + 1) (\(lesson.slug).md:\(step.line)): \(line)")
                    for shown in result.lines.suffix(3) { write("  " + shown) }
                    return false
                }
            }
            expectationCount += step.expectations.count
        }
        write("ok  \(lesson.slug): \(lesson.steps.count) steps, \(expectationCount) expectations")
        return true
    }

    /// The verbs the lesson prompt adds to the command language.
    public static let verbs = ["hint", "skip", "back", "restart", "quit"]

    /// How a lesson is shown: colour, and the width to refill its text to.
    public struct Display: Sendable {
        /// ANSI colour in the text and in the cluster's pictures.
        public var color: Bool
        /// Refill the text to this width; nil keeps the lesson's own line breaks.
        public var widthColumns: Int?
        /// Colourless, the lesson's own line breaks (tests, pipes).
        public static let plain = Display(color: false, widthColumns: nil)
        /// A display; `widthColumns` nil keeps the lesson's own line breaks.
        public init(color: Bool, widthColumns: Int?) {
            self.color = color
            self.widthColumns = widthColumns
        }
    }

    /// Runs a lesson with a learner: shows each step's text and suggested commands, runs whatever
    /// the learner types, and moves on once the learner has typed the step's suggestions and its
    /// expectations hold. After the last step the prompt stays in the lesson's cluster until
    /// `quit` or the end of input. Returns true when the learner finished the lesson;
    /// `finished` is called the moment they do.
    public static func runInteractive(
        _ lesson: Lesson, display: Display = .plain, read: (String) -> String?,
        write: (String) -> Void, finished: () -> Void = {}
    ) -> Bool {
        let markdown = MarkdownRender(color: display.color, widthColumns: display.widthColumns)
        var state: LessonState
        do { state = try LessonState(lesson: lesson, color: display.color, markdown: markdown) } catch {
            write("lesson \(lesson.number): cannot start its cluster: \(error)")
            return false
        }
        for line in state.wrapped("Lesson \(lesson.number) — \(lesson.title)") { write(state.paint("1;4", line)) }
        var header: [String] = []
        if !lesson.summary.isEmpty { header.append(lesson.summary) }
        if !lesson.teaches.isEmpty { header.append("Rules: \(lesson.teaches)") }
        if !lesson.property.isEmpty { header.append("At stake: \(lesson.property)") }
        header.append("Type the suggested commands (or your own experiments); also: hint, skip, back, restart, quit.")
        for line in header { markdown.render(line).forEach(write) }
        state.announce(write: write)
        var reachedEnd = false
        var showedEnd = false
        while true {
            if !state.isFinished { showedEnd = false }
            if state.isFinished && !showedEnd {
                // Shown each time the learner gets here (again after `restart`); counted once.
                showedEnd = true
                if !reachedEnd { reachedEnd = true; finished() }
                if !lesson.conclusion.isEmpty { markdown.render(lesson.conclusion).forEach(write) }
                write(state.paint("1", "Lesson \(lesson.number) done."))
                markdown.render(
                    "The cluster is still yours: try anything (`help` lists the commands); `restart` runs the lesson again, `quit` leaves."
                ).forEach(write)
            }
            let prompt =
                state.isFinished
                ? "lesson \(lesson.number) · free> "
                : "lesson \(lesson.number) · step \(state.stepIndex + 1)/\(lesson.steps.count)> "
            guard let line = read(prompt) else { return reachedEnd }
            let words = Session.tokenize(line)
            guard let first = words.first else { continue }
            // A verb alone; `restart n2` is the cluster command, not the lesson's `restart`.
            switch words.count == 1 ? first : "" {
            case "hint" where !state.isFinished:
                state.hint(write: write)
            case "skip" where !state.isFinished:
                state.skip(write: write)
            case "hint", "skip":
                write("The lesson is over; `restart` runs it again, `quit` leaves.")
            case "back":
                state.rewind(to: max(0, min(state.stepIndex, lesson.steps.count) - 1), write: write)
            case "restart":
                state.rewind(to: 0, write: write)
            case "quit", "exit":
                if state.isFinished {
                    write("Left lesson \(lesson.number).")
                } else {
                    state.wrapped("Left lesson \(lesson.number) at step \(state.stepIndex + 1); `raftstep lesson \(lesson.number)` starts it again.")
                        .forEach(write)
                }
                return reachedEnd
            default:
                if let columns = terminalColumns() { state.session.width = columns }
                state.execute(line, write: write)
                if let suggestion = verbSuggestion(for: words) { write(suggestion) }
            }
        }
    }

    /// "Did you mean hint?" for a mistyped lesson verb the command language does not know either.
    static func verbSuggestion(for words: [String]) -> String? {
        guard words.count == 1, CommandTable.info(words[0]) == nil,
            let verb = CommandTable.closest(to: words[0], among: verbs)
        else { return nil }
        return "(or did you mean the lesson's `\(verb)`?)"
    }

    /// Runs a lesson at the terminal (readline) or on piped lines (echoed).
    public static func runAtPrompt(_ lesson: Lesson, progress: inout LessonProgress, color: Bool) -> Int32 {
        let interactive = LineEditor.isInteractive
        let editor = LineEditor(historyFile: LineEditor.defaultHistoryFile(name: "raftstep")) { _, word in
            (CommandTable.all.map(\.name) + LessonRunner.verbs).filter { $0.hasPrefix(word) }
        }
        defer { editor.close() }
        let display = Display(color: color, widthColumns: interactive ? terminalColumns().map { min($0 - 1, 100) } : nil)
        var note: String?
        _ = runInteractive(
            lesson, display: display,
            read: { prompt in
                let line = editor.readLine(prompt: prompt)
                if !interactive, let line { print(prompt + line) }
                return line
            }, write: { print($0) }, finished: { note = progress.markDone(lesson.slug) })
        if let note { print("note: \(note)") }
        return 0
    }

    /// The terminal's width, when standard output is one.
    static func terminalColumns() -> Int? {
        guard isatty(STDOUT_FILENO) != 0 else { return nil }
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col >= 40 else { return nil }
        return Int(size.ws_col)
    }
}
