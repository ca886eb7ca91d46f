import NIOCore
import RaftCore

/// Splits a peer byte stream into `Message`s; a malformed frame throws `PeerWireError`, which the
/// pipeline reports through `errorCaught` (the connection is then closed by the transport).
///
/// Snapshot chunks (kind 11) go to a `SnapshotAssembly`; the rebuilt `installSnapshot` goes up the
/// pipeline only once its last chunk has arrived. A chunk that does not fit is the assembly's
/// business (a log line, the partial snapshot dropped), not a reason to close the connection: the
/// frame itself was well formed.
public struct PeerFrameDecoder: ByteToMessageDecoder {
    /// Decoded messages go up the pipeline one at a time.
    public typealias InboundOut = Message

    /// The largest payload accepted.
    public let maxPayloadBytes: Int
    /// Where this connection's snapshot chunks are put together (shared by a transport's connections).
    public let assembly: SnapshotAssembly
    private let owner: SnapshotAssembly.Owner

    /// Creates a decoder with a payload size limit; without an `assembly`, it gets one of its own.
    public init(maxPayloadBytes: Int = PeerWire.defaultMaxPayloadBytes, assembly: SnapshotAssembly? = nil) {
        precondition(maxPayloadBytes >= 0, "a negative frame limit")
        self.maxPayloadBytes = maxPayloadBytes
        self.assembly = assembly ?? SnapshotAssembly()
        self.owner = self.assembly.makeOwner()
    }

    /// Emits one message when a whole frame is buffered (for a chunk: when it completes its snapshot).
    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try PeerWire.readFrame(from: &buffer, maxPayloadBytes: maxPayloadBytes) else {
            return .needMoreData
        }
        switch frame {
        case .message(let message):
            context.fireChannelRead(wrapInboundOut(message))
        case .snapshotChunk(let chunk):
            if let message = assembly.accept(chunk, owner: owner) { context.fireChannelRead(wrapInboundOut(message)) }
        }
        return .continue
    }

    /// The connection is gone: its unfinished snapshot, if any, is dropped.
    public mutating func decoderRemoved(context: ChannelHandlerContext) {
        assembly.release(owner: owner)
    }

    /// At end of stream, complete frames are still delivered; a partial one is reported as truncated.
    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        defer { assembly.release(owner: owner) }
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0 {
            let available = buffer.readableBytes
            let needed =
                available >= PeerWire.headerSizeBytes
                ? PeerWire.headerSizeBytes + Int(buffer.getInteger(at: buffer.readerIndex + 4, endianness: .little, as: UInt32.self)!)
                : PeerWire.headerSizeBytes
            buffer.moveReaderIndex(forwardBy: available)
            throw PeerWireError.truncated(needed: needed, available: available)
        }
        return .needMoreData
    }
}

/// Writes each outbound `Message` as one frame.
public struct PeerFrameEncoder: MessageToByteEncoder {
    /// Messages to frame.
    public typealias OutboundIn = Message

    /// The largest payload written; a larger message fails its write with `PeerWireError.oversized`.
    public let maxPayloadBytes: Int

    /// Creates an encoder with a payload size limit.
    public init(maxPayloadBytes: Int = PeerWire.defaultMaxPayloadBytes) {
        self.maxPayloadBytes = maxPayloadBytes
    }

    /// Frames one message.
    public func encode(data: Message, out: inout ByteBuffer) throws {
        try PeerWire.writeFrame(data, into: &out, maxPayloadBytes: maxPayloadBytes)
    }
}
