import RaftCore
import Testing
@testable import RaftStorage

@Suite struct CRC32CTests {
    @Test(arguments: CRC32C.Implementation.allCases)
    func testVectors(_ implementation: CRC32C.Implementation) {
        #expect(CRC32C.checksum(Array("123456789".utf8), using: implementation) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32), using: implementation) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32), using: implementation) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }, using: implementation) == 0x46DD_794E)
        #expect(CRC32C.checksum([], using: implementation) == 0)
    }

    @Test func hardwareIsUsedWhereAvailable() {
        #if arch(x86_64)
            // Every x86-64 machine we build on has SSE4.2; say so if one does not.
            #expect(CRC32C.hardwareAvailable)
        #endif
    }

    @Test func implementationsAgreeOnEveryLengthAndAlignment() {
        var g = SeededGenerator(seed: 7)
        let big = (0..<70_000).map { _ in UInt8(truncatingIfNeeded: g.next()) }
        big.withUnsafeBytes { raw in
            for length in [0, 1, 7, 8, 9, 63, 64, 100, 4095, 4096, 12_287, 12_288, 12_289, 40_000, 65_536] {
                for start in [0, 1, 3, 8] where start + length <= raw.count {
                    let slice = UnsafeRawBufferPointer(rebasing: raw[start..<(start + length)])
                    let p = CRC32C.checksum(slice, using: .portable)
                    #expect(CRC32C.checksum(slice, using: .hardware) == p, "length \(length) start \(start)")
                    #expect(CRC32C.checksum(slice, using: .automatic) == p)
                }
            }
        }
    }

    @Test func registerCanBeChainedOverPieces() {
        let bytes = Array("123456789".utf8)
        bytes.withUnsafeBytes { raw in
            let a = CRC32C.update(0xFFFF_FFFF, UnsafeRawBufferPointer(rebasing: raw[0..<4]))
            let b = CRC32C.update(a, UnsafeRawBufferPointer(rebasing: raw[4...]))
            #expect(~b == 0xE306_9283)
        }
    }
}
