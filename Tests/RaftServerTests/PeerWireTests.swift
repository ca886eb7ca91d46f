import Foundation
import NIOCore
import RaftCore
import RaftStorage
import Testing
@testable import RaftServer

/// The peer wire format against its specification (docs/wire-format.md): round trips, and a typed
/// error for every damaged frame.
@Suite("Peer wire format")
struct PeerWireTests {
    static let seed: UInt64 = 0x5EED_0012

    /// A few messages that exercise every field, used where a test is quadratic in frame size.
    static func samples() -> [Message] {
        var generator = MessageGenerator(seed: seed)
        return PeerWire.Kind.allCases.map { generator.message(kind: $0) } + [
            .append(
                Append(
                    from: 1, to: 2, term: 3, prevLogIndex: 4, prevLogTerm: 2,
                    entries: [
                        Entry(term: 3, index: 5, kind: .normal, data: [1, 2, 3]),
                        Entry(term: 3, index: 6, kind: .noop),
                        Entry(
                            term: 3, index: 7, kind: .config,
                            data: ConfigurationCodec.encode(Configuration(voters: [1, 2], learners: [3]))),
                    ],
                    leaderCommit: 4))
        ]
    }

    @Test("seeded random messages of every kind survive encode then decode")
    func roundTrip() throws {
        print("PeerWireTests.roundTrip seed \(Self.seed)")
        var generator = MessageGenerator(seed: Self.seed)
        var stream = ByteBufferAllocator().buffer(capacity: 0)
        var sent: [Message] = []
        for _ in 0..<3000 {
            let message = generator.message()
            let frame = try PeerWire.encode(message)
            #expect(try PeerWire.decode(frame) == message)
            #expect(frame.count == PeerWire.headerSizeBytes + PeerWire.payloadSizeBytes(message))
            stream.writeBytes(frame)
            sent.append(message)
        }
        // Back to back in one stream, each frame ends exactly where the next begins.
        var received: [PeerFrame] = []
        while let frame = try PeerWire.readFrame(from: &stream) { received.append(frame) }
        #expect(received == sent.map(PeerFrame.message))
        #expect(stream.readableBytes == 0)
    }

    @Test("every kind is generated and keeps its kind byte")
    func kindsAreDistinct() throws {
        var generator = MessageGenerator(seed: Self.seed)
        for kind in PeerWire.Kind.allCases {
            let frame = try PeerWire.encode(generator.message(kind: kind))
            #expect(frame[PeerWire.headerSizeBytes] == kind.rawValue)
        }
    }

    @Test("every truncation of a frame is reported as truncated, and a stream waits for the rest")
    func everyTruncation() throws {
        for message in Self.samples() {
            let frame = try PeerWire.encode(message)
            for length in 0..<frame.count {
                let prefix = Array(frame[..<length])
                #expect(
                    throws: PeerWireError.truncated(
                        needed: length < PeerWire.headerSizeBytes ? PeerWire.headerSizeBytes : frame.count,
                        available: length)
                ) {
                    try PeerWire.decode(prefix)
                }
                var buffer = ByteBuffer(bytes: prefix)
                #expect(try PeerWire.readFrame(from: &buffer) == nil)
                #expect(buffer.readableBytes == length, "a waiting decoder consumes nothing")
            }
        }
    }

    @Test("every single bit flip of a frame is detected")
    func everyBitFlip() throws {
        for message in Self.samples() {
            let frame = try PeerWire.encode(message)
            for bit in 0..<(frame.count * 8) {
                var damaged = frame
                damaged[bit / 8] ^= 1 << UInt8(bit % 8)
                #expect(throws: PeerWireError.self, "bit \(bit) of \(message.kindName)") { try PeerWire.decode(damaged) }
            }
        }
    }

    @Test("a bad magic, another version or nonzero flags are refused by name")
    func headerFields() throws {
        let frame = try PeerWire.encode(.timeoutNow(TimeoutNow(from: 1, to: 2, term: 3)))
        var badMagic = frame
        badMagic[0] = 0x47
        #expect(throws: PeerWireError.badMagic(0x4647)) { try PeerWire.decode(badMagic) }
        var future = frame
        future[2] = 2
        #expect(throws: PeerWireError.unsupportedVersion(2)) { try PeerWire.decode(future) }
        // A version is recognised from its first three bytes, before the header is complete.
        var partial = ByteBuffer(bytes: future[..<3])
        #expect(throws: PeerWireError.unsupportedVersion(2)) { try PeerWire.readFrame(from: &partial) }
        var flagged = frame
        flagged[3] = 0x80
        resealHeader(&flagged)
        #expect(throws: PeerWireError.badField("header flags 0x80 (must be 0)")) { try PeerWire.decode(flagged) }
    }

    @Test("oversized frames are refused on both sides, an absurd length without waiting for it")
    func oversized() throws {
        let big = Message.installSnapshot(
            InstallSnapshot(
                from: 1, to: 2, term: 3,
                snapshot: Snapshot(
                    metadata: SnapshotMetadata(index: 1, term: 1, configuration: Configuration(voters: [1])),
                    data: [UInt8](repeating: 7, count: 5000))))
        // kind 1 + from/to/term 24 + index/term 16 + configuration 4 + 15 + data 4 + 5000.
        #expect(throws: PeerWireError.oversized(lengthBytes: 5064, limitBytes: 4096)) {
            try PeerWire.encode(big, maxPayloadBytes: 4096)
        }
        let frame = try PeerWire.encode(big)
        #expect(throws: PeerWireError.oversized(lengthBytes: UInt64(frame.count - PeerWire.headerSizeBytes), limitBytes: 4096)) {
            try PeerWire.decode(frame, maxPayloadBytes: 4096)
        }
        // A header announcing 4 GiB − 1 with a valid header checksum: refused from the header alone.
        var header = Array(frame[..<PeerWire.headerSizeBytes])
        header.replaceSubrange(4..<8, with: [0xFF, 0xFF, 0xFF, 0xFF])
        resealHeader(&header)
        var buffer = ByteBuffer(bytes: header)
        #expect(throws: PeerWireError.oversized(lengthBytes: UInt64(UInt32.max), limitBytes: PeerWire.defaultMaxPayloadBytes)) {
            try PeerWire.readFrame(from: &buffer)
        }
    }

    @Test("a payload with valid checksums but invalid fields gets a typed error")
    func badFields() throws {
        let head: [UInt8] = le(1) + le(2) + le(3)  // from, to, term
        #expect(throws: PeerWireError.unknownKind(99)) { try PeerWire.decode(frame(payload: [99] + head)) }
        #expect(throws: PeerWireError.unknownKind(0)) { try PeerWire.decode(frame(payload: [0] + head)) }
        // An append announcing 2^32 − 1 entries in a few bytes: refused before allocating.
        let hugeCount: [UInt8] = [1] + head + le(0) + le(0) + le(0) + [0xFF, 0xFF, 0xFF, 0xFF]
        #expect(throws: PeerWireError.badField("entry count 4294967295 exceeds what 0 bytes can hold")) {
            try PeerWire.decode(frame(payload: hugeCount))
        }
        let badEntryKind: [UInt8] = [1] + head + le(0) + le(0) + le(0) + [1, 0, 0, 0] + le(1) + le(1) + [3] + [0, 0, 0, 0]
        #expect(throws: PeerWireError.badField("entry[0].kind 3 is not normal (0), noop (1) or config (2)")) {
            try PeerWire.decode(frame(payload: badEntryKind))
        }
        let longData: [UInt8] = [1] + head + le(0) + le(0) + le(0) + [1, 0, 0, 0] + le(1) + le(1) + [0] + [0xFF, 0xFF, 0xFF, 0x7F]
        #expect(throws: PeerWireError.badField("entry[0].data length 2147483647 exceeds the 0 bytes left")) {
            try PeerWire.decode(frame(payload: longData))
        }
        // Entries before the bad one decode: the error names the bad one's position and field.
        let goodEntry: [UInt8] = le(1) + le(1) + [0] + [2, 0, 0, 0] + [7, 8]
        let thirdBad: [UInt8] = [1] + head + le(0) + le(0) + le(0) + [3, 0, 0, 0] + goodEntry + goodEntry
        #expect(throws: PeerWireError.badField("entry[2].kind 9 is not normal (0), noop (1) or config (2)")) {
            try PeerWire.decode(frame(payload: thirdBad + le(1) + le(3) + [9] + [0, 0, 0, 0]))
        }
        #expect(throws: PeerWireError.badField("payload ends inside entry[2].data length (needs 4 bytes, 2 left)")) {
            try PeerWire.decode(frame(payload: thirdBad + le(1) + le(3) + [0] + [0, 0]))
        }
        #expect(throws: PeerWireError.badField("entry[2].data length 3 exceeds the 2 bytes left")) {
            try PeerWire.decode(frame(payload: thirdBad + le(1) + le(3) + [0] + [3, 0, 0, 0] + [1, 2]))
        }
        #expect(throws: PeerWireError.badField("vote flags 0x4 has unknown bits set")) {
            try PeerWire.decode(frame(payload: [3] + head + le(0) + le(0) + [4]))
        }
        #expect(throws: PeerWireError.badField("readContext presence byte 2 (must be 0 or 1)")) {
            try PeerWire.decode(frame(payload: [6] + head + [2]))
        }
        #expect(throws: PeerWireError.badField("payload ends inside term (needs 8 bytes, 3 left)")) {
            try PeerWire.decode(frame(payload: [7] + le(1) + le(2) + [0, 0, 0]))
        }
        #expect(throws: PeerWireError.badField("1 bytes after the timeoutNow message")) {
            try PeerWire.decode(frame(payload: [7] + head + [0]))
        }
        let noVoters: [UInt8] = [1, 0, 0, 0, 0, 0, 0]  // version 1, three empty lists: no voters
        let snapshot: [UInt8] = [8] + head + le(1) + le(1) + [UInt8(noVoters.count), 0, 0, 0] + noVoters + [0, 0, 0, 0]
        #expect(throws: PeerWireError.badField("snapshot configuration does not decode (7 bytes)")) {
            try PeerWire.decode(frame(payload: snapshot))
        }
    }

    @Test("the worked example of docs/wire-format.md, byte for byte")
    func documentedExample() throws {
        let message = Message.heartbeat(Heartbeat(from: 1, to: 2, term: 5, commit: 7, readContext: 9))
        let encoded = try PeerWire.encode(message)
        let documented = try Self.documentedExample()
        #expect(encoded == documented)
        // The framing helper of these tests, written from the page, agrees too.
        #expect(frame(payload: Array(documented[PeerWire.headerSizeBytes...])) == documented)
        #expect(try PeerWire.decode(documented) == message)
    }

    /// The hex block after `<!-- wire-example -->` in docs/wire-format.md.
    static func documentedExample() throws -> [UInt8] {
        let page = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/wire-format.md")
        let text = try String(contentsOf: page, encoding: .utf8)
        let after = try #require(text.components(separatedBy: "<!-- wire-example -->").dropFirst().first)
        let block = try #require(after.components(separatedBy: "```").dropFirst().first)
        return try block.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { try #require(UInt8($0, radix: 16)) }
    }
}

/// Little-endian bytes of a u64.
func le(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

/// A frame around `payload` built from the specification, independently of `PeerWire.writeFrame`.
func frame(payload: [UInt8]) -> [UInt8] {
    let length = UInt32(payload.count)
    var header: [UInt8] = [0x52, 0x46, 1, 0] + (0..<4).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) }
    let crc = CRC32C.checksum(payload)
    header += (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * $0)) } + [0, 0, 0, 0]
    resealHeader(&header)
    return header + payload
}

/// Recomputes the header checksum (bytes 12..<16) after a test edited bytes 0..<12.
func resealHeader(_ frame: inout [UInt8]) {
    let crc = CRC32C.checksum(Array(frame[0..<12]))
    frame.replaceSubrange(12..<16, with: (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * $0)) })
}
