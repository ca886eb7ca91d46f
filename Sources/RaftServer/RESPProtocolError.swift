import NIOCore

/// Limits on what a RESP peer may send; past them the request is refused and the connection closed.
public struct RESPLimits: Sendable, Equatable {
    /// Largest bulk string (Redis's `proto-max-bulk-len`, 512 MiB by default).
    public var maxBulkBytes: Int64
    /// Largest number of arguments of one command (Redis allows 1,048,576).
    public var maxArrayCount: Int64
    /// Longest inline command or `*`/`$` header line (Redis: 64 KiB).
    public var maxInlineBytes: Int

    /// Creates limits; the defaults are Redis's.
    public init(maxBulkBytes: Int64 = 512 << 20, maxArrayCount: Int64 = 1 << 20, maxInlineBytes: Int = 64 << 10) {
        precondition(maxBulkBytes >= 0 && maxArrayCount >= 0 && maxInlineBytes > 0, "RESP limits must be positive")
        self.maxBulkBytes = maxBulkBytes
        self.maxArrayCount = maxArrayCount
        self.maxInlineBytes = maxInlineBytes
    }
}

/// A malformed RESP request; the server answers `-ERR Protocol error: …` and closes the connection.
public enum RESPProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `*N` where N is not a number or beyond the array count limit.
    case invalidMultibulkLength
    /// `$N` where N is not a number, negative, or beyond the bulk size limit.
    case invalidBulkLength
    /// An element of a request array that is not a bulk string.
    case expectedDollar(got: UInt8)
    /// An inline command longer than the limit.
    case tooBigInlineRequest
    /// A `*N` line longer than the limit.
    case tooBigMultibulkCountString
    /// A `$N` line longer than the limit.
    case tooBigBulkCountString
    /// An inline command with a quote that does not close (or closes in the middle of a word).
    case unbalancedQuotes
    /// A bulk string not followed by CR LF.
    case missingCRLF
    /// `:N` where N is not a 64-bit integer (replies only).
    case invalidInteger
    /// A reply line starting with a byte that is no RESP2 type (replies only).
    case unexpectedByte(UInt8)

    /// The text after `Protocol error: `, as Redis words it where Redis has the case.
    public var reason: String {
        switch self {
        case .invalidMultibulkLength: return "invalid multibulk length"
        case .invalidBulkLength: return "invalid bulk length"
        case .expectedDollar(let got): return "expected '$', got '\(Self.printable(got))'"
        case .tooBigInlineRequest: return "too big inline request"
        case .tooBigMultibulkCountString: return "too big mbulk count string"
        case .tooBigBulkCountString: return "too big bulk count string"
        case .unbalancedQuotes: return "unbalanced quotes in request"
        case .missingCRLF: return "expected CRLF after bulk data"
        case .invalidInteger: return "invalid integer"
        case .unexpectedByte(let byte): return "unexpected byte '\(Self.printable(byte))'"
        }
    }

    /// `Protocol error: <reason>`.
    public var description: String { "Protocol error: \(reason)" }

    /// The reply sent before closing: `-ERR Protocol error: <reason>`.
    public var reply: RESPValue { .error("ERR \(description)") }

    private static func printable(_ byte: UInt8) -> String {
        (32..<127).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16)
    }
}

/// Line reading and integer parsing shared by the request decoder and the reply parser.
enum RESPLine {
    /// Reads one line from the front of `buffer`: up to CR LF, or up to a bare LF when
    /// `allowBareLF` (inline commands, as Redis accepts them); the line end is not returned.
    ///
    /// Returns nil when no line end is buffered yet and the line may still fit. `scannedBytes`
    /// remembers how far an earlier call already looked, so a line arriving a byte at a time costs
    /// linear, not quadratic, time; it is reset to 0 when a line is consumed.
    /// - Throws: `tooLong` for a line of more than `maxBytes`; `missingCRLF` for a bare LF when not allowed.
    static func read(
        _ buffer: inout ByteBuffer, maxBytes: Int, tooLong: RESPProtocolError,
        allowBareLF: Bool = false, scannedBytes: inout Int
    ) throws -> [UInt8]? {
        let view = buffer.readableBytesView
        guard let lf = try lineEnd(view, maxBytes: maxBytes, tooLong: tooLong, scannedBytes: &scannedBytes) else { return nil }
        let hasCR = lf > view.startIndex && view[lf - 1] == 13
        guard hasCR || allowBareLF else { throw RESPProtocolError.missingCRLF }
        let line = Array(view[view.startIndex..<(hasCR ? lf - 1 : lf)])
        guard line.count <= maxBytes else { throw tooLong }
        buffer.moveReaderIndex(forwardBy: lf - view.startIndex + 1)
        scannedBytes = 0
        return line
    }

    /// Where the LF ending the next line is, looking only past what an earlier call scanned; nil
    /// (remembering how far it looked) when none is buffered yet and the line may still fit.
    private static func lineEnd(
        _ view: ByteBufferView, maxBytes: Int, tooLong: RESPProtocolError, scannedBytes: inout Int
    ) throws -> ByteBufferView.Index? {
        let start = view.startIndex + min(scannedBytes, view.count)
        let window = view[start..<min(view.endIndex, view.startIndex + maxBytes + 2)]
        guard let lf = window.firstIndex(of: 10) else {
            if view.count > maxBytes + 1 { throw tooLong }
            scannedBytes = view.count
            return nil
        }
        return lf
    }

    /// Reads a header line (`*N` or `$N`, CR LF ended) as `read` does, and parses the decimal after
    /// its first byte in place, without copying the line. Returns nil when no line end is buffered
    /// yet, and `.some(nil)` when the line holds no decimal (the caller names the error).
    static func readHeader(
        _ buffer: inout ByteBuffer, maxBytes: Int, tooLong: RESPProtocolError, scannedBytes: inout Int
    ) throws -> Int64?? {
        let view = buffer.readableBytesView
        guard let lf = try lineEnd(view, maxBytes: maxBytes, tooLong: tooLong, scannedBytes: &scannedBytes) else { return nil }
        guard lf > view.startIndex && view[lf - 1] == 13 else { throw RESPProtocolError.missingCRLF }
        guard lf - 1 - view.startIndex <= maxBytes else { throw tooLong }
        let value = decimal(view[(view.startIndex + 1)..<(lf - 1)])
        buffer.moveReaderIndex(forwardBy: lf - view.startIndex + 1)
        scannedBytes = 0
        return .some(value)
    }

    /// `read` without memory of earlier scans (for one-shot parsing of complete replies).
    static func read(_ buffer: inout ByteBuffer, maxBytes: Int, tooLong: RESPProtocolError) throws -> [UInt8]? {
        var scanned = 0
        return try read(&buffer, maxBytes: maxBytes, tooLong: tooLong, scannedBytes: &scanned)
    }

    /// A decimal integer with an optional leading `-`; nil when empty, not digits, or out of range.
    static func decimal<Bytes: Collection>(_ bytes: Bytes) -> Int64? where Bytes.Element == UInt8 {
        var digits = bytes[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.count <= 19 else { return nil }
        var value: Int64 = 0
        for byte in digits {
            guard (48...57).contains(byte) else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int64(byte - 48))
            if overflow1 || overflow2 { return nil }
            value = sum
        }
        return negative ? -value : value
    }
}
