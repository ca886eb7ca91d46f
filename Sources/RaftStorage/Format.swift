import RaftCore

/// A log's identity: 16 random bytes written into every segment header and hard-state slot, so
/// files of two different logs are never mixed silently.
public struct LogID: Hashable, Sendable, CustomStringConvertible {
    /// The 16 bytes, in file order.
    public var bytes: [UInt8]

    /// Wraps 16 bytes.
    public init(bytes: [UInt8]) {
        precondition(bytes.count == 16, "a log id has 16 bytes")
        self.bytes = bytes
    }

    /// A log id drawn from a deterministic generator (the simulator) — version 4 UUID layout.
    public init(generator: inout SeededGenerator) {
        var b = [UInt8](repeating: 0, count: 16)
        let a = generator.next(), c = generator.next()
        for i in 0..<8 {
            b[i] = UInt8(truncatingIfNeeded: a >> (8 * UInt64(i)))
            b[8 + i] = UInt8(truncatingIfNeeded: c >> (8 * UInt64(i)))
        }
        b[6] = (b[6] & 0x0F) | 0x40
        b[8] = (b[8] & 0x3F) | 0x80
        self.init(bytes: b)
    }

    /// A fresh random log id from the system's generator.
    public static func random() -> LogID {
        var system = SystemRandomNumberGenerator()
        var g = SeededGenerator(seed: system.next())
        return LogID(generator: &g)
    }

    /// The UUID spelling, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
    public var description: String {
        // Written as bytes into one string (recovery names the log in its report at every open).
        String(unsafeUninitializedCapacity: 36) { out in
            var n = 0
            for (i, byte) in bytes.enumerated() {
                if i == 4 || i == 6 || i == 8 || i == 10 { out[n] = UInt8(ascii: "-"); n += 1 }
                out[n] = hexDigit(byte >> 4)
                out[n + 1] = hexDigit(byte & 15)
                n += 2
            }
            return n
        }
    }
}

/// The lower-case hex digit of a value below 16, as an ASCII byte.
@inline(__always) func hexDigit(_ v: UInt8) -> UInt8 {
    v < 10 ? UInt8(ascii: "0") + v : UInt8(ascii: "a") + v - 10
}

@inline(__always) func hex2(_ b: UInt8) -> String {
    String(unsafeUninitializedCapacity: 2) { out in
        out[0] = hexDigit(b >> 4)
        out[1] = hexDigit(b & 15)
        return 2
    }
}

/// `0x`-less, zero-padded lower-case hex of a 64-bit value (16 digits).
func hex16(_ v: UInt64) -> String {
    String(unsafeUninitializedCapacity: 16) { out in
        for k in 0..<16 { out[k] = hexDigit(UInt8(truncatingIfNeeded: v >> UInt64(60 - 4 * k)) & 15) }
        return 16
    }
}

/// `0x` + 8 hex digits, as checksums are printed.
public func formatChecksum(_ v: UInt32) -> String {
    var s = "0x"
    for i in stride(from: 24, through: 0, by: -8) { s += hex2(UInt8(truncatingIfNeeded: v >> UInt32(i))).uppercased() }
    return s
}

/// The constants of the on-disk format (docs/storage-format.md is the specification).
public enum StorageFormat {
    /// Format version written into segment headers and hard-state slots.
    public static let version: UInt32 = 1

    /// Segment header magic: `RSTPSEG` + newline.
    public static let segmentMagic: [UInt8] = Array("RSTPSEG\n".utf8)
    /// Size of the segment header.
    public static let segmentHeaderSize = 64

    /// Record header size (payload follows).
    public static let recordHeaderSize = 32
    /// Record trailer size: record CRC + end tag.
    public static let recordTrailerSize = 8
    /// The trailer's end tag, `RECD` in file order; every byte has at least two bits set, so no
    /// single bit flip turns it into zero and a record's last byte is never zero.
    public static let recordEndTag: UInt32 = 0x4443_4552
    /// The unit in which a crash keeps or loses unsynced data (a page-cache page).
    public static let pageSize = 4096
    /// The unit a disk writes atomically: a write-back cut by a power loss keeps whole sectors, so
    /// rule D looks for a whole sector of zeros in a damaged batch.
    public static let sectorSize = 512
    /// Largest payload a record may declare.
    public static let maxPayloadLength = 64 << 20
    /// Sequence numbers, indexes and terms at or above this are rejected as implausible (no log
    /// reaches them), which keeps every `+ 1` on values read from disk free of overflow.
    public static let plausibleLimit: UInt64 = 1 << 62
    /// Size of a batch marker's payload.
    public static let batchPayloadSize = 32

    /// The hard-state file's name inside a data directory.
    public static let hardStateFileName = "hardstate"
    /// Hard-state slot magic: `RSTPHST` + newline.
    public static let hardStateMagic: [UInt8] = Array("RSTPHST\n".utf8)
    /// Size of one slot.
    public static let hardStateSlotSize = 96
    /// Byte distance between slot 0 and slot 1 (each in its own 512-byte sector).
    public static let hardStateSlotStride = 512
    /// Size of the whole hard-state file.
    public static let hardStateFileSize = 1024

    /// Segment file name: `log-` + 16 hex digits of the sequence + `.seg` (sorts in log order).
    public static func segmentFileName(sequence: UInt64) -> String { "log-" + hex16(sequence) + ".seg" }

    /// The sequence encoded in a segment file name, or nil when the name is not a segment's.
    public static func segmentSequence(fileName: String) -> UInt64? {
        hex16Number(in: fileName, prefix: "log-", suffix: ".seg")
    }

    /// The number in a name of the form PREFIX + 16 lower-case hex digits + SUFFIX, or nil.
    static func hex16Number(in fileName: String, prefix: String, suffix: String) -> UInt64? {
        // Compared as bytes (every directory listing asks this of every name): the prefixes and
        // suffixes are ASCII with no canonical equivalents, and ASCII hex digits sit between them,
        // so a byte match is exactly a String (Character) match.
        var name = fileName
        return name.withUTF8 { u -> UInt64? in
            let start = prefix.utf8.count
            let end = start + 16
            guard u.count == end + suffix.utf8.count, u.prefix(start).elementsEqual(prefix.utf8),
                u.suffix(from: end).elementsEqual(suffix.utf8)
            else { return nil }
            var v: UInt64 = 0
            for c in u[start..<end] {
                let d: UInt64
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt64(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt64(c - UInt8(ascii: "a") + 10)
                default: return nil
                }
                v = v << 4 | d
            }
            return v
        }
    }

    /// Total on-disk size of a record with a payload of `payloadLength` bytes.
    @inline(__always)
    public static func recordSize(payloadLength: Int) -> Int {
        recordHeaderSize + ((payloadLength + 7) & ~7) + recordTrailerSize
    }
}

/// What a record holds.
public enum RecordKind: UInt8, Sendable, CustomStringConvertible {
    /// A log entry.
    case entry = 1
    /// A batch (commit) marker, written last before each fsync.
    case batch = 2

    /// `entry` or `batch`.
    public var description: String { self == .entry ? "entry" : "batch" }
}

/// The payload of a batch marker record.
public struct BatchMarker: Equatable, Sendable {
    /// 1 for the log's first batch, then +1 per batch, across segments.
    public var batchSequence: UInt64
    /// The hard-state sequence number that was durable when this batch was written.
    public var hardStateSequence: UInt64
    /// The index of the batch's first entry.
    public var firstIndex: UInt64
    /// How many entry records the batch holds (all between the previous marker and this one).
    public var entryCount: UInt32
    /// False when the batch was written under `SyncPolicy.never`: such a marker proves nothing
    /// about durability (flag bit 0 of the marker's flags word is set).
    public var synced: Bool

    /// Creates a marker payload.
    public init(batchSequence: UInt64, hardStateSequence: UInt64, firstIndex: UInt64, entryCount: UInt32, synced: Bool = true) {
        self.batchSequence = batchSequence
        self.hardStateSequence = hardStateSequence
        self.firstIndex = firstIndex
        self.entryCount = entryCount
        self.synced = synced
    }
}

// MARK: Little-endian access

extension UnsafeRawBufferPointer {
    @inline(__always) func u32(_ at: Int) -> UInt32 { UInt32(littleEndian: loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
    @inline(__always) func u64(_ at: Int) -> UInt64 { UInt64(littleEndian: loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
    @inline(__always) func u16(_ at: Int) -> UInt16 { UInt16(littleEndian: loadUnaligned(fromByteOffset: at, as: UInt16.self)) }
}

extension Array where Element == UInt8 {
    @inline(__always) mutating func put32(_ v: UInt32) {
        append(UInt8(truncatingIfNeeded: v)); append(UInt8(truncatingIfNeeded: v >> 8))
        append(UInt8(truncatingIfNeeded: v >> 16)); append(UInt8(truncatingIfNeeded: v >> 24))
    }
    @inline(__always) mutating func put64(_ v: UInt64) {
        put32(UInt32(truncatingIfNeeded: v)); put32(UInt32(truncatingIfNeeded: v >> 32))
    }
    @inline(__always) mutating func put16(_ v: UInt16) {
        append(UInt8(truncatingIfNeeded: v)); append(UInt8(truncatingIfNeeded: v >> 8))
    }
}

/// Encoders for the format (the decoder is `LogScanner`; there is no other).
public enum RecordCodec {
    /// Appends one record to `buffer`.
    public static func appendRecord(
        to buffer: inout [UInt8], kind: RecordKind, entryType: UInt8, term: UInt64, index: UInt64,
        payload: UnsafeRawBufferPointer
    ) {
        let start = buffer.count
        let padded = (payload.count + 7) & ~7
        let total = StorageFormat.recordSize(payloadLength: payload.count)
        // Zero-filled first: the reserved fields and the padding are zero.
        buffer.append(contentsOf: repeatElement(0, count: total))
        buffer.withUnsafeMutableBytes { raw in
            let p = raw.baseAddress! + start
            p.storeBytes(of: UInt32(payload.count).littleEndian, toByteOffset: 0, as: UInt32.self)
            p.storeBytes(of: kind.rawValue, toByteOffset: 4, as: UInt8.self)
            p.storeBytes(of: entryType, toByteOffset: 5, as: UInt8.self)
            p.storeBytes(of: term.littleEndian, toByteOffset: 8, as: UInt64.self)
            p.storeBytes(of: index.littleEndian, toByteOffset: 16, as: UInt64.self)
            // One pass: the register after bytes 0..<28 is the header checksum and continues into the record's.
            let register = CRC32C.update(0xFFFF_FFFF, UnsafeRawBufferPointer(start: p, count: 28))
            p.storeBytes(of: (~register).littleEndian, toByteOffset: 28, as: UInt32.self)
            if payload.count > 0 { (p + 32).copyMemory(from: payload.baseAddress!, byteCount: payload.count) }
            let recordCRC = ~CRC32C.update(register, UnsafeRawBufferPointer(start: p + 28, count: 4 + padded))
            p.storeBytes(of: recordCRC.littleEndian, toByteOffset: 32 + padded, as: UInt32.self)
            p.storeBytes(of: StorageFormat.recordEndTag.littleEndian, toByteOffset: 36 + padded, as: UInt32.self)
        }
    }

    /// Appends an entry record.
    public static func appendEntry(_ entry: Entry, to buffer: inout [UInt8]) {
        entry.data.withUnsafeBytes { payload in
            appendRecord(to: &buffer, kind: .entry, entryType: entry.kind.rawValue, term: entry.term, index: entry.index, payload: payload)
        }
    }

    /// Appends a batch marker record; `lastTerm`/`lastIndex` describe the log's last entry after the batch.
    public static func appendBatch(_ marker: BatchMarker, lastTerm: UInt64, lastIndex: UInt64, to buffer: inout [UInt8]) {
        var payload: [UInt8] = []
        payload.reserveCapacity(StorageFormat.batchPayloadSize)
        payload.put64(marker.batchSequence)
        payload.put64(marker.hardStateSequence)
        payload.put64(marker.firstIndex)
        payload.put32(marker.entryCount)
        payload.put32(marker.synced ? 0 : 1)
        payload.withUnsafeBytes { raw in
            appendRecord(to: &buffer, kind: .batch, entryType: 0, term: lastTerm, index: lastIndex, payload: raw)
        }
    }

    /// The 64-byte header of a new segment.
    public static func segmentHeader(logID: LogID, sequence: UInt64, firstIndex: UInt64) -> [UInt8] {
        var b: [UInt8] = []
        b.reserveCapacity(StorageFormat.segmentHeaderSize)
        b.append(contentsOf: StorageFormat.segmentMagic)
        b.put32(StorageFormat.version)
        b.put32(UInt32(StorageFormat.segmentHeaderSize))
        b.append(contentsOf: logID.bytes)
        b.put64(sequence)
        b.put64(firstIndex)
        b.put64(0)
        b.put32(0)
        b.put32(CRC32C.checksum(b))
        return b
    }

    /// One 80-byte hard-state slot.
    /// `batchSequence` is the sequence of the last batch written before this slot, `segmentSequence`
    /// the segment the log is being appended to; `synced` says
    /// whether the slot is about to be synced (false under `SyncPolicy.never`).
    public static func hardStateSlot(
        _ state: HardState, sequence: UInt64, slot: Int, logID: LogID,
        batchSequence: UInt64 = 0, segmentSequence: UInt64 = 1, synced: Bool = true
    ) -> [UInt8] {
        var b: [UInt8] = []
        b.reserveCapacity(StorageFormat.hardStateSlotSize)
        b.append(contentsOf: StorageFormat.hardStateMagic)
        b.put32(StorageFormat.version)
        b.put32(UInt32(slot))
        b.append(contentsOf: logID.bytes)
        b.put64(sequence)
        b.put64(state.term)
        b.put64(state.vote)
        b.put64(state.commit)
        b.put64(batchSequence)
        b.put64(segmentSequence)
        b.put32(synced ? 0 : 1)
        b.put32(0)
        b.put32(0)
        b.put32(CRC32C.checksum(b))
        return b
    }
}

/// A decoded segment header (see `SegmentHeader.decode`).
public struct SegmentHeader: Equatable, Sendable {
    /// Format version.
    public var version: UInt32
    /// The log this segment belongs to.
    public var logID: LogID
    /// Position of the segment in the log (1, 2, …).
    public var sequence: UInt64
    /// The index the segment's first entry was expected to have when the segment was created.
    public var firstIndex: UInt64

    /// Why a header does not decode.
    public enum Failure: Error, Sendable {
        case short(available: Int)
        case badMagic
        case badChecksum(stored: UInt32, computed: UInt32)
        case unsupportedVersion(UInt32)
        case badField(String)
    }

    /// Decodes the first 64 bytes of a segment file.
    public static func decode(_ raw: UnsafeRawBufferPointer) -> Result<SegmentHeader, Failure> {
        guard raw.count >= StorageFormat.segmentHeaderSize else { return .failure(.short(available: raw.count)) }
        let h = UnsafeRawBufferPointer(rebasing: raw[0..<StorageFormat.segmentHeaderSize])
        let stored = h.u32(60)
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: h[0..<60]))
        guard Array(h[0..<8]) == StorageFormat.segmentMagic else { return .failure(.badMagic) }
        guard stored == computed else { return .failure(.badChecksum(stored: stored, computed: computed)) }
        let version = h.u32(8)
        guard version == StorageFormat.version else { return .failure(.unsupportedVersion(version)) }
        guard h.u32(12) == UInt32(StorageFormat.segmentHeaderSize) else { return .failure(.badField("header size \(h.u32(12))")) }
        guard h.u64(48) == 0, h.u32(56) == 0 else { return .failure(.badField("reserved bytes are not zero")) }
        let first = h.u64(40)
        guard first >= 1 && first < StorageFormat.plausibleLimit else { return .failure(.badField("first index \(first)")) }
        guard h.u64(32) >= 1 && h.u64(32) < StorageFormat.plausibleLimit else { return .failure(.badField("sequence \(h.u64(32))")) }
        return .success(SegmentHeader(version: version, logID: LogID(bytes: Array(h[16..<32])), sequence: h.u64(32), firstIndex: first))
    }
}
