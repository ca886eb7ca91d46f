import RaftCore

/// A record whose header, checksum and end tag are right (its meaning is checked by the order checks).
struct DecodedRecord {
    var kind: RecordKind
    var entryType: UInt8
    var term: UInt64
    var index: UInt64
    var payloadLength: Int
    var size: Int
    var checksum: UInt32
}

extension ScanState {
    // MARK: Records

    /// Reads the record at `cursor.offset` and moves past it (or past damage). False when the scan
    /// of this segment stops: a torn tail was found, or nothing valid follows the damage.
    mutating func scanRecord(
        _ cursor: inout SegmentCursor, wantsRecords: Bool,
        visit: (ScannedRecord, UnsafeRawBufferPointer) -> ScanVisit
    ) throws(StorageError) -> Bool {
        let reader = cursor.reader
        let offset = cursor.offset
        guard let header = try reader.bytes(at: offset, count: StorageFormat.recordHeaderSize) else {
            if try unusedSpace(&cursor) { return false }
            try damage(
                cursor, row: .R1, at: offset, reason: "record header cut short by the end of the file",
                expected: nil, computed: nil, term: nil, index: nil)
            return try skipDamage(&cursor, knownSize: nil, suspend: false)
        }
        let storedHeaderCRC = header.u32(28)
        // The register after bytes 0..<28 is the header checksum and continues into the record checksum.
        let headerRegister = CRC32C.update(0xFFFF_FFFF, UnsafeRawBufferPointer(rebasing: header[0..<28]))
        guard storedHeaderCRC == ~headerRegister else {
            let allZero = header.allSatisfy { $0 == 0 }
            if allZero, try unusedSpace(&cursor) { return false }
            try damage(
                cursor, row: .R2, at: offset, reason: allZero ? "zero bytes where a record header should be" : "record header checksum mismatch",
                expected: storedHeaderCRC, computed: ~headerRegister, term: nil, index: nil)
            return try skipDamage(&cursor, knownSize: nil, suspend: true)
        }
        let length = Int(header.u32(0))
        let term = header.u64(8)
        let index = header.u64(16)
        let total = length <= StorageFormat.maxPayloadLength ? StorageFormat.recordSize(payloadLength: length) : -1
        // The usual case first, without building a message: a known kind, zero reserved bytes, a length in range.
        let sound =
            length <= StorageFormat.maxPayloadLength && header.u16(6) == 0 && header.u32(24) == 0
            && (header[4] == RecordKind.entry.rawValue || header[4] == RecordKind.batch.rawValue)
        if !sound, let structural = structuralProblem(header, length: length) {
            problem(
                .R3, .inconsistency, cursor.name, offset, index: index, term: term,
                "\(structural) (the header's checksum is right: written by another format version?)")
            semanticsSuspended = true
            if total > 0, offset + Int64(total) <= cursor.size { cursor.offset += Int64(total); return true }
            return try resyncAfter(&cursor)
        }
        guard let bytes = try reader.bytes(at: offset, count: total) else {
            try damage(
                cursor, row: .R4, at: offset, reason: "record of \(total) bytes runs past the end of the file (\(cursor.size - offset) bytes left)",
                expected: nil, computed: nil, term: term, index: index)
            return try skipDamage(&cursor, knownSize: nil, suspend: true)
        }
        let covered = total - StorageFormat.recordTrailerSize
        let storedCRC = bytes.u32(covered)
        let computedCRC = ~CRC32C.update(headerRegister, UnsafeRawBufferPointer(rebasing: bytes[28..<covered]))
        guard storedCRC == computedCRC, bytes.u32(covered + 4) == StorageFormat.recordEndTag else {
            try damage(
                cursor, row: .R5, at: offset, reason: storedCRC != computedCRC ? "record checksum mismatch" : "record end tag is wrong",
                expected: storedCRC, computed: computedCRC, term: term, index: index)
            return try skipDamage(&cursor, knownSize: total, suspend: true)
        }
        // From `bytes`, not `header`: reading the whole record may have moved the window under `header`.
        let record = DecodedRecord(
            kind: RecordKind(rawValue: bytes[4])!, entryType: bytes[5], term: term, index: index,
            payloadLength: length, size: total, checksum: storedCRC)
        let payload = UnsafeRawBufferPointer(rebasing: bytes[StorageFormat.recordHeaderSize..<(StorageFormat.recordHeaderSize + length)])
        accept(record, payload: payload, cursor: &cursor, wantsRecords: wantsRecords, visit: visit)
        return true
    }

    /// Row R3: what is wrong with a header whose checksum is right, or nil.
    func structuralProblem(_ header: UnsafeRawBufferPointer, length: Int) -> String? {
        if length > StorageFormat.maxPayloadLength {
            return "payload length \(length) exceeds the format's limit of \(StorageFormat.maxPayloadLength)"
        }
        if header.u16(6) != 0 || header.u32(24) != 0 { return "reserved record header bytes are not zero" }
        if RecordKind(rawValue: header[4]) == nil { return "unknown record kind \(header[4])" }
        return nil
    }

    /// After damage that was not a torn tail: go on right after the record when its header was sound
    /// (`knownSize`), else at the next valid record. False when the scan of the segment stops.
    mutating func skipDamage(_ cursor: inout SegmentCursor, knownSize: Int?, suspend: Bool) throws(StorageError) -> Bool {
        if result.tornTail != nil { return false }
        if suspend { semanticsSuspended = true }
        // The header is sound, so the next record starts right after this one (damaged or not: the
        // next turn of the loop checks it).
        if let knownSize, cursor.offset + Int64(knownSize) + Int64(StorageFormat.recordHeaderSize) <= cursor.size {
            cursor.offset += Int64(knownSize)
            return true
        }
        return try resyncAfter(&cursor)
    }

    /// Moves to the next valid record after the one at `cursor.offset`; false when there is none.
    func resyncAfter(_ cursor: inout SegmentCursor) throws(StorageError) -> Bool {
        guard let next = try resync(cursor.reader, from: cursor.offset + 8) else { return false }
        cursor.offset = next
        return true
    }

    /// A valid record: counted, order-checked, handed to the visitor.
    @inline(__always)
    mutating func accept(
        _ record: DecodedRecord, payload: UnsafeRawBufferPointer, cursor: inout SegmentCursor, wantsRecords: Bool,
        visit: (ScannedRecord, UnsafeRawBufferPointer) -> ScanVisit
    ) {
        let offset = cursor.offset
        var superseded = false
        var batchMarker: BatchMarker?
        if record.kind == .entry {
            superseded = acceptEntry(record, cursor: &cursor)
        } else {
            batchMarker = acceptMarker(record, payload: payload, cursor: &cursor)
        }
        if wantsRecords {
            let next = visit(
                ScannedRecord(
                    file: cursor.name, segmentOrdinal: cursor.ordinal, offset: offset, size: record.size, kind: record.kind,
                    entryType: record.entryType, term: record.term, index: record.index, payloadLength: record.payloadLength,
                    checksum: record.checksum, batch: batchMarker, superseded: superseded), payload)
            if next == .stop { stopped = true }
        }
        cursor.offset += Int64(record.size)
        cursor.summary.validEnd = cursor.offset
    }

    /// An entry record; returns whether a later conflict truncation supersedes it.
    @inline(__always)
    mutating func acceptEntry(_ record: DecodedRecord, cursor: inout SegmentCursor) -> Bool {
        let index = record.index
        cursor.summary.entryRecords += 1
        cursor.summary.minIndex = min(cursor.summary.minIndex ?? index, index)
        cursor.summary.maxIndex = max(cursor.summary.maxIndex ?? index, index)
        result.entryRecords += 1
        switch record.entryType {
        case 0: knownTypeCounts.normal += 1
        case 1: knownTypeCounts.noop += 1
        case 2: knownTypeCounts.config += 1
        default: otherTypeCounts[record.entryType, default: 0] += 1
        }
        cursor.pendingEntries += 1
        let position = cursor.positionBase | UInt64(cursor.offset)
        checkEntry(offset: cursor.offset, position: position, entryType: record.entryType, term: record.term, index: index)
        guard let table = supersedeTable else { return false }
        while supersedeCursor < table.count && table[supersedeCursor].position <= position { supersedeCursor += 1 }
        guard supersedeCursor < table.count && table[supersedeCursor].minIndex <= index else { return false }
        result.supersededRecords += 1
        return true
    }

    /// A batch marker record (row M1 for its structure, then `checkBatch`); returns the marker when it is usable.
    mutating func acceptMarker(_ record: DecodedRecord, payload: UnsafeRawBufferPointer, cursor: inout SegmentCursor) -> BatchMarker? {
        let (name, offset, term, index) = (cursor.name, cursor.offset, record.term, record.index)
        cursor.summary.batchRecords += 1
        result.batchRecords += 1
        cursor.lastBatchEnd = offset + Int64(record.size)
        cursor.pendingEntries = 0
        guard record.payloadLength == StorageFormat.batchPayloadSize && record.entryType == 0 else {
            problem(
                .M1, .inconsistency, name, offset, index: index, term: term,
                "batch marker with a \(record.payloadLength)-byte payload and type \(record.entryType) (expected \(StorageFormat.batchPayloadSize) and 0)"
            )
            semanticsSuspended = true
            return nil
        }
        let flags = payload.u32(28)
        let marker = BatchMarker(
            batchSequence: payload.u64(0), hardStateSequence: payload.u64(8),
            firstIndex: payload.u64(16), entryCount: payload.u32(24), synced: flags & 1 == 0)
        var usable: BatchMarker? = marker
        if marker.batchSequence >= StorageFormat.plausibleLimit || marker.hardStateSequence >= StorageFormat.plausibleLimit
            || marker.firstIndex >= StorageFormat.plausibleLimit || index >= StorageFormat.plausibleLimit
        {
            problem(.M1, .inconsistency, name, offset, index: index, term: term, "batch marker with implausible sequence or index")
            semanticsSuspended = true
            usable = nil
        }
        if flags & ~1 != 0 {
            problem(.M1, .inconsistency, name, offset, index: index, term: term, "batch marker has unknown flags \(flags)")
        }
        checkBatch(name: name, offset: offset, marker: marker, term: term, index: index)
        if let usable {
            let point = AcknowledgedPoint(
                end: offset + Int64(record.size), batchSequence: usable.batchSequence,
                hardStateSequence: usable.hardStateSequence, lastIndex: index, lastTerm: term)
            cursor.batchEnds.append(point)
            result.lastAcknowledged = point
        }
        return usable
    }
}
