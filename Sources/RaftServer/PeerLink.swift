import NIOCore
import NIOPosix
import RaftCore

/// The sending side towards one peer: its queue, its outbound connection, and the redial schedule.
///
/// Confinement: every stored property is touched only on `eventLoop` (checked in debug builds);
/// other threads reach a link through `eventLoop.execute`. That is what makes it `Sendable`.
final class PeerLink: @unchecked Sendable {
    let peerID: NodeID
    let eventLoop: any EventLoop
    private let options: PeerTransportOptions
    private let log: ServerLog
    private let counters: TransportCounters
    private var address: SocketAddress
    private var queue: FrameQueue
    private var channel: (any Channel)?
    private var isConnecting = false
    private var redial: Scheduled<Void>?
    private var stallCheck: Scheduled<Void>?
    private var backoff: TimeAmount
    private var isClosed = false
    private var isReportedUnreachable = false
    /// A snapshot too large for one frame, on its way in chunks (at most one per peer).
    private var outgoing: OutgoingSnapshot?
    /// The last snapshot whose chunks were all handed to a connection: which one, and when.
    private var handedOver: (term: UInt64, metadata: SnapshotMetadata, channel: ObjectIdentifier, at: NIODeadline)?

    /// Where a chunked snapshot stands: chunks are made one at a time, when the connection can take
    /// one, so a large snapshot is never copied whole and heartbeats pass between its chunks.
    private struct OutgoingSnapshot {
        let message: InstallSnapshot
        let chunkDataBytes: Int
        var offset = 0
        var totalBytes: Int { message.snapshot.data.count }
        var description: String {
            "snapshot at index \(message.snapshot.metadata.index) (\(offset) of \(totalBytes) bytes sent)"
        }
    }

    init(
        peerID: NodeID, address: SocketAddress, eventLoop: any EventLoop, options: PeerTransportOptions,
        log: ServerLog, counters: TransportCounters
    ) {
        self.peerID = peerID
        self.address = address
        self.eventLoop = eventLoop
        self.options = options
        self.log = log
        self.counters = counters
        self.queue = FrameQueue(capacityFrames: options.queueCapacityFrames, capacityBytes: options.queueCapacityBytes)
        self.backoff = options.initialBackoff
    }

    /// Queues frames (oldest dropped when full) and sends what the connection can take.
    func enqueue(_ frames: [ByteBuffer]) {
        eventLoop.assertInEventLoop()
        guard !isClosed else { return }
        var dropped = 0
        for frame in frames { dropped += queue.append(frame) }
        if dropped > 0 {
            counters.add(.framesDropped, dropped)
            log.debug("n\(peerID): send queue full, dropped the \(dropped) oldest frame(s)")
        }
        pump()
    }

    /// Writes queued frames while the connection is writable; dials when there is none.
    func pump() {
        eventLoop.assertInEventLoop()
        guard !isClosed else { return }
        guard let channel else {
            if !isConnecting && redial == nil && (!queue.isEmpty || outgoing != nil) { connect() }
            return
        }
        // Writable again means the peer drained what was buffered: progress, so the stall clock restarts.
        if channel.isWritable { cancelStallCheck() }
        var written = 0
        var chunks = 0
        // Queued frames first, then the next chunk of a snapshot: one chunk (and the kernel's
        // buffer) is all a snapshot holds up the other messages.
        while channel.isWritable {
            if let frame = queue.popFirst() {
                channel.write(frame, promise: nil)
            } else if let frame = nextChunkFrame() {
                channel.write(frame, promise: nil)
                chunks += 1
            } else {
                break
            }
            written += 1
        }
        if written > 0 {
            channel.flush()
            counters.add(.framesSent, written)
            if chunks > 0 { counters.add(.snapshotChunksSent, chunks) }
        }
        watchForStall(channel)
    }

    /// Sends `snapshot` in chunks of at most `chunkDataBytes`. The same snapshot again while it is on
    /// its way is ignored (the core resends it on every heartbeat answer until the follower has it;
    /// starting over each time would never finish); another one replaces it.
    func stream(_ snapshot: InstallSnapshot, chunkDataBytes: Int) {
        eventLoop.assertInEventLoop()
        precondition(chunkDataBytes >= 1, "a chunk carries at least one byte")
        guard !isClosed else { return }
        if let sent = handedOver, sent.term == snapshot.term, sent.metadata == snapshot.snapshot.metadata,
            let channel, ObjectIdentifier(channel) == sent.channel, NIODeadline.now() - sent.at < options.snapshotResendInterval
        {
            // Every chunk is in the hands of a connection that is still up: TCP delivers them, and
            // the follower answers once it has installed the snapshot, which takes a while when it
            // is large. Starting over meanwhile would send it all again for nothing.
            log.debug(
                "n\(peerID): the snapshot at index \(snapshot.snapshot.metadata.index) went whole on this connection \((NIODeadline.now() - sent.at).milliseconds) ms ago; not resending yet"
            )
            return
        }
        if let current = outgoing {
            if current.message.term == snapshot.term && current.message.snapshot.metadata == snapshot.snapshot.metadata {
                log.debug("n\(peerID): \(current.description) is already on its way")
                return
            }
            log.info("n\(peerID): the unfinished \(current.description) gives way to the one at index \(snapshot.snapshot.metadata.index)")
        }
        outgoing = OutgoingSnapshot(message: snapshot, chunkDataBytes: chunkDataBytes)
        log.info(
            "n\(peerID): sending the snapshot at index \(snapshot.snapshot.metadata.index) (\(snapshot.snapshot.data.count) bytes) in chunks of up to \(chunkDataBytes) bytes"
        )
        pump()
    }

    /// The next chunk of the outgoing snapshot as a frame, or nil when there is none.
    private func nextChunkFrame() -> ByteBuffer? {
        guard var current = outgoing else { return nil }
        let data = current.message.snapshot.data
        let end = min(current.offset + current.chunkDataBytes, data.count)
        let chunk = SnapshotChunk(
            from: current.message.from, to: current.message.to, term: current.message.term,
            metadata: current.message.snapshot.metadata, totalBytes: UInt64(data.count),
            offset: UInt64(current.offset), data: Array(data[current.offset..<end]))
        var frame = ByteBufferAllocator().buffer(capacity: PeerWire.headerSizeBytes + PeerWire.chunkOverheadBytes(chunk.metadata) + chunk.data.count)
        do {
            try PeerWire.writeChunkFrame(chunk, into: &frame, maxPayloadBytes: options.maxPayloadBytes)
        } catch {
            log.warn("n\(peerID): not sending the \(current.description): \(error)")
            outgoing = nil
            return nil
        }
        current.offset = end
        if end == data.count {
            if let channel { handedOver = (current.message.term, current.message.snapshot.metadata, ObjectIdentifier(channel), .now()) }
            log.debug("n\(peerID): the last chunk of the snapshot at index \(current.message.snapshot.metadata.index) is on its way")
            outgoing = nil
        } else {
            outgoing = current
        }
        return frame
    }

    /// While the connection is unwritable, a timer runs; writability coming back cancels it (`pump`).
    /// If it fires, nothing drained for `writeStallTimeout`: the connection is closed and redialled.
    private func watchForStall(_ channel: any Channel) {
        guard !channel.isWritable, stallCheck == nil else { return }
        stallCheck = eventLoop.scheduleTask(in: options.writeStallTimeout) {
            self.stallCheck = nil
            guard let current = self.channel, current === channel, !channel.isWritable else { return }
            self.log.warn(
                "n\(self.peerID): nothing drained towards \(self.address.hostPort) for \(self.options.writeStallTimeout.milliseconds) ms; reconnecting"
            )
            channel.close(promise: nil)
        }
    }

    private func cancelStallCheck() {
        stallCheck?.cancel()
        stallCheck = nil
    }

    /// Points the link at a new address: the current connection is dropped and redialled there.
    func update(address newAddress: SocketAddress) {
        eventLoop.assertInEventLoop()
        guard newAddress != address else { return }
        log.info("n\(peerID): peer address changes from \(address.hostPort) to \(newAddress.hostPort)")
        address = newAddress
        backoff = options.initialBackoff
        redial?.cancel()
        redial = nil
        channel?.close(promise: nil)
    }

    /// Stops for good: the queue is discarded, the connection closed, no redial.
    func close() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit {
            self.isClosed = true
            self.redial?.cancel()
            self.redial = nil
            self.cancelStallCheck()
            _ = self.queue.removeAll()
            self.outgoing = nil
            guard let channel = self.channel else { return self.eventLoop.makeSucceededVoidFuture() }
            self.channel = nil
            return channel.close().flatMapError { _ in self.eventLoop.makeSucceededVoidFuture() }
        }
    }

    private func connect() {
        isConnecting = true
        let target = address
        log.debug("n\(peerID): dialling \(target.hostPort)")
        ClientBootstrap(group: eventLoop)
            .connectTimeout(options.connectTimeout)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(PeerLinkHandler(link: self))
                }
            }
            .connect(to: target)
            .hop(to: eventLoop)
            .whenComplete { result in self.connected(result, target: target) }
    }

    private func connected(_ result: Result<any Channel, any Error>, target: SocketAddress) {
        isConnecting = false
        switch result {
        case .success(let newChannel):
            guard !isClosed, target == address else {
                newChannel.close(promise: nil)
                if !isClosed { pump() }
                return
            }
            channel = newChannel
            backoff = options.initialBackoff
            isReportedUnreachable = false
            counters.add(.connects, 1)
            log.info("n\(peerID): connected to \(target.hostPort)")
            pump()
        case .failure(let error):
            guard !isClosed else { return }
            if isReportedUnreachable {
                log.debug("n\(peerID): cannot reach \(target.hostPort): \(error); retrying in \(backoff.milliseconds) ms")
            } else {
                isReportedUnreachable = true
                log.info("n\(peerID): cannot reach \(target.hostPort): \(error); retrying with backoff up to \(options.maxBackoff.milliseconds) ms")
            }
            scheduleRedial()
        }
    }

    private func scheduleRedial() {
        let wait = backoff
        backoff = min(backoff * 2, options.maxBackoff)
        redial = eventLoop.scheduleTask(in: wait) {
            self.redial = nil
            self.pump()
        }
    }

    /// The outbound connection ended (peer restart, network error, or our own close).
    func disconnected(_ lost: any Channel) {
        eventLoop.assertInEventLoop()
        guard let channel, channel === lost else { return }
        self.channel = nil
        cancelStallCheck()
        guard !isClosed else { return }
        handedOver = nil
        // Chunks handed to the lost connection are lost with it; the receiver drops its partial
        // copy when a chunk at offset 0 arrives on the new connection, so the snapshot starts over.
        if let current = outgoing {
            log.info("n\(peerID): the \(current.description) starts over on the next connection")
            outgoing?.offset = 0
        }
        log.info("n\(peerID): connection to \(address.hostPort) lost; redialling")
        scheduleRedial()
    }
}

/// Watches an outbound peer connection for the link: writability, closure. Inbound bytes on an
/// outbound connection have no meaning (peers answer on their own connection) and are discarded.
final class PeerLinkHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let link: PeerLink

    init(link: PeerLink) { self.link = link }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        link.pump()
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        link.disconnected(context.channel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

extension TimeAmount {
    /// Whole milliseconds, for log lines.
    var milliseconds: Int64 { nanoseconds / 1_000_000 }
}
