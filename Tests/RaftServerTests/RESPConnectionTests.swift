import NIOCore
import NIOEmbedded
import Testing
@testable import RaftServer

/// `RESPConnectionHandler` decodes the bytes NIO read itself (no `ByteToMessageHandler`): a request
/// split across reads at any byte, several in one read, and a large one arriving in pieces are each
/// served once, in order; a malformed one is answered and closes the connection.
@Suite("RESP connection handler")
struct RESPConnectionTests {
    /// A connection whose server echoes a command's last argument (PING answers PONG).
    static func connection() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        let handler = RESPConnectionHandler(
            connectionID: 1,
            handler: { command, reply in
                reply.send(command.isNamed("PING") ? .simpleString("PONG") : .bulkString(command.arguments.last!))
            },
            log: ServerLog(prefix: "test", level: .error), maxPendingReplies: 1024,
            flushes: LoopFlushes(loop: channel.eventLoop))
        try channel.pipeline.syncOperations.addHandler(handler)
        return channel
    }

    /// Feeds `pieces` as separate reads and returns everything written back.
    static func exchange(_ channel: EmbeddedChannel, _ pieces: [[UInt8]]) throws -> [UInt8] {
        for piece in pieces {
            try channel.writeInbound(channel.allocator.buffer(bytes: piece))
            channel.pipeline.fireChannelReadComplete()
        }
        var written: [UInt8] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { written += Array(buffer.readableBytesView) }
        return written
    }

    static let requests =
        RESPCommand("ECHO", "hello").encoded + RESPCommand("SET", "key:000000001234", String(repeating: "v", count: 300)).encoded
        + Array("PING\r\n".utf8) + RESPCommand("GET", "key:000000001234").encoded
    static let answers =
        RESPValue.bulk("hello").encoded + RESPValue.bulk(String(repeating: "v", count: 300)).encoded
        + RESPValue.simpleString("PONG").encoded + RESPValue.bulk("key:000000001234").encoded

    @Test("pipelined requests split in two at every byte are each answered once, in order")
    func splitAtEveryByte() throws {
        for cut in 0...Self.requests.count {
            let channel = try Self.connection()
            let written = try Self.exchange(channel, [Array(Self.requests[..<cut]), Array(Self.requests[cut...])])
            #expect(written == Self.answers, "cut at byte \(cut)")
        }
    }

    @Test("requests arriving one byte per read are answered in order")
    func oneBytePerRead() throws {
        let channel = try Self.connection()
        #expect(try Self.exchange(channel, Self.requests.map { [$0] }) == Self.answers)
    }

    @Test("a malformed request after good ones: the good ones are answered, then the error, then the connection closes")
    func malformedCloses() throws {
        let channel = try Self.connection()
        let written = try Self.exchange(channel, [RESPCommand("ECHO", "a").encoded + Array("*1\r\n+x\r\n".utf8)])
        #expect(written == RESPValue.bulk("a").encoded + RESPProtocolError.expectedDollar(got: UInt8(ascii: "+")).reply.encoded)
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
    }
}
