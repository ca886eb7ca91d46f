import CCRC32C
import RaftCore

/// Scratch space of the fast path: the records of one run and their checksum registers, allocated
/// once per scan (no allocation per record).
final class SoundRunScratch {
    /// Records checked per call of the interleaved checksum.
    static let capacity = 32
    let starts = UnsafeMutablePointer<UnsafeRawPointer?>.allocate(capacity: capacity)
    let covered = UnsafeMutablePointer<Int>.allocate(capacity: capacity)
    let atSplit = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
    let atEnd = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)

    deinit {
        starts.deallocate()
        covered.deallocate()
        atSplit.deallocate()
        atEnd.deallocate()
    }
}

extension ScanState {
    // MARK: Fast path over sound records

    /// Accepts the records from `cursor.offset` on that read back exactly — a sound header, both
    /// checksums and the end tag right, wholly inside the reader's window — checking the checksums
    /// of up to `SoundRunScratch.capacity` records at once, interleaved. It stops before the first
    /// record that is not exactly so (or at the window's end), which `scanRecord` then reads: every
    /// problem, row and message comes from that general path. The records it accepts go through
    /// the same `accept` (order checks, counts, visitor) as there, so the two paths cannot differ
    /// on anything but speed. Returns whether it accepted a record.
    mutating func scanSoundRun(
        _ cursor: inout SegmentCursor, wantsRecords: Bool,
        visit: (ScannedRecord, UnsafeRawBufferPointer) -> ScanVisit
    ) throws(StorageError) -> Bool {
        let headerSize = StorageFormat.recordHeaderSize
        guard let window = try cursor.reader.window(at: cursor.offset, minimum: headerSize), let base = window.baseAddress else {
            return false
        }
        let scratch = soundRunScratch
        let available = window.count
        var position = 0
        var accepted = false
        while true {
            // Locate a run of records whose headers are sound and which end inside the window.
            var count = 0
            var at = position
            while count < SoundRunScratch.capacity && available - at >= headerSize {
                let header = base + at
                guard let total = Self.soundRecordSize(header), total <= available - at else { break }
                scratch.starts[count] = UnsafeRawPointer(header)
                scratch.covered[count] = total - StorageFormat.recordTrailerSize
                count += 1
                at += total
            }
            guard count > 0 else { return accepted }
            // The sink reserves once, from the first run (it forgets the byte count then).
            sink?.reserve(averageRecordBytes: (at - position) / count)
            ccrc32c_split_many(scratch.starts, scratch.covered, 28, scratch.atSplit, scratch.atEnd, count, 0)
            for k in 0..<count {
                let record = scratch.starts[k]!
                let covered = scratch.covered[k]
                let storedCRC = record.le32(covered)
                guard record.le32(28) == ~scratch.atSplit[k], storedCRC == ~scratch.atEnd[k],
                    record.le32(covered + 4) == StorageFormat.recordEndTag
                else { return accepted }
                let length = Int(record.le32(0))
                if !wantsRecords || sink != nil, acceptPlainEntry(record, size: covered + StorageFormat.recordTrailerSize, cursor: &cursor) {
                    // What the visitor would do with it: recovery's replay appends it.
                    if let sink {
                        sink.applyEntry(
                            term: record.le64(8), index: record.le64(16), kind: EntryKind(rawValue: record.load(fromByteOffset: 5, as: UInt8.self))!,
                            payload: UnsafeRawBufferPointer(start: record + headerSize, count: length))
                    }
                    accepted = true
                    continue
                }
                let decoded = DecodedRecord(
                    kind: RecordKind(rawValue: record.load(fromByteOffset: 4, as: UInt8.self))!,
                    entryType: record.load(fromByteOffset: 5, as: UInt8.self), term: record.le64(8), index: record.le64(16),
                    payloadLength: length, size: covered + StorageFormat.recordTrailerSize, checksum: storedCRC)
                accept(
                    decoded, payload: UnsafeRawBufferPointer(start: record + headerSize, count: length), cursor: &cursor,
                    wantsRecords: wantsRecords, visit: visit)
                accepted = true
                if stopped { return true }
            }
            if count < SoundRunScratch.capacity { return accepted }
            position = at
        }
    }

    /// `accept` for the usual entry when nothing visits it — the next index, a term that does not
    /// go down, a known type, order checks on, no supersede table — with exactly its effects;
    /// false (nothing changed) for any other record, which `accept` then takes.
    @inline(__always)
    mutating func acceptPlainEntry(_ record: UnsafeRawPointer, size: Int, cursor: inout SegmentCursor) -> Bool {
        let entryType = record.load(fromByteOffset: 5, as: UInt8.self)
        let term = record.le64(8)
        let index = record.le64(16)
        guard record.load(fromByteOffset: 4, as: UInt8.self) == RecordKind.entry.rawValue, entryType <= 2, !semanticsSuspended,
            supersedeTable == nil, index == lastIndex &+ 1, term >= lastTerm, term != 0, index < StorageFormat.plausibleLimit,
            term < StorageFormat.plausibleLimit
        else { return false }
        // acceptEntry's counts.
        cursor.summary.entryRecords += 1
        cursor.summary.minIndex = min(cursor.summary.minIndex ?? index, index)
        cursor.summary.maxIndex = max(cursor.summary.maxIndex ?? index, index)
        result.entryRecords += 1
        switch entryType {
        case 0: knownTypeCounts.normal += 1
        case 1: knownTypeCounts.noop += 1
        default: knownTypeCounts.config += 1
        }
        cursor.pendingEntries += 1
        // checkEntry's effects on an entry that passes every check.
        if batchFirstIndex == nil { batchFirstIndex = index }
        batchEntries &+= 1
        lastIndex = index
        if termRuns.last?.term != term { termRuns.append((index, term)) }
        lastTerm = term
        lastTermKnown = true
        cursor.offset += Int64(size)
        cursor.summary.validEnd = cursor.offset
        return true
    }

    /// The size of the record whose header starts at `header` when the header is sound (a known
    /// kind, zero reserved bytes, a length within the format's limit; its checksum is not checked
    /// here), else nil.
    @inline(__always)
    static func soundRecordSize(_ header: UnsafeRawPointer) -> Int? {
        let length = Int(header.le32(0))
        let kind = header.load(fromByteOffset: 4, as: UInt8.self)
        guard length <= StorageFormat.maxPayloadLength, header.le16(6) == 0, header.le32(24) == 0,
            kind == RecordKind.entry.rawValue || kind == RecordKind.batch.rawValue
        else { return nil }
        return StorageFormat.recordSize(payloadLength: length)
    }
}

extension UnsafeRawPointer {
    @inline(__always) func le16(_ at: Int) -> UInt16 { UInt16(littleEndian: loadUnaligned(fromByteOffset: at, as: UInt16.self)) }
    @inline(__always) func le32(_ at: Int) -> UInt32 { UInt32(littleEndian: loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
    @inline(__always) func le64(_ at: Int) -> UInt64 { UInt64(littleEndian: loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
}
