import NIOCore
import NIOPosix
import Synchronization

/// A RESP2 server on the client address: decodes each connection's requests and hands them to a
/// handler that answers through a `ClientReply`, possibly later and from another thread.
///
/// Per connection, answers go out in request order whatever order they are given in (pipelining).
/// QUIT is answered `+OK` and closes. A malformed request is answered `-ERR Protocol error: …` in
/// its turn and the connection is closed; the server keeps serving others.
public final class RESPServer: Sendable {
    /// Called on the connection's event loop for each request; it must not block. Answer through `reply`.
    public typealias Handler = @Sendable (consuming RESPCommand, ClientReply) -> Void

    private let listenAddress: SocketAddress
    private let group: any EventLoopGroup
    private let log: ServerLog
    private let limits: RESPLimits
    private let maxPendingReplies: Int
    private let maxConnections: Int
    private let handler: Handler
    private let listener = Mutex<(any Channel)?>(nil)
    private let connections = ChannelRegistry()
    private let nextConnectionID = Atomic<UInt64>(1)
    /// One flush list per event loop, shared by the connections on it (see `LoopFlushes`).
    private let flushLists = Mutex<[ObjectIdentifier: LoopFlushes]>([:])

    /// Redis's answer to a client above the connection limit (its `maxclients`).
    public static let tooManyClientsError = "ERR max number of clients reached"

    /// Creates a server; nothing listens until `start`.
    /// - Parameter maxPendingReplies: unanswered requests per connection before it stops being read.
    /// - Parameter maxConnections: open client connections; one more is answered
    ///   `-ERR max number of clients reached` and closed (with a `warn` line).
    public init(
        listenAddress: SocketAddress, group: any EventLoopGroup, log: ServerLog,
        limits: RESPLimits = RESPLimits(), maxPendingReplies: Int = 1024, maxConnections: Int = 10_000,
        handler: @escaping Handler
    ) {
        precondition(maxPendingReplies >= 2, "at least two answers must be allowed to wait")
        precondition(maxConnections >= 1, "a server takes at least one connection")
        self.maxConnections = maxConnections
        self.listenAddress = listenAddress
        self.group = group
        self.log = log
        self.limits = limits
        self.maxPendingReplies = maxPendingReplies
        self.handler = handler
    }

    /// Binds the listening socket.
    public func start() async throws {
        let (limits, handler, log, maxPending, connections) = (self.limits, self.handler, self.log, self.maxPendingReplies, self.connections)
        let maxConnections = self.maxConnections
        let ids = self
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                guard connections.add(channel, limit: maxConnections) else {
                    log.warn(
                        "refusing a client from \(channel.remoteAddress?.hostPort ?? "?"): \(maxConnections) connections are open, the most allowed")
                    return channel.pipeline.addHandler(RefuseConnectionHandler(message: "-\(RESPServer.tooManyClientsError)\r\n"))
                }
                let id = ids.nextConnectionID.wrappingAdd(1, ordering: .relaxed).oldValue
                let flushes = ids.flushList(for: channel.eventLoop)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        RESPConnectionHandler(
                            connectionID: id, handler: handler, log: log, maxPendingReplies: maxPending, flushes: flushes,
                            limits: limits))
                }
            }
            .bind(to: listenAddress).get()
        listener.withLock { $0 = channel }
        log.info("serving clients on \(channel.localAddress?.hostPort ?? listenAddress.hostPort)")
    }

    /// The flush list of `loop`'s connections, made on first use.
    private func flushList(for loop: any EventLoop) -> LoopFlushes {
        flushLists.withLock { lists in
            if let list = lists[ObjectIdentifier(loop)] { return list }
            let list = LoopFlushes(loop: loop)
            lists[ObjectIdentifier(loop)] = list
            return list
        }
    }

    /// The bound address (its port is the real one when started on port 0); nil before `start`.
    public var localAddress: SocketAddress? { listener.withLock { $0?.localAddress } }

    /// The bound port; nil before `start`.
    public var localPort: Int? { localAddress?.port }

    /// Open client connections.
    public var connectionCount: Int { connections.count }

    /// Stops listening and closes every client connection.
    public func shutdown() async {
        let channel = listener.withLock { value -> (any Channel)? in
            defer { value = nil }; return value
        }
        try? await channel?.close()
        try? await connections.closeAll(on: group.next()).get()
    }
}
