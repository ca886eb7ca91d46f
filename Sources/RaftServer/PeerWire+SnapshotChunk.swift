import NIOCore
import RaftCore
import RaftStorage

/// One piece of an `InstallSnapshot` message too large to travel in one frame (docs/wire-format.md §3.1).
///
/// Every chunk of one snapshot repeats the message's identity (`from`, `to`, `term`, the snapshot's
/// metadata and its total size); only `offset` and `data` change. A receiver rebuilds the message
/// from consecutive chunks (`SnapshotAssembly`) and hands it on only when `offset + data.count`
/// reaches `totalBytes`.
public struct SnapshotChunk: Equatable, Sendable {
    /// The leader sending the snapshot.
    public var from: NodeID
    /// The follower receiving it.
    public var to: NodeID
    /// The sender's term.
    public var term: UInt64
    /// The snapshot's index, term and configuration.
    public var metadata: SnapshotMetadata
    /// The size of the whole snapshot's data.
    public var totalBytes: UInt64
    /// Where `data` starts within the snapshot's data.
    public var offset: UInt64
    /// This chunk's bytes.
    public var data: [UInt8]

    /// Creates a chunk.
    public init(
        from: NodeID, to: NodeID, term: UInt64, metadata: SnapshotMetadata, totalBytes: UInt64,
        offset: UInt64, data: [UInt8]
    ) {
        self.from = from
        self.to = to
        self.term = term
        self.metadata = metadata
        self.totalBytes = totalBytes
        self.offset = offset
        self.data = data
    }

    /// Whether `other` is a chunk of the same snapshot message (everything but the offset and data agree).
    public func isSameSnapshot(as other: SnapshotChunk) -> Bool {
        from == other.from && to == other.to && term == other.term && metadata == other.metadata
            && totalBytes == other.totalBytes
    }

    /// Whether this chunk ends the snapshot.
    public var isLast: Bool { offset + UInt64(data.count) == totalBytes }
}

/// What one frame carries: a whole message, or a chunk of a large snapshot.
public enum PeerFrame: Equatable, Sendable {
    /// A whole `RaftCore.Message` (kinds 1–10).
    case message(Message)
    /// A piece of an `InstallSnapshot` (kind 11).
    case snapshotChunk(SnapshotChunk)
}

extension PeerWire {
    /// The kind byte of a snapshot chunk. Not a `Kind`: a chunk is not a `RaftCore.Message` but a
    /// piece of one, so it has no place among the message kinds.
    public static let snapshotChunkKind: UInt8 = 11
    /// The default largest snapshot (its data) a receiver puts together from chunks: 4 GiB.
    public static let defaultMaxSnapshotBytes = 1 << 32
    /// The default data bytes per chunk: small enough that heartbeats pass between chunks within a
    /// few milliseconds on a LAN, large enough that the per-frame costs do not matter.
    public static let defaultSnapshotChunkBytes = 1 << 20

    /// The payload bytes of a chunk besides its data: what a frame limit must leave room for.
    public static func chunkOverheadBytes(_ metadata: SnapshotMetadata) -> Int {
        let configuration = metadata.configuration
        let members = configuration.voters.count + configuration.outgoingVoters.count + configuration.learners.count
        return 1 + 8 + 8 + 8 + 8 + 8 + 4 + (1 + 3 * 2 + 8 * members) + 8 + 8 + 4
    }

    /// Appends one frame holding `chunk` to `buffer`.
    /// - Throws: `PeerWireError.oversized` when the payload exceeds `maxPayloadBytes`; `buffer` is then unchanged.
    public static func writeChunkFrame(
        _ chunk: SnapshotChunk, into buffer: inout ByteBuffer,
        maxPayloadBytes: Int = defaultMaxPayloadBytes
    ) throws {
        let payloadLength = chunkOverheadBytes(chunk.metadata) + chunk.data.count
        try writeFrame(payloadLength: payloadLength, into: &buffer, maxPayloadBytes: maxPayloadBytes) { b in
            b.writeInteger(snapshotChunkKind)
            b.writeInteger(chunk.from, endianness: .little)
            b.writeInteger(chunk.to, endianness: .little)
            b.writeInteger(chunk.term, endianness: .little)
            b.writeInteger(chunk.metadata.index, endianness: .little)
            b.writeInteger(chunk.metadata.term, endianness: .little)
            let configuration = ConfigurationCodec.encode(chunk.metadata.configuration)
            b.writeInteger(UInt32(configuration.count), endianness: .little)
            b.writeBytes(configuration)
            b.writeInteger(chunk.totalBytes, endianness: .little)
            b.writeInteger(chunk.offset, endianness: .little)
            b.writeInteger(UInt32(chunk.data.count), endianness: .little)
            b.writeBytes(chunk.data)
        }
    }

    /// The chunks `snapshot` is sent as when its data is cut into pieces of at most `chunkDataBytes`.
    /// Returns them lazily: a sender makes one frame at a time, so a large snapshot is never copied whole.
    public static func chunks(of snapshot: InstallSnapshot, chunkDataBytes: Int) -> some Sequence<SnapshotChunk> {
        precondition(chunkDataBytes >= 1, "a chunk carries at least one byte")
        let data = snapshot.snapshot.data
        let total = UInt64(data.count)
        return stride(from: 0, to: max(data.count, 1), by: chunkDataBytes).lazy.map { start in
            let end = min(start + chunkDataBytes, data.count)
            return SnapshotChunk(
                from: snapshot.from, to: snapshot.to, term: snapshot.term, metadata: snapshot.snapshot.metadata,
                totalBytes: total, offset: UInt64(start), data: Array(data[start..<end]))
        }
    }

    /// Reads a chunk's fields after the common `kind`, `from`, `to` and `term`.
    static func readChunk(_ r: inout FieldReader, from: NodeID, to: NodeID, term: UInt64) throws -> SnapshotChunk {
        let index = try r.u64("snapshot index"), snapshotTerm = try r.u64("snapshot term")
        let configBytes = try r.bytes("snapshot configuration")
        guard let configuration = ConfigurationCodec.decode(configBytes) else {
            throw PeerWireError.badField("snapshot configuration does not decode (\(configBytes.count) bytes)")
        }
        let total = try r.u64("chunk total length"), offset = try r.u64("chunk offset")
        let data = try r.bytes("chunk data")
        let metadata = SnapshotMetadata(index: index, term: snapshotTerm, configuration: configuration)
        return SnapshotChunk(from: from, to: to, term: term, metadata: metadata, totalBytes: total, offset: offset, data: data)
    }
}

extension PeerFrame {
    /// The wire kind's name (`timeoutNow`, `snapshotChunk`), for errors.
    public var wireKindName: String {
        switch self {
        case .message(let message): return "\(PeerWire.Kind(message))"
        case .snapshotChunk: return "snapshotChunk"
        }
    }
}
