import NIOCore

/// A RESP2 value (the Redis serialization protocol, version 2), as sent to clients.
public enum RESPValue: Equatable, Sendable {
    /// `+OK\r\n`: a short status line (no CR or LF inside).
    case simpleString(String)
    /// `-ERR message\r\n`: the first word is the error code by convention (`ERR`, `MOVED`, `TRYAGAIN`).
    case error(String)
    /// `:42\r\n`
    case integer(Int64)
    /// `$3\r\nfoo\r\n`: binary-safe bytes.
    case bulkString([UInt8])
    /// `$-1\r\n`: "no value" (GET of a missing key).
    case nullBulkString
    /// `*2\r\n…`: a list of values.
    case array([RESPValue])
    /// `*-1\r\n`
    case nullArray

    /// A bulk string holding `text` as UTF-8.
    public static func bulk(_ text: String) -> RESPValue { .bulkString(Array(text.utf8)) }

    /// The `+OK` status.
    public static let ok = RESPValue.simpleString("OK")

    /// Appends the RESP2 encoding to `buffer`. CR and LF inside a simple string or an error would
    /// end the line early and desynchronise the client, so they are written as spaces (Redis does
    /// the same for error texts).
    public func write(into buffer: inout ByteBuffer) {
        switch self {
        case .simpleString(let text): writeLine(UInt8(ascii: "+"), text, into: &buffer)
        case .error(let text): writeLine(UInt8(ascii: "-"), text, into: &buffer)
        case .integer(let value): Self.writeHeader(UInt8(ascii: ":"), value, into: &buffer)
        case .bulkString(let bytes):
            // Header, bytes and CR LF in one reservation (each ByteBuffer write checks capacity and uniqueness).
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.maxHeaderBytes + bytes.count + 2) { out in
                var index = Self.header(UInt8(ascii: "$"), Int64(bytes.count), into: out)
                if !bytes.isEmpty {
                    bytes.withUnsafeBytes { out.baseAddress!.advanced(by: index).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                }
                index += bytes.count
                out[index] = 13
                out[index + 1] = 10
                return index + 2
            }
        case .nullBulkString: buffer.writeStaticString("$-1\r\n")
        case .array(let values):
            Self.writeHeader(UInt8(ascii: "*"), Int64(values.count), into: &buffer)
            for value in values { value.write(into: &buffer) }
        case .nullArray: buffer.writeStaticString("*-1\r\n")
        }
    }

    /// The RESP2 encoding as bytes.
    public var encoded: [UInt8] {
        var buffer = ByteBufferAllocator().buffer(capacity: 16)
        write(into: &buffer)
        return Array(buffer.readableBytesView)
    }

    private func writeLine(_ marker: UInt8, _ text: String, into buffer: inout ByteBuffer) {
        let utf8 = text.utf8
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: utf8.count + 3) { out in
            out[0] = marker
            var index = 1
            for byte in utf8 {
                out[index] = byte == 13 || byte == 10 ? UInt8(ascii: " ") : byte
                index += 1
            }
            out[index] = 13
            out[index + 1] = 10
            return index + 2
        }
    }

    /// The longest header line: a marker, a sign, 19 digits, CR LF.
    private static let maxHeaderBytes = 23

    /// Writes `marker`, `value` in decimal and CR LF (`:42`, `$3`, `*2`), without building a string.
    private static func writeHeader(_ marker: UInt8, _ value: Int64, into buffer: inout ByteBuffer) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: maxHeaderBytes) { header(marker, value, into: $0) }
    }

    /// Puts the header line at the start of `out` (at least `maxHeaderBytes` long); returns its length.
    private static func header(_ marker: UInt8, _ value: Int64, into out: UnsafeMutableRawBufferPointer) -> Int {
        assert(out.count >= maxHeaderBytes, "room for the longest header")
        out[0] = marker
        var start = 1
        if value < 0 {
            out[1] = UInt8(ascii: "-")
            start = 2
        }
        var magnitude = value.magnitude
        var digits = 1
        var probe = magnitude
        while probe >= 10 {
            probe /= 10
            digits += 1
        }
        let end = start + digits
        for index in stride(from: end - 1, through: start, by: -1) {
            out[index] = UInt8(truncatingIfNeeded: 48 + magnitude % 10)
            magnitude /= 10
        }
        out[end] = 13
        out[end + 1] = 10
        return end + 2
    }
}

extension RESPValue {
    /// Reads one complete value (a reply, as a client sees it) from the front of `buffer`.
    ///
    /// Returns nil and consumes nothing when the value is not complete yet. For clients and tests;
    /// the server parses requests with `RESPCommandDecoder`, whose rules are stricter.
    /// - Throws: `RESPProtocolError` on a malformed value or one beyond `limits`.
    public static func read(from buffer: inout ByteBuffer, limits: RESPLimits = RESPLimits()) throws -> RESPValue? {
        var copy = buffer
        guard let value = try parse(&copy, limits: limits, depth: 0) else { return nil }
        buffer = copy
        return value
    }

    private static func parse(_ buffer: inout ByteBuffer, limits: RESPLimits, depth: Int) throws -> RESPValue? {
        guard depth < 64 else { throw RESPProtocolError.invalidMultibulkLength }
        guard let line = try RESPLine.read(&buffer, maxBytes: limits.maxInlineBytes, tooLong: .tooBigInlineRequest) else {
            return nil
        }
        guard let marker = line.first else { throw RESPProtocolError.unexpectedByte(UInt8(ascii: "\r")) }
        let rest = Array(line.dropFirst())
        switch marker {
        case UInt8(ascii: "+"): return .simpleString(String(decoding: rest, as: UTF8.self))
        case UInt8(ascii: "-"): return .error(String(decoding: rest, as: UTF8.self))
        case UInt8(ascii: ":"):
            guard let value = RESPLine.decimal(rest) else { throw RESPProtocolError.invalidInteger }
            return .integer(value)
        case UInt8(ascii: "$"):
            guard let length = RESPLine.decimal(rest), length >= -1, length <= limits.maxBulkBytes else {
                throw RESPProtocolError.invalidBulkLength
            }
            if length == -1 { return .nullBulkString }
            guard buffer.readableBytes >= Int(length) + 2 else { return nil }
            let bytes = buffer.readBytes(length: Int(length))!
            guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { throw RESPProtocolError.missingCRLF }
            return .bulkString(bytes)
        case UInt8(ascii: "*"):
            guard let count = RESPLine.decimal(rest), count >= -1, count <= limits.maxArrayCount else {
                throw RESPProtocolError.invalidMultibulkLength
            }
            if count == -1 { return .nullArray }
            var values: [RESPValue] = []
            values.reserveCapacity(min(Int(count), 1024))
            for _ in 0..<count {
                guard let value = try parse(&buffer, limits: limits, depth: depth + 1) else { return nil }
                values.append(value)
            }
            return .array(values)
        default:
            throw RESPProtocolError.unexpectedByte(marker)
        }
    }
}
