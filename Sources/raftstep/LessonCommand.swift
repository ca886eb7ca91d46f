import ArgumentParser
import RaftStepCLI
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `raftstep lesson`: list the guided lessons, run one, or check them all.
struct LessonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson",
        abstract: "Guided lessons: list them, take one step by step, or check them all.",
        discussion: """
            With no argument, lists the lessons and marks the ones you finished (progress is kept in \
            ~/.raftstep/lessons-done). `raftstep lesson 3` (or `raftstep lesson split-vote`) runs a lesson: \
            it shows the text a step at a time, suggests commands, lets you type anything, and moves on \
            once you have typed the step's suggestions and its expectations hold; `hint`, `skip`, `back`, \
            `restart` and `quit` work at its prompt, and after the last step the cluster stays yours until \
            `quit`. `--check-all` runs every lesson's suggested commands non-interactively and exits 1 at \
            the first unmet expectation (CI runs it). The lessons are built into raftstep; a lessons \
            folder (--lessons-dir, $RAFTSTEP_LESSONS, ./lessons, or the package's) is read instead when present.
            """)

    @Argument(help: "The lesson's number or name.")
    var lesson: String?

    @Flag(help: "Run every lesson's suggested commands and check every expectation.")
    var checkAll = false

    @Flag(help: "Check the named lesson non-interactively (with --verbose, print its transcript).")
    var check = false

    @Flag(help: "With --check or --check-all, print the transcript of each command.")
    var verbose = false

    @Option(help: "The lessons folder (default: $RAFTSTEP_LESSONS, ./lessons, the package's lessons/, else the built-in copy).")
    var lessonsDir: String?

    @Flag(name: .customLong("no-color"), help: "No colour (also when NO_COLOR is set or output is not a terminal).")
    var noColor = false

    @Option(
        help: ArgumentHelp(
            "Write the lessons folder as Swift sources for the built-in copy, into the folder DIR (one file per lesson and an index).",
            visibility: .hidden))
    var writeEmbedded: String?

    func validate() throws {
        if checkAll && lesson != nil { throw ValidationError("--check-all checks every lesson; name none") }
        if check && lesson == nil { throw ValidationError("--check needs a lesson number or name") }
    }

    func run() throws {
        let directory = lessonsDir ?? LessonCatalog.defaultDirectory(executable: CommandLine.arguments[0])
        if let output = writeEmbedded {
            guard let directory else { throw fail("--write-embedded needs a lessons folder (--lessons-dir)") }
            if let problem = EmbeddedLessonsSource.write(from: directory, to: output) { throw fail(problem) }
            print("wrote \(output) from \(directory)")
            return
        }
        let catalog: LessonCatalog
        switch directory.map({ LessonCatalog.load(directory: $0) }) ?? LessonCatalog.builtIn() {
        case .success(let loaded): catalog = loaded
        case .failure(let error): throw fail(error.description)
        }
        var progress = LessonProgress.load()
        if checkAll {
            var failed = 0
            for lesson in catalog.lessons where !LessonRunner.check(lesson, verbose: verbose, write: { print($0) }) {
                failed += 1
            }
            print("\(catalog.lessons.count - failed) passed, \(failed) failed")
            if failed > 0 { throw ExitCode(1) }
            return
        }
        guard let key = lesson else {
            for line in LessonRunner.listing(catalog, progress: progress) { print(line) }
            return
        }
        guard let chosen = catalog.lesson(named: key) else {
            throw fail("no lesson '\(key)'; `raftstep lesson` lists them")
        }
        if check {
            if !LessonRunner.check(chosen, verbose: verbose, write: { print($0) }) { throw ExitCode(1) }
            return
        }
        let noColorEnv = getenv("NO_COLOR").map { String(cString: $0).isEmpty == false } ?? false
        let color = !noColor && !noColorEnv && isatty(STDOUT_FILENO) != 0
        let code = LessonRunner.runAtPrompt(chosen, progress: &progress, color: color)
        if code != 0 { throw ExitCode(code) }
    }

    func fail(_ message: String) -> Error {
        let bytes = Array(("raftstep lesson: " + message + "\n").utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
        return ExitCode(1)
    }
}
