import ArgumentParser
import Synchronization
import Dispatch
import NIOCore
import NIOPosix
import RaftCore
import RaftHost
import RaftServer
import RaftStorage

#if canImport(Glibc)
    import Glibc
#endif

/// A value used only on the node's event loop, passed through closures NIO requires to be `Sendable`.
struct LoopBound<Value>: @unchecked Sendable {
    let value: Value
}

/// One running node: storage, the node runtime on its event loop, the peer transport and the
/// client server on a network loop (the same one with `--threads 1`). `raftd` is `Daemon<KeyValueService>`; a service of your own is
/// `Daemon<YourService>` (see `Examples/Counter`).
public final class Daemon<Service: ClientService> {
    let command: NodeOptions
    let log: ServerLog

    /// A daemon for these options (already validated by the command line).
    public init(options: NodeOptions) {
        self.command = options
        log = ServerLog(prefix: "raftd[\(options.id)]", level: ServerLog.Level(name: options.logLevel) ?? .info)
    }

    /// Runs the node until SIGTERM or SIGINT.
    public func run() throws {
        let fileSystem = PosixFileSystem()
        let directory = command.dataDirectory
        do { try fileSystem.createDirectory(atPath: directory) } catch {
            throw fatal("cannot create \(directory): \(error)")
        }
        // Opening takes the directory's lock: a second raftd on the same directory stops here.
        let storage: LogStorage
        // 4 MiB of synced zeros ahead of the write position: a batch's fdatasync then leaves the size alone (storage-format §2.5).
        let storageOptions = StorageOptions(syncPolicy: .everyBatch, preallocateBytes: 4 << 20)
        do { storage = try LogStorage.open(directory: directory, fileSystem: fileSystem, options: storageOptions) } catch {
            throw fatal("cannot open \(directory): \(error)")
        }
        for problem in storage.report.problems { log.warn("recovery: \(problem)") }
        if storage.report.tornTailCut { log.warn("recovery: a torn tail was cut (a write the crash interrupted, never acknowledged)") }

        let peers = try command.peerMap
        let bootstrap = try loadBootstrap(directory: directory, fileSystem: fileSystem, peers: peers)
        let node = try makeNode(storage: storage, bootstrap: bootstrap)
        log.info("starting: term \(node.term), commit \(node.commitIndex), log \(node.firstIndex)…\(node.lastIndex), \(node.configuration)")

        // `--threads 1` (the default): one loop for the node and its sockets, so a command is
        // proposed and answered without a hop between threads; the leader's writes and fsyncs run
        // on the disk thread below, so the loop keeps reading meanwhile. `--threads 2`: a network
        // loop beside the node's (a hop for every command, answer and peer message).
        let nodeGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let group = command.threads == 1 ? nodeGroup : MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = nodeGroup.next()
        let fail: @Sendable (String) -> Void = { [log] message in
            log.error(message)
            exit(1)
        }
        var options = RuntimeOptions(
            id: command.id, address: MemberAddress(peer: peers[command.id]!, client: command.listen),
            initialPeers: peers.merging(bootstrap.members) { given, _ in given })
        options.snapshotEntries = command.snapshotEntries
        options.maxCommandBytes = command.maxFrameBytes / 2
        options.unsafeLocalReads = command.unsafeLocalReads
        let log = self.log
        // Writes and their fsyncs run on a disk thread, so the loop keeps serving meanwhile.
        let writer = DiskWriter(loop: loop)
        let runtime = try loop.submit { () throws -> LoopBound<NodeRuntime<Service>> in
            let runtime = try NodeRuntime<Service>(
                node: node, storage: storage, options: options, log: { log.info($0) }, fail: fail,
                writer: writer,
                schedule: { task in
                    let bound = LoopBound(value: task)
                    loop.execute { bound.value() }
                })
            return LoopBound(value: runtime)
        }.wait()

        let transport = try startTransport(loop: loop, group: group, runtime: runtime, peers: options.initialPeers)
        try loop.submit { runtime.value.connect(transport) }.wait()
        let server = try startClientServer(loop: loop, group: group, runtime: runtime)
        let tick = TimeAmount.milliseconds(Int64(command.tickMilliseconds))
        let ticker = loop.scheduleRepeatedTask(initialDelay: tick, delay: tick) { _ in runtime.value.tick() }
        log.info("listening: peers on \(options.address.peer), clients on \(command.listen), ticks of \(command.tickMilliseconds) ms")

        waitForStopSignal()
        log.info("stopping")
        ticker.cancel()
        server.shutdown()
        transport.shutdown()
        // Stop the node's loop from taking inputs first, then let the disk thread finish and close.
        try? loop.submit {}.wait()
        writer.drain { storage.close() }
        try? group.syncShutdownGracefully()
        if group !== nodeGroup { try? nodeGroup.syncShutdownGracefully() }
        log.info("stopped")
    }

    private func fatal(_ message: String) -> ExitCode {
        log.error(message)
        return ExitCode(1)
    }

    /// The stored bootstrap, or a new one written from the command line.
    private func loadBootstrap(directory: String, fileSystem: FileSystem, peers: [NodeID: String]) throws -> Bootstrap {
        if let stored = try Bootstrap.read(directory: directory, fileSystem: fileSystem) {
            if !stored.isJoin && Set(stored.members.keys) != Set(peers.keys) && !command.join {
                log.info("the stored initial membership (\(stored.members.keys.sorted())) is used; --peers only gives addresses now")
            }
            return stored
        }
        let bootstrap = Bootstrap(members: command.join ? [:] : peers)
        do { try bootstrap.write(directory: directory, fileSystem: fileSystem) } catch {
            throw fatal("cannot write \(Bootstrap.fileName) in \(directory): \(error)")
        }
        return bootstrap
    }

    private func makeNode(storage: LogStorage, bootstrap: Bootstrap) throws -> RaftNode {
        var config = command.coreConfig()
        // Election timeouts are randomized from this seed; a real node draws it from the system.
        config.seed = UInt64.random(in: 1...UInt64.max)
        if let problem = config.validationError() { throw fatal("bad timing: \(problem)") }
        let hardState = storage.hardState
        guard (storage.entries.last?.term ?? storage.snapshot?.metadata.term ?? 0) <= hardState.term else {
            throw fatal("the data directory's hard state (term \(hardState.term)) is behind its log; run `logdump verify` on it")
        }
        return RaftNode(
            config: config, configuration: bootstrap.configuration, hardState: hardState,
            entries: storage.entries, snapshot: storage.snapshot)
    }

    private func waitForStopSignal() {
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let stop = DispatchSemaphore(value: 0)
        let sources = [SIGTERM, SIGINT].map { number -> DispatchSourceSignal in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.signal() }
            source.resume()
            return source
        }
        stop.wait()
        for source in sources { source.cancel() }
    }
}

extension Daemon {
    /// Resolves `HOST:PORT` (validated by the command line).
    func socketAddress(_ text: String) throws -> SocketAddress {
        guard let (host, port) = AddressParser.split(text) else { throw fatal("'\(text)' is not HOST:PORT") }
        do { return try SocketAddress.makeAddressResolvingHost(host, port: port) } catch {
            throw fatal("cannot resolve \(text): \(error)")
        }
    }

    /// The peer transport: messages from peers go to the runtime on its loop.
    func startTransport(
        loop: any EventLoop, group: any EventLoopGroup, runtime: LoopBound<NodeRuntime<Service>>,
        peers: [NodeID: String]
    ) throws -> PeerLinks {
        var addresses: [NodeID: SocketAddress] = [:]
        for (id, text) in peers where id != command.id { addresses[id] = try socketAddress(text) }
        let transport = PeerTransport(
            selfID: command.id, listenAddress: try socketAddress(try command.peerMap[command.id]!),
            peers: addresses, group: group, log: log,
            options: PeerTransportOptions(
                maxPayloadBytes: command.maxFrameBytes,
                maxInboundConnections: command.maxPeerConnections)
        ) { message in
            // On the node's own loop (the usual case: one group) the message is stepped at once.
            if loop.inEventLoop { runtime.value.receive(message) } else { loop.execute { runtime.value.receive(message) } }
        }
        try blockingWait { try await transport.start() }
        return PeerLinks(transport: transport, log: log)
    }

    /// The client server: each command goes to the runtime on its loop; the answer comes back as RESP.
    func startClientServer(loop: any EventLoop, group: any EventLoopGroup, runtime: LoopBound<NodeRuntime<Service>>) throws -> RESPServer {
        let server = RESPServer(
            listenAddress: try socketAddress(command.listen), group: group, log: log,
            maxConnections: command.maxClients
        ) { (command: consuming RESPCommand, reply) in
            // The command is handed over whole: its arguments' only reference goes to the runtime.
            let arguments = (consume command).arguments
            guard loop.inEventLoop else {
                return loop.execute { runtime.value.handle(arguments) { answer in reply.send(answer.resp) } }
            }
            runtime.value.handle(arguments) { answer in reply.send(answer.resp) }
        }
        try blockingWait { try await server.start() }
        return server
    }
}

/// The runtime's view of the peer transport (addresses as text, resolved here).
final class PeerLinks: PeerSender {
    let transport: PeerTransport
    let log: ServerLog

    init(transport: PeerTransport, log: ServerLog) {
        self.transport = transport
        self.log = log
    }

    func send(_ messages: [Message]) { transport.send(messages) }

    func setPeers(_ peers: [NodeID: String]) {
        var addresses: [NodeID: SocketAddress] = [:]
        for (id, text) in peers {
            guard let (host, port) = AddressParser.split(text), let address = try? SocketAddress.makeAddressResolvingHost(host, port: port) else {
                log.warn("peer \(id): cannot resolve '\(text)'; not dialed")
                continue
            }
            addresses[id] = address
        }
        transport.setPeers(addresses)
    }

    func shutdown() { blockingWaitIgnoringErrors { await self.transport.shutdown() } }
}

extension RESPServer {
    func shutdown() { blockingWaitIgnoringErrors { await self.shutdown() } }
}

extension Reply {
    /// The RESP2 value a client receives.
    var resp: RESPValue {
        switch self {
        case .status(let text): return .simpleString(text)
        case .error(let text): return .error(text)
        case .integer(let value): return .integer(value)
        case .bulk(let bytes?): return .bulkString(bytes)
        case .bulk(nil): return .nullBulkString
        case .array(let values?): return .array(values.map(\.resp))
        case .array(nil): return .nullArray
        }
    }
}

/// Runs async start-up work from the synchronous main thread.
func blockingWait(_ body: @escaping @Sendable () async throws -> Void) throws {
    let done = DispatchSemaphore(value: 0)
    let failure = Mutex<(any Error)?>(nil)
    Task {
        do { try await body() } catch { failure.withLock { $0 = error } }
        done.signal()
    }
    done.wait()
    if let error = failure.withLock({ $0 }) { throw error }
}

func blockingWaitIgnoringErrors(_ body: @escaping @Sendable () async -> Void) {
    try? blockingWait { await body() }
}

/// Runs `raftd`'s key-value node until SIGTERM or SIGINT: `Daemon<KeyValueService>`, built here so
/// that the compiler specializes the daemon, its runtime and their closures for the key-value
/// store. Instantiated from another module, the generic code runs unspecialized and asks the
/// runtime for type metadata at every command (about 5 % of the leader's samples under load).
public func runKeyValueDaemon(options: NodeOptions) throws {
    try Daemon<KeyValueService>(options: options).run()
}
