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
}
