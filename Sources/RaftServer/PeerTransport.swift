import NIOCore
import NIOPosix
import RaftCore
import Synchronization

/// Counts of what the transport did, for logs, tests and `RAFT STATUS`.
public struct PeerTransportStatistics: Equatable, Sendable {
    /// Frames handed to a connection.
    public var framesSent = 0
    /// Frames dropped because a send queue was full, or because the message was too large.
    public var framesDropped = 0
    /// Messages received and delivered to `onMessage`.
    public var messagesReceived = 0
    /// Inbound connections closed for a malformed frame.
    public var malformedConnections = 0
    /// Successful outbound connects.
    public var connects = 0
    /// Inbound connections closed at once because `maxInboundConnections` were open.
    public var refusedConnections = 0
    /// Snapshot chunk frames handed to a connection (also counted in `framesSent`).
    public var snapshotChunksSent = 0
}

/// Thread-safe counters behind `PeerTransportStatistics`: atomics, since every frame sent and
/// received counts (a lock and a key path per frame showed in the leader's profile).
final class TransportCounters: Sendable {
    /// A counter of `PeerTransportStatistics`.
    enum Field { case framesSent, framesDropped, messagesReceived, malformedConnections, connects, refusedConnections, snapshotChunksSent }
    private let framesSent = Atomic<Int>(0)
    private let framesDropped = Atomic<Int>(0)
    private let messagesReceived = Atomic<Int>(0)
    private let malformedConnections = Atomic<Int>(0)
    private let connects = Atomic<Int>(0)
    private let refusedConnections = Atomic<Int>(0)
    private let snapshotChunksSent = Atomic<Int>(0)

    func add(_ field: Field, _ amount: Int) {
        switch field {
        case .framesSent: framesSent.add(amount, ordering: .relaxed)
        case .framesDropped: framesDropped.add(amount, ordering: .relaxed)
        case .messagesReceived: messagesReceived.add(amount, ordering: .relaxed)
        case .malformedConnections: malformedConnections.add(amount, ordering: .relaxed)
        case .connects: connects.add(amount, ordering: .relaxed)
        case .refusedConnections: refusedConnections.add(amount, ordering: .relaxed)
        case .snapshotChunksSent: snapshotChunksSent.add(amount, ordering: .relaxed)
        }
    }

    var snapshot: PeerTransportStatistics {
        PeerTransportStatistics(
            framesSent: framesSent.load(ordering: .relaxed), framesDropped: framesDropped.load(ordering: .relaxed),
            messagesReceived: messagesReceived.load(ordering: .relaxed),
            malformedConnections: malformedConnections.load(ordering: .relaxed),
            connects: connects.load(ordering: .relaxed),
            refusedConnections: refusedConnections.load(ordering: .relaxed),
            snapshotChunksSent: snapshotChunksSent.load(ordering: .relaxed))
    }
}

/// The Raft peer transport over TCP (SwiftNIO): frames of `docs/wire-format.md`.
///
/// It listens on this node's peer address and delivers every well-formed frame from anyone to
/// `onMessage` (on an event-loop thread: the callback must not block). It dials each peer lazily,
/// when it first has a message for it, and redials with exponential backoff (capped). Each peer has
/// a bounded send queue that drops its oldest frames when full. A malformed inbound frame closes that
/// connection with a `warn` line; everything else keeps going. All methods may be called from any thread.
public final class PeerTransport: Sendable {
    /// Called for each message received; on an event-loop thread, so it must hand off, not block.
    public typealias OnMessage = @Sendable (Message) -> Void

    /// This node.
    public let selfID: NodeID
    private let listenAddress: SocketAddress
    private let group: any EventLoopGroup
    private let log: ServerLog
    private let options: PeerTransportOptions
    private let onMessage: OnMessage
    private let counters = TransportCounters()
    private let inbound = ChannelRegistry()
    /// Puts chunked snapshots back together, for every inbound connection (one snapshot per peer).
    public let snapshotAssembly: SnapshotAssembly
    private let state: Mutex<State>

    private struct State {
        var links: [NodeID: PeerLink] = [:]
        var listener: (any Channel)?
        var isShutDown = false
    }

    /// Creates the transport; nothing listens or dials until `start` (and the first `send`).
    public init(
        selfID: NodeID, listenAddress: SocketAddress, peers: [NodeID: SocketAddress],
        group: any EventLoopGroup, log: ServerLog, options: PeerTransportOptions = PeerTransportOptions(),
        onMessage: @escaping OnMessage
    ) {
        self.selfID = selfID
        self.listenAddress = listenAddress
        self.group = group
        self.log = log
        self.options = options
        self.onMessage = onMessage
        self.snapshotAssembly = SnapshotAssembly(maxSnapshotBytes: options.maxSnapshotBytes, log: log)
        self.state = Mutex(State())
        setPeers(peers)
    }

    /// Binds the peer listener.
    public func start() async throws {
        let (options, log, onMessage, counters, inbound) = (self.options, self.log, self.onMessage, self.counters, self.inbound)
        let assembly = snapshotAssembly
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 64)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                guard inbound.add(channel, limit: options.maxInboundConnections) else {
                    counters.add(.refusedConnections, 1)
                    log.warn(
                        "refusing a peer connection from \(channel.remoteAddress?.hostPort ?? "?"): \(options.maxInboundConnections) are open, the most allowed"
                    )
                    return channel.pipeline.addHandler(RefuseConnectionHandler(message: nil))
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(PeerFrameDecoder(maxPayloadBytes: options.maxPayloadBytes, assembly: assembly)),
                        PeerInboundHandler(log: log, counters: counters, onMessage: onMessage),
                    ])
                }
            }
            .bind(to: listenAddress).get()
        let keep = state.withLock { state -> Bool in
            guard !state.isShutDown else { return false }
            state.listener = channel
            return true
        }
        guard keep else {
            try? await channel.close()
            return
        }
        log.info("peer transport of n\(selfID) listening on \(channel.localAddress?.hostPort ?? listenAddress.hostPort)")
    }

    /// The bound peer address (its port is the real one when started on port 0); nil before `start`.
    public var localAddress: SocketAddress? { state.withLock { $0.listener?.localAddress } }

    /// The bound peer port; nil before `start`.
    public var localPort: Int? { localAddress?.port }

    /// What the transport has done so far.
    public var statistics: PeerTransportStatistics { counters.snapshot }

    /// Queues `messages` for their receivers and returns at once. Messages to this node, to an
    /// unknown peer, or larger than the frame limit are dropped (logged); Raft retries what matters.
    /// A snapshot larger than `snapshotChunkBytes` (or the frame limit) goes in chunks (`PeerLink.stream`).
    public func send(_ messages: [Message]) {
        var framesByPeer: [NodeID: [ByteBuffer]] = [:]
        var snapshotsByPeer: [NodeID: (InstallSnapshot, chunkDataBytes: Int)] = [:]
        let allocator = ByteBufferAllocator()
        for message in messages {
            if case .installSnapshot(let install) = message,
                PeerWire.payloadSizeBytes(message) > min(options.snapshotChunkBytes, options.maxPayloadBytes)
            {
                let room = options.maxPayloadBytes - PeerWire.chunkOverheadBytes(install.snapshot.metadata)
                guard room >= 1 else {
                    counters.add(.framesDropped, 1)
                    log.warn(
                        "not sending \(message.kindName) to n\(message.to): a chunk's fields alone exceed the frame limit of \(options.maxPayloadBytes) bytes"
                    )
                    continue
                }
                // The newest snapshot for a peer wins: a link sends one at a time.
                snapshotsByPeer[install.to] = (install, min(options.snapshotChunkBytes, room))
                framesByPeer[install.to, default: []] += []
                continue
            }
            var frame = allocator.buffer(capacity: PeerWire.headerSizeBytes + 64)
            do {
                try PeerWire.writeFrame(message, into: &frame, maxPayloadBytes: options.maxPayloadBytes)
            } catch {
                counters.add(.framesDropped, 1)
                log.warn("not sending \(message.kindName) to n\(message.to): \(error)")
                continue
            }
            framesByPeer[message.to, default: []].append(frame)
        }
        let links = state.withLock { state in framesByPeer.keys.map { ($0, state.links[$0]) } }
        for (peer, link) in links {
            let snapshot = snapshotsByPeer[peer]
            guard let link else {
                let count = framesByPeer[peer]!.count + (snapshot == nil ? 0 : 1)
                counters.add(.framesDropped, count)
                log.debug("dropping \(count) message(s) to n\(peer): no address known")
                continue
            }
            let frames = framesByPeer[peer]!
            let hand: @Sendable () -> Void = {
                link.enqueue(frames)
                if let (install, chunkDataBytes) = snapshot { link.stream(install, chunkDataBytes: chunkDataBytes) }
            }
            // From the link's own loop the frames are written now: a leader's appends leave before
            // its own fsync instead of after it.
            if link.eventLoop.inEventLoop { hand() } else { link.eventLoop.execute(hand) }
        }
    }

    /// Replaces the set of peers to dial (a membership change): new peers get a link, removed ones
    /// are closed with their queues, a changed address is redialled. This node's own entry is ignored.
    public func setPeers(_ peers: [NodeID: SocketAddress]) {
        var closing: [PeerLink] = []
        state.withLock { state in
            guard !state.isShutDown else { return }
            for (id, link) in state.links where peers[id] == nil || id == selfID {
                closing.append(link)
                state.links[id] = nil
            }
            for (id, address) in peers where id != selfID {
                if let link = state.links[id] {
                    link.eventLoop.execute { link.update(address: address) }
                } else {
                    state.links[id] = PeerLink(
                        peerID: id, address: address, eventLoop: group.next(), options: options,
                        log: log, counters: counters)
                }
            }
        }
        for link in closing {
            log.info("n\(link.peerID) is no longer a peer")
            _ = link.close()
        }
    }

    /// Stops listening, closes every connection and discards the queues. Later calls do nothing.
    public func shutdown() async {
        let (listener, links) = state.withLock { state -> ((any Channel)?, [PeerLink]) in
            state.isShutDown = true
            defer { state.listener = nil; state.links = [:] }
            return (state.listener, Array(state.links.values))
        }
        try? await listener?.close()
        for link in links { try? await link.close().get() }
        try? await inbound.closeAll(on: group.next()).get()
    }
}

/// Delivers decoded frames of one inbound connection; a malformed frame closes the connection.
final class PeerInboundHandler: ChannelInboundHandler {
    typealias InboundIn = Message
    private let log: ServerLog
    private let counters: TransportCounters
    private let onMessage: PeerTransport.OnMessage
    private var remote = "?"
    private var isFailed = false

    init(log: ServerLog, counters: TransportCounters, onMessage: @escaping PeerTransport.OnMessage) {
        self.log = log
        self.counters = counters
        self.onMessage = onMessage
    }

    func channelActive(context: ChannelHandlerContext) {
        remote = context.channel.remoteAddress?.hostPort ?? "?"
        log.debug("peer connection from \(remote)")
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !isFailed else { return }
        counters.add(.messagesReceived, 1)
        onMessage(unwrapInboundIn(data))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !isFailed else { return }
        isFailed = true
        if let wireError = error as? PeerWireError {
            counters.add(.malformedConnections, 1)
            log.warn("closing peer connection from \(remote): \(wireError)")
        } else {
            log.debug("peer connection from \(remote) failed: \(error)")
        }
        context.close(promise: nil)
    }
}
