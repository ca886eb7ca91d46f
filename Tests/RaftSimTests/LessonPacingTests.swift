import Foundation
import Testing
@testable import RaftStepCLI

/// Issue 14 §1: a lesson moves on only when the learner has typed the step's suggestions and its
/// expectations hold; an experiment that takes the step off its path is reported; other outcomes
/// the text allows are accepted; the cluster stays at a free prompt after the last step; the
/// lessons are built into the binary.
@Suite("Lesson pacing")
struct LessonPacingTests {
    static func lesson(_ key: String) throws -> Lesson {
        try #require(try LessonTests.catalog().lesson(named: key))
    }

    /// A learner at the prompt: feed lines one at a time and look at what the runner wrote since.
    final class Learner {
        var pending: [String] = []
        var output: [String] = []
        var finishedCalls = 0

        /// Runs the whole lesson on `lines`; returns whether it finished, and the transcript.
        func run(_ lesson: Lesson, _ lines: [String]) -> Bool {
            pending = lines
            return LessonRunner.runInteractive(
                lesson,
                read: { prompt in
                    guard !self.pending.isEmpty else { return nil }
                    let line = self.pending.removeFirst()
                    self.output.append(prompt + line)
                    return line
                }, write: { self.output.append($0) }, finished: { self.finishedCalls += 1 })
        }

        /// The prompt at which `line` was typed (its first occurrence after `from`).
        func prompt(before line: String, after from: Int = 0) -> (prompt: String, index: Int)? {
            for (index, text) in output.enumerated() where index >= from && text.hasSuffix("> " + line) && text.hasPrefix("lesson ") {
                return (String(text.dropLast(line.count)), index)
            }
            return nil
        }
    }

    @Test("lesson 6 stays on step 3 until `drop all` is typed, and step 4 then works as written")
    func lessonSixWaitsForEverySuggestion() throws {
        let lesson = try Self.lesson("6")
        #expect(lesson.steps[2].commands == ["propose set x 2", "deliver n1->n2", "drop all"])
        let learner = Learner()
        _ = learner.run(
            lesson,
            [
                "skip", "skip",  // steps 1 and 2
                "propose set x 2", "deliver n1->n2",  // step 3: its expectations hold now…
                "status",  // …but `drop all` is not typed yet
                "drop all",
                "crash n1", "campaign n5", "stabilize",  // step 4, typed as suggested
                "status",
            ])
        let status = try #require(learner.prompt(before: "status"))
        #expect(status.prompt == "lesson 6 · step 3/10> ", "step 3 moved on before `drop all`:\n\(learner.output.joined(separator: "\n"))")
        let drop = try #require(learner.prompt(before: "drop all"))
        #expect(drop.prompt == "lesson 6 · step 3/10> ")
        let stabilize = try #require(learner.prompt(before: "stabilize", after: drop.index))
        #expect(stabilize.prompt == "lesson 6 · step 4/10> ")
        #expect(!learner.output.contains { $0.contains("leader is none, expected n5") })
        #expect(learner.output.contains("✓ leader n5; term n5 3"))
        let after = try #require(learner.prompt(before: "status", after: stabilize.index))
        #expect(after.prompt == "lesson 6 · step 5/10> ")
    }

    @Test("in every lesson, typing the suggestions one by one, each step ends exactly at its last suggestion")
    func everyStepEndsAtItsLastSuggestion() throws {
        for lesson in try LessonTests.catalog().lessons {
            let commands = lesson.steps.flatMap(\.commands)
            let expected = lesson.steps.enumerated().flatMap { index, step in
                Array(repeating: "lesson \(lesson.number) · step \(index + 1)/\(lesson.steps.count)> ", count: step.commands.count)
            }
            let learner = Learner()
            let finished = learner.run(lesson, commands)
            #expect(finished, "\(lesson.slug) did not finish on its suggestions")
            let prompts = learner.output.filter { $0.hasPrefix("lesson \(lesson.number) · ") }.map { line in
                String(line[..<line.range(of: "> ")!.upperBound])
            }
            #expect(prompts.count == commands.count)
            for (index, (prompt, wanted)) in zip(prompts, expected).enumerated() where prompt != wanted {
                Issue.record("\(lesson.slug): `\(commands[index])` was typed at \(prompt)but belongs to \(wanted)")
                break
            }
        }
    }

    @Test("lesson 1 step 2 waits for `msgs` although `campaign n1` already meets its expectations")
    func lessonOneWaitsForEverySuggestion() throws {
        let learner = Learner()
        _ = learner.run(try Self.lesson("1"), ["skip", "campaign n1", "status", "msgs", "kv"])
        #expect(learner.prompt(before: "status")?.prompt == "lesson 1 · step 2/6> ")
        #expect(learner.prompt(before: "kv")?.prompt == "lesson 1 · step 3/6> ")
    }

    @Test("an experiment that takes the step off its path is reported once, with undo, back and restart; undo brings it back")
    func offPathIsReported() throws {
        let learner = Learner()
        _ = learner.run(try Self.lesson("1"), ["skip", "campaign n2", "tick n3", "undo", "undo", "campaign n1", "msgs"])
        let text = learner.output.joined(separator: "\n")
        #expect(learner.output.filter { $0.hasPrefix("Your experiment took the cluster off this step's path") }.count == 1, "\(text)")
        #expect(text.contains("✗ "))
        #expect(text.contains("`undo` takes back your last command, `back` redoes the previous step, `restart` starts the lesson over"))
        #expect(text.contains("Back on track"))
        #expect(learner.prompt(before: "msgs")?.prompt == "lesson 1 · step 2/6> ")
        #expect(text.contains("── step 3 of 6 ──"), "after undoing the experiment, the suggestions finish step 2:\n\(text)")
    }

    @Test("`undo` of a typed suggestion makes it count as not typed")
    func undoForgetsASuggestion() throws {
        let learner = Learner()
        _ = learner.run(try Self.lesson("6"), ["skip", "skip", "propose set x 2", "deliver n1->n2", "undo", "hint"])
        #expect(learner.output.contains("Next: deliver n1->n2 · drop all"), "\(learner.output.suffix(6))")
        let again = Learner()
        _ = again.run(try Self.lesson("6"), ["skip", "skip", "propose set x 2", "undo", "hint"])
        #expect(again.output.contains("Next: propose set x 2 · deliver n1->n2 · drop all"), "\(again.output.suffix(6))")
    }

    @Test("an experiment that would break a later step is reported when it happens (lesson 2: n3 receives the entry)")
    func laterStepIsReported() throws {
        let learner = Learner()
        _ = learner.run(try Self.lesson("2"), ["skip", "skip", "deliver all"])
        let text = learner.output.joined(separator: "\n")
        #expect(text.contains("Your experiment changes what comes later: following the lesson from here, step 5 would not hold that:"), "\(text)")
        #expect(text.contains("  ✗ expect failed: log of n3"), "\(text)")
    }

    @Test("an outcome the text allows is accepted: in lesson 3, letting the timers fire elects someone else")
    func alternativeOutcome() throws {
        let lesson = try Self.lesson("3")
        #expect(lesson.steps[3].alternatives.count == 1)
        let learner = Learner()
        let finished = learner.run(lesson, ["skip", "skip", "skip", "tick 10", "stabilize", "quit"])
        let text = learner.output.joined(separator: "\n")
        #expect(finished, "\(text)")
        #expect(
            text.contains(
                "✓ another outcome this step allows — the timers fired by themselves, and one node won a later term with every vote: leader n3; voted all n3"
            ), "\(text)")
        #expect(!text.contains("off this step's path"), "a step with an allowed outcome in reach is not off its path:\n\(text)")
    }

    @Test("following the suggestions does not take the alternative (lesson 3 step 4 ends on its own expectations)")
    func suggestionsMeetThePrimaryOutcome() throws {
        let learner = Learner()
        _ = learner.run(try Self.lesson("3"), ["skip", "skip", "skip", "campaign n2", "stabilize"])
        #expect(learner.output.contains("✓ leader n2; term all 2; voted all n2; commit all 1; invariants ok"))
    }

    @Test("after the last step the prompt stays in the lesson's cluster until quit")
    func freePromptAfterTheLastStep() throws {
        let learner = Learner()
        let finished = learner.run(try Self.lesson("1"), ["skip", "skip", "skip", "skip", "skip", "skip", "kv", "hint", "quit", "status"])
        let text = learner.output.joined(separator: "\n")
        #expect(finished)
        #expect(learner.finishedCalls == 1)
        #expect(text.contains("Lesson 1 done."))
        #expect(text.contains("The cluster is still yours"))
        #expect(learner.prompt(before: "kv")?.prompt == "lesson 1 · free> ")
        #expect(learner.output.contains("n1 (applied 1): (empty)"), "kv ran in the lesson's cluster:\n\(text)")
        #expect(text.contains("The lesson is over; `restart` runs it again"))
        #expect(learner.output.last == "Left lesson 1.")
        #expect(learner.pending == ["status"], "quit left the lesson; the next line is not read")
    }

    @Test("`back` at the free prompt returns to the last step; end of input after the end counts as finished")
    func backFromTheFreePrompt() throws {
        let learner = Learner()
        let finished = learner.run(try Self.lesson("1"), ["skip", "skip", "skip", "skip", "skip", "skip", "back"])
        #expect(finished)
        #expect(learner.output.filter { $0 == "── step 6 of 6 ──" }.count == 2)
    }

    @Test("`restart` at the free prompt runs the lesson again; its end shows again, finished is reported once")
    func restartFromTheFreePrompt() throws {
        let learner = Learner()
        let skips = Array(repeating: "skip", count: 6)
        let finished = learner.run(try Self.lesson("1"), skips + ["restart"] + skips)
        #expect(finished)
        #expect(learner.output.filter { $0 == "Lesson 1 done." }.count == 2)
        #expect(learner.finishedCalls == 1)
    }

    @Test("at a narrow terminal the runner's own lines fit: header, text, suggestions, hints")
    func narrowTerminal() throws {
        var output: [String] = []
        var input = ["hint", "quit"][...]
        _ = LessonRunner.runInteractive(
            try Self.lesson("6"), display: .init(color: false, widthColumns: 50),
            read: { _ in input.popFirst() }, write: { output.append($0) })
        #expect(output.contains { $0.hasPrefix("Suggested: set leader-noop off") })
        #expect(output.contains { $0.hasPrefix("           · ") }, "the suggestions continue on a second line")
        for line in output { #expect(line.count <= 50, "\(line.count) columns: \(line)") }
        #expect(output.filter { $0.contains("Lesson 6 — Figure 8") }.count == 1, "the title shows once")
    }

    @Test("the built-in copy of the lessons equals lessons/*.md, and the generated source is up to date")
    func embeddedCopyMatchesTheFiles() throws {
        let directory = LessonTests.lessonsDirectory
        guard case .success(let names) = LessonCatalog.lessonFileNames(in: directory) else {
            Issue.record("cannot list \(directory)")
            return
        }
        var files: [(name: String, text: String)] = []
        for name in names {
            files.append((name, try String(contentsOfFile: directory + "/" + name, encoding: .utf8)))
        }
        let regenerate = "regenerate: swift run raftstep lesson --lessons-dir lessons --write-embedded \(EmbeddedLessonsSource.path)"
        #expect(EmbeddedLessons.files.map(\.name) == names, "\(regenerate)")
        for (embedded, file) in zip(EmbeddedLessons.files, files) {
            #expect(embedded.text == file.text, "\(file.name) differs from its built-in copy; \(regenerate)")
        }
        let packageRoot = String(directory.dropLast("/lessons".count))
        let folder = packageRoot + "/" + EmbeddedLessonsSource.path
        let generated = EmbeddedLessonsSource.swiftSources(files: files)
        let present = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".swift") }
        #expect(Set(present) == Set(generated.map(\.fileName)), "remove the files of lessons that are gone; \(regenerate)")
        for (fileName, source) in generated {
            let committed = try? String(contentsOfFile: folder + "/" + fileName, encoding: .utf8)
            #expect(committed == source, "\(fileName) is stale; \(regenerate)")
        }
        guard case .success(let builtIn) = LessonCatalog.builtIn() else {
            Issue.record("the built-in lessons do not parse")
            return
        }
        #expect(builtIn.lessons == (try LessonTests.catalog()).lessons)
        #expect(builtIn.directory == "built in")
    }

    static let builtBinary = String(LessonTests.lessonsDirectory.dropLast("/lessons".count)) + "/.build/debug/raftstep"

    /// Runs `raftstep ARGS` from `directory` with `input` on stdin; returns its standard output.
    static func runBinary(_ binary: String, _ arguments: [String], in directory: String, home: String, input: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = ["HOME": home, "PATH": "/usr/bin:/bin", "NO_COLOR": "1"]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stdout
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "raftstep \(arguments) exited \(process.terminationStatus)")
        return String(decoding: output, as: UTF8.self)
    }

    /// Issue 14 §1: a copied binary said "cannot find the lessons folder". Needs the debug build
    /// of `raftstep` (`swift build --build-tests` makes it).
    @Test(
        "a copy of raftstep in another directory, run from an empty directory, has its lessons",
        .enabled(if: FileManager.default.isExecutableFile(atPath: LessonPacingTests.builtBinary)))
    func installedCopyHasItsLessons() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("raftstep-installed-\(UInt64.random(in: 0..<UInt64.max))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        for sub in ["bin", "home", "elsewhere"] {
            try FileManager.default.createDirectory(atPath: root + "/" + sub, withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(atPath: Self.builtBinary, toPath: root + "/bin/raftstep")
        let listing = try Self.runBinary(root + "/bin/raftstep", ["lesson"], in: root + "/elsewhere", home: root + "/home", input: "")
        #expect(listing.hasPrefix("Lessons (built in); run one with `raftstep lesson N`:"), "\(listing)")
        #expect(listing.contains("12  Snapshots"))
        let lesson = try Self.runBinary(
            root + "/bin/raftstep", ["lesson", "1"], in: root + "/elsewhere", home: root + "/home", input: "skip\nquit\n")
        #expect(lesson.contains("── step 2 of 6 ──"), "\(lesson)")
        #expect(lesson.contains("Left lesson 1 at step 2"))
    }

    @Test(
        "a raw-string delimiter the text cannot close early",
        arguments: [
            ("plain", 1), ("a \"# b", 2), ("\\# and \"##", 3),
        ])
    func delimiter(text: String, hashes: Int) {
        #expect(EmbeddedLessonsSource.delimiterLength(for: text) == hashes)
    }

    @Test("`raftstep or` blocks: only expectations and comments, right after a step's block")
    func alternativeBlocks() throws {
        let good = try Lesson.parse(
            "---\ntitle: T\n---\n```raftstep\ncampaign n1\nexpect leader n1\n```\n\n```raftstep or\n# anyone\nexpect leader any\n```\nEnd.\n",
            slug: "96-or")
        #expect(good.steps.count == 1)
        #expect(good.steps[0].alternatives == [Lesson.Alternative(note: "anyone", expectations: ["expect leader any"], line: 9)])
        #expect(good.conclusion == "End.")
        for (text, fragment) in [
            ("---\ntitle: T\n---\n```raftstep or\nexpect leader any\n```\n", "must follow a step's block"),
            ("---\ntitle: T\n---\n```raftstep\nstatus\n```\nText.\n```raftstep or\nexpect leader any\n```\n", "must follow a step's block"),
            ("---\ntitle: T\n---\n```raftstep\nstatus\n```\n```raftstep or\ncampaign n1\n```\n", "only expect lines"),
            ("---\ntitle: T\n---\n```raftstep\nstatus\n```\n```raftstep or\n# nothing\n```\n", "without expect lines"),
        ] {
            #expect(throws: Lesson.ParseError.self) { try Lesson.parse(text, slug: "95-bad") }
            do { _ = try Lesson.parse(text, slug: "95-bad") } catch { #expect(error.description.contains(fragment), "\(error.description)") }
        }
    }
}
