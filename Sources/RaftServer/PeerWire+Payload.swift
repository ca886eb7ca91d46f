import NIOCore
import RaftCore

/// The payload of a frame: `kind u8`, `from u64`, `to u64`, `term u64`, then the kind's fields
/// (docs/wire-format.md §3). Booleans travel as bits of one flags byte; unknown bits are refused so
/// that a later version cannot be misread by this one.
extension PeerWire {
    /// Smallest encoding of one entry (term, index, kind, data length, no data): bounds the entry
    /// count announced by a hostile frame before anything is allocated.
    static let minimumEntrySizeBytes = 8 + 8 + 1 + 4

    /// The exact payload size of `message`, computed before encoding so that an oversized message
    /// is refused without being copied, and the buffer is allocated once.
    public static func payloadSizeBytes(_ message: Message) -> Int {
        let common = 1 + 8 + 8 + 8
        switch message {
        case .append(let m): return common + 8 + 8 + 8 + 4 + m.entries.reduce(0) { $0 + minimumEntrySizeBytes + $1.data.count }
        case .appendResponse: return common + 8 + 1 + 8 + 8
        case .vote: return common + 8 + 8 + 1
        case .voteResponse: return common + 1
        case .heartbeat(let m): return common + 8 + 1 + (m.readContext == nil ? 0 : 8)
        case .heartbeatResponse(let m): return common + 1 + (m.readContext == nil ? 0 : 8)
        case .timeoutNow: return common
        case .installSnapshot(let m):
            let configuration = m.snapshot.metadata.configuration
            let members = configuration.voters.count + configuration.outgoingVoters.count + configuration.learners.count
            return common + 8 + 8 + 4 + (1 + 3 * 2 + 8 * members) + 4 + m.snapshot.data.count
        case .readIndex: return common + 8
        case .readIndexResponse: return common + 8 + 8
        }
    }

    static func writePayload(_ message: Message, into b: inout ByteBuffer) {
        b.writeInteger(Kind(message).rawValue)
        b.writeInteger(message.from, endianness: .little)
        b.writeInteger(message.to, endianness: .little)
        b.writeInteger(message.term, endianness: .little)
        switch message {
        case .append(let m):
            b.writeInteger(m.prevLogIndex, endianness: .little)
            b.writeInteger(m.prevLogTerm, endianness: .little)
            b.writeInteger(m.leaderCommit, endianness: .little)
            b.writeInteger(UInt32(m.entries.count), endianness: .little)
            for entry in m.entries {
                b.writeInteger(entry.term, endianness: .little)
                b.writeInteger(entry.index, endianness: .little)
                b.writeInteger(entry.kind.rawValue)
                writeBytes(entry.data, into: &b)
            }
        case .appendResponse(let m):
            b.writeInteger(m.index, endianness: .little)
            b.writeInteger(flags(m.isRejected))
            b.writeInteger(m.rejectHintIndex, endianness: .little)
            b.writeInteger(m.rejectHintTerm, endianness: .little)
        case .vote(let m):
            b.writeInteger(m.lastLogIndex, endianness: .little)
            b.writeInteger(m.lastLogTerm, endianness: .little)
            b.writeInteger(flags(m.isPreVote, m.isTransfer))
        case .voteResponse(let m):
            b.writeInteger(flags(m.isGranted, m.isPreVote))
        case .heartbeat(let m):
            b.writeInteger(m.commit, endianness: .little)
            writeOptional(m.readContext, into: &b)
        case .heartbeatResponse(let m):
            writeOptional(m.readContext, into: &b)
        case .timeoutNow:
            break
        case .installSnapshot(let m):
            let metadata = m.snapshot.metadata
            b.writeInteger(metadata.index, endianness: .little)
            b.writeInteger(metadata.term, endianness: .little)
            writeBytes(ConfigurationCodec.encode(metadata.configuration), into: &b)
            writeBytes(m.snapshot.data, into: &b)
        case .readIndex(let m):
            b.writeInteger(m.context, endianness: .little)
        case .readIndexResponse(let m):
            b.writeInteger(m.context, endianness: .little)
            b.writeInteger(m.index, endianness: .little)
        }
    }

    static func readPayload(_ b: inout ByteBuffer) throws -> PeerFrame {
        var r = FieldReader(buffer: b)
        defer { b = r.buffer }
        let rawKind = try r.u8("kind")
        guard rawKind == snapshotChunkKind || Kind(rawValue: rawKind) != nil else { throw PeerWireError.unknownKind(rawKind) }
        let from = try r.u64("from"), to = try r.u64("to"), term = try r.u64("term")
        guard let kind = Kind(rawValue: rawKind) else {
            return .snapshotChunk(try readChunk(&r, from: from, to: to, term: term))
        }
        return .message(try readMessage(kind, &r, from: from, to: to, term: term))
    }

    /// Reads the fields of a message of `kind` after the common four.
    private static func readMessage(
        _ kind: Kind, _ r: inout FieldReader, from: NodeID, to: NodeID,
        term: UInt64
    ) throws -> Message {
        switch kind {
        case .append:
            let prevLogIndex = try r.u64("prevLogIndex"), prevLogTerm = try r.u64("prevLogTerm")
            let leaderCommit = try r.u64("leaderCommit")
            let entries = try readEntries(&r)
            return .append(
                Append(
                    from: from, to: to, term: term, prevLogIndex: prevLogIndex,
                    prevLogTerm: prevLogTerm, entries: entries, leaderCommit: leaderCommit))
        case .appendResponse:
            let index = try r.u64("index")
            let bits = try r.flags("appendResponse flags", count: 1)
            let hintIndex = try r.u64("rejectHintIndex"), hintTerm = try r.u64("rejectHintTerm")
            return .appendResponse(
                AppendResponse(
                    from: from, to: to, term: term, index: index, isRejected: bits[0],
                    rejectHintIndex: hintIndex, rejectHintTerm: hintTerm))
        case .vote:
            let lastLogIndex = try r.u64("lastLogIndex"), lastLogTerm = try r.u64("lastLogTerm")
            let bits = try r.flags("vote flags", count: 2)
            return .vote(
                Vote(
                    from: from, to: to, term: term, lastLogIndex: lastLogIndex,
                    lastLogTerm: lastLogTerm, isPreVote: bits[0], isTransfer: bits[1]))
        case .voteResponse:
            let bits = try r.flags("voteResponse flags", count: 2)
            return .voteResponse(VoteResponse(from: from, to: to, term: term, isGranted: bits[0], isPreVote: bits[1]))
        case .heartbeat:
            let commit = try r.u64("commit")
            let context = try r.optionalU64("readContext")
            return .heartbeat(Heartbeat(from: from, to: to, term: term, commit: commit, readContext: context))
        case .heartbeatResponse:
            let context = try r.optionalU64("readContext")
            return .heartbeatResponse(HeartbeatResponse(from: from, to: to, term: term, readContext: context))
        case .timeoutNow:
            return .timeoutNow(TimeoutNow(from: from, to: to, term: term))
        case .installSnapshot:
            let index = try r.u64("snapshot index"), snapshotTerm = try r.u64("snapshot term")
            let configBytes = try r.bytes("snapshot configuration")
            guard let configuration = ConfigurationCodec.decode(configBytes) else {
                throw PeerWireError.badField("snapshot configuration does not decode (\(configBytes.count) bytes)")
            }
            let data = try r.bytes("snapshot data")
            let metadata = SnapshotMetadata(index: index, term: snapshotTerm, configuration: configuration)
            return .installSnapshot(
                InstallSnapshot(
                    from: from, to: to, term: term,
                    snapshot: Snapshot(metadata: metadata, data: data)))
        case .readIndex:
            let context = try r.u64("context")
            return .readIndex(ReadIndex(from: from, to: to, term: term, context: context))
        case .readIndexResponse:
            let context = try r.u64("context"), index = try r.u64("index")
            return .readIndexResponse(ReadIndexResponse(from: from, to: to, term: term, context: context, index: index))
        }
    }

    private static func readEntries(_ r: inout FieldReader) throws -> [Entry] {
        let count = try r.u32("entry count")
        // A count the remaining bytes cannot hold is refused before any allocation.
        guard UInt64(count) * UInt64(minimumEntrySizeBytes) <= UInt64(r.buffer.readableBytes) else {
            throw PeerWireError.badField("entry count \(count) exceeds what \(r.buffer.readableBytes) bytes can hold")
        }
        if let entries = readWellFormedEntries(&r.buffer, count: Int(count)) { return entries }
        // Something in the entries is wrong: read them again field by field to name it.
        var entries: [Entry] = []
        entries.reserveCapacity(Int(count))
        for position in 0..<Int(count) {
            let term = try r.u64("entry[\(position)].term"), index = try r.u64("entry[\(position)].index")
            let rawKind = try r.u8("entry[\(position)].kind")
            guard let kind = EntryKind(rawValue: rawKind) else {
                throw PeerWireError.badField("entry[\(position)].kind \(rawKind) is not normal (0), noop (1) or config (2)")
            }
            let data = try r.bytes("entry[\(position)].data")
            entries.append(Entry(term: term, index: index, kind: kind, data: data))
        }
        return entries
    }

    /// `count` entries read in one pass over the buffer's bytes, or nil (consuming nothing) when
    /// any field would fail `readEntries`' checks. Every entry a follower receives comes this way;
    /// read through `FieldReader`, each field paid the buffer's bounds and exclusivity checks.
    private static func readWellFormedEntries(_ buffer: inout ByteBuffer, count: Int) -> [Entry]? {
        let read = buffer.withUnsafeReadableBytes { raw -> (entries: [Entry], sizeBytes: Int)? in
            var entries: [Entry] = []
            entries.reserveCapacity(count)
            var offset = 0
            for _ in 0..<count {
                guard raw.count - offset >= minimumEntrySizeBytes,
                    let kind = EntryKind(rawValue: raw[offset + 16])
                else { return nil }
                let term = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                let index = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
                let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 17, as: UInt32.self)))
                offset += minimumEntrySizeBytes
                guard length <= raw.count - offset else { return nil }
                let data = [UInt8](UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + length)]))
                offset += length
                entries.append(Entry(term: term, index: index, kind: kind, data: data))
            }
            return (entries, offset)
        }
        guard let read else { return nil }
        buffer.moveReaderIndex(forwardBy: read.sizeBytes)
        return read.entries
    }

    private static func flags(_ bits: Bool...) -> UInt8 {
        var value: UInt8 = 0
        for (position, bit) in bits.enumerated() where bit { value |= 1 << UInt8(position) }
        return value
    }

    private static func writeBytes(_ bytes: [UInt8], into b: inout ByteBuffer) {
        b.writeInteger(UInt32(bytes.count), endianness: .little)
        b.writeBytes(bytes)
    }

    private static func writeOptional(_ value: UInt64?, into b: inout ByteBuffer) {
        if let value {
            b.writeInteger(UInt8(1))
            b.writeInteger(value, endianness: .little)
        } else {
            b.writeInteger(UInt8(0))
        }
    }
}

/// Reads little-endian fields from a payload, naming the field in every error.
///
/// Field names are autoclosures: a name such as `entry[7].term` is built only when its error is,
/// not once per field of every entry a follower reads (it was a tenth of a follower's decoding).
struct FieldReader {
    var buffer: ByteBuffer

    mutating func u8(_ field: @autoclosure () -> String) throws -> UInt8 {
        guard let value = buffer.readInteger(as: UInt8.self) else { throw missing(field, 1) }
        return value
    }

    mutating func u32(_ field: @autoclosure () -> String) throws -> UInt32 {
        guard let value = buffer.readInteger(endianness: .little, as: UInt32.self) else { throw missing(field, 4) }
        return value
    }

    mutating func u64(_ field: @autoclosure () -> String) throws -> UInt64 {
        guard let value = buffer.readInteger(endianness: .little, as: UInt64.self) else { throw missing(field, 8) }
        return value
    }

    /// A flags byte whose low `count` bits are booleans; any other bit set is an error.
    mutating func flags(_ field: @autoclosure () -> String, count: Int) throws -> [Bool] {
        let value = try u8(field())
        guard value >> UInt8(count) == 0 else {
            throw PeerWireError.badField("\(field()) 0x\(String(value, radix: 16)) has unknown bits set")
        }
        return (0..<count).map { value & (1 << UInt8($0)) != 0 }
    }

    /// `present u8` (0 or 1), then the value when present.
    mutating func optionalU64(_ field: @autoclosure () -> String) throws -> UInt64? {
        switch try u8("\(field()) presence") {
        case 0: return nil
        case 1: return try u64(field())
        case let other: throw PeerWireError.badField("\(field()) presence byte \(other) (must be 0 or 1)")
        }
    }

    /// `length u32`, then that many bytes; the length is checked against what is left first.
    mutating func bytes(_ field: @autoclosure () -> String) throws -> [UInt8] {
        let length = try u32("\(field()) length")
        guard Int(length) <= buffer.readableBytes else {
            throw PeerWireError.badField("\(field()) length \(length) exceeds the \(buffer.readableBytes) bytes left")
        }
        return buffer.readBytes(length: Int(length))!
    }

    private func missing(_ field: () -> String, _ size: Int) -> PeerWireError {
        .badField("payload ends inside \(field()) (needs \(size) bytes, \(buffer.readableBytes) left)")
    }
}
