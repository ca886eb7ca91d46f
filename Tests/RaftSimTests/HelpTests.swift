import RaftSim
import Testing
@testable import RaftStepCLI

/// Issue 14 §7: "did you mean" by edit distance, and `help status` explaining every column.
@Suite("Help and suggestions")
struct HelpTests {
    static func session() throws -> Session { try Session(options: SessionOptions()) }

    @Test(
        "a mistyped command suggests the closest one",
        arguments: [
            ("statu", "status"), ("stat", "status"), ("stabilise", "stabilize"), ("crahs", "crash"),
            ("delivr", "deliver"), ("propse", "propose"), ("campain", "campaign"), ("hela", "heal"), ("Status", "status"),
        ])
    func didYouMean(typed: String, meant: String) throws {
        let result = try Self.session().execute(typed)
        #expect(result.status == .error)
        #expect(result.lines.first?.contains("unknown command '\(typed)' (did you mean \(meant)?)") == true, "\(result.lines)")
    }

    @Test("nothing is suggested when nothing is close", arguments: ["xyzzy", "q", "foobar"])
    func noSuggestion(typed: String) throws {
        let result = try Self.session().execute(typed)
        #expect(result.status == .error)
        #expect(result.lines.first?.contains("did you mean") == false, "\(result.lines)")
    }

    @Test("edit distance counts a swap of neighbours as one edit")
    func distance() {
        #expect(CommandTable.editDistance("crahs", "crash") == 1)
        #expect(CommandTable.editDistance("statu", "stabilize") == 6)
        #expect(CommandTable.editDistance("", "log") == 3)
        #expect(CommandTable.editDistance("kitten", "sitting") == 3)
    }

    @Test("a mistyped lesson verb is suggested at the lesson prompt")
    func lessonVerb() throws {
        let lesson = try #require(try LessonTests.catalog().lesson(named: "1"))
        var output: [String] = []
        var input = ["hitn"][...]
        _ = LessonRunner.runInteractive(lesson, read: { _ in input.popFirst() }, write: { output.append($0) })
        #expect(output.contains("(or did you mean the lesson's `hint`?)"), "\(output.suffix(3))")
    }

    @Test("`help status` explains every column of the node table and the progress fields")
    func helpStatus() throws {
        let session = try Self.session()
        _ = session.execute("campaign n1")
        _ = session.execute("stabilize")
        let status = session.execute("status").lines
        let help = session.execute("help status").lines
        let columns = try #require(status.first).split(separator: " ").map(String.init)
        #expect(columns.count >= 10)
        for column in columns {
            #expect(
                help.contains { $0.hasPrefix("    " + column + " ") },
                "help status does not explain the column '\(column)':\n\(help.joined(separator: "\n"))")
        }
        let progress = try #require(status.first { $0.hasPrefix("progress at") })
        for field in ["match", "next", "replicate", "probe", "inflight"] {
            #expect(help.contains { $0.drop(while: { $0 == " " }).hasPrefix(field + " ") }, "help status does not explain '\(field)'")
        }
        #expect(progress.contains("match") && progress.contains("next"))
    }

    @Test("`help log` and `help msgs` say what the marks and fields mean")
    func helpLogAndMsgs() throws {
        let session = try Self.session()
        #expect(session.execute("help log").lines.contains { $0.contains("|") && $0.contains("last committed") })
        #expect(session.execute("help msgs").lines.contains { $0.contains("AppResp rejects") })
        #expect(session.execute("help statu").status == .error)
    }

    @Test("the explanations fit an 80-column terminal", arguments: ["status", "log", "msgs"])
    func fitsEightyColumns(command: String) throws {
        let lines = try Self.session().execute("help " + command).lines.dropFirst(2)
        #expect(lines.count > 5)
        for line in lines { #expect(line.count <= 80, "help \(command): \(line.count) columns: \(line)") }
    }
}
