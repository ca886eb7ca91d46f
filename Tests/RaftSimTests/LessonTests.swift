import Testing
@testable import RaftStepCLI

/// The guided lessons: every lesson in `lessons/` passes its own checks, the parser refuses
/// malformed files, and the interactive runner follows a learner through steps.
@Suite("Lessons")
struct LessonTests {
    static let lessonsDirectory: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path + "/lessons"
    }()

    static func catalog() throws -> LessonCatalog {
        switch LessonCatalog.load(directory: lessonsDirectory) {
        case .success(let catalog): return catalog
        case .failure(let error): throw error
        }
    }

    @Test("every lesson's suggested commands meet every expectation (what --check-all runs)")
    func checkAll() throws {
        let catalog = try Self.catalog()
        #expect(catalog.lessons.count >= 10)
        for lesson in catalog.lessons {
            var output: [String] = []
            let passed = LessonRunner.check(lesson) { output.append($0) }
            #expect(passed, "\(lesson.slug): \(output.joined(separator: "\n"))")
            #expect(!lesson.teaches.isEmpty && !lesson.property.isEmpty, "\(lesson.slug) names its rules and property")
        }
    }

    @Test("lessons are found by number and by name")
    func lookup() throws {
        let catalog = try Self.catalog()
        #expect(catalog.lesson(named: "3")?.slug == "03-split-vote")
        #expect(catalog.lesson(named: "split-vote")?.number == 3)
        #expect(catalog.lesson(named: "03-split-vote")?.nodes == 4)
        #expect(catalog.lesson(named: "99") == nil)
    }

    @Test(
        "malformed lesson files are refused with the file and line",
        arguments: [
            ("no front matter\n```raftstep\nstatus\n```\n", "no title"),
            ("---\ntitle: T\n---\ntext only\n", "no raftstep blocks"),
            ("---\ntitle: T\n---\n```raftstep\nstatus\n", "not closed"),
            ("---\ntitle: T\nnodes: 99\n---\n```raftstep\nstatus\n```\n", "nodes must be"),
            ("---\ntitle: T\n---\n```raftstep\nexpect leader none\nstatus\n```\n", "a command after the step's expect lines"),
        ])
    func malformed(text: String, fragment: String) {
        do {
            _ = try Lesson.parse(text, slug: "99-bad")
            Issue.record("should be refused: \(text)")
        } catch {
            #expect(error.description.contains(fragment), "\(error.description)")
            #expect(error.description.hasPrefix("99-bad.md"))
        }
    }

    @Test("a failing expectation names the lesson, the step and the line")
    func failingCheck() throws {
        let lesson = try Lesson.parse("---\ntitle: T\n---\nIntro.\n\n```raftstep\ncampaign n1\nstabilize\nexpect leader n2\n```\n", slug: "98-wrong")
        var output: [String] = []
        #expect(!LessonRunner.check(lesson) { output.append($0) })
        #expect(output.first?.hasPrefix("FAILED lesson 98-wrong step 1 (98-wrong.md:6): expect leader n2") == true)
    }

    /// Feeds `inputs` to the interactive runner; returns whether it finished and what it wrote.
    func interact(_ lesson: Lesson, _ inputs: [String]) -> (finished: Bool, output: String) {
        var queue = inputs[...]
        var output: [String] = []
        let finished = LessonRunner.runInteractive(
            lesson,
            read: { prompt in
                guard let next = queue.popFirst() else { return nil }
                output.append(prompt + next)
                return next
            }, write: { output.append($0) })
        return (finished, output.joined(separator: "\n"))
    }

    @Test("the runner moves on only once a step's expectations hold, and offers hint, skip, back, restart")
    func interactive() throws {
        let lesson = try #require(try Self.catalog().lesson(named: "1"))
        // Step 1's expectations hold from the start, so its commands must be typed first.
        let early = interact(lesson, ["status"])
        #expect(early.output.contains("── step 1 of"))
        #expect(!early.output.contains("── step 2 of"), "typing one command of three does not finish step 1")
        #expect(!early.finished)

        let walk = interact(
            lesson,
            [
                "set prevote off", "set checkquorum off", "status",  // step 1 by hand
                "hint",  // shows what is next
                "campaign n1", "msgs",  // step 2 by hand
                "skip",  // step 3 run for the learner
                "back",  // back to step 3
                "skip", "skip", "skip", "skip",  // steps 3–6
            ])
        #expect(walk.finished, "\(walk.output)")
        #expect(walk.output.contains("Next: campaign n1 · msgs"))
        #expect(walk.output.contains("✓ role n1 candidate; term n1 1; voted n1 n1; msgs 2"))
        #expect(walk.output.contains("Lesson 1 done."))
        #expect(walk.output.components(separatedBy: "── step 3 of").count == 3, "step 3 is announced twice (after back)")

        let quitter = interact(lesson, ["restart", "quit"])
        #expect(!quitter.finished)
        #expect(quitter.output.contains("Left lesson 1 at step 1"))
    }

    @Test("an experiment that breaks the expected state says what is missing")
    func experimentsAreReported() throws {
        let lesson = try Lesson.parse("---\ntitle: T\n---\n```raftstep\ncampaign n1\nstabilize\nexpect leader n1\n```\n", slug: "97-x")
        let run = interact(lesson, ["campaign n2", "campaign n1", "stabilize"])
        #expect(run.output.contains("Not yet — this step expects:"))
        #expect(run.output.contains("✗"))
    }

    @Test("progress is kept in a file, one finished lesson per line")
    func progress() throws {
        let path = "/tmp/raftstep-progress-test-\(UInt64.random(in: 0..<UInt64.max))/lessons-done"
        var progress = LessonProgress.load(path: path)
        #expect(progress.done.isEmpty)
        #expect(progress.markDone("01-first-election") == nil)
        #expect(progress.markDone("01-first-election") == nil)
        #expect(LessonProgress.load(path: path).done == ["01-first-election"])
        let listing = LessonRunner.listing(try Self.catalog(), progress: LessonProgress.load(path: path))
        #expect(listing.contains { $0.hasPrefix("✓  1  First election") })
        #expect(listing.contains { $0.hasPrefix("   2  Replication and commit") })
    }
}
