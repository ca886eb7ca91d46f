import NIOCore
import NIOEmbedded
import NIOPosix
import RaftCore
import RaftStorage
import Testing
@testable import RaftServer

/// Snapshots sent in chunks (docs/wire-format.md §3.1): the chunk frame, and the receiver putting
/// them back together on an `EmbeddedChannel` — whole only when complete, and every broken
/// sequence dropped with a log line, never a crash.
@Suite("Snapshot chunks")
struct SnapshotChunkTests {
    static let seed: UInt64 = 0x5EED_C4C5

    /// A snapshot message of `size` seeded bytes from node 1 to node 2.
    static func snapshot(size: Int, index: UInt64 = 40, term: UInt64 = 3, seed: UInt64 = seed) -> InstallSnapshot {
        var state = seed
        let data = (0..<size).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        let metadata = SnapshotMetadata(index: index, term: term, configuration: Configuration(voters: [1, 2, 3], learners: [4]))
        return InstallSnapshot(from: 1, to: 2, term: term, snapshot: Snapshot(metadata: metadata, data: data))
    }

    static func chunks(_ install: InstallSnapshot, size: Int) -> [SnapshotChunk] {
        Array(PeerWire.chunks(of: install, chunkDataBytes: size))
    }

    static func frame(_ chunk: SnapshotChunk) throws -> [UInt8] {
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        try PeerWire.writeChunkFrame(chunk, into: &buffer)
        return Array(buffer.readableBytesView)
    }

    static func frames(_ chunks: [SnapshotChunk]) throws -> [UInt8] { try chunks.flatMap(frame) }

    /// A decoder on an embedded channel, with its own assembly and log.
    func channel(assembly: SnapshotAssembly) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(PeerFrameDecoder(assembly: assembly)))
        return channel
    }

    func received(_ channel: EmbeddedChannel) throws -> [Message] {
        var messages: [Message] = []
        while let message = try channel.readInbound(as: Message.self) { messages.append(message) }
        return messages
    }

    @Test("a chunk frame round-trips, keeps kind 11, and is not mistaken for a whole message")
    func chunkFrame() throws {
        let chunk = Self.chunks(Self.snapshot(size: 100), size: 30)[2]
        let bytes = try Self.frame(chunk)
        #expect(bytes[PeerWire.headerSizeBytes] == PeerWire.snapshotChunkKind)
        #expect(bytes.count == PeerWire.headerSizeBytes + PeerWire.chunkOverheadBytes(chunk.metadata) + 30)
        #expect(try PeerWire.decodeFrame(bytes) == .snapshotChunk(chunk))
        #expect(throws: PeerWireError.badField("a snapshot chunk where a whole message was expected")) { try PeerWire.decode(bytes) }
        for bit in 0..<(bytes.count * 8) {
            var damaged = bytes
            damaged[bit / 8] ^= 1 << UInt8(bit % 8)
            #expect(throws: PeerWireError.self, "bit \(bit)") { try PeerWire.decodeFrame(damaged) }
        }
        for length in 0..<bytes.count {
            #expect(throws: PeerWireError.self, "length \(length)") { try PeerWire.decodeFrame(Array(bytes[..<length])) }
        }
    }

    @Test("chunks of every size make the same message, delivered only with the last chunk")
    func everyChunkSize() throws {
        let install = Self.snapshot(size: 300)
        for size in [1, 2, 7, 64, 150, 299, 300, 1000] {
            let assembly = SnapshotAssembly()
            let channel = try channel(assembly: assembly)
            let chunks = Self.chunks(install, size: size)
            #expect(chunks.count == (300 + size - 1) / size)
            for chunk in chunks.dropLast() {
                try channel.writeInbound(ByteBuffer(bytes: try Self.frame(chunk)))
                #expect(try received(channel).isEmpty, "nothing before the last chunk (size \(size))")
            }
            try channel.writeInbound(ByteBuffer(bytes: try Self.frame(chunks.last!)))
            #expect(try received(channel) == [.installSnapshot(install)], "chunks of \(size)")
            #expect(assembly.statistics == SnapshotAssembly.Statistics(assembled: 1, dropped: 0, partialBytes: 0))
            #expect(try channel.finish().isClean)
        }
    }

    @Test("a chunk stream split at every byte, with messages between chunks, comes out whole and in order")
    func splitAtEveryByte() throws {
        let install = Self.snapshot(size: 600)
        let chunks = Self.chunks(install, size: 250)
        let heartbeat = Message.heartbeat(Heartbeat(from: 1, to: 2, term: 3, commit: 9))
        let between = try PeerWire.encode(heartbeat)
        let bytes = try Self.frame(chunks[0]) + between + Self.frame(chunks[1]) + between + Self.frame(chunks[2])
        for split in 1..<bytes.count {
            let channel = try channel(assembly: SnapshotAssembly())
            try channel.writeInbound(ByteBuffer(bytes: bytes[..<split]))
            try channel.writeInbound(ByteBuffer(bytes: bytes[split...]))
            #expect(try received(channel) == [heartbeat, heartbeat, .installSnapshot(install)], "split at \(split)")
        }
    }

    @Test("a stream ending inside a chunk is truncated; one ending between chunks drops the partial snapshot")
    func truncated() throws {
        let chunks = Self.chunks(Self.snapshot(size: 500), size: 200)
        let bytes = try Self.frames(chunks)
        let logs = LogCapture()
        let assembly = SnapshotAssembly(log: logs.log())
        let inside = try channel(assembly: assembly)
        try inside.writeInbound(ByteBuffer(bytes: bytes[..<(bytes.count - 5)]))
        #expect(assembly.statistics.partialBytes == 400)
        #expect(throws: PeerWireError.truncated(needed: try Self.frame(chunks[2]).count, available: try Self.frame(chunks[2]).count - 5)) {
            _ = try inside.finish()
        }
        #expect(assembly.statistics == SnapshotAssembly.Statistics(assembled: 0, dropped: 1, partialBytes: 0))
        #expect(logs.contains("dropping the unfinished snapshot from n1 (index 40, term 3, 400 of 500 bytes): its connection ended"))

        let between = try channel(assembly: assembly)
        try between.writeInbound(ByteBuffer(bytes: try Self.frames(Array(chunks.prefix(2)))))
        #expect(try received(between).isEmpty)
        #expect(try between.finish().isClean)
        #expect(assembly.statistics == SnapshotAssembly.Statistics(assembled: 0, dropped: 2, partialBytes: 0))
    }

    /// Feeds `chunks` on a fresh channel; returns what came out, the assembly's counts and the log.
    func feed(_ chunks: [SnapshotChunk], maxSnapshotBytes: Int = PeerWire.defaultMaxSnapshotBytes) throws
        -> (messages: [Message], statistics: SnapshotAssembly.Statistics, log: [String])
    {
        let logs = LogCapture()
        let assembly = SnapshotAssembly(maxSnapshotBytes: maxSnapshotBytes, log: logs.log())
        let channel = try channel(assembly: assembly)
        for chunk in chunks { try channel.writeInbound(ByteBuffer(bytes: try Self.frame(chunk))) }
        // No write above threw: a chunk out of place never raises an error (which would close the connection).
        let messages = try received(channel)
        let statistics = assembly.statistics
        _ = try channel.finish()
        return (messages, statistics, logs.all.filter { $0.contains("warn") })
    }

    @Test("a reordered chunk (a gap) drops the partial snapshot once; the next full send gets through")
    func reordered() throws {
        let install = Self.snapshot(size: 1000)
        let c = Self.chunks(install, size: 200)
        let run = try feed([c[0], c[1], c[3], c[2], c[4]] + c)
        #expect(run.messages == [.installSnapshot(install)])
        #expect(run.statistics.assembled == 1 && run.statistics.dropped == 1 && run.statistics.partialBytes == 0)
        #expect(run.log.count == 1, "the rest of the broken stream is skipped quietly: \(run.log)")
        #expect(
            run.log.first?.hasSuffix(
                "dropping the unfinished snapshot from n1 (index 40, term 3, 400 of 1000 bytes): a gap: a chunk at offset 600, expected 400") == true)
    }

    @Test("a duplicate chunk drops the partial snapshot")
    func duplicate() throws {
        let c = Self.chunks(Self.snapshot(size: 1000), size: 200)
        let run = try feed([c[0], c[1], c[1], c[2], c[3], c[4]])
        #expect(run.messages.isEmpty)
        #expect(run.statistics == SnapshotAssembly.Statistics(assembled: 0, dropped: 1, partialBytes: 0))
        #expect(run.log.count == 1 && run.log[0].hasSuffix("a chunk at offset 200 again (duplicate or out of order; expected 400)"))
    }

    @Test("a chunk whose start never came, or of another snapshot, or past the total, is refused with a line")
    func mismatches() throws {
        let install = Self.snapshot(size: 1000)
        let c = Self.chunks(install, size: 400)
        let headless = try feed([c[1], c[2]])
        #expect(headless.messages.isEmpty && headless.log.count == 1)
        #expect(headless.log[0].hasSuffix("ignoring a snapshot chunk from n1 at offset 400 (index 40): its start was not received"))

        var other = c[1]
        other.metadata.index = 41
        let mixed = try feed([c[0], other, c[2]])
        #expect(mixed.messages.isEmpty && mixed.statistics.dropped == 1)
        #expect(mixed.log.first?.hasSuffix("a chunk of another snapshot (index 41, term 3) at offset 400") == true)

        var overflow = c[2]
        overflow.data += [1, 2, 3]
        let tooLong = try feed([c[0], c[1], overflow])
        #expect(tooLong.messages.isEmpty && tooLong.statistics == SnapshotAssembly.Statistics(assembled: 0, dropped: 1, partialBytes: 0))
        #expect(tooLong.log.first?.hasSuffix("size mismatch: a chunk ends at 1003, beyond the total of 1000 bytes") == true)

        var firstTooLong = c[0]
        firstTooLong.totalBytes = 300
        let mismatch = try feed([firstTooLong])
        #expect(mismatch.messages.isEmpty && mismatch.statistics.dropped == 1)
        #expect(mismatch.log.first?.hasSuffix("size mismatch: the first chunk holds 400 bytes of a 300-byte snapshot") == true)
    }

    @Test("a total above the receiver's limit is refused at the first chunk, before any buffering")
    func oversizedTotal() throws {
        let install = Self.snapshot(size: 1000)
        let run = try feed(Self.chunks(install, size: 100), maxSnapshotBytes: 999)
        #expect(run.messages.isEmpty)
        #expect(run.statistics == SnapshotAssembly.Statistics(assembled: 0, dropped: 1, partialBytes: 0))
        #expect(run.log.count == 1 && run.log[0].hasSuffix("refusing the snapshot from n1 (index 40): its 1000 bytes exceed the limit of 999 bytes"))
        // At the limit it passes.
        #expect(try feed(Self.chunks(install, size: 100), maxSnapshotBytes: 1000).messages == [.installSnapshot(install)])
        // An absurd announced total costs nothing either.
        var absurd = Self.chunks(install, size: 100)[0]
        absurd.totalBytes = UInt64.max
        #expect(try feed([absurd]).log.first?.contains("exceed the limit") == true)
    }

    @Test("a new snapshot replaces an unfinished one; only one is held per peer, across connections")
    func replaced() throws {
        let old = Self.snapshot(size: 1000, index: 40)
        let new = Self.snapshot(size: 800, index: 50, seed: 7)
        let run = try feed(Array(Self.chunks(old, size: 300).prefix(2)) + Self.chunks(new, size: 300))
        #expect(run.messages == [.installSnapshot(new)])
        #expect(run.statistics == SnapshotAssembly.Statistics(assembled: 1, dropped: 1, partialBytes: 0))
        #expect(run.log.count == 1 && run.log[0].hasSuffix("(index 40, term 3, 600 of 1000 bytes): a new snapshot starts"))

        // Two connections from the same peer share one slot: the newer stream wins, the old
        // connection's late chunks are ignored, and only one partial copy is ever held.
        let logs = LogCapture()
        let assembly = SnapshotAssembly(log: logs.log())
        let (first, second) = (try channel(assembly: assembly), try channel(assembly: assembly))
        let c = Self.chunks(old, size: 300)
        try first.writeInbound(ByteBuffer(bytes: try Self.frames(Array(c.prefix(2)))))
        #expect(assembly.statistics.partialBytes == 600)
        try second.writeInbound(ByteBuffer(bytes: try Self.frame(c[0])))
        #expect(assembly.statistics.partialBytes == 300, "the older connection's partial copy is gone")
        try first.writeInbound(ByteBuffer(bytes: try Self.frame(c[2])))
        #expect(assembly.statistics.partialBytes == 300)
        try second.writeInbound(ByteBuffer(bytes: try Self.frames(Array(c.dropFirst()))))
        #expect(try received(first).isEmpty)
        #expect(try received(second) == [.installSnapshot(old)])
        _ = try first.finish()
        _ = try second.finish()
        #expect(assembly.statistics == SnapshotAssembly.Statistics(assembled: 1, dropped: 1, partialBytes: 0))
    }
}

extension PeerTransportTests {
    @Test("a snapshot far above the frame limit reaches the follower through the transport, in chunks, with messages between")
    func chunkedSnapshotOverLoopback() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let logs = LogCapture()
        let inbox = Inbox()
        // A 64 KiB frame limit stands for the real 64 MiB one: the snapshot is 48 times the limit.
        var options = Self.fastRedial
        options.maxPayloadBytes = 64 << 10
        options.snapshotResendInterval = .seconds(3)
        let follower = PeerTransport(
            selfID: 2, listenAddress: try loopback(), peers: [:], group: group,
            log: logs.log(prefix: "n2"), options: options, onMessage: inbox.onMessage)
        try await follower.start()
        let leader = PeerTransport(
            selfID: 1, listenAddress: try loopback(), peers: [2: try #require(follower.localAddress)],
            group: group, log: logs.log(prefix: "n1"), options: options, onMessage: { _ in })
        try await leader.start()
        let install = SnapshotChunkTests.snapshot(size: 3 << 20)
        #expect(throws: PeerWireError.self, "too large for one frame") {
            try PeerWire.encode(.installSnapshot(install), maxPayloadBytes: options.maxPayloadBytes)
        }
        let heartbeats = (1...20).map { Message.heartbeat(Heartbeat(from: 1, to: 2, term: 3, commit: UInt64($0))) }
        leader.send([Message.installSnapshot(install)])
        for heartbeat in heartbeats { leader.send([heartbeat]) }
        #expect(await eventually { inbox.all.contains(.installSnapshot(install)) })
        #expect(await eventually { inbox.count == 21 })
        #expect(inbox.all.filter { if case .heartbeat = $0 { return true } else { return false } } == heartbeats, "heartbeats in order")
        let chunkData = options.maxPayloadBytes - PeerWire.chunkOverheadBytes(install.snapshot.metadata)
        #expect(leader.statistics.snapshotChunksSent == (install.snapshot.data.count + chunkData - 1) / chunkData)
        #expect(follower.snapshotAssembly.statistics == SnapshotAssembly.Statistics(assembled: 1, dropped: 0, partialBytes: 0))
        #expect(follower.statistics.malformedConnections == 0)

        // The core repeats the snapshot until the follower answers: while all of it is on a live
        // connection it is not sent again; after snapshotResendInterval it is.
        let sentChunks = leader.statistics.snapshotChunksSent
        leader.send([Message.installSnapshot(install)])
        #expect(await eventually { logs.contains("n1 debug n2: the snapshot at index 40 went whole on this connection") })
        #expect(leader.statistics.snapshotChunksSent == sentChunks)
        try await Task.sleep(for: .milliseconds(3200))
        leader.send([Message.installSnapshot(install)])
        #expect(await eventually { inbox.all.filter { $0 == .installSnapshot(install) }.count == 2 })
        #expect(leader.statistics.snapshotChunksSent == 2 * sentChunks)
        await leader.shutdown()
        await follower.shutdown()
        try await group.shutdownGracefully()
    }

    @Test("the same snapshot again while it is on its way is not restarted; another one replaces it")
    func chunkedSnapshotResend() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let logs = LogCapture()
        // A listener that never reads: the stream stops when the socket buffers are full, so it is
        // still on its way whatever the machine's speed.
        let sink = try await ServerBootstrap(group: group)
            .childChannelOption(ChannelOptions.autoRead, value: false)
            .bind(to: try loopback()).get()
        var options = Self.fastRedial
        options.maxPayloadBytes = 64 << 10
        let leader = PeerTransport(
            selfID: 1, listenAddress: try loopback(), peers: [2: try #require(sink.localAddress)],
            group: group, log: logs.log(prefix: "n1"), options: options, onMessage: { _ in })
        try await leader.start()
        var install = SnapshotChunkTests.snapshot(size: 0)
        install.snapshot.data = [UInt8](repeating: 0x5A, count: 64 << 20)
        leader.send([Message.installSnapshot(install)])
        #expect(await eventually { leader.statistics.snapshotChunksSent > 0 })
        leader.send([Message.installSnapshot(install)])
        #expect(await eventually { logs.contains("n1 debug n2: snapshot at index 40 (") && logs.contains("is already on its way") })
        var newer = install
        newer.snapshot.metadata.index = 41
        leader.send([Message.installSnapshot(newer)])
        #expect(await eventually { logs.contains("gives way to the one at index 41") })
        #expect(logs.all.filter { $0.contains("sending the snapshot at index") }.count == 2)
        await leader.shutdown()
        try await sink.close()
        try await group.shutdownGracefully()
    }
}
