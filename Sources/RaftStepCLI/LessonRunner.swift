import LineEditor
import RaftSim
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The lessons on disk and the learner's progress.
public struct LessonCatalog: Sendable {
    /// The folder the lessons were read from.
    public var directory: String
    /// Every lesson, in file-name order.
    public var lessons: [Lesson]

    /// Reads every `NN-*.md` file of `directory`.
    public static func load(directory: String) -> Result<LessonCatalog, CLIErrorMessage> {
        guard let dir = opendir(directory) else {
            return .failure(CLIErrorMessage("cannot read the lessons folder \(directory): \(FileIO.errnoText())"))
        }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name.hasSuffix(".md"), name.first?.isNumber == true { names.append(name) }
        }
        closedir(dir)
        names.sort()
        var lessons: [Lesson] = []
        for name in names {
            let path = directory + "/" + name
            switch FileIO.read(path) {
            case .failure(let error): return .failure(CLIErrorMessage(error.message))
            case .success(let text):
                do { lessons.append(try Lesson.parse(text, slug: String(name.dropLast(3)))) } catch {
                    return .failure(CLIErrorMessage(error.description))
                }
            }
        }
        if lessons.isEmpty { return .failure(CLIErrorMessage("no lessons (NN-name.md) in \(directory)")) }
        return .success(LessonCatalog(directory: directory, lessons: lessons))
    }

    /// The lessons folder: `$RAFTSTEP_LESSONS`, else `lessons/` here, else next to the executable's
    /// package (`…/.build/release/raftstep` → `…/lessons`).
    public static func defaultDirectory(executable: String) -> String? {
        if let dir = FileIO.environment("RAFTSTEP_LESSONS"), !dir.isEmpty { return dir }
        var candidates = ["lessons"]
        var parent = executable
        for _ in 0..<4 {
            guard let slash = parent.lastIndex(of: "/") else { break }
            parent = String(parent[..<slash])
            candidates.append((parent.isEmpty ? "" : parent) + "/lessons")
        }
        return candidates.first { isDirectory($0) }
    }

    static func isDirectory(_ path: String) -> Bool {
        guard let dir = opendir(path) else { return false }
        closedir(dir)
        return true
    }

    /// Finds a lesson by number (`3`, `03`) or by name (`split-vote`, `03-split-vote`).
    public func lesson(named key: String) -> Lesson? {
        if let number = Int(key) { return lessons.first { $0.number == number } }
        return lessons.first { $0.slug == key || $0.slug.drop(while: { $0.isNumber || $0 == "-" }) == Substring(key) }
    }
}

/// A one-line error of the lesson layer.
public struct CLIErrorMessage: Error, Sendable, CustomStringConvertible {
    /// In words.
    public var description: String
    init(_ description: String) { self.description = description }
}

/// The learner's finished lessons, one slug per line in `~/.raftstep/lessons-done`.
public struct LessonProgress: Sendable {
    /// Where progress is kept (nil when there is no home directory).
    public var path: String?
    /// Finished lesson slugs.
    public private(set) var done: [String]

    /// Reads the progress file (missing means nothing done yet).
    public static func load(path: String? = LessonProgress.defaultPath) -> LessonProgress {
        guard let path, case .success(let text) = FileIO.read(path) else { return LessonProgress(path: path, done: []) }
        return LessonProgress(path: path, done: text.split(separator: "\n").map(String.init))
    }

    /// `$HOME/.raftstep/lessons-done`.
    public static var defaultPath: String? {
        guard let home = FileIO.environment("HOME"), !home.isEmpty else { return nil }
        return home + "/.raftstep/lessons-done"
    }

    /// Records a finished lesson and writes the file; returns an error message when it cannot.
    public mutating func markDone(_ slug: String) -> String? {
        guard !done.contains(slug) else { return nil }
        done.append(slug)
        guard let path else { return "no home directory: progress is not kept" }
        if let slash = path.lastIndex(of: "/") { mkdir(String(path[..<slash]), 0o755) }
        return FileIO.write(path, done.joined(separator: "\n") + "\n")?.message
    }
}

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

    static func session(for lesson: Lesson) throws(SimError) -> Session {
        var options = SessionOptions()
        options.cluster.nodeCount = lesson.nodes
        options.cluster.seed = lesson.seed
        options.cluster.voterCount = lesson.voters
        return try Session(options: options)
    }

    /// Runs every suggested command and checks every expectation; `verbose` also writes the
    /// transcript. Returns whether the whole lesson passed.
    public static func check(_ lesson: Lesson, verbose: Bool = false, write: (String) -> Void) -> Bool {
        let session: Session
        do { session = try self.session(for: lesson) } catch {
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
                    result.lines.suffix(3).forEach { write("  " + $0) }
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

    /// Runs a lesson with a learner: shows each step's text and suggested commands, runs whatever
    /// the learner types, and moves on once the step's expectations hold. Returns true when the
    /// learner finished the lesson.
    public static func runInteractive(_ lesson: Lesson, read: (String) -> String?, write: (String) -> Void) -> Bool {
        var state: LessonState
        do { state = try LessonState(lesson: lesson) } catch {
            write("lesson \(lesson.number): cannot start its cluster: \(error)")
            return false
        }
        write("Lesson \(lesson.number) — \(lesson.title)")
        if !lesson.summary.isEmpty { write(lesson.summary) }
        if !lesson.teaches.isEmpty { write("Rules: \(lesson.teaches)") }
        if !lesson.property.isEmpty { write("At stake: \(lesson.property)") }
        write("Type the suggested commands (or your own experiments); also: hint, skip, back, restart, quit.")
        state.announce(write: write)
        while state.stepIndex < lesson.steps.count {
            guard let line = read("lesson \(lesson.number) · step \(state.stepIndex + 1)/\(lesson.steps.count)> ") else {
                return false
            }
            let words = Session.tokenize(line)
            guard let first = words.first else { continue }
            // A verb alone; `restart n2` is the cluster command, not the lesson's `restart`.
            let verb = words.count == 1 ? first : ""
            switch verb {
            case "hint":
                state.hint(write: write)
            case "skip":
                state.skip(write: write)
            case "back":
                state.rewind(to: max(0, state.stepIndex - 1), write: write)
            case "restart":
                state.rewind(to: 0, write: write)
            case "quit", "exit":
                write("Left lesson \(lesson.number) at step \(state.stepIndex + 1); `raftstep lesson \(lesson.number)` starts it again.")
                return false
            default:
                state.execute(line, write: write)
            }
        }
        if !lesson.conclusion.isEmpty { write(lesson.conclusion) }
        write("Lesson \(lesson.number) done.")
        return true
    }

    /// Runs a lesson at the terminal (readline) or on piped lines (echoed).
    public static func runAtPrompt(_ lesson: Lesson, progress: inout LessonProgress) -> Int32 {
        let interactive = LineEditor.isInteractive
        let editor = LineEditor(historyFile: LineEditor.defaultHistoryFile(name: "raftstep")) { _, word in
            (CommandTable.all.map(\.name) + LessonRunner.verbs).filter { $0.hasPrefix(word) }
        }
        defer { editor.close() }
        let finished = runInteractive(lesson, read: { prompt in
            let line = editor.readLine(prompt: prompt)
            if !interactive, let line { print(prompt + line) }
            return line
        }, write: { print($0) })
        if finished, let problem = progress.markDone(lesson.slug) { print("note: \(problem)") }
        return 0
    }
}

/// Where a learner is in a lesson.
struct LessonState {
    let lesson: Lesson
    var session: Session
    var stepIndex = 0
    /// How many of the step's suggested commands the learner has typed, in order.
    var typed = 0
    /// Whether the step's expectations already held before the learner did anything; then the
    /// step needs its suggested commands typed, or it would end before it began.
    var heldAtStart = false

    init(lesson: Lesson) throws(SimError) {
        self.lesson = lesson
        session = try LessonRunner.session(for: lesson)
    }

    var step: Lesson.Step { lesson.steps[stepIndex] }

    /// Whether every expectation of the current step holds (checked without side effects).
    func expectationsHold() -> Bool {
        step.expectations.allSatisfy { session.execute($0).status == .ok }
    }

    mutating func announce(write: (String) -> Void) {
        typed = 0
        heldAtStart = !step.expectations.isEmpty && expectationsHold()
        write("")
        write("── step \(stepIndex + 1) of \(lesson.steps.count) ──")
        if !step.text.isEmpty { write(step.text) }
        if !step.commands.isEmpty {
            write("Suggested: " + step.commands.joined(separator: " · "))
        }
    }

    mutating func execute(_ line: String, write: (String) -> Void) {
        let result = session.execute(line)
        result.lines.forEach(write)
        if result.status == .quit { return }
        if typed < step.commands.count,
           Session.normalized(Session.tokenize(line)) == Session.normalized(Session.tokenize(step.commands[typed])) {
            typed += 1
        }
        finishIfDone(write: write)
    }

    mutating func finishIfDone(write: (String) -> Void) {
        let allTyped = typed >= step.commands.count
        let done = step.expectations.isEmpty ? allTyped : (expectationsHold() && (allTyped || !heldAtStart))
        guard done else {
            if allTyped && !step.expectations.isEmpty {
                write("Not yet — this step expects:")
                for line in step.expectations {
                    let result = session.execute(line)
                    write("  \(result.status == .ok ? "✓" : "✗") " + (result.lines.last ?? line))
                }
                write("(`back` redoes the previous step, `skip` runs what is left of this one)")
            }
            return
        }
        if !step.expectations.isEmpty {
            write("✓ " + step.expectations.map { String($0.dropFirst("expect ".count)) }.joined(separator: "; "))
        }
        stepIndex += 1
        if stepIndex < lesson.steps.count { announce(write: write) }
    }

    func hint(write: (String) -> Void) {
        let left = step.commands.dropFirst(typed)
        write(left.isEmpty ? "Every suggested command of this step is typed." : "Next: " + left.joined(separator: " · "))
        if !step.expectations.isEmpty { write("Done when: " + step.expectations.joined(separator: " · ")) }
    }

    mutating func skip(write: (String) -> Void) {
        for command in step.commands.dropFirst(typed) {
            write("> " + command)
            session.execute(command).lines.forEach(write)
            typed += 1
        }
        heldAtStart = false
        let before = stepIndex
        finishIfDone(write: write)
        if stepIndex == before {
            write("The expectations still do not hold; `back` redoes the previous step, `restart` the lesson.")
        }
    }

    /// Starts over and replays the suggested commands of the steps before `target`.
    mutating func rewind(to target: Int, write: (String) -> Void) {
        do { session = try LessonRunner.session(for: lesson) } catch {
            write("cannot restart the cluster: \(error)")
            return
        }
        for step in lesson.steps[..<target] {
            for command in step.commands { _ = session.execute(command) }
        }
        stepIndex = target
        announce(write: write)
    }
}
