import NIOCore
import NIOEmbedded
import Testing
@testable import RaftServer

/// The RESP2 request decoder on an `EmbeddedChannel`, and the value encoder and reply parser.
@Suite("RESP codec")
struct RESPCodecTests {
    func channel(limits: RESPLimits = RESPLimits()) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RESPCommandDecoder(limits: limits)))
        return channel
    }

    func commands(_ channel: EmbeddedChannel) throws -> [RESPCommand] {
        var all: [RESPCommand] = []
        while let command = try channel.readInbound(as: RESPCommand.self) { all.append(command) }
        return all
    }

    /// A mix of array and inline requests, with binary data, empty arguments and an empty line.
    static let requests: [UInt8] = Array(
        ("*1\r\n$4\r\nPING\r\n" + "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$10\r\nva\r\nl\0ue!!\r\n" + "PING\r\n" + "\r\n"
            + "set k \"a b\\x41\\n\" 'it\\'s'\n" + "*0\r\n" + "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n").utf8)

    static let expected: [RESPCommand] = [
        RESPCommand("PING"),
        RESPCommand(arguments: [Array("SET".utf8), Array("key".utf8), Array("va\r\nl\0ue!!".utf8)]),
        RESPCommand("PING"),
        RESPCommand("set", "k", "a bA\n", "it's"),
        RESPCommand("ECHO", ""),
    ]

    @Test("requests split at every byte come out whole, in order")
    func splitAtEveryByte() throws {
        let bytes = Self.requests
        for split in 0...bytes.count {
            let channel = try channel()
            try channel.writeInbound(ByteBuffer(bytes: bytes[..<split]))
            try channel.writeInbound(ByteBuffer(bytes: bytes[split...]))
            #expect(try commands(channel) == Self.expected, "split at \(split)")
        }
        let channel = try channel()
        for byte in bytes { try channel.writeInbound(ByteBuffer(bytes: [byte])) }
        #expect(try commands(channel) == Self.expected)
    }

    @Test("a pipelined burst in one read yields every command in order")
    func pipelined() throws {
        let channel = try channel()
        let burst = (0..<1000).map { RESPCommand("SET", "key\($0)", String(repeating: "v", count: $0 % 50)) }
        try channel.writeInbound(ByteBuffer(bytes: burst.flatMap(\.encoded)))
        #expect(try commands(channel) == burst)
    }

    @Test("malformed requests raise Redis's protocol errors")
    func malformed() throws {
        let cases: [(String, RESPProtocolError)] = [
            ("*x\r\n", .invalidMultibulkLength),
            ("*2\r\n:1\r\n", .expectedDollar(got: UInt8(ascii: ":"))),
            ("*1\r\n$-5\r\n", .invalidBulkLength),
            ("*1\r\n$abc\r\n", .invalidBulkLength),
            ("*1\r\n$3\r\nfooXY", .missingCRLF),
            ("*1\n", .missingCRLF),
            ("SET a \"b\r\n", .unbalancedQuotes),
            ("SET a \"b\"c\r\n", .unbalancedQuotes),
            ("*99999999999999999999\r\n", .invalidMultibulkLength),
        ]
        for (text, error) in cases {
            let channel = try channel()
            #expect(throws: error, "\(text.debugDescription)") { try channel.writeInbound(ByteBuffer(string: text)) }
        }
        #expect(RESPProtocolError.expectedDollar(got: 58).reply == .error("ERR Protocol error: expected '$', got ':'"))
        #expect(RESPProtocolError.invalidBulkLength.reply.encoded == Array("-ERR Protocol error: invalid bulk length\r\n".utf8))
    }

    @Test("huge announced lengths and long lines are refused at once, before any data arrives")
    func hugeLengths() throws {
        let limits = RESPLimits(maxBulkBytes: 1000, maxArrayCount: 10, maxInlineBytes: 64)
        let cases: [([UInt8], RESPProtocolError)] = [
            (Array("*1\r\n$536870913\r\n".utf8), .invalidBulkLength),
            (Array("*1\r\n$1001\r\n".utf8), .invalidBulkLength),
            (Array("*11\r\n".utf8), .invalidMultibulkLength),
            (Array("*9223372036854775807\r\n".utf8), .invalidMultibulkLength),
            ([UInt8](repeating: UInt8(ascii: "A"), count: 66), .tooBigInlineRequest),
            (Array("*".utf8) + [UInt8](repeating: UInt8(ascii: "1"), count: 70), .tooBigMultibulkCountString),
            (Array("*1\r\n$".utf8) + [UInt8](repeating: UInt8(ascii: "1"), count: 70), .tooBigBulkCountString),
        ]
        for (bytes, error) in cases {
            let channel = try channel(limits: limits)
            #expect(throws: error) { try channel.writeInbound(ByteBuffer(bytes: bytes)) }
        }
        // At the limits themselves, requests are accepted.
        let channel = try channel(limits: limits)
        let atLimit = RESPCommand(arguments: [Array("SET".utf8), [UInt8](repeating: 1, count: 1000)])
        try channel.writeInbound(ByteBuffer(bytes: atLimit.encoded))
        try channel.writeInbound(ByteBuffer(bytes: [UInt8](repeating: UInt8(ascii: "B"), count: 64) + [10]))
        #expect(try commands(channel) == [atLimit, RESPCommand(String(repeating: "B", count: 64))])
        // Redis's own default refuses a 512 MiB + 1 bulk from its header alone.
        let redis = try self.channel()
        #expect(throws: RESPProtocolError.invalidBulkLength) {
            try redis.writeInbound(ByteBuffer(string: "*1\r\n$536870913\r\n"))
        }
    }

    @Test("a line arriving one byte at a time is scanned once, not once per byte")
    func linearScan() throws {
        // 8 KiB of one inline word a byte at a time decodes to that word...
        let channel = try channel()
        let word = [UInt8](repeating: UInt8(ascii: "w"), count: 8 << 10)
        for byte in word { try channel.writeInbound(ByteBuffer(bytes: [byte])) }
        try channel.writeInbound(ByteBuffer(bytes: [10]))
        #expect(try commands(channel) == [RESPCommand(arguments: [word])])
        // ...and each call resumes where the last one stopped looking (rescanning from the start
        // would read 2^31 bytes): counted, not timed, so a loaded machine cannot fail it.
        var buffer = ByteBuffer()
        var scanned = 0
        for count in 1...1000 {
            buffer.writeInteger(UInt8(ascii: "w"))
            let line = try RESPLine.read(&buffer, maxBytes: 4096, tooLong: .tooBigInlineRequest, allowBareLF: true, scannedBytes: &scanned)
            #expect(line == nil)
            #expect(scanned == count, "the next scan starts after the \(count) bytes already looked at")
        }
        buffer.writeInteger(UInt8(10))
        #expect(try RESPLine.read(&buffer, maxBytes: 4096, tooLong: .tooBigInlineRequest, allowBareLF: true, scannedBytes: &scanned)?.count == 1000)
        #expect(scanned == 0 && buffer.readableBytes == 0)
    }

    @Test("command names match case-insensitively")
    func names() {
        #expect(RESPCommand("quit").isNamed("QUIT") && RESPCommand("QuIt").isNamed("QUIT"))
        #expect(!RESPCommand("QUITS").isNamed("QUIT") && !RESPCommand("QUI").isNamed("QUIT"))
        #expect(!RESPCommand(arguments: [[0x51, 0x55, 0x49, 0x54 | 0x80]]).isNamed("QUIT"))
        #expect(RESPCommand("get", "k").name == "GET" && RESPCommand("get", "k").parameters.first == Array("k".utf8))
    }

    @Test("values encode as RESP2 and parse back")
    func values() throws {
        let values: [RESPValue] = [
            .simpleString("OK"), .error("ERR no"), .integer(-42), .integer(Int64.max), .bulkString([0, 13, 10, 255]),
            .bulk(""), .nullBulkString, .nullArray, .array([]),
            .array([.integer(1), .array([.bulk("x"), .nullBulkString]), .simpleString("PONG")]),
        ]
        let bytes = values.flatMap(\.encoded)
        #expect(
            Array(String(decoding: RESPValue.array([.bulk("a"), .integer(2), .nullBulkString]).encoded, as: UTF8.self).utf8)
                == Array("*3\r\n$1\r\na\r\n:2\r\n$-1\r\n".utf8))
        #expect(RESPValue.simpleString("a\r\nb").encoded == Array("+a  b\r\n".utf8), "CR LF cannot end a status early")
        for split in 0...bytes.count {
            var buffer = ByteBuffer(bytes: bytes[..<split])
            var parsed: [RESPValue] = []
            while let value = try RESPValue.read(from: &buffer) { parsed.append(value) }
            buffer.writeBytes(bytes[split...])
            while let value = try RESPValue.read(from: &buffer) { parsed.append(value) }
            #expect(parsed == values, "split at \(split)")
        }
    }

    @Test("numbers and lengths are written in decimal, byte for byte, at every width and sign")
    func exactEncoding() {
        let numbers: [Int64] = [0, 1, 9, 10, 99, 100, 12_345, -1, -10, -987_654_321, .max, .min, .max - 1, .min + 1]
        for number in numbers {
            #expect(RESPValue.integer(number).encoded == Array(":\(number)\r\n".utf8))
        }
        for count in [0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 65_536] {
            let bytes: [UInt8] = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let expected: [UInt8] = Array("$\(count)\r\n".utf8) + bytes + [13, 10]
            #expect(RESPValue.bulkString(bytes).encoded == expected)
        }
        let elements = (0..<12).map { RESPValue.integer(Int64($0)) }
        #expect(RESPValue.array(elements).encoded == Array(("*12\r\n" + (0..<12).map { ":\($0)\r\n" }.joined()).utf8))
        #expect(RESPValue.error("ERR a\nb\rc é").encoded == Array("-ERR a b c é\r\n".utf8))
        #expect(RESPValue.simpleString("").encoded == Array("+\r\n".utf8))
        // Many values into one buffer (the connection's): each lands after the last, whatever the capacity.
        var buffer = ByteBufferAllocator().buffer(capacity: 1)
        for count in 0..<40 { RESPValue.bulkString([UInt8](repeating: 7, count: count)).write(into: &buffer) }
        var expected: [UInt8] = []
        for count in 0..<40 { expected += Array("$\(count)\r\n".utf8) + [UInt8](repeating: 7, count: count) + [13, 10] }
        #expect(Array(buffer.readableBytesView) == expected)
    }

    @Test("a request whole in one read and the same request in pieces decode alike, errors included")
    func wholeAndPiecewiseAgree() throws {
        let limits = RESPLimits(maxBulkBytes: 100, maxArrayCount: 5, maxInlineBytes: 8)
        let requests: [String] = [
            "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n", "*1\r\n$0\r\n\r\n", "*2\r\n$03\r\nGET\r\n$1\r\nk\r\n",
            "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n", "*0\r\n*1\r\n$4\r\nPING\r\n",
            "*-1\r\n*1\r\n$4\r\nPING\r\n", "*6\r\n", "*1\r\n$101\r\n", "*1\r\n$-0\r\n", "*1\r\n$1\r\nab\r\n",
            "*1\r\n:1\r\n", "*1\r\n$1\n", "*1 \r\n", "*+1\r\n", "*1\r\n$0000001\r\nx\r\n", "*1\r\n$00000001\r\nx\r\n",
            "*0000002\r\n$1\r\na\r\n$1\r\nb\r\n", "*1\r\n$100\r\n" + String(repeating: "v", count: 100) + "\r\n",
        ]
        /// What the decoder yields for `bytes` fed at once, or a byte per call; then the error, if any.
        func decode(_ bytes: [UInt8], whole: Bool) -> (commands: [RESPCommand], error: RESPProtocolError?) {
            var decoder = RESPCommandDecoder(limits: limits)
            var buffer = ByteBuffer()
            var commands: [RESPCommand] = []
            do {
                for chunk in whole ? [bytes] : bytes.map({ [$0] }) {
                    buffer.writeBytes(chunk)
                    while let command = try decoder.next(&buffer) { commands.append(command) }
                }
            } catch { return (commands, error as? RESPProtocolError) }
            return (commands, nil)
        }
        for request in requests {
            let bytes = Array(request.utf8)
            let whole = decode(bytes, whole: true)
            let piecewise = decode(bytes, whole: false)
            #expect(whole.commands == piecewise.commands && whole.error == piecewise.error, "\(request.debugDescription)")
        }
        #expect(decode(Array(requests[0].utf8), whole: true).commands == [RESPCommand("GET", "key")])
        #expect(decode(Array("*1\r\n$00000001\r\nx\r\n".utf8), whole: true).error == .tooBigBulkCountString)
    }
}
