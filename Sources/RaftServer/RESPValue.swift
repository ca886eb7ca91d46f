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
        case .integer(let value):
            buffer.writeInteger(UInt8(ascii: ":"))
            buffer.writeString(String(value))
            buffer.writeStaticString("\r\n")
        case .bulkString(let bytes):
            buffer.writeInteger(UInt8(ascii: "$"))
            buffer.writeString(String(bytes.count))
            buffer.writeStaticString("\r\n")
            buffer.writeBytes(bytes)
            buffer.writeStaticString("\r\n")
        case .nullBulkString: buffer.writeStaticString("$-1\r\n")
        case .array(let values):
            buffer.writeInteger(UInt8(ascii: "*"))
            buffer.writeString(String(values.count))
            buffer.writeStaticString("\r\n")
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
        buffer.writeInteger(marker)
        for byte in text.utf8 { buffer.writeInteger(byte == 13 || byte == 10 ? UInt8(ascii: " ") : byte) }
        buffer.writeStaticString("\r\n")
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
