import NIOCore
import NIOEmbedded
import RaftCore
import RaftStorage
import Testing
@testable import RaftServer

/// The NIO decoder and encoder of peer frames, on an `EmbeddedChannel`.
@Suite("Peer frame codec")
struct PeerFrameCodecTests {
    func channel(maxPayloadBytes: Int = PeerWire.defaultMaxPayloadBytes) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([
            ByteToMessageHandler(PeerFrameDecoder(maxPayloadBytes: maxPayloadBytes)),
            MessageToByteHandler(PeerFrameEncoder(maxPayloadBytes: maxPayloadBytes)),
        ])
        return channel
    }

    func frames(_ messages: [Message]) throws -> [UInt8] {
        try messages.flatMap { try PeerWire.encode($0) }
    }

    @Test("frames split at every byte boundary come out whole and in order")
    func splitAtEveryByte() throws {
        let messages = PeerWireTests.samples()
        let bytes = try frames(messages)
        for split in stride(from: 1, to: bytes.count, by: 7) {
            let channel = try channel()
            try channel.writeInbound(ByteBuffer(bytes: bytes[..<split]))
            try channel.writeInbound(ByteBuffer(bytes: bytes[split...]))
            var received: [Message] = []
            while let message = try channel.readInbound(as: Message.self) { received.append(message) }
            #expect(received == messages, "split at \(split)")
            #expect(try channel.finish().isClean)
        }
        // And one byte at a time.
        let channel = try channel()
        for byte in bytes { try channel.writeInbound(ByteBuffer(bytes: [byte])) }
        var received: [Message] = []
        while let message = try channel.readInbound(as: Message.self) { received.append(message) }
        #expect(received == messages)
    }

    @Test("many frames in one read are all delivered")
    func pipelined() throws {
        var generator = MessageGenerator(seed: PeerWireTests.seed ^ 1)
        let messages = (0..<200).map { _ in generator.message() }
        let channel = try channel()
        try channel.writeInbound(ByteBuffer(bytes: try frames(messages)))
        var received: [Message] = []
        while let message = try channel.readInbound(as: Message.self) { received.append(message) }
        #expect(received == messages)
    }

    @Test("the encoder writes exactly the frames PeerWire.encode makes")
    func encoder() throws {
        let channel = try channel()
        let messages = PeerWireTests.samples()
        for message in messages { try channel.writeOutbound(message) }
        var written: [UInt8] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { written += buffer.readableBytesView }
        #expect(written == (try frames(messages)))
    }

    @Test("garbage, a bad checksum, another version and an oversized frame raise typed errors")
    func malformed() throws {
        let good = try PeerWire.encode(.timeoutNow(TimeoutNow(from: 1, to: 2, term: 3)))
        var badCRC = good
        badCRC[badCRC.count - 1] ^= 0x10
        var version = good
        version[2] = 9
        let cases: [([UInt8], PeerWireError)] = [
            (Array("GET / HTTP/1.1\r\n".utf8), .badMagic(0x4547)),
            (badCRC, .badChecksum(stored: crc(good), computed: crc(badCRC))),
            (version, .unsupportedVersion(9)),
        ]
        for (bytes, expected) in cases {
            let channel = try channel()
            // A good frame before the bad one is still delivered.
            #expect(throws: expected) { try channel.writeInbound(ByteBuffer(bytes: good + bytes)) }
            #expect(try channel.readInbound(as: Message.self) == .timeoutNow(TimeoutNow(from: 1, to: 2, term: 3)))
        }
        let small = try channel(maxPayloadBytes: 16)
        #expect(throws: PeerWireError.oversized(lengthBytes: 25, limitBytes: 16)) {
            try small.writeInbound(ByteBuffer(bytes: good))
        }
        #expect(throws: PeerWireError.oversized(lengthBytes: 25, limitBytes: 16)) {
            try small.writeOutbound(Message.timeoutNow(TimeoutNow(from: 1, to: 2, term: 3)))
        }
    }

    @Test("a stream that ends inside a frame reports it as truncated")
    func endOfStream() throws {
        let channel = try channel()
        let frame = try PeerWire.encode(.timeoutNow(TimeoutNow(from: 1, to: 2, term: 3)))
        try channel.writeInbound(ByteBuffer(bytes: frame[..<20]))
        #expect(throws: PeerWireError.truncated(needed: frame.count, available: 20)) { _ = try channel.finish() }
    }

    /// CRC32C of a frame's payload.
    private func crc(_ frame: [UInt8]) -> UInt32 { CRC32C.checksum(Array(frame[PeerWire.headerSizeBytes...])) }
}
