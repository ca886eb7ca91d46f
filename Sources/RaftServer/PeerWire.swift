import NIOCore
import RaftCore
import RaftStorage

/// The peer wire format: one `RaftCore.Message` per length-prefixed, checksummed frame (little-endian).
///
/// `docs/wire-format.md` is the specification; this type is its only implementation. A frame is a
/// 16-byte header (magic `RF`, version, flags, payload length, payload CRC32C, header CRC32C) and
/// the payload (kind byte, `from`, `to`, `term`, then the kind's own fields). Decoding validates the
/// structure only; whether a message makes sense to Raft is the core's check (`RaftNode` validation).
public enum PeerWire {
    /// The format version written in every frame header.
    public static let version: UInt8 = 1
    /// The magic at offset 0, `"RF"` as bytes (0x52 0x46), read as a little-endian u16.
    public static let magic: UInt16 = 0x4652
    /// Bytes before the payload.
    public static let headerSizeBytes = 16
    /// The default largest payload accepted or sent: 64 MiB.
    public static let defaultMaxPayloadBytes = 64 << 20

    /// The on-wire number of each message kind (payload offset 0).
    public enum Kind: UInt8, CaseIterable, Sendable {
        /// `Message.append`
        case append = 1
        /// `Message.appendResponse`
        case appendResponse = 2
        /// `Message.vote`
        case vote = 3
        /// `Message.voteResponse`
        case voteResponse = 4
        /// `Message.heartbeat`
        case heartbeat = 5
        /// `Message.heartbeatResponse`
        case heartbeatResponse = 6
        /// `Message.timeoutNow`
        case timeoutNow = 7
        /// `Message.installSnapshot`
        case installSnapshot = 8
        /// `Message.readIndex` (a follower forwards a read to its leader)
        case readIndex = 9
        /// `Message.readIndexResponse`
        case readIndexResponse = 10

        /// The kind of `message` (exhaustive, so a new message case fails to compile here).
        public init(_ message: Message) {
            switch message {
            case .append: self = .append
            case .appendResponse: self = .appendResponse
            case .vote: self = .vote
            case .voteResponse: self = .voteResponse
            case .heartbeat: self = .heartbeat
            case .heartbeatResponse: self = .heartbeatResponse
            case .timeoutNow: self = .timeoutNow
            case .installSnapshot: self = .installSnapshot
            case .readIndex: self = .readIndex
            case .readIndexResponse: self = .readIndexResponse
            }
        }
    }

    // MARK: Frames

    /// Appends one frame holding `message` to `buffer`.
    /// - Throws: `PeerWireError.oversized` when the payload exceeds `maxPayloadBytes`; `buffer` is then unchanged.
    public static func writeFrame(
        _ message: Message, into buffer: inout ByteBuffer,
        maxPayloadBytes: Int = defaultMaxPayloadBytes
    ) throws {
        try writeFrame(payloadLength: payloadSizeBytes(message), into: &buffer, maxPayloadBytes: maxPayloadBytes) {
            writePayload(message, into: &$0)
        }
    }

    /// Appends a frame whose payload `writePayload` writes (exactly `payloadLength` bytes), then
    /// fills in the header: lengths and checksums are known only once the payload is written.
    static func writeFrame(
        payloadLength: Int, into buffer: inout ByteBuffer, maxPayloadBytes: Int,
        _ writePayload: (inout ByteBuffer) -> Void
    ) throws {
        guard payloadLength <= maxPayloadBytes, payloadLength <= Int(UInt32.max) else {
            throw PeerWireError.oversized(lengthBytes: UInt64(payloadLength), limitBytes: maxPayloadBytes)
        }
        let start = buffer.writerIndex
        buffer.reserveCapacity(minimumWritableBytes: headerSizeBytes + payloadLength)
        buffer.writeRepeatingByte(0, count: headerSizeBytes)
        writePayload(&buffer)
        assert(buffer.writerIndex - start - headerSizeBytes == payloadLength, "the announced payload length disagrees with the payload written")
        let payloadCRC = buffer.withUnsafeReadableBytes { all in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: all[(start - buffer.readerIndex + headerSizeBytes)...]))
        }
        buffer.setInteger(magic, at: start, endianness: .little)
        buffer.setInteger(version, at: start + 2)
        buffer.setInteger(UInt8(0), at: start + 3)
        buffer.setInteger(UInt32(payloadLength), at: start + 4, endianness: .little)
        buffer.setInteger(payloadCRC, at: start + 8, endianness: .little)
        let headerCRC = headerChecksum(buffer, at: start)
        buffer.setInteger(headerCRC, at: start + 12, endianness: .little)
    }

    /// The frame holding `message`, as bytes.
    public static func encode(_ message: Message, maxPayloadBytes: Int = defaultMaxPayloadBytes) throws -> [UInt8] {
        var buffer = ByteBufferAllocator().buffer(capacity: headerSizeBytes + 64)
        try writeFrame(message, into: &buffer, maxPayloadBytes: maxPayloadBytes)
        return Array(buffer.readableBytesView)
    }

    /// Reads one frame from the front of `buffer`.
    ///
    /// Returns nil, consuming nothing, when the frame is not complete yet but nothing seen so far is
    /// wrong (a stream decoder waits for more bytes). Consumes the frame when it returns a message.
    /// - Throws: `PeerWireError` as soon as the bytes present are known to be invalid.
    public static func readFrame(
        from buffer: inout ByteBuffer,
        maxPayloadBytes: Int = defaultMaxPayloadBytes
    ) throws -> PeerFrame? {
        let start = buffer.readerIndex
        // Magic and version first: they are the only header fields every version keeps in place.
        if buffer.readableBytes >= 2, let m = buffer.getInteger(at: start, endianness: .little, as: UInt16.self), m != magic {
            throw PeerWireError.badMagic(m)
        }
        if buffer.readableBytes >= 3, let v = buffer.getInteger(at: start + 2, as: UInt8.self), v != version {
            throw PeerWireError.unsupportedVersion(v)
        }
        guard buffer.readableBytes >= headerSizeBytes else { return nil }
        let storedHeaderCRC = buffer.getInteger(at: start + 12, endianness: .little, as: UInt32.self)!
        let computedHeaderCRC = headerChecksum(buffer, at: start)
        guard storedHeaderCRC == computedHeaderCRC else {
            throw PeerWireError.badHeaderChecksum(stored: storedHeaderCRC, computed: computedHeaderCRC)
        }
        let flags = buffer.getInteger(at: start + 3, as: UInt8.self)!
        guard flags == 0 else { throw PeerWireError.badField("header flags 0x\(String(flags, radix: 16)) (must be 0)") }
        let length = buffer.getInteger(at: start + 4, endianness: .little, as: UInt32.self)!
        guard UInt64(length) <= UInt64(max(maxPayloadBytes, 0)) else {
            throw PeerWireError.oversized(lengthBytes: UInt64(length), limitBytes: maxPayloadBytes)
        }
        guard buffer.readableBytes >= headerSizeBytes + Int(length) else { return nil }
        let storedCRC = buffer.getInteger(at: start + 8, endianness: .little, as: UInt32.self)!
        var payload = buffer.getSlice(at: start + headerSizeBytes, length: Int(length))!
        let computedCRC = payload.withUnsafeReadableBytes { CRC32C.checksum($0) }
        guard storedCRC == computedCRC else { throw PeerWireError.badChecksum(stored: storedCRC, computed: computedCRC) }
        let frame = try readPayload(&payload)
        guard payload.readableBytes == 0 else {
            throw PeerWireError.badField("\(payload.readableBytes) bytes after the \(frame.wireKindName) message")
        }
        buffer.moveReaderIndex(forwardBy: headerSizeBytes + Int(length))
        return frame
    }

    /// Decodes exactly one frame that fills `bytes`.
    /// - Throws: `PeerWireError`, including `.truncated` when `bytes` stop early and `.badField` when bytes follow the frame.
    public static func decodeFrame(_ bytes: [UInt8], maxPayloadBytes: Int = defaultMaxPayloadBytes) throws -> PeerFrame {
        var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        guard let frame = try readFrame(from: &buffer, maxPayloadBytes: maxPayloadBytes) else {
            throw PeerWireError.truncated(needed: neededBytes(bytes), available: bytes.count)
        }
        guard buffer.readableBytes == 0 else { throw PeerWireError.badField("\(buffer.readableBytes) bytes after the frame") }
        return frame
    }

    /// Decodes exactly one frame that fills `bytes` and holds a whole message.
    /// - Throws: as `decodeFrame`, and `.badField` when the frame is a snapshot chunk.
    public static func decode(_ bytes: [UInt8], maxPayloadBytes: Int = defaultMaxPayloadBytes) throws -> Message {
        switch try decodeFrame(bytes, maxPayloadBytes: maxPayloadBytes) {
        case .message(let message): return message
        case .snapshotChunk: throw PeerWireError.badField("a snapshot chunk where a whole message was expected")
        }
    }

    /// How many bytes the frame starting at `bytes` needs in all, as far as its header tells.
    private static func neededBytes(_ bytes: [UInt8]) -> Int {
        guard bytes.count >= headerSizeBytes else { return headerSizeBytes }
        let length = (4..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * ($1 - 4)) }
        return headerSizeBytes + length
    }

    private static func headerChecksum(_ buffer: ByteBuffer, at start: Int) -> UInt32 {
        buffer.withUnsafeReadableBytes { all in
            let offset = start - buffer.readerIndex
            return CRC32C.checksum(UnsafeRawBufferPointer(rebasing: all[offset..<(offset + 12)]))
        }
    }
}
