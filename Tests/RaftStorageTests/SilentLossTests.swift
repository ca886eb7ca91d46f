import RaftCore
import Testing
@testable import RaftStorage

/// In-place damage to acknowledged bytes — flips, overwritten bytes, zeroed sectors, in segments or
/// the hard state — must never open as a log that differs from what was acknowledged.
@Suite struct SilentLossTests {
    @Test func inPlaceDamageIsNeverSilent() throws {
        var g = SeededGenerator(seed: 2024)
        // One acknowledged history with rotations, conflicts and hard-state-only saves.
        let pristine = MemoryFileSystem()
        let log = try openLog(pristine, segmentSize: 700)
        var term: UInt64 = 1
        for step in 0..<30 {
            if g.next(below: 4) == 0 { term += 1 }
            if step % 7 == 3 {
                try log.save(hardState: HardState(term: term, vote: g.next(below: 3) + 1, commit: log.hardState.commit), entries: [])
                continue
            }
            let low = max(Int(log.hardState.commit) + 1, Int(log.lastIndex) - 2)
            let first = UInt64(g.next(in: low..<(Int(log.lastIndex) + 2)))
            try log.save(
                hardState: HardState(term: term, vote: 1, commit: min(log.lastIndex, first - 1)),
                entries: makeEntries(first...(first + g.next(below: 4)), term: term, size: Int(g.next(below: 60))))
        }
        let expected = (log.entries, log.hardState)
        log.close()
        let files = try pristine.contentsOfDirectory(atPath: dir).map { Path.join(dir, $0) }
        #expect(files.count >= 4)

        var refused = 0, unharmed = 0
        for round in 0..<400 {
            let fs = MemoryFileSystem()
            try fs.createDirectory(atPath: dir)
            for f in files { fs.replaceContents(atPath: f, with: pristine.contents(atPath: f)!) }
            let target = files[Int(g.next(below: UInt64(files.count)))]
            var bytes = fs.contents(atPath: target)!
            // Stay clear of the file's last 8 bytes: a zeroed or cut end of file is exactly what a
            // torn write looks like, and no format can tell those apart.
            let limit = bytes.count - 8
            switch round % 3 {
            case 0:
                for _ in 0..<Int(g.next(below: 3) + 1) {
                    let bit = Int(g.next(below: UInt64(limit * 8)))
                    bytes[bit / 8] ^= UInt8(1 << (bit % 8))
                }
            case 1:
                let at = Int(g.next(below: UInt64(limit)))
                for i in at..<min(limit, at + Int(g.next(below: 16) + 1)) { bytes[i] = UInt8(truncatingIfNeeded: g.next()) }
            default:
                let sector = Int(g.next(below: UInt64(max(1, limit / 512)))) * 512
                for i in sector..<min(limit, sector + 512) { bytes[i] = 0 }
            }
            let changed = bytes != fs.contents(atPath: target)!
            fs.replaceContents(atPath: target, with: bytes)
            if let error = openError(fs) {
                #expect(error.kind == .corruption || error.kind == .inconsistency)
                refused += 1
                continue
            }
            let reopened = try openLog(fs, segmentSize: 700)
            #expect(reopened.entries == expected.0, "round \(round): \(target) damaged, yet it opened with other entries")
            #expect(reopened.hardState == expected.1, "round \(round): \(target) damaged, yet it opened with another hard state")
            if changed { unharmed += 1 }
        }
        // Damage to the older hard-state slot is harmless (a torn-write lookalike); everything else refuses.
        #expect(refused > 300)
        _ = unharmed
    }
}
