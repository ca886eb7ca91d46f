import NIOCore
import Synchronization

/// The way to answer one client request, from any thread, at any time, exactly once.
///
/// Answers to pipelined requests may be given in any order; the connection writes them in request
/// order. A second answer to the same request is ignored (and logged), never sent.
public final class ClientReply: Sendable {
    /// Which connection asked (unique per server, for logs and per-client state).
    public let connectionID: UInt64
    private let sequence: UInt64
    private let eventLoop: any EventLoop
    private let connection: LoopOwned
    private let answered = Atomic<Bool>(false)

    /// Made on `eventLoop`, the connection's.
    init(connectionID: UInt64, sequence: UInt64, connection: RESPConnectionHandler, eventLoop: any EventLoop) {
        self.connectionID = connectionID
        self.sequence = sequence
        self.connection = LoopOwned(handler: connection)
        self.eventLoop = eventLoop
    }

    /// Sends `value` as the answer; with `thenClose`, the connection closes once it is written.
    public func send(_ value: RESPValue, thenClose: Bool = false) {
        let (connection, sequence) = (self.connection, self.sequence)
        guard !answered.exchange(true, ordering: .acquiringAndReleasing) else {
            eventLoop.execute { connection.handler.answeredTwice(sequence) }
            return
        }
        // One check of the thread per answer: the handler is reached only on its loop, here or in
        // the task (NIO's `NIOLoopBound` would check again at each use).
        if eventLoop.inEventLoop {
            connection.handler.deliver(sequence, value, thenClose: thenClose)
        } else {
            eventLoop.execute { connection.handler.deliver(sequence, value, thenClose: thenClose) }
        }
    }

    /// The connection handler, carried across threads but used only on its event loop (`send`
    /// checks the thread, or runs a task on the loop, before every use).
    private struct LoopOwned: @unchecked Sendable {
        let handler: RESPConnectionHandler
    }
}

/// One client connection: decodes its requests, hands each command to the server's handler and
/// writes the answers in request order. QUIT is answered here; a protocol error is answered, in
/// turn, and closes.
///
/// It decodes the bytes NIO read itself (`RESPCommandDecoder.next`), not behind a
/// `ByteToMessageHandler`: no command is wrapped, cast and passed along the pipeline, and NIO's
/// receive buffer is let go at once (only the tail of a request split across reads is copied), so
/// NIO reuses it for the next read. Answers are encoded into one buffer per connection, handed to
/// NIO at each flush and reused once written.
final class RESPConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    typealias Handler = RESPServer.Handler

    private let connectionID: UInt64
    private let handler: Handler
    private let log: ServerLog
    private let maxPendingReplies: Int
    private var decoder: RESPCommandDecoder
    /// The start of a request whose end has not arrived yet (a copy: NIO's buffer is not kept).
    private var partial: ByteBuffer?
    /// Answers encoded since the last flush, in request order.
    private var output: ByteBuffer
    private var context: ChannelHandlerContext?
    private var remote = "?"
    /// The next request's number; replies are written in this order.
    private var nextSequence: UInt64 = 0
    /// The number of the next reply to write.
    private var nextToWrite: UInt64 = 0
    /// Answers that arrived before an earlier request's answer.
    private var waiting: [UInt64: (value: RESPValue, close: Bool)] = [:]
    /// Set after QUIT or a protocol error: later requests on this connection are not served.
    private var isClosing = false
    private var isReadingPaused = false
    /// Inside a burst of reads: answers given meanwhile are written and flushed once at its end,
    /// so a pipelined batch costs one system call, not one per answer.
    private var isInReadBurst = false
    private var needsFlush = false
    /// Answers given outside a read burst (by the node's flush, which answers many requests at
    /// once) are flushed by a task queued behind it: one system call for all of them.
    private var isFlushQueued = false

    /// The connections on this loop waiting for a flush (one task flushes them all).
    private let flushes: LoopFlushes

    init(
        connectionID: UInt64, handler: @escaping Handler, log: ServerLog, maxPendingReplies: Int, flushes: LoopFlushes,
        limits: RESPLimits = RESPLimits()
    ) {
        self.flushes = flushes
        self.decoder = RESPCommandDecoder(limits: limits)
        self.output = ByteBufferAllocator().buffer(capacity: 256)
        self.connectionID = connectionID
        self.handler = handler
        self.log = log
        self.maxPendingReplies = maxPendingReplies
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        remote = context.channel.remoteAddress?.hostPort ?? "?"
    }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelActive(context: ChannelHandlerContext) {
        log.debug("client \(connectionID) connected from \(remote)")
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        log.debug("client \(connectionID) disconnected (\(nextSequence - nextToWrite) answers unsent)")
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        isInReadBurst = true
        guard !isClosing else { return }
        var buffer = unwrapInboundIn(data)
        let isOwn = partial != nil
        if var held = partial {
            // `partial` lets go first, so the bytes are appended in place.
            partial = nil
            held.writeBuffer(&buffer)
            buffer = held
        }
        do {
            while !isClosing, let command = try decoder.next(&buffer) { serve(command, context: context) }
        } catch {
            errorCaught(context: context, error: error)
            return
        }
        guard !isClosing, buffer.readableBytes > 0 else { return }
        if isOwn {
            // Already this connection's buffer: keep it (a large request grows it in place).
            if buffer.readerIndex > buffer.readableBytes { buffer.discardReadBytes() }
            partial = buffer
        } else {
            var held = context.channel.allocator.buffer(capacity: max(buffer.readableBytes, 64))
            held.writeBuffer(&buffer)
            partial = held
        }
    }

    /// Serves one decoded command in its turn.
    private func serve(_ command: consuming RESPCommand, context: ChannelHandlerContext) {
        let sequence = nextSequence
        nextSequence += 1
        if command.isNamed("QUIT") {
            isClosing = true
            deliver(sequence, .ok, thenClose: true)
            return
        }
        pauseReadingIfBehind(context)
        handler(command, ClientReply(connectionID: connectionID, sequence: sequence, connection: self, eventLoop: context.eventLoop))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        isInReadBurst = false
        if needsFlush {
            needsFlush = false
            flushOutput(context)
        }
        // Not passed on: this handler is the pipeline's last (the tail ignores it), and each pass costs retains.
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard !isClosing else { return }
        isClosing = true
        if let protocolError = error as? RESPProtocolError {
            log.info("client \(connectionID) from \(remote): \(protocolError); closing")
            let sequence = nextSequence
            nextSequence += 1
            deliver(sequence, protocolError.reply, thenClose: true)
        } else {
            log.debug("client \(connectionID) from \(remote): \(error); closing")
            context.close(promise: nil)
        }
    }

    /// Records an answer and encodes every answer that is now next in order; they leave at the
    /// next flush (the end of the read burst, or the loop's flush task).
    func deliver(_ sequence: UInt64, _ value: RESPValue, thenClose: Bool) {
        guard let context else { return }  // the connection is gone; nobody to answer
        precondition(sequence >= nextToWrite && sequence < nextSequence, "an answer to a request never made")
        guard sequence == nextToWrite else {
            waiting[sequence] = (value, thenClose)
            return
        }
        // In order (the usual case): no detour through `waiting`.
        value.write(into: &output)
        nextToWrite += 1
        var close = thenClose
        while !close, !waiting.isEmpty, let next = waiting.removeValue(forKey: nextToWrite) {
            next.value.write(into: &output)
            nextToWrite += 1
            close = next.close
        }
        if close {
            isClosing = true
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(output)).whenComplete { _ in channel.close(promise: nil) }
            output = context.channel.allocator.buffer(capacity: 0)
        } else {
            if isInReadBurst {
                needsFlush = true
            } else {
                queueFlush(context)
            }
            resumeReadingIfCaughtUp(context)
        }
    }

    /// Hands the encoded answers to NIO and flushes them. Once NIO wrote them it lets go of the
    /// buffer, and `clear` reuses it (while NIO still holds it, `clear` starts a new one).
    private func flushOutput(_ context: ChannelHandlerContext) {
        guard output.readableBytes > 0 else { return }
        // One trip down the pipeline, not one for the write and another for the flush.
        context.writeAndFlush(wrapOutboundOut(output), promise: nil)
        if output.capacity > Self.maxKeptOutputBytes {
            output = context.channel.allocator.buffer(capacity: 256)
        } else {
            output.clear()
        }
    }

    /// An output buffer above this size (a large answer) is not kept for the next answers.
    private static let maxKeptOutputBytes = 64 << 10

    private func queueFlush(_ context: ChannelHandlerContext) {
        guard !isFlushQueued else { return }
        isFlushQueued = true
        flushes.add(self)
    }

    /// Flushes what `deliver` encoded (called by the loop's `LoopFlushes`).
    func flushQueued() {
        isFlushQueued = false
        guard let context else { return }
        flushOutput(context)
    }

    func answeredTwice(_ sequence: UInt64) {
        log.error("client \(connectionID): request \(sequence) was answered twice; the second answer is dropped")
    }

    // Back-pressure: a client that pipelines faster than answers come is not read from until the
    // backlog halves, so unanswered requests stay bounded.
    private func pauseReadingIfBehind(_ context: ChannelHandlerContext) {
        guard !isReadingPaused, nextSequence - nextToWrite >= UInt64(maxPendingReplies) else { return }
        isReadingPaused = true
        context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
    }

    private func resumeReadingIfCaughtUp(_ context: ChannelHandlerContext) {
        guard isReadingPaused, nextSequence - nextToWrite <= UInt64(maxPendingReplies / 2) else { return }
        isReadingPaused = false
        context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
        context.read()
    }
}

/// The client connections of one event loop that have answers written but not flushed. The node
/// answers many clients in one go (a flush of its Ready loop); one task queued behind it flushes
/// them all, instead of a task per connection.
/// `@unchecked Sendable`: its fields are touched only on `loop`.
final class LoopFlushes: @unchecked Sendable {
    private let loop: any EventLoop
    private var waiting: [RESPConnectionHandler] = []
    /// The list being flushed, kept between flushes with its capacity: swapped with `waiting`,
    /// neither array is allocated again as the connections of each flush are appended.
    private var flushing: [RESPConnectionHandler] = []
    private var isScheduled = false

    init(loop: any EventLoop) { self.loop = loop }

    /// Queues `connection` for the next flush task (on the loop).
    func add(_ connection: RESPConnectionHandler) {
        loop.assertInEventLoop()
        waiting.append(connection)
        guard !isScheduled else { return }
        isScheduled = true
        loop.execute { [self] in flushAll() }
    }

    private func flushAll() {
        isScheduled = false
        assert(flushing.isEmpty, "flushes do not nest")
        swap(&flushing, &waiting)
        // A connection flushed here may queue itself again: it goes to `waiting`, for the next task.
        for connection in flushing { connection.flushQueued() }
        flushing.removeAll(keepingCapacity: true)
    }
}
