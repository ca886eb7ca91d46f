import Testing
@testable import RaftServer

@Suite("Server log")
struct ServerLogTests {
    @Test("lines below the level are neither written nor built; the level changes while running")
    func levels() {
        let capture = LogCapture()
        let log = capture.log(prefix: "raftd n1", level: .warn)
        var built = 0
        func message(_ text: String) -> String { built += 1; return text }
        log.error(message("disk gone"))
        log.warn(message("bad frame"))
        log.info(message("listening"))
        log.debug(message("frame"))
        #expect(capture.all == ["raftd n1 error disk gone", "raftd n1 warn bad frame"])
        #expect(built == 2, "messages of disabled levels are not built")
        log.level = .debug
        log.debug("now shown")
        #expect(capture.all.last == "raftd n1 debug now shown")
        #expect(log.isEnabled(.info))
    }

    @Test("level names parse and print the same")
    func names() {
        for level in ServerLog.Level.allCases { #expect(ServerLog.Level(name: level.description) == level) }
        #expect(ServerLog.Level(name: "verbose") == nil)
        #expect(ServerLog.Level.error < .warn && .warn < .info && .info < .debug)
    }
}
