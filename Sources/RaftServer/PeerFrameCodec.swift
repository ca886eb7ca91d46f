import NIOCore
import RaftCore

/// Splits a peer byte stream into `Message`s; a malformed frame throws `PeerWireError`, which the
/// pipeline reports through `errorCaught` (the connection is then closed by the transport).
public struct PeerFrameDecoder: ByteToMessageDecoder {
    /// Decoded messages go up the pipeline one at a time.
    public typealias InboundOut = Message

    /// The largest payload accepted.
    public let maxPayloadBytes: Int

    /// Creates a decoder with a payload size limit.
    public init(maxPayloadBytes: Int = PeerWire.defaultMaxPayloadBytes) {
        precondition(maxPayloadBytes >= 0, "a negative frame limit")
        self.maxPayloadBytes = maxPayloadBytes
    }

    /// Emits one message when a whole frame is buffered.
    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let message = try PeerWire.readFrame(from: &buffer, maxPayloadBytes: maxPayloadBytes) else {
            return .needMoreData
        }
        context.fireChannelRead(wrapInboundOut(message))
        return .continue
    }

    /// At end of stream, complete frames are still delivered; a partial one is reported as truncated.
    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer,
                                    seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0 {
            let available = buffer.readableBytes
            let needed = available >= PeerWire.headerSizeBytes
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
