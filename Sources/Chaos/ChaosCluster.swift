import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// Monotonic nanoseconds (`CLOCK_MONOTONIC`), the one clock every client and fault records with.
public func monotonicNanoseconds() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
}

/// A port nothing listens on now on 127.0.0.1 (bound, then released: raftd binds it next).
public func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
            guard bind(fd, pointer, length) == 0 else { return -1 }
            return getsockname(fd, pointer, &length)
        }
    }
    guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// `raftd` processes, each with its own data directory, on loopback or each in its own network
/// namespace (`NamespaceNetwork`), started, killed, paused and stopped by PID. Thread-safe: the fault thread and the final checks share it under one lock.
public final class ChaosCluster: @unchecked Sendable {
    /// One node: its ports, directory and, while it runs, its process.
    public struct Node: Sendable {
        /// The node id.
        public var id: Int
        /// Its address: 127.0.0.1 on loopback, 10.77.S.id in a namespace.
        public var host: String
        /// Where peers connect.
        public var peerPort: Int
        /// Where clients connect (RESP).
        public var clientPort: Int
        /// The data directory.
        public var directory: String
        /// The file that gets the node's stderr.
        public var logPath: String
        /// The running process's PID, or nil.
        public var pid: Int32?
        /// True while SIGSTOPped.
        public var paused = false

        /// Where clients connect.
        public var clientEndpoint: Endpoint { Endpoint(host: host, port: clientPort) }
        /// Where peers connect, as `HOST:PORT`.
        public var peerAddress: String { "\(host):\(peerPort)" }
    }

    /// The directory holding the data directories and logs.
    public let root: String
    /// The raftd binary.
    public let raftd: String
    /// Extra raftd arguments (the unsafe test option).
    public let extraArguments: [String]
    /// Extra environment for raftd.
    public let environment: [String: String]
    /// The namespaces the nodes run in, or nil on loopback.
    public let network: NamespaceNetwork?
    private let lock = NSLock()
    private var nodes: [Int: Node] = [:]
    private var processes: [Int: Process] = [:]

    /// A cluster of `count` nodes under `root` (created; must not hold another cluster): on loopback
    /// with free ports, or, given `network` (of at least `count` nodes), node N at its address with
    /// the same two ports in every namespace.
    public init(
        count: Int, root: String, raftd: String, extraArguments: [String] = [], environment: [String: String] = [:],
        network: NamespaceNetwork? = nil
    ) throws {
        precondition(count >= 1, "a cluster has a node")
        precondition(network.map { $0.count >= count } ?? true, "a namespace per node")
        self.root = root
        self.raftd = raftd
        self.extraArguments = extraArguments
        self.environment = environment
        self.network = network
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        for id in 1...count {
            let (host, peerPort, clientPort) =
                try network.map { ($0.address(id), 7000, 6379) }
                ?? ("127.0.0.1", try freeLoopbackPort(), try freeLoopbackPort())
            nodes[id] = Node(
                id: id, host: host, peerPort: peerPort, clientPort: clientPort,
                directory: "\(root)/n\(id)", logPath: "\(root)/n\(id).log")
        }
    }

    /// Every node id, sorted.
    public var ids: [Int] { lock.withLock { nodes.keys.sorted() } }

    /// A node's current description.
    public func node(_ id: Int) -> Node { lock.withLock { nodes[id]! } }

    /// `--peers` naming every node.
    public func peers() -> String {
        lock.withLock { nodes.keys.sorted().map { "\($0)=\(nodes[$0]!.peerAddress)" }.joined(separator: ",") }
    }

    /// Starts a node (its data directory is recovered if present); `join` waits to be added.
    public func start(_ id: Int, join: Bool = false) throws {
        let node = self.node(id)
        precondition(node.pid == nil, "start a stopped node")
        let process = Process()
        var arguments =
            [
                "--id", "\(id)", "--peers", peers(), "--listen", node.clientEndpoint.description,
                "--data-dir", node.directory, "--snapshot-entries", "2000",
            ] + extraArguments
        if join { arguments.append("--join") }
        let (executable, wrapped) = network?.wrap(id, raftd, arguments) ?? (raftd, arguments)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = wrapped
        var env = ProcessInfo.processInfo.environment
        for (name, value) in environment { env[name] = value }
        process.environment = env
        if !FileManager.default.fileExists(atPath: node.logPath) { _ = FileManager.default.createFile(atPath: node.logPath, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: node.logPath))
        log.seekToEndOfFile()
        process.standardError = log
        process.standardOutput = log
        try process.run()
        lock.withLock {
            nodes[id]!.pid = process.processIdentifier
            nodes[id]!.paused = false
            processes[id] = process
        }
    }

    /// SIGKILL, then reap; nothing when it is not running.
    public func kill9(_ id: Int) {
        guard let process = lock.withLock({ processes.removeValue(forKey: id) }) else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        lock.withLock {
            nodes[id]!.pid = nil; nodes[id]!.paused = false
        }
    }

    /// SIGTERM (after SIGCONT if paused), wait up to 10 s, then SIGKILL; true when it exited 0.
    @discardableResult
    public func stop(_ id: Int) -> Bool {
        guard let process = lock.withLock({ processes.removeValue(forKey: id) }) else { return false }
        kill(process.processIdentifier, SIGCONT)
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        lock.withLock {
            nodes[id]!.pid = nil; nodes[id]!.paused = false
        }
        return process.terminationReason == .exit && process.terminationStatus == 0
    }

    /// SIGSTOP (`pause: true`) or SIGCONT.
    public func setPaused(_ id: Int, _ pause: Bool) {
        lock.withLock {
            guard let pid = nodes[id]?.pid else { return }
            kill(pid, pause ? SIGSTOP : SIGCONT)
            nodes[id]!.paused = pause
        }
    }

    /// True while the node's process runs (it may be paused).
    public func isRunning(_ id: Int) -> Bool { lock.withLock { processes[id]?.isRunning ?? false } }

    /// Wipes a stopped node's data directory (before it rejoins empty): its contents, since the
    /// directory itself may be a mount point.
    public func wipe(_ id: Int) {
        let node = self.node(id)
        precondition(node.pid == nil, "wipe a stopped node")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: node.directory)) ?? [] {
            try? FileManager.default.removeItem(atPath: node.directory + "/" + name)
        }
    }

    /// The node whose data directory is a small tmpfs (the full-disk fault), if one could be mounted.
    public private(set) var smallDiskNode: Int?

    /// Mounts a tmpfs of `sizeMegabytes` on the last node's data directory; false (and nothing
    /// mounted) when not root or mounting fails. Call before starting that node.
    public func mountSmallDisk(sizeMegabytes: Int) -> Bool {
        guard getuid() == 0, let id = ids.last else { return false }
        let directory = node(id).directory
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard runTool("/bin/mount", ["-t", "tmpfs", "-o", "size=\(sizeMegabytes)m", "tmpfs", directory]).0 == 0 else { return false }
        smallDiskNode = id
        return true
    }

    /// Unmounts the small disk (the node must be stopped).
    public func unmountSmallDisk() {
        guard let id = smallDiskNode else { return }
        _ = runTool("/bin/umount", [node(id).directory])
        smallDiskNode = nil
    }

    /// `RAFT STATUS` of a node as a dictionary; nil when it does not answer within 500 ms.
    public func status(_ id: Int) -> [String: String]? {
        guard let client = RESPClient(endpoint: node(id).clientEndpoint, timeoutMilliseconds: 500),
            case .bulk(let text?) = client.call("RAFT", "STATUS")
        else { return nil }
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            fields[String(parts[0])] = parts.count == 2 ? String(parts[1]) : ""
        }
        return fields
    }

    /// The running, unpaused node that says it is leader with the highest term, if any.
    public func leader() -> Int? {
        var best: (id: Int, term: Int)?
        for id in ids where isRunning(id) && !node(id).paused {
            if let status = status(id), status["role"] == "leader", let term = Int(status["term"] ?? "") {
                if best == nil || term > best!.term { best = (id, term) }
            }
        }
        return best?.id
    }

    /// Sends a command to `id`, following one `-MOVED`; nil when nobody answers.
    public func call(_ id: Int, _ words: [String], timeoutMilliseconds: Int = 2000) -> RESPClient.Value? {
        let reply = RESPClient(endpoint: node(id).clientEndpoint, timeoutMilliseconds: timeoutMilliseconds)?.call(words)
        guard let moved = RESPClient.movedEndpoint(reply) else { return reply }
        return RESPClient(endpoint: moved, timeoutMilliseconds: timeoutMilliseconds)?.call(words)
    }

    /// Stops every node that runs (SIGTERM by PID, SIGKILL after 10 s).
    public func stopAll() {
        for id in ids { stop(id) }
    }

    /// SIGKILLs every node that runs, by PID, without waiting for locks held by other threads' calls
    /// beyond the table's (the interrupt path: raftchaos got SIGINT or SIGTERM).
    public func killAllNow() {
        let pids = lock.withLock { processes.values.map(\.processIdentifier) }
        for pid in pids {
            kill(pid, SIGCONT)
            kill(pid, SIGKILL)
        }
        for pid in pids { var status: Int32 = 0; _ = waitpid(pid, &status, 0) }
    }

    /// The last `lines` lines of a node's log (for failure reports).
    public func logTail(_ id: Int, lines: Int = 20) -> String {
        let text = (try? String(contentsOfFile: node(id).logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }
}
