import NIOCore
import NIOPosix
import RaftCore
import Synchronization
import Testing
@testable import RaftServer

/// Messages a transport delivered, in order.
final class Inbox: Sendable {
    private let messages = Mutex<[Message]>([])
    var onMessage: PeerTransport.OnMessage { { [self] message in messages.withLock { $0.append(message) } } }
    var all: [Message] { messages.withLock { $0 } }
    var count: Int { messages.withLock { $0.count } }
}

/// `PeerTransport` on loopback: two nodes exchanging messages, garbage on a peer port, a peer restart.
@Suite("Peer transport")
struct PeerTransportTests {
    static let fastRedial = PeerTransportOptions(
        initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(200),
        connectTimeout: .milliseconds(500))

    func loopback(port: Int = 0) throws -> SocketAddress { try SocketAddress(ipAddress: "127.0.0.1", port: port) }

    func messages(from: NodeID, to: NodeID, count: Int, seed: UInt64) -> [Message] {
        var generator = MessageGenerator(seed: seed)
        return (0..<count).map { _ in Self.readdress(generator.message(), from: from, to: to) }
    }

    /// `message` with its sender and receiver replaced (every kind, exhaustively).
    static func readdress(_ message: Message, from: NodeID, to: NodeID) -> Message {
        switch message {
        case .append(var m): m.from = from; m.to = to; return .append(m)
        case .appendResponse(var m): m.from = from; m.to = to; return .appendResponse(m)
        case .vote(var m): m.from = from; m.to = to; return .vote(m)
        case .voteResponse(var m): m.from = from; m.to = to; return .voteResponse(m)
        case .heartbeat(var m): m.from = from; m.to = to; return .heartbeat(m)
        case .heartbeatResponse(var m): m.from = from; m.to = to; return .heartbeatResponse(m)
        case .timeoutNow(var m): m.from = from; m.to = to; return .timeoutNow(m)
        case .installSnapshot(var m): m.from = from; m.to = to; return .installSnapshot(m)
        case .readIndex(var m): m.from = from; m.to = to; return .readIndex(m)
        case .readIndexResponse(var m): m.from = from; m.to = to; return .readIndexResponse(m)
        }
    }

    @Test("a full send queue drops its oldest frames, by count and by bytes")
    func queueDropsOldest() {
        var queue = FrameQueue(capacityFrames: 3, capacityBytes: 100)
        let frames = (0..<5).map { ByteBuffer(bytes: [UInt8](repeating: UInt8($0), count: 10)) }
        #expect(frames.map { queue.append($0) } == [0, 0, 0, 1, 1])
        #expect(queue.frames.map { $0.readableBytesView.first } == [2, 3, 4])
        #expect(queue.append(ByteBuffer(bytes: [UInt8](repeating: 9, count: 85))) == 2, "85 + 10 fits, 85 + 20 does not")
        #expect(queue.frames.map { $0.readableBytesView.first } == [4, 9])
        #expect(queue.queuedBytes == 95)
        #expect(queue.append(ByteBuffer(bytes: [UInt8](repeating: 8, count: 500))) == 2, "a lone large frame stays")
        #expect(queue.count == 1 && queue.queuedBytes == 500)
        #expect(queue.popFirst()?.readableBytes == 500 && queue.isEmpty && queue.queuedBytes == 0)
    }

    @Test("two nodes exchange messages; garbage on a peer port and a peer restart leave them talking")
    func loopbackExchange() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let logs = LogCapture()
        let (inbox1, inbox2) = (Inbox(), Inbox())
        let node1 = PeerTransport(
            selfID: 1, listenAddress: try loopback(), peers: [:], group: group,
            log: logs.log(prefix: "n1"), options: Self.fastRedial, onMessage: inbox1.onMessage)
        var node2 = PeerTransport(
            selfID: 2, listenAddress: try loopback(), peers: [:], group: group,
            log: logs.log(prefix: "n2"), options: Self.fastRedial, onMessage: inbox2.onMessage)
        try await node1.start()
        try await node2.start()
        let (port1, port2) = (try #require(node1.localPort), try #require(node2.localPort))
        node1.setPeers([1: try loopback(port: port1), 2: try loopback(port: port2)])
        node2.setPeers([1: try loopback(port: port1), 2: try loopback(port: port2)])

        // Both directions, every kind, in order.
        let toTwo = messages(from: 1, to: 2, count: 300, seed: 21)
        let toOne = messages(from: 2, to: 1, count: 300, seed: 12)
        node1.send(toTwo)
        node2.send(toOne)
        #expect(await eventually { inbox2.count == 300 && inbox1.count == 300 })
        #expect(inbox2.all == toTwo)
        #expect(inbox1.all == toOne)

        // Garbage from a raw socket on node 2's peer port: that connection is closed and logged.
        let intruder = try TestSocket(port: port2)
        intruder.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(intruder.readsEndOfStream())
        var damaged = try PeerWire.encode(toTwo[0])
        damaged[damaged.count - 1] ^= 1
        let corrupter = try TestSocket(port: port2)
        corrupter.write(damaged)
        #expect(corrupter.readsEndOfStream())
        #expect(node2.statistics.malformedConnections == 2)
        #expect(logs.contains("n2 warn closing peer connection from"))
        #expect(logs.contains("bad magic 0x4547"))
        #expect(logs.contains("bad payload checksum"))
        let afterGarbage = messages(from: 1, to: 2, count: 5, seed: 3)
        node1.send(afterGarbage)
        #expect(await eventually { inbox2.count == 305 })
        #expect(Array(inbox2.all.suffix(5)) == afterGarbage)

        // Node 2 restarts on the same port; node 1 redials and its messages arrive again.
        await node2.shutdown()
        node1.send(messages(from: 1, to: 2, count: 3, seed: 4))  // into a dying connection or a failed dial
        let inbox2b = Inbox()
        node2 = PeerTransport(
            selfID: 2, listenAddress: try loopback(port: port2), peers: [1: try loopback(port: port1)],
            group: group, log: logs.log(prefix: "n2b"), options: Self.fastRedial, onMessage: inbox2b.onMessage)
        try await node2.start()
        let probe = Message.heartbeat(Heartbeat(from: 1, to: 2, term: 9, commit: 1))
        let restarted = await eventually {
            node1.send([probe])
            return inbox2b.all.contains(probe)
        }
        #expect(restarted)
        #expect(node1.statistics.connects >= 2)
        #expect(logs.contains("n1 info n2: connection to 127.0.0.1"))
        node2.send([Self.readdress(probe, from: 2, to: 1)])
        #expect(await eventually { inbox1.count == 301 })

        await node1.shutdown()
        await node2.shutdown()
        try await group.shutdownGracefully()
    }

    @Test("an inbound peer connection above the limit is closed and logged; the ones within keep delivering")
    func inboundConnectionLimit() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let logs = LogCapture()
        let inbox = Inbox()
        var options = Self.fastRedial
        options.maxInboundConnections = 1
        let node = PeerTransport(
            selfID: 2, listenAddress: try loopback(), peers: [:], group: group,
            log: logs.log(), options: options, onMessage: inbox.onMessage)
        try await node.start()
        let port = try #require(node.localPort)
        let heartbeat = Message.heartbeat(Heartbeat(from: 1, to: 2, term: 3, commit: 0))
        var frame = ByteBuffer()
        try PeerWire.writeFrame(heartbeat, into: &frame, maxPayloadBytes: PeerWire.defaultMaxPayloadBytes)
        let bytes = Array(frame.readableBytesView)
        let first = try TestSocket(port: port)
        first.write(bytes)
        #expect(await eventually { inbox.count == 1 })
        let second = try TestSocket(port: port)
        #expect(second.readsEndOfStream())
        #expect(node.statistics.refusedConnections == 1)
        #expect(logs.contains("warn refusing a peer connection from 127.0.0.1:"))
        first.write(bytes)
        #expect(await eventually { inbox.count == 2 })
        #expect(inbox.all == [heartbeat, heartbeat])
        await node.shutdown()
        try await group.shutdownGracefully()
    }

    @Test("messages to itself, to unknown or removed peers, or over the size limit are dropped, not sent")
    func drops() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let logs = LogCapture()
        let inbox = Inbox()
        var options = Self.fastRedial
        options.maxPayloadBytes = 100
        let node = PeerTransport(
            selfID: 1, listenAddress: try loopback(), peers: [:], group: group,
            log: logs.log(), options: options, onMessage: inbox.onMessage)
        try await node.start()
        let port = try #require(node.localPort)
        // Node 1 lists itself as peer 3 too: a loopback path whose messages it receives itself.
        node.setPeers([1: try loopback(port: port), 3: try loopback(port: port)])
        let small = Message.timeoutNow(TimeoutNow(from: 1, to: 3, term: 1))
        let large = Message.append(
            Append(
                from: 1, to: 3, term: 1, prevLogIndex: 0, prevLogTerm: 0,
                entries: [Entry(term: 1, index: 1, data: [UInt8](repeating: 0, count: 200))],
                leaderCommit: 0))
        node.send([Self.readdress(small, from: 1, to: 1), Self.readdress(small, from: 1, to: 9), large, small])
        #expect(await eventually { inbox.count == 1 })
        #expect(inbox.all == [small])
        #expect(node.statistics.framesDropped == 3)
        #expect(logs.contains("warn not sending App to n3: frame of 274 bytes exceeds the limit of 100 bytes"))
        node.setPeers([:])
        node.send([small])
        #expect(node.statistics.framesDropped == 4)
        await node.shutdown()
        try await group.shutdownGracefully()
    }

    @Test("an unreachable peer is redialled with growing waits, and its queue stays bounded")
    func backoffAndBoundedQueue() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let logs = LogCapture()
        // A port nobody listens on: bind one, note it, close it.
        let probe = PeerTransport(
            selfID: 9, listenAddress: try loopback(), peers: [:], group: group,
            log: ServerLog(prefix: "x", level: .error), onMessage: { _ in })
        try await probe.start()
        let deadPort = try #require(probe.localPort)
        await probe.shutdown()
        var options = Self.fastRedial
        options.queueCapacityFrames = 10
        let node = PeerTransport(
            selfID: 1, listenAddress: try loopback(), peers: [2: try loopback(port: deadPort)],
            group: group, log: logs.log(), options: options, onMessage: { _ in })
        try await node.start()
        node.send(messages(from: 1, to: 2, count: 25, seed: 5))
        #expect(await eventually { node.statistics.framesDropped == 15 })
        #expect(await eventually { logs.all.filter { $0.contains("retrying") }.count >= 5 })
        let waits = logs.all.compactMap { line -> Int? in
            guard let range = line.range(of: "retrying in ") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        #expect(waits.prefix(4) == [20, 40, 80, 160], "doubling from 10 ms (the first failure is logged at info)")
        #expect(logs.contains("info n2: cannot reach 127.0.0.1"))
        #expect(node.statistics.framesSent == 0)
        await node.shutdown()
        try await group.shutdownGracefully()
    }
}

extension PeerTransportTests {
    @Test("a peer that accepts but never reads is dropped after the write-stall timeout and redialled")
    func writeStall() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let logs = LogCapture()
        // A listener whose connections are never read: the sender's buffers fill and stay full.
        let accepted = ManagedAtomicCounter()
        let sink = try await ServerBootstrap(group: group)
            .childChannelOption(ChannelOptions.autoRead, value: false)
            .childChannelInitializer { channel in
                accepted.increment()
                return channel.eventLoop.makeSucceededVoidFuture()
            }
            .bind(to: try loopback()).get()
        var options = Self.fastRedial
        options.writeStallTimeout = .milliseconds(300)
        let node = PeerTransport(
            selfID: 1, listenAddress: try loopback(), peers: [2: try #require(sink.localAddress)],
            group: group, log: logs.log(), options: options, onMessage: { _ in })
        try await node.start()
        // 64 frames of 1 MiB: far more than the loopback socket buffers hold. (Appends, not
        // snapshots: a snapshot this large goes in chunks, and the same one again is not resent.)
        let big = Message.append(
            Append(
                from: 1, to: 2, term: 1, prevLogIndex: 0, prevLogTerm: 0,
                entries: [Entry(term: 1, index: 1, kind: .normal, data: [UInt8](repeating: 0xAB, count: 1 << 20))],
                leaderCommit: 0))
        node.send([Message](repeating: big, count: 64))
        #expect(await eventually { logs.contains("nothing drained towards 127.0.0.1") })
        #expect(await eventually { accepted.value >= 2 }, "redialled after dropping the stalled connection")
        await node.shutdown()
        try await sink.close()
        try await group.shutdownGracefully()
    }
}

/// A counter for closures that run on event-loop threads.
final class ManagedAtomicCounter: Sendable {
    private let count = Mutex(0)
    func increment() { add(1) }
    func add(_ amount: Int) { count.withLock { $0 += amount } }
    var value: Int { count.withLock { $0 } }
}

extension PeerTransportTests {
    @Test("setPeers moves a peer to a new address: later messages go there")
    func peerMoves() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let logs = LogCapture()
        let (old, new) = (Inbox(), Inbox())
        let oldHome = PeerTransport(
            selfID: 2, listenAddress: try loopback(), peers: [:], group: group,
            log: logs.log(prefix: "old"), onMessage: old.onMessage)
        let newHome = PeerTransport(
            selfID: 2, listenAddress: try loopback(), peers: [:], group: group,
            log: logs.log(prefix: "new"), onMessage: new.onMessage)
        try await oldHome.start()
        try await newHome.start()
        let sender = PeerTransport(
            selfID: 1, listenAddress: try loopback(), peers: [2: try #require(oldHome.localAddress)],
            group: group, log: logs.log(prefix: "n1"), options: Self.fastRedial, onMessage: { _ in })
        try await sender.start()
        let first = Message.timeoutNow(TimeoutNow(from: 1, to: 2, term: 1))
        sender.send([first])
        #expect(await eventually { old.all == [first] })
        sender.setPeers([2: try #require(newHome.localAddress)])
        let second = Message.timeoutNow(TimeoutNow(from: 1, to: 2, term: 2))
        #expect(
            await eventually {
                sender.send([second])
                return new.all.contains(second)
            })
        #expect(!old.all.contains(second))
        #expect(logs.contains("n1 info n2: peer address changes from 127.0.0.1:"))
        for transport in [sender, oldHome, newHome] { await transport.shutdown() }
        try await group.shutdownGracefully()
    }
}

extension PeerTransportTests {
    @Test("send from many threads at once: everything arrives, each thread's messages in order")
    func concurrentSenders() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let inbox = Inbox()
        let receiver = PeerTransport(
            selfID: 2, listenAddress: try loopback(), peers: [:], group: group,
            log: ServerLog(prefix: "n2", level: .error), onMessage: inbox.onMessage)
        try await receiver.start()
        let sender = PeerTransport(
            selfID: 1, listenAddress: try loopback(), peers: [2: try #require(receiver.localAddress)],
            group: group, log: ServerLog(prefix: "n1", level: .error), onMessage: { _ in })
        // Thread t sends heartbeats whose term is t and whose commit counts up.
        await withTaskGroup(of: Void.self) { tasks in
            for thread in 1...4 {
                tasks.addTask {
                    for commit in 0..<250 {
                        sender.send([.heartbeat(Heartbeat(from: 1, to: 2, term: UInt64(thread), commit: UInt64(commit)))])
                    }
                }
            }
        }
        #expect(await eventually { inbox.count == 1000 })
        for thread in 1...4 {
            let commits = inbox.all.compactMap { message -> UInt64? in
                guard case .heartbeat(let h) = message, h.term == UInt64(thread) else { return nil }
                return h.commit
            }
            #expect(commits == (0..<250).map { UInt64($0) }, "thread \(thread)")
        }
        await sender.shutdown()
        await receiver.shutdown()
        try await group.shutdownGracefully()
    }
}

extension PeerTransportTests {
    @Test("a slow reader that keeps draining is not mistaken for a stalled one")
    func slowReaderIsNotStalled() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let logs = LogCapture()
        let accepted = ManagedAtomicCounter()
        let receivedBytes = ManagedAtomicCounter()
        // A listener that reads 32 KiB every 10 ms (about 3 MB/s) through a small receive buffer:
        // always making progress, never fast.
        let sink = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_rcvbuf), value: 64 << 10)
            .childChannelOption(ChannelOptions.autoRead, value: false)
            .childChannelOption(ChannelOptions.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 32 << 10))
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 1)
            .childChannelInitializer { channel in
                accepted.increment()
                channel.eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(10)) { task in
                    guard channel.isActive else { return task.cancel() }
                    channel.read()
                }
                return channel.pipeline.addHandler(ByteCounter(counter: receivedBytes))
            }
            .bind(to: try loopback()).get()
        // Each 1 MiB frame drains in about 330 ms, the 16 MiB in about 5 s (less what the sender's
        // kernel buffer absorbs): well over the stall timeout in all, well under it per frame.
        var options = Self.fastRedial
        options.writeStallTimeout = .milliseconds(1500)
        let node = PeerTransport(
            selfID: 1, listenAddress: try loopback(), peers: [2: try #require(sink.localAddress)],
            group: group, log: logs.log(), options: options, onMessage: { _ in })
        // Appends, not snapshots: a snapshot this large goes in chunks, and the same one again is not resent.
        let chunk = Message.append(
            Append(
                from: 1, to: 2, term: 1, prevLogIndex: 0, prevLogTerm: 0,
                entries: [Entry(term: 1, index: 1, kind: .normal, data: [UInt8](repeating: 0xAB, count: 1 << 20))],
                leaderCommit: 0))
        let frameBytes = try PeerWire.encode(chunk).count
        node.send([Message](repeating: chunk, count: 16))
        #expect(await eventually(seconds: 60) { receivedBytes.value >= 16 * frameBytes })
        #expect(!logs.contains("nothing drained"), "the connection drained all along")
        #expect(accepted.value == 1)
        await node.shutdown()
        try await sink.close()
        try await group.shutdownGracefully()
    }
}

/// Counts the bytes a channel reads.
final class ByteCounter: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let counter: ManagedAtomicCounter
    init(counter: ManagedAtomicCounter) { self.counter = counter }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        counter.add(unwrapInboundIn(data).readableBytes)
    }
}
