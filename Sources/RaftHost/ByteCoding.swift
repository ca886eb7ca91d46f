/// Little-endian fields for the small binary formats of state machines and commands
/// (`BinaryCommand`, raftd's member directory): writers append, the reader never reads past the end.
public enum ByteWriter {
    /// Appends a u32, little-endian.
    public static func appendU32(_ value: UInt32, to out: inout [UInt8]) {
        for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: value >> UInt32(8 * k))) }
    }

    /// Appends a u64, little-endian.
    public static func appendU64(_ value: UInt64, to out: inout [UInt8]) {
        for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: value >> UInt64(8 * k))) }
    }

    /// Appends a string as a u32 length and its UTF-8 bytes.
    public static func appendString(_ text: String, to out: inout [UInt8]) {
        appendU32(UInt32(text.utf8.count), to: &out)
        out.append(contentsOf: text.utf8)
    }
}

/// Reads little-endian fields from untrusted bytes: nil instead of reading past the end.
public struct ByteReader {
    /// The bytes read.
    public let bytes: [UInt8]
    /// Where the next field starts.
    public var position: Int

    /// A reader of `bytes` from `position`.
    public init(bytes: [UInt8], position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    /// The next u32, or nil when fewer than 4 bytes remain.
    public mutating func u32() -> UInt32? {
        guard position + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for k in 0..<4 { value |= UInt32(bytes[position + k]) << UInt32(8 * k) }
        position += 4
        return value
    }

    /// The next u64, or nil when fewer than 8 bytes remain.
    public mutating func u64() -> UInt64? {
        guard position + 8 <= bytes.count else { return nil }
        var value: UInt64 = 0
        for k in 0..<8 { value |= UInt64(bytes[position + k]) << UInt64(8 * k) }
        position += 8
        return value
    }

    /// The next u32-length-prefixed string, or nil when its length passes the end.
    public mutating func string() -> String? {
        guard let count = u32(), Int(count) <= bytes.count - position else { return nil }
        defer { position += Int(count) }
        return String(decoding: bytes[position..<(position + Int(count))], as: UTF8.self)
    }
}
