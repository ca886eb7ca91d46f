import RaftCore
import RaftStorage

/// Writes a large log in the storage format straight through the record codec, batch by batch,
/// without keeping entries in memory — the benchmarks' setup for scans of hundreds of MiB.
/// The directory must already hold an empty log (`LogStorage.open` then `close`).
enum SyntheticLog {
    /// Fills `megabytes` MiB of `entryBytes`-byte entries in batches of `batchEntries` (a new term
    /// every 100,000 entries, 64 MiB segments), then the matching hard state; `fill` writes each
    /// entry's payload from its index and the seeded generator. Returns the last index written.
    static func write(
        directory dir: String, fileSystem fs: PosixFileSystem, logID: LogID, megabytes: Int,
        entryBytes: Int, batchEntries: Int, seed: UInt64,
        fill: (inout [UInt8], UInt64, inout SeededGenerator) -> Void
    ) throws -> UInt64 {
        let segmentLimit: Int64 = 64 << 20
        var sequence: UInt64 = 1
        var file = try fs.openFile(atPath: Path.join(dir, StorageFormat.segmentFileName(sequence: 1)), create: false)
        var offset = Int64(StorageFormat.segmentHeaderSize)
        var g = SeededGenerator(seed: seed)
        var index: UInt64 = 1, term: UInt64 = 1, batch: UInt64 = 0
        var written: Int64 = 0
        let target = Int64(megabytes) << 20
        var buffer: [UInt8] = []
        var data = [UInt8](repeating: 0, count: entryBytes)
        while written < target {
            if offset >= segmentLimit {
                try file.sync()
                file.close()
                sequence += 1
                file = try fs.openFile(atPath: Path.join(dir, StorageFormat.segmentFileName(sequence: sequence)), create: true)
                try file.write(RecordCodec.segmentHeader(logID: logID, sequence: sequence, firstIndex: index), at: 0)
                offset = Int64(StorageFormat.segmentHeaderSize)
            }
            if index % 100_000 == 1 && index > 1 { term += 1 }
            buffer.removeAll(keepingCapacity: true)
            let first = index
            for _ in 0..<batchEntries {
                fill(&data, index, &g)
                data.withUnsafeBytes { raw in
                    RecordCodec.appendRecord(to: &buffer, kind: .entry, entryType: EntryKind.normal.rawValue, term: term, index: index, payload: raw)
                }
                index += 1
            }
            batch += 1
            RecordCodec.appendBatch(
                BatchMarker(batchSequence: batch, hardStateSequence: 1, firstIndex: first, entryCount: UInt32(batchEntries)),
                lastTerm: term, lastIndex: index - 1, to: &buffer)
            try file.write(buffer, at: offset)
            offset += Int64(buffer.count)
            written += Int64(buffer.count)
        }
        try file.sync()
        file.close()
        // The hard state that goes with it: sequence 1 in slot 1.
        let hardState = try fs.openFile(atPath: Path.join(dir, StorageFormat.hardStateFileName), create: false)
        try hardState.write(
            RecordCodec.hardStateSlot(
                HardState(term: term, vote: 1, commit: index - 1), sequence: 1, slot: 1, logID: logID,
                batchSequence: batch, segmentSequence: sequence),
            at: Int64(StorageFormat.hardStateSlotStride))
        try hardState.sync()
        hardState.close()
        try fs.syncDirectory(atPath: dir)
        return index - 1
    }
}
