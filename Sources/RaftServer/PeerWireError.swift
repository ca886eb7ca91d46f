/// Why bytes from a peer are not a valid frame; every decoding failure is one of these, never a trap.
public enum PeerWireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes end before the frame does (`needed` bytes in all, `available` present).
    case truncated(needed: Int, available: Int)
    /// The first two bytes are not the magic `RF`.
    case badMagic(UInt16)
    /// The version byte is not one this build speaks.
    case unsupportedVersion(UInt8)
    /// The header's own CRC32C does not match (the length or flags cannot be trusted).
    case badHeaderChecksum(stored: UInt32, computed: UInt32)
    /// The announced payload is larger than this endpoint accepts.
    case oversized(lengthBytes: UInt64, limitBytes: Int)
    /// The payload's CRC32C does not match.
    case badChecksum(stored: UInt32, computed: UInt32)
    /// The payload's kind byte names no message this build knows.
    case unknownKind(UInt8)
    /// A field holds a value the format forbids (named, with the reason).
    case badField(String)

    /// One line for a log.
    public var description: String {
        switch self {
        case .truncated(let needed, let available): return "truncated frame: \(available) of \(needed) bytes"
        case .badMagic(let magic): return "bad magic 0x\(String(magic, radix: 16)) (expected 0x4652, \"RF\")"
        case .unsupportedVersion(let version): return "unsupported wire version \(version) (this build speaks \(PeerWire.version))"
        case .badHeaderChecksum(let stored, let computed):
            return "bad header checksum: stored 0x\(String(stored, radix: 16)), computed 0x\(String(computed, radix: 16))"
        case .oversized(let length, let limit): return "frame of \(length) bytes exceeds the limit of \(limit) bytes"
        case .badChecksum(let stored, let computed):
            return "bad payload checksum: stored 0x\(String(stored, radix: 16)), computed 0x\(String(computed, radix: 16))"
        case .unknownKind(let kind): return "unknown message kind \(kind)"
        case .badField(let reason): return "bad field: \(reason)"
        }
    }
}
