import Foundation
import Chaos
import Testing
#if canImport(Glibc)
    import Glibc
#endif

/// Real `raftd` processes on loopback, on free ports, each in its own data directory; every
/// process it starts is stopped by its PID (SIGKILL at the end if still running).
final class RaftdCluster {
    struct Member {
        var id: Int
        var peerPort: Int
        var clientPort: Int
        var directory: String
        var process: Process?
        var logPath: String
    }

    let root: String
    var members: [Int: Member] = [:]
    let binaries: URL
    /// More options for every node this cluster starts.
    var extraArguments: [String] = []

    /// The directory holding the built products (raftd, logdump).
    static func productsDirectory() -> URL {
        // The test runner lives in the products directory (.build/debug/RaftStepPackageTests.xctest).
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if !FileManager.default.fileExists(atPath: url.appendingPathComponent("raftd").path) {
            url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent(".build/debug")
        }
        return url
    }

    init(name: String, ids: [Int]) throws {
        binaries = Self.productsDirectory()
        root = NSTemporaryDirectory() + "raftd-test-\(name)-\(getpid())"
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        for id in ids { try addMember(id) }
    }

    deinit {
        for member in members.values { if let process = member.process, process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        try? FileManager.default.removeItem(atPath: root)
    }

    func addMember(_ id: Int) throws {
        members[id] = Member(
            id: id, peerPort: try Self.freePort(), clientPort: try Self.freePort(),
            directory: "\(root)/n\(id)", process: nil, logPath: "\(root)/n\(id).log")
    }

    /// A port nothing listens on now (Chaos's: bound, then released; raftd binds it next).
    static func freePort() throws -> Int { try freeLoopbackPort() }

    /// `--peers` naming `ids` (default: every member).
    func peers(_ ids: [Int]? = nil) -> String {
        (ids ?? members.keys.sorted()).map { "\($0)=127.0.0.1:\(members[$0]!.peerPort)" }.joined(separator: ",")
    }

    func start(_ id: Int, peers: String? = nil, join: Bool = false) throws {
        let member = members[id]!
        let process = Process()
        process.executableURL = binaries.appendingPathComponent("raftd")
        var arguments = [
            "--id", "\(id)", "--peers", peers ?? self.peers(), "--listen", "127.0.0.1:\(member.clientPort)",
            "--data-dir", member.directory, "--log-level", "debug", "--snapshot-entries", "40",
        ]
        if join { arguments.append("--join") }
        process.arguments = arguments + extraArguments
        FileManager.default.createFile(atPath: member.logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: member.logPath))
        log.seekToEndOfFile()
        process.standardError = log
        process.standardOutput = log
        try process.run()
        members[id]!.process = process
    }

    func kill9(_ id: Int) {
        guard let process = members[id]?.process else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        members[id]!.process = nil
    }

    /// SIGTERM, then wait; true when it exited 0.
    @discardableResult
    func stop(_ id: Int) -> Bool {
        guard let process = members[id]?.process else { return false }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        members[id]!.process = nil
        return process.terminationStatus == 0
    }

    func client(_ id: Int) -> RESPClient? { RESPClient(port: members[id]!.clientPort) }

    /// `RAFT STATUS` of a member as a dictionary; nil when it does not answer.
    func status(_ id: Int) -> [String: String]? {
        guard let client = client(id), case .bulk(let text?) = client.call("RAFT", "STATUS") else { return nil }
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            fields[String(parts[0])] = parts.count == 2 ? String(parts[1]) : ""
        }
        return fields
    }

    /// Polls until `condition` holds or `seconds` pass.
    func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }

    /// The member that is leader (and that the others agree on), if any, among `ids`.
    func leader(among ids: [Int]) -> Int? {
        for id in ids {
            if let status = status(id), status["role"] == "leader" { return id }
        }
        return nil
    }

    /// Sends a command to `id`, following `-MOVED` to the leader's client port.
    func call(_ id: Int, _ words: String...) -> RESPClient.Value? {
        guard let reply = client(id)?.call(words) else { return nil }
        guard case .error(let text) = reply, text.hasPrefix("MOVED ") else { return reply }
        let port = Int(text.split(separator: ":").last ?? "") ?? 0
        return RESPClient(port: port)?.call(words)
    }

    /// Runs `logdump` with arguments; its exit status and output.
    func logdump(_ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = binaries.appendingPathComponent("logdump")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    func log(_ id: Int) -> String { (try? String(contentsOfFile: members[id]!.logPath, encoding: .utf8)) ?? "" }
}
