extension ScanState {
    // MARK: Unused space (row R11)

    /// Row R11: at a record boundary of the last segment, every byte from here to the end of the
    /// file is zero. That is space preallocated for records (`StorageOptions.preallocateBytes`), not
    /// damage: the segment's data ends here, as at the end of the file. A batch whose write never
    /// reached the disk at all looks the same, and was not acknowledged (its sync did not return,
    /// so no marker after it vouches for it). True when the segment's scan ends here.
    mutating func unusedSpace(_ cursor: inout SegmentCursor) throws(StorageError) -> Bool {
        guard cursor.isLast, try cursor.reader.zeroSuffixStart() <= cursor.offset else { return false }
        cursor.summary.unusedBytes = cursor.size - cursor.offset
        result.notedRows.insert(.R11)
        return true
    }

    // MARK: Damage

    /// Classifies damage at `offset` by rule D (docs/storage-format.md §5.2): a torn tail when it is
    /// in the last segment after no earlier problem, and everything from the last batch marker before
    /// it (`cursor.lastBatchEnd`) to the end of the file could be writes whose sync never returned,
    /// with the shape of lost writes (`unacknowledgedTail`); corruption otherwise. `row` names the
    /// damage (R1, R2, R4, R5); the verdict of rule D names its own row when it decides: R8 when valid
    /// records after the damage go with the tail, R9 when a synced marker proves the bytes were
    /// acknowledged, R10 when the damage does not have the shape of a lost write.
    mutating func damage(
        _ cursor: SegmentCursor, row: RecoveryRow, at offset: Int64, reason: String,
        expected: UInt32?, computed: UInt32?, term: UInt64?, index: UInt64?
    ) throws(StorageError) {
        let (name, reader, pendingEntries) = (cursor.name, cursor.reader, cursor.pendingEntries)
        let why: String
        var verdictRow = row
        if !cursor.isLast {
            why = "later segments exist, so this was acknowledged"
        } else if semanticsSuspended {
            why = "it follows earlier damage"
        } else {
            let cut = cursor.lastBatchEnd ?? Int64(StorageFormat.segmentHeaderSize)
            switch try unacknowledgedTail(reader, from: offset, batchStart: cut, syncedMarkerAllowed: true) {
            case .acknowledged(let decidedBy, let reason):
                why = reason
                verdictRow = decidedBy
            case .unacknowledged(let laterEntries, let laterRecords):
                var message = "\(reason): the write was interrupted; nothing after offset \(cut) was acknowledged"
                if laterRecords > 0 {
                    message +=
                        " (the \(laterRecords) valid record(s) after the damage belong to batches whose sync never returned: pages of one write reached the disk out of order)"
                }
                if pendingEntries + laterEntries > 0 {
                    message += " (\(pendingEntries + laterEntries) complete entry record(s) of unfinished batches go too)"
                }
                problem(
                    laterRecords > 0 ? .R8 : row, .tornTail, name, offset, index: index, term: term,
                    expected: expected, computed: computed, message)
                result.tornTail = TornTail(
                    path: cursor.path, file: name, damageOffset: offset, cutOffset: cut, removeFile: false,
                    bytesLost: reader.size - cut, unacknowledgedEntries: pendingEntries + laterEntries)
                return
            }
        }
        problem(verdictRow, .corruption, name, offset, index: index, term: term, expected: expected, computed: computed, "\(reason): \(why)")
    }

    /// What the bytes from damage at `from` to the end of the last segment say.
    enum TailVerdict {
        /// Writes whose sync never returned (counts of the valid entry records and of all valid records after the damage).
        case unacknowledged(laterEntries: Int, laterRecords: Int)
        /// Something proves the damaged bytes were acknowledged (row R9), or the damage is not the
        /// shape of a lost write (row R10); with why, in words.
        case acknowledged(RecoveryRow, String)
    }

    /// Rule D's test of the region `[batchStart, end of file)` holding damage at `from`.
    ///
    /// A save writes its batch and marker in one write and returns only after one sync; the next save
    /// writes only after that. So the region after the last marker before the damage is one batch
    /// whose sync may not have returned — or, with `SyncPolicy.never`, several batches with no sync
    /// between them (their markers carry the unsynced flag). It is unacknowledged unless a *synced*
    /// marker in it is followed by more data (that marker's sync returned before the next write, so
    /// everything before it was durable). With `syncedMarkerAllowed` false no synced marker may
    /// appear at all (a segment whose header was never synced).
    ///
    /// Every damaged place must also have the shape of a lost write: the file ends before the
    /// damaged record's end, or is zero from some offset before it to the end, or the record
    /// overlaps a 512-byte sector whose bytes inside the region are all zero (a page that never
    /// reached the disk reads as zeros past the last sync). A bit flip leaves no such sector.
    func unacknowledgedTail(
        _ reader: WindowReader, from: Int64, batchStart: Int64,
        syncedMarkerAllowed: Bool
    ) throws(StorageError) -> TailVerdict {
        let size = reader.size
        // Zeros from a record boundary to the end are unused space or writes lost whole (R11): no
        // damage to classify there. Nor is a damaged place taken to reach into them.
        let dataEnd = try reader.zeroSuffixStart()
        var offset = from
        var entries = 0, records = 0
        var firstValid: Int64?
        while offset < size && (offset == from || offset < dataEnd) {
            if offset != from, let record = try recordInfo(reader, at: offset) {
                firstValid = firstValid ?? offset
                records += 1
                if record.kind == .entry { entries += 1 }
                offset += Int64(record.size)
                guard record.kind == .batch && record.synced else { continue }
                guard syncedMarkerAllowed else {
                    return .acknowledged(
                        .R9,
                        "a valid record follows at offset \(firstValid!), and the synced batch marker at offset \(offset - Int64(record.size)) proves the segment's header was synced, so this is not an interrupted creation"
                    )
                }
                // The last thing written may be a synced marker whose sync never returned; anything after it proves it did.
                if try reader.zeroSuffixStart() > offset {
                    return .acknowledged(
                        .R9,
                        "a valid record follows at offset \(firstValid!), and the synced batch marker at offset \(offset - Int64(record.size)) is followed by more data, so its sync returned: this was acknowledged"
                    )
                }
                return .unacknowledged(laterEntries: entries, laterRecords: records)
            }
            // Damage from `offset`: through the record when its header is sound, else to the next valid record.
            let declared = try soundRecordSize(reader, at: offset)
            var end: Int64
            if let declared, offset + Int64(declared) <= size {
                end = offset + Int64(declared)
            } else {
                end = try resync(reader, from: offset + 8) ?? min(size, max(offset + Int64(StorageFormat.recordHeaderSize), dataEnd))
            }
            if end <= offset { end = size }
            guard try hasLostWriteShape(reader, from: offset, to: end, declaredSize: declared, batchStart: batchStart) else {
                if let firstValid {
                    return .acknowledged(.R10, "a valid record follows at offset \(firstValid), so this is not the end of the written data")
                }
                if let next = try resync(reader, from: offset + 8) {
                    return .acknowledged(.R10, "a valid record follows at offset \(next), so this is not the end of the written data")
                }
                return .acknowledged(
                    .R10, "the record is complete (the file goes on past it and its last bytes are not zero), so this is not an interrupted write")
            }
            offset = end
        }
        return .unacknowledged(laterEntries: entries, laterRecords: records)
    }

    /// Whether damage in `[from, to)` looks like a write that did not reach the disk (see `unacknowledgedTail`).
    func hasLostWriteShape(
        _ reader: WindowReader, from: Int64, to: Int64, declaredSize: Int?,
        batchStart: Int64
    ) throws(StorageError) -> Bool {
        let size = reader.size
        let recordEnd = from + Int64(declaredSize ?? StorageFormat.recordHeaderSize)
        if recordEnd > size { return true }
        if try reader.zeroSuffixStart() < recordEnd { return true }
        let sector = Int64(StorageFormat.sectorSize)
        var sectorStart = (max(from, batchStart) / sector) * sector
        while sectorStart < to {
            let lo = max(sectorStart, batchStart), hi = min(sectorStart + sector, size)
            if lo < hi, let bytes = try reader.bytes(at: lo, count: Int(hi - lo)), bytes.allSatisfy({ $0 == 0 }) { return true }
            sectorStart += sector
        }
        return false
    }

    /// The size of the record at `offset` when its header's checksum is right and its length is
    /// within the format's limit (the record itself may be damaged or cut short).
    func soundRecordSize(_ reader: WindowReader, at offset: Int64) throws(StorageError) -> Int? {
        guard let h = try reader.bytes(at: offset, count: StorageFormat.recordHeaderSize) else { return nil }
        guard h.u32(28) == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: h[0..<28])) else { return nil }
        let length = Int(h.u32(0))
        guard length <= StorageFormat.maxPayloadLength else { return nil }
        return StorageFormat.recordSize(payloadLength: length)
    }

    /// Kind, size and (for a marker) the synced flag of the complete, checksum-valid record at `offset`.
    func recordInfo(_ reader: WindowReader, at offset: Int64) throws(StorageError) -> (kind: RecordKind, size: Int, synced: Bool)? {
        guard try validRecord(reader, at: offset), let h = try reader.bytes(at: offset, count: StorageFormat.recordHeaderSize),
            let kind = RecordKind(rawValue: h[4])
        else { return nil }
        let size = StorageFormat.recordSize(payloadLength: Int(h.u32(0)))
        guard kind == .batch, Int(h.u32(0)) == StorageFormat.batchPayloadSize,
            let payload = try reader.bytes(at: offset + Int64(StorageFormat.recordHeaderSize), count: StorageFormat.batchPayloadSize)
        else {
            return (kind, size, false)
        }
        return (kind, size, payload.u32(28) & 1 == 0)
    }

    /// Row S13: a last segment whose header's sector never reached the disk while later ones did.
    /// Only a segment created without a sync (`SyncPolicy.never`) can show it: with syncs the header
    /// is durable before any record is written. The header must be zero from some offset below 64 to
    /// the end of its sector, and the records after it unacknowledged with no synced marker at all.
    func unsyncedCreation(_ reader: WindowReader) throws(StorageError) -> (zeroFrom: Int64, entries: Int)? {
        let headerSize = Int64(StorageFormat.segmentHeaderSize)
        let pageEnd = min(Int64(StorageFormat.sectorSize), reader.size)
        guard pageEnd > headerSize, let page = try reader.bytes(at: 0, count: Int(pageEnd)) else { return nil }
        var zeroFrom = Int(pageEnd)
        while zeroFrom > 0 && page[zeroFrom - 1] == 0 { zeroFrom -= 1 }
        guard zeroFrom < Int(headerSize) else { return nil }
        guard
            case .unacknowledged(let entries, _) = try unacknowledgedTail(
                reader, from: headerSize, batchStart: headerSize,
                syncedMarkerAllowed: false)
        else { return nil }
        return (Int64(zeroFrom), entries)
    }

    /// Whether a complete, checksum-valid record starts at `offset`.
    func validRecord(_ reader: WindowReader, at offset: Int64) throws(StorageError) -> Bool {
        guard let h = try reader.bytes(at: offset, count: StorageFormat.recordHeaderSize) else { return false }
        guard h.u32(28) == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: h[0..<28])) else { return false }
        let length = Int(h.u32(0))
        guard length <= StorageFormat.maxPayloadLength, RecordKind(rawValue: h[4]) != nil else { return false }
        let total = StorageFormat.recordSize(payloadLength: length)
        guard let r = try reader.bytes(at: offset, count: total) else { return false }
        let covered = total - StorageFormat.recordTrailerSize
        return r.u32(covered) == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: r[0..<covered]))
            && r.u32(covered + 4) == StorageFormat.recordEndTag
    }

    /// The next 8-aligned offset at or after `from` where a valid record starts.
    func resync(_ reader: WindowReader, from: Int64) throws(StorageError) -> Int64? {
        var offset = (from + 7) & ~7
        while offset + Int64(StorageFormat.recordHeaderSize + StorageFormat.recordTrailerSize) <= reader.size {
            if try validRecord(reader, at: offset) { return offset }
            offset += 8
        }
        return nil
    }
}
