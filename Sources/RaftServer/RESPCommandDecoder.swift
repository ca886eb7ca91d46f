import NIOCore

/// One client request: its arguments as sent (binary-safe), the command name first.
public struct RESPCommand: Equatable, Sendable {
    /// The arguments; never empty.
    public var arguments: [[UInt8]]

    /// Creates a command.
    public init(arguments: [[UInt8]]) {
        precondition(!arguments.isEmpty, "a command has at least its name")
        self.arguments = arguments
    }

    /// Creates a command from text arguments (for tests and clients).
    public init(_ arguments: String...) { self.init(arguments: arguments.map { Array($0.utf8) }) }

    /// The command name in upper case (`GET`, `SET`, …), as Redis matches names case-insensitively.
    public var name: String { String(decoding: arguments[0], as: UTF8.self).uppercased() }

    /// Whether the command name is `upperCaseName`, compared ASCII case-insensitively without
    /// building a string (cheaper than `name` on the hot path).
    public func isNamed(_ upperCaseName: String) -> Bool {
        let name = arguments[0]
        guard name.count == upperCaseName.utf8.count else { return false }
        return zip(name, upperCaseName.utf8).allSatisfy { byte, upper in
            (byte >= 97 && byte <= 122 ? byte - 32 : byte) == upper
        }
    }

    /// The arguments after the name.
    public var parameters: ArraySlice<[UInt8]> { arguments.dropFirst() }

    /// The request as a RESP array of bulk strings, as `redis-cli` sends it.
    public var encoded: [UInt8] { RESPValue.array(arguments.map { .bulkString($0) }).encoded }
}

/// Splits a client byte stream into `RESPCommand`s: `*N` arrays of `$` bulk strings, or inline
/// commands (`PING\r\n`, words separated by spaces, with Redis's quoting rules).
///
/// State is kept between calls, so a request split anywhere (even one byte at a time) costs time
/// linear in its size, and each completed argument is consumed from the buffer at once. A request
/// that arrived whole (the usual case) is parsed in one pass instead (`wholeArray`), to the same
/// command. Empty lines and `*0` are skipped, as Redis does. A malformed request throws `RESPProtocolError`.
public struct RESPCommandDecoder: ByteToMessageDecoder {
    /// One command per request.
    public typealias InboundOut = RESPCommand

    /// The limits enforced before anything is allocated.
    public let limits: RESPLimits

    private enum State {
        /// Between requests.
        case idle
        /// Inside `*N`: `remaining` bulk strings still to come.
        case array(remaining: Int64, arguments: [[UInt8]])
        /// Inside one bulk string of `length` bytes, after its `$` line.
        case bulk(length: Int, remaining: Int64, arguments: [[UInt8]])
    }

    private var state = State.idle
    private var scannedBytes = 0

    /// Creates a decoder.
    public init(limits: RESPLimits = RESPLimits()) { self.limits = limits }

    /// Consumes as much of one request as is buffered; emits it when complete.
    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let command = try next(&buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(command))
        return .continue
    }

    /// A connection that closes inside a request just ends; there is nobody left to answer.
    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        while let command = try next(&buffer) { context.fireChannelRead(wrapInboundOut(command)) }
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }

    /// The next complete command, or nil when more bytes are needed (what was parsed is kept).
    public mutating func next(_ buffer: inout ByteBuffer) throws -> RESPCommand? {
        while true {
            switch state {
            case .idle:
                guard let first = buffer.readableBytesView.first else { return nil }
                if first == UInt8(ascii: "*") {
                    if let command = wholeArray(&buffer) { return command }
                    guard let count = try arrayHeader(&buffer) else { return nil }
                    if count > 0 {
                        var arguments: [[UInt8]] = []
                        arguments.reserveCapacity(Int(min(count, 16)))
                        state = .array(remaining: count, arguments: arguments)
                    }
                } else {
                    guard
                        let line = try RESPLine.read(
                            &buffer, maxBytes: limits.maxInlineBytes, tooLong: .tooBigInlineRequest,
                            allowBareLF: true, scannedBytes: &scannedBytes)
                    else { return nil }
                    let words = try InlineSplitter.split(line)
                    if !words.isEmpty { return RESPCommand(arguments: words) }
                }
            case .array(let remaining, let arguments):
                guard let length = try bulkHeader(&buffer) else { return nil }
                state = .bulk(length: length, remaining: remaining, arguments: arguments)
            case .bulk(let length, let remaining, var arguments):
                guard buffer.readableBytes >= length + 2 else { return nil }
                // `state` lets go of the array first, so that the append below does not copy it.
                state = .idle
                arguments.append(buffer.readBytes(length: length)!)
                guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { throw RESPProtocolError.missingCRLF }
                if remaining == 1 {
                    state = .idle
                    return RESPCommand(arguments: arguments)
                }
                state = .array(remaining: remaining - 1, arguments: arguments)
            }
        }
    }

    /// The request at the front of `buffer` in one pass over its bytes, when it is an array of
    /// bulk strings that has fully arrived and that the step-by-step path would accept as it is;
    /// nil otherwise, with nothing consumed, and that path takes the request (and names its error).
    ///
    /// The common request (a whole `GET` or `SET` in one read) then costs no header lines read
    /// through buffer views, no state changes and no argument-by-argument consumption.
    private mutating func wholeArray(_ buffer: inout ByteBuffer) -> RESPCommand? {
        let limits = self.limits
        let parsed = buffer.withUnsafeReadableBytes { bytes -> (arguments: [[UInt8]], usedBytes: Int)? in
            // First pass: every header valid and every bulk string here, so nothing is built in vain.
            guard let (count, start) = Self.header(bytes, at: 0, marker: UInt8(ascii: "*"), maxLineBytes: limits.maxInlineBytes),
                count > 0, count <= limits.maxArrayCount
            else { return nil }
            var position = start
            for _ in 0..<count {
                guard let (length, data) = Self.header(bytes, at: position, marker: UInt8(ascii: "$"), maxLineBytes: limits.maxInlineBytes),
                    length <= limits.maxBulkBytes, bytes.count - data >= Int(length) + 2,
                    bytes[data + Int(length)] == 13, bytes[data + Int(length) + 1] == 10
                else { return nil }
                position = data + Int(length) + 2
            }
            // Second pass: the arguments, whose headers are known to be valid.
            var arguments: [[UInt8]] = []
            arguments.reserveCapacity(Int(count))
            position = start
            for _ in 0..<count {
                let (length, data) = Self.header(bytes, at: position, marker: UInt8(ascii: "$"), maxLineBytes: limits.maxInlineBytes)!
                arguments.append(Array(UnsafeRawBufferPointer(rebasing: bytes[data..<(data + Int(length))])))
                position = data + Int(length) + 2
            }
            return (arguments, position)
        }
        guard let parsed else { return nil }
        buffer.moveReaderIndex(forwardBy: parsed.usedBytes)
        scannedBytes = 0
        return RESPCommand(arguments: parsed.arguments)
    }

    /// A `*N` or `$N` line at `offset`: `marker`, 1 to 18 digits (no sign), CR LF, no longer than
    /// `maxLineBytes` without its CR LF. Returns N and where the line's next byte is; nil for any
    /// other line, including one not complete yet.
    private static func header(_ bytes: UnsafeRawBufferPointer, at offset: Int, marker: UInt8, maxLineBytes: Int) -> (Int64, Int)? {
        guard offset < bytes.count, bytes[offset] == marker else { return nil }
        var value: Int64 = 0
        var index = offset + 1
        while index < bytes.count, index - offset <= 18, case let byte = bytes[index], byte >= 48, byte <= 57 {
            value = value * 10 + Int64(byte - 48)
            index += 1
        }
        guard index > offset + 1, index - offset <= maxLineBytes, bytes.count - index >= 2, bytes[index] == 13, bytes[index + 1] == 10 else {
            return nil
        }
        return (value, index + 2)
    }

    private mutating func arrayHeader(_ buffer: inout ByteBuffer) throws -> Int64? {
        guard
            let header = try RESPLine.readHeader(
                &buffer, maxBytes: limits.maxInlineBytes, tooLong: .tooBigMultibulkCountString,
                scannedBytes: &scannedBytes)
        else { return nil }
        guard let count = header, count <= limits.maxArrayCount else {
            throw RESPProtocolError.invalidMultibulkLength
        }
        return count
    }

    private mutating func bulkHeader(_ buffer: inout ByteBuffer) throws -> Int? {
        guard let first = buffer.readableBytesView.first else { return nil }
        guard first == UInt8(ascii: "$") else { throw RESPProtocolError.expectedDollar(got: first) }
        guard
            let header = try RESPLine.readHeader(
                &buffer, maxBytes: limits.maxInlineBytes, tooLong: .tooBigBulkCountString,
                scannedBytes: &scannedBytes)
        else { return nil }
        guard let length = header, length >= 0, length <= limits.maxBulkBytes else {
            throw RESPProtocolError.invalidBulkLength
        }
        return Int(length)
    }
}

/// Splits an inline command into words the way Redis does (`sdssplitargs`): spaces separate words;
/// `"…"` allows `\n \r \t \b \a \\ \"` and `\xHH` escapes; `'…'` allows `\'`; a closing quote must be
/// followed by a space or the end of the line.
enum InlineSplitter {
    static func split(_ line: [UInt8]) throws -> [[UInt8]] {
        var words: [[UInt8]] = []
        var i = 0
        func isSpace(_ byte: UInt8) -> Bool { byte == 32 || byte == 9 || byte == 10 || byte == 13 || byte == 11 || byte == 12 }
        while true {
            while i < line.count && isSpace(line[i]) { i += 1 }
            if i == line.count { return words }
            var word: [UInt8] = []
            while i < line.count && !isSpace(line[i]) {
                switch line[i] {
                case UInt8(ascii: "\""): i = try quoted(line, from: i + 1, into: &word, double: true)
                case UInt8(ascii: "'"): i = try quoted(line, from: i + 1, into: &word, double: false)
                default:
                    word.append(line[i])
                    i += 1
                }
            }
            words.append(word)
        }
    }

    /// Reads a quoted part starting after its opening quote; returns the index after the closing quote.
    private static func quoted(_ line: [UInt8], from start: Int, into word: inout [UInt8], double: Bool) throws -> Int {
        let quote = double ? UInt8(ascii: "\"") : UInt8(ascii: "'")
        var i = start
        while i < line.count {
            let byte = line[i]
            if byte == quote {
                // The closing quote must end the word.
                guard i + 1 == line.count || [32, 9, 10, 13, 11, 12].contains(line[i + 1]) else {
                    throw RESPProtocolError.unbalancedQuotes
                }
                return i + 1
            }
            if byte == UInt8(ascii: "\\") && i + 1 < line.count {
                if double, let (value, used) = escape(line, at: i + 1) {
                    word.append(value)
                    i += 1 + used
                    continue
                }
                if !double && line[i + 1] == quote {
                    word.append(quote)
                    i += 2
                    continue
                }
            }
            word.append(byte)
            i += 1
        }
        throw RESPProtocolError.unbalancedQuotes
    }

    /// The byte an escape after a backslash stands for, and how many bytes the escape used.
    private static func escape(_ line: [UInt8], at i: Int) -> (UInt8, Int)? {
        switch line[i] {
        case UInt8(ascii: "n"): return (10, 1)
        case UInt8(ascii: "r"): return (13, 1)
        case UInt8(ascii: "t"): return (9, 1)
        case UInt8(ascii: "b"): return (8, 1)
        case UInt8(ascii: "a"): return (7, 1)
        case UInt8(ascii: "x"):
            guard i + 2 < line.count, let high = hexDigit(line[i + 1]), let low = hexDigit(line[i + 2]) else { return nil }
            return (high << 4 | low, 3)
        default: return (line[i], 1)
        }
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: return byte - 48
        case 97...102: return byte - 87
        case 65...70: return byte - 55
        default: return nil
        }
    }
}
