import Foundation
import Testing
import RaftStepCLI

/// The README's tour quotes real output. Each quoted block follows a `<!-- checked: SOURCE -->`
/// comment; this test runs the same commands and checks that every line of the block appears in
/// the real output, in order (a line `…` stands for lines left out).
///
/// Sources: `lesson N` (the lesson at its prompt, fed its suggested commands, as when piped),
/// `repl` (lines `raftstep> CMD` are typed into one session that lasts the whole README: 3 nodes,
/// seed 1, like `make run`), `shell` (lines `$ logdump ARGS` run logdump through LogdumpKit).
@Suite(.serialized) struct ReadmeTourTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Excerpt {
        var source: String
        var lines: [String]
        var line: Int
    }

    static func excerpts() throws -> [Excerpt] {
        let text = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var result: [Excerpt] = []
        var i = 0
        while i < lines.count {
            let line = lines[i].trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("<!-- checked:"), line.hasSuffix("-->") {
                let source = line.dropFirst("<!-- checked:".count).dropLast(3).trimmingCharacters(in: .whitespaces)
                var j = i + 1
                while j < lines.count && lines[j].trimmingCharacters(in: .whitespaces).isEmpty { j += 1 }
                guard j < lines.count, lines[j].hasPrefix("```") else {
                    Issue.record("README.md:\(i + 1): a checked comment must be followed by a fenced block")
                    i += 1
                    continue
                }
                var body: [String] = []
                j += 1
                while j < lines.count && !lines[j].hasPrefix("```") { body.append(lines[j]); j += 1 }
                result.append(Excerpt(source: source, lines: body, line: i + 1))
                i = j
            }
            i += 1
        }
        return result
    }

    /// The lesson at its prompt, fed its suggested commands (`edit` may rewrite the lesson's text
    /// first, e.g. to move its files elsewhere).
    static func lessonTranscript(_ number: Int, edit: ((String) -> String)? = nil) throws -> [String] {
        let directory = packageRoot.appendingPathComponent("lessons").path
        guard case .success(let catalog) = LessonCatalog.load(directory: directory),
            var lesson = catalog.lesson(named: String(number))
        else {
            throw TourError(message: "cannot load lesson \(number) from \(directory)")
        }
        if let edit {
            let url = URL(fileURLWithPath: directory).appendingPathComponent(lesson.slug + ".md")
            lesson = try Lesson.parse(edit(try String(contentsOf: url, encoding: .utf8)), slug: lesson.slug)
        }
        var input = lesson.steps.flatMap(\.commands)[...]
        var output: [String] = []
        let finished = LessonRunner.runInteractive(
            lesson,
            read: { prompt in
                guard let line = input.popFirst() else { return nil }
                output.append(prompt + line)
                return line
            }, write: { output.append($0) })
        #expect(finished, "lesson \(number) did not finish on its own suggested commands:\n\(output.suffix(10).joined(separator: "\n"))")
        return output.joined(separator: "\n").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// Checks that `expected` (minus `…` lines) appears in `actual`, in order.
    static func check(_ expected: [String], in actual: [String], excerpt: Excerpt) {
        var position = 0
        for line in expected {
            let wanted = trimTrailing(line)
            if wanted == "…" || wanted.isEmpty { continue }
            guard let found = actual[position...].firstIndex(where: { trimTrailing($0) == wanted }) else {
                Issue.record(
                    """
                    README.md:\(excerpt.line) (\(excerpt.source)): this line is not in the real output (after the lines above it):
                    \(wanted)
                    --- real output ---
                    \(actual.joined(separator: "\n"))
                    """)
                return
            }
            position = found + 1
        }
    }

    static func trimTrailing(_ s: String) -> String {
        var s = Substring(s)
        while let last = s.last, last == " " || last == "\t" { s = s.dropLast() }
        return String(s)
    }

    @Test func theTourQuotesRealOutput() throws {
        let excerpts = try Self.excerpts()
        #expect(Set(excerpts.map(\.source)).isSuperset(of: ["lesson 1", "repl", "shell"]), "the tour lost one of its parts")
        // Leftovers from an earlier run would not change the output, but start clean anyway.
        try? FileManager.default.removeItem(atPath: "/tmp/raftstep-tour")
        var options = SessionOptions()
        options.color = false
        let session = try Session(options: options)
        for excerpt in excerpts {
            var actual: [String] = []
            switch excerpt.source {
            case let source where source.hasPrefix("lesson "):
                guard let number = Int(source.dropFirst("lesson ".count)) else {
                    Issue.record("README.md:\(excerpt.line): bad source '\(source)'")
                    continue
                }
                actual = try Self.lessonTranscript(number)
            case "repl":
                for line in excerpt.lines where line.hasPrefix("raftstep> ") {
                    let command = String(line.dropFirst("raftstep> ".count))
                    let result = session.execute(command)
                    #expect(result.status == .ok, "README.md:\(excerpt.line): \(command) failed: \(result.lines)")
                    actual.append(line)
                    actual += result.lines
                }
            case "shell":
                for line in excerpt.lines where line.hasPrefix("$ ") {
                    let words = line.dropFirst(2).split(separator: " ").map(String.init)
                    guard words.first == "logdump" else {
                        Issue.record("README.md:\(excerpt.line): a checked shell block runs only logdump, not: \(line)")
                        continue
                    }
                    let result = LogdumpInProcess.run(Array(words.dropFirst()))
                    actual.append(line)
                    actual += result.lines
                }
            default:
                Issue.record("README.md:\(excerpt.line): unknown source '\(excerpt.source)'")
                continue
            }
            Self.check(excerpt.lines, in: actual, excerpt: excerpt)
        }
    }

    /// Issue 14 §7: the tour runs `$ logdump …` in a shell, so before that it must say how to build
    /// logdump and where the build puts it, with a product that exists and a PATH that matches.
    @Test func theTourBuildsLogdumpBeforeUsingIt() throws {
        let readme = try String(contentsOf: Self.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let firstUse = try #require(lines.firstIndex { $0.hasPrefix("$ logdump ") }, "the tour no longer runs logdump in a shell")
        let build = try #require(
            lines[..<firstUse].firstIndex { $0.hasPrefix("swift build") && $0.contains("--product logdump") },
            "README.md: no `swift build … --product logdump` before line \(firstUse + 1)")
        let configuration = lines[build].contains("-c release") ? "release" : "debug"
        #expect(
            lines[build..<firstUse].contains { $0.hasPrefix("export PATH=") && $0.contains(".build/\(configuration)") },
            "README.md: after building, put .build/\(configuration) on PATH before running `logdump` by name")
        let package = try String(contentsOf: Self.packageRoot.appendingPathComponent("Package.swift"), encoding: .utf8)
        #expect(package.contains(".executable(name: \"logdump\""), "Package.swift has no logdump product")
    }

    /// `restart n2` at a lesson prompt restarts the node, not the lesson (lesson 1's last step).
    @Test func lessonOneFinishesOnItsSuggestedCommands() throws {
        let transcript = try Self.lessonTranscript(1)
        #expect(transcript.contains("Lesson 1 done."))
    }
}

struct TourError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
