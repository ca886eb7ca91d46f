import Foundation
import Testing
import RaftStepCLI

/// The REPL's `disk export|tear|flip`, `logdump …` and `expect exit N` (what lesson 10 uses).
@Suite(.serialized) struct ReplDiskToolsTests {
    static let root = "/tmp/raftstep-disktools-test-\(getpid())"

    static func session() throws -> Session {
        var options = SessionOptions()
        options.color = false
        let session = try Session(options: options)
        for line in ["set prevote off", "campaign n1", "stabilize", "propose set x 1", "stabilize"] {
            #expect(session.execute(line).status == .ok, "\(line)")
        }
        return session
    }

    func run(_ session: Session, _ line: String) -> CommandResult {
        session.execute(line)
    }

    @Test func logdumpAndExpectExit() throws {
        defer { try? FileManager.default.removeItem(atPath: Self.root) }
        let s = try Self.session()
        #expect(run(s, "expect exit 0").status == .expectationFailed, "no logdump has run yet")
        #expect(run(s, "disk export n1 \(Self.root)/a").status == .ok)
        let dump = run(s, "logdump dump \(Self.root)/a")
        #expect(dump.lines.contains { $0.hasSuffix("normal set x 1") })
        #expect(dump.lines.last == "[logdump exit 0]")
        #expect(run(s, "expect exit 0").status == .ok)
        #expect(run(s, "expect exit 2").status == .expectationFailed)
        // logdump's own usage errors are its exit code 1, not a REPL error.
        let bad = run(s, "logdump verify")
        #expect(bad.status == .ok && bad.lines.last == "[logdump exit 1]")
        #expect(run(s, "expect exit 1").status == .ok)
        #expect(run(s, "logdump").status == .error)
        // None of these is part of the session's history (undo and save replay the cluster only).
        #expect(!s.history.contains { $0.hasPrefix("logdump") || $0.hasPrefix("disk") })
    }

    @Test func tearIsATornTailAndFlipIsCorruption() throws {
        defer { try? FileManager.default.removeItem(atPath: Self.root) }
        let s = try Self.session()
        _ = run(s, "disk export n1 \(Self.root)/t")
        let tear = run(s, "disk tear \(Self.root)/t 30")
        #expect(tear.status == .ok, "\(tear.lines)")
        _ = run(s, "logdump verify \(Self.root)/t")
        #expect(run(s, "expect exit 2").status == .ok)
        _ = run(s, "disk export n1 \(Self.root)/f")
        let flip = run(s, "disk flip \(Self.root)/f log-0000000000000001.seg 354 3")
        #expect(flip.status == .ok && flip.lines.first?.contains("bit 3 flipped") == true, "\(flip.lines)")
        _ = run(s, "logdump verify \(Self.root)/f")
        #expect(run(s, "expect exit 3").status == .ok)
        // Flipping the same bit back restores it.
        _ = run(s, "disk flip \(Self.root)/f log-0000000000000001.seg 354 3")
        _ = run(s, "logdump verify \(Self.root)/f")
        #expect(run(s, "expect exit 0").status == .ok)
        for bad in [
            "disk tear \(Self.root)/t 0", "disk tear \(Self.root)/t 999999", "disk tear \(Self.root)/missing 8",
            "disk flip \(Self.root)/f hardstate 5000", "disk flip \(Self.root)/f hardstate 1 8",
            "disk flip \(Self.root)/f ../f/hardstate 1", "disk flip \(Self.root)/f nothing 1", "disk wipe",
        ] {
            #expect(run(s, bad).status == .error, "\(bad) should be refused")
        }
    }

    @Test func exportReplacesAnEarlierExportButNothingElse() throws {
        defer { try? FileManager.default.removeItem(atPath: Self.root) }
        let s = try Self.session()
        let dir = "\(Self.root)/e"
        _ = run(s, "disk export n1 \(dir)")
        // Leftovers of an earlier export and repair: another segment and a backup folder.
        #expect(FileManager.default.createFile(atPath: "\(dir)/log-0000000000000009.seg", contents: Data([1, 2, 3])))
        try FileManager.default.createDirectory(atPath: "\(dir)/logdump-backup-x", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: "\(dir)/logdump-backup-x/MANIFEST", contents: Data()))
        let again = run(s, "disk export n1 \(dir)")
        #expect(again.status == .ok, "\(again.lines)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["hardstate", "log-0000000000000001.seg"])
        _ = run(s, "logdump verify \(dir)")
        #expect(run(s, "expect exit 0").status == .ok)
        // A directory with anything else in it is not ours to clear.
        #expect(FileManager.default.createFile(atPath: "\(dir)/notes.txt", contents: Data("keep".utf8)))
        #expect(run(s, "disk export n1 \(dir)").status == .error)
        #expect(FileManager.default.fileExists(atPath: "\(dir)/notes.txt"))
    }

    @Test func exportNeverClearsTheClustersOwnDataDirectory() throws {
        defer { try? FileManager.default.removeItem(atPath: Self.root) }
        let data = Self.root + "/data"
        var options = SessionOptions()
        options.cluster.dataDirectory = data
        let s = try Session(options: options)
        #expect(s.execute("campaign n1").status == .ok)
        #expect(s.execute("stabilize").status == .ok)
        for target in [data + "/n1", data + "/n1/", data + "/n2/../n1", data, data + "/n1/sub"] {
            #expect(s.execute("disk export n1 \(target)").status == .error, "\(target)")
        }
        #expect(FileManager.default.fileExists(atPath: data + "/n1/log-0000000000000001.seg"))
        #expect(s.execute("disk export n1 \(Self.root)/copy").status == .ok)
        _ = s.execute("logdump verify \(Self.root)/copy")
        #expect(s.execute("expect exit 0").status == .ok)
    }

    /// Lesson 10 at its prompt (where a step whose expectations already hold waits for its
    /// commands). Its files go to a folder of this test: LessonTests checks the lesson itself,
    /// in /tmp/raftstep-lesson10, maybe at the same time.
    @Test func lessonTenFinishesAtItsPrompt() throws {
        defer { try? FileManager.default.removeItem(atPath: Self.root) }
        let transcript = try ReadmeTourTests.lessonTranscript(10) {
            $0.replacingOccurrences(of: "/tmp/raftstep-lesson10/", with: Self.root + "/lesson10/")
        }
        #expect(transcript.contains("Lesson 10 done."), "\(transcript.suffix(8).joined(separator: "\n"))")
        #expect(transcript.contains { $0.contains(Self.root + "/lesson10/flip") })
    }
}
