import RaftCore
import Testing
@testable import RaftStorage

/// The bytes on disk, field by field, as docs/storage-format.md lays them out. A change here is a
/// format change: bump the version and update the document.
@Suite struct FormatTests {
    func u32(_ b: [UInt8], _ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(b[at + $1]) << (8 * UInt32($1)) } }
    func u64(_ b: [UInt8], _ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(b[at + $1]) << (8 * UInt64($1)) } }
    func crc(_ b: ArraySlice<UInt8>) -> UInt32 { CRC32C.checksum(Array(b), using: .portable) }

    @Test func bytesMatchTheDocument() throws {
        let fs = MemoryFileSystem()
        let log = try openLog(fs)
        try log.save(
            hardState: HardState(term: 3, vote: 2, commit: 0),
            entries: [Entry(term: 3, index: 1, kind: .normal, data: Array("set x 1".utf8)), Entry(term: 3, index: 2, kind: .noop)])
        log.close()
        #expect(StorageFormat.segmentFileName(sequence: 1) == "log-0000000000000001.seg")

        let seg = fs.contents(atPath: segmentPath(1))!
        // Segment header.
        #expect(Array(seg[0..<8]) == [0x52, 0x53, 0x54, 0x50, 0x53, 0x45, 0x47, 0x0A])
        #expect(u32(seg, 8) == 1 && u32(seg, 12) == 64)
        #expect(Array(seg[16..<32]) == fixedLogID.bytes)
        #expect(u64(seg, 32) == 1 && u64(seg, 40) == 1 && u64(seg, 48) == 0 && u32(seg, 56) == 0)
        #expect(u32(seg, 60) == crc(seg[0..<60]))

        // Record 1: entry, 7-byte payload padded to 8.
        var at = 64
        #expect(u32(seg, at) == 7 && seg[at + 4] == 1 && seg[at + 5] == 0 && seg[at + 6] == 0 && seg[at + 7] == 0)
        #expect(u64(seg, at + 8) == 3 && u64(seg, at + 16) == 1 && u32(seg, at + 24) == 0)
        #expect(u32(seg, at + 28) == crc(seg[at..<(at + 28)]))
        #expect(Array(seg[(at + 32)..<(at + 39)]) == Array("set x 1".utf8) && seg[at + 39] == 0)
        #expect(u32(seg, at + 40) == crc(seg[at..<(at + 40)]))
        #expect(Array(seg[(at + 44)..<(at + 48)]) == Array("RECD".utf8))
        at += 48
        // Record 2: noop entry, no payload.
        #expect(u32(seg, at) == 0 && seg[at + 4] == 1 && seg[at + 5] == 1 && u64(seg, at + 16) == 2)
        #expect(u32(seg, at + 32) == crc(seg[at..<(at + 32)]))
        at += 40
        // Record 3: the batch marker.
        #expect(u32(seg, at) == 32 && seg[at + 4] == 2 && seg[at + 5] == 0)
        #expect(u64(seg, at + 8) == 3 && u64(seg, at + 16) == 2)  // last term, last index
        #expect(u64(seg, at + 32) == 1)  // batch sequence
        #expect(u64(seg, at + 40) == 1)  // hard-state sequence
        #expect(u64(seg, at + 48) == 1)  // first index
        #expect(u32(seg, at + 56) == 2 && u32(seg, at + 60) == 0)  // entry count, flags
        #expect(u32(seg, at + 64) == crc(seg[at..<(at + 64)]))
        at += 72
        #expect(seg.count == at)

        // Hard state: slot 1 holds sequence 1, slot 0 the initial sequence 0.
        let hs = fs.contents(atPath: hardStatePath())!
        #expect(hs.count == 1024)
        for (slot, sequence) in [(0, UInt64(0)), (1, UInt64(1))] {
            let b = slot * 512
            #expect(Array(hs[b..<(b + 8)]) == Array("RSTPHST\n".utf8))
            #expect(u32(hs, b + 8) == 1 && u32(hs, b + 12) == UInt32(slot))
            #expect(Array(hs[(b + 16)..<(b + 32)]) == fixedLogID.bytes)
            #expect(u64(hs, b + 32) == sequence)
            #expect(u32(hs, b + 92) == crc(hs[b..<(b + 92)]))
            #expect(hs[(b + 96)..<(b + 512)].allSatisfy { $0 == 0 })
        }
        #expect(u64(hs, 512 + 40) == 3 && u64(hs, 512 + 48) == 2 && u64(hs, 512 + 56) == 0)  // term, vote, commit
        #expect(u64(hs, 512 + 64) == 0 && u64(hs, 512 + 72) == 1 && u32(hs, 512 + 80) == 0)  // batch, segment, flags
        #expect(u64(hs, 40) == 0 && u64(hs, 72) == 0)  // the initial slot: empty state, no segment yet
    }
}
