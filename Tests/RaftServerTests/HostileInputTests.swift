import NIOCore
import NIOEmbedded
import RaftCore
import Testing
@testable import RaftServer

/// Random and mutated input to both decoders: a typed error or a value, never a trap; and what the
/// peer decoder accepts, it re-encodes to the very same bytes (one message, one encoding).
@Suite("Hostile input")
struct HostileInputTests {
    static let seed: UInt64 = 0xBAD_F00D

    @Test("mutated frames with valid checksums decode to a typed error or to a canonically encoded message")
    func mutatedPeerFrames() throws {
        print("HostileInputTests.mutatedPeerFrames seed \(Self.seed)")
        var generator = MessageGenerator(seed: Self.seed)
        var (accepted, refused) = (0, 0)
        for _ in 0..<4000 {
            var payload = Array(try PeerWire.encode(generator.message())[PeerWire.headerSizeBytes...])
            // One to three edits: a byte changed, a range cut, or bytes appended.
            for _ in 0...generator.random.next(below: 3) {
                switch generator.random.next(below: 3) {
                case 0 where !payload.isEmpty:
                    payload[generator.random.next(in: 0..<payload.count)] = UInt8(truncatingIfNeeded: generator.random.next())
                case 1 where !payload.isEmpty:
                    let cut = generator.random.next(in: 0..<payload.count)
                    payload.removeSubrange(cut..<min(payload.count, cut + generator.random.next(in: 1..<9)))
                default:
                    payload += (0..<generator.random.next(in: 1..<5)).map { _ in UInt8(truncatingIfNeeded: generator.random.next()) }
                }
            }
            let bytes = frame(payload: payload)  // resealed: the payload parser itself is under test
            do {
                let message = try PeerWire.decode(bytes)
                #expect(try PeerWire.encode(message) == bytes, "decode then encode is the identity")
                accepted += 1
            } catch is PeerWireError {
                refused += 1
            }
        }
        #expect(accepted > 100 && refused > 1000, "both paths exercised: \(accepted) accepted, \(refused) refused")
    }

    @Test("random bytes on a peer stream raise only PeerWireError")
    func randomPeerBytes() throws {
        var random = SeededGenerator(seed: Self.seed ^ 1)
        for round in 0..<500 {
            let channel = EmbeddedChannel(handler: ByteToMessageHandler(PeerFrameDecoder(maxPayloadBytes: 1 << 16)))
            // Half the rounds start with a valid header prefix so the checks past the magic run too.
            var bytes: [UInt8] = round % 2 == 0 ? [0x52, 0x46, 1] : []
            bytes += (0..<random.next(in: 0..<200)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            do {
                try channel.writeInbound(ByteBuffer(bytes: bytes))
                _ = try channel.finish()
            } catch is PeerWireError {
            }
        }
    }

    @Test("random bytes on a client stream raise only RESPProtocolError, whatever the split")
    func randomClientBytes() throws {
        var random = SeededGenerator(seed: Self.seed ^ 2)
        let alphabet = Array("*$\r\n0123456789-+ \"'\\xabPING".utf8)
        for _ in 0..<1000 {
            let channel = EmbeddedChannel(
                handler: ByteToMessageHandler(
                    RESPCommandDecoder(limits: RESPLimits(maxBulkBytes: 1 << 12, maxArrayCount: 64, maxInlineBytes: 256))))
            let bytes = (0..<random.next(in: 0..<300)).map { _ in
                random.next(below: 4) == 0 ? UInt8(truncatingIfNeeded: random.next()) : alphabet[random.next(in: 0..<alphabet.count)]
            }
            var offset = 0
            do {
                while offset < bytes.count {
                    let size = random.next(in: 1..<(bytes.count - offset + 1))
                    try channel.writeInbound(ByteBuffer(bytes: bytes[offset..<(offset + size)]))
                    offset += size
                }
                while let command = try channel.readInbound(as: RESPCommand.self) { #expect(!command.arguments.isEmpty) }
            } catch is RESPProtocolError {
            }
        }
    }
}
