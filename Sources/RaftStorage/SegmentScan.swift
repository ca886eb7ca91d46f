import RaftCore

/// Where the scan of one segment stands: the file, the records read so far, what an appender or a
/// repair would need to know about them.
struct SegmentCursor {
    let name: String
    let path: String
    let ordinal: Int
    let isLast: Bool
    let reader: WindowReader
    /// The next record's offset.
    var offset = Int64(StorageFormat.segmentHeaderSize)
    /// End of the last batch marker read in this segment.
    var lastBatchEnd: Int64?
    /// Entry records read since that marker (or the header).
    var pendingEntries = 0
    /// Where each valid marker of this segment ends (kept for repair planning when the segment is corrupt).
    var batchEnds: [AcknowledgedPoint] = []
    var summary: SegmentSummary

    var size: Int64 { reader.size }
    /// The high bits of a record's position in the whole log (ordinal, then offset).
    var positionBase: UInt64 { UInt64(ordinal) << 40 }
}

extension ScanState {
    // MARK: Segments

    /// Reads one segment: its header (rows S), then its records (rows R, O, M).
    mutating func scanSegment(
        ordinal: Int, path: String, isLast: Bool, wantsRecords: Bool,
        visit: (ScannedRecord, UnsafeRawBufferPointer) -> ScanVisit
    ) throws(StorageError) {
        let name = Path.name(of: path)
        segmentName = name
        let file = try scanner.fileSystem.openFileForReading(atPath: path)
        defer { file.close() }
        let size = try file.size()
        let reader = WindowReader(file: file, size: size, chunk: scanner.chunkSize, map: scanner.mapsSegments)
        defer { result.bytesScanned += reader.bytesRead }
        var summary = SegmentSummary(name: name, path: path, size: size, header: nil)
        summary.validEnd = min(size, Int64(StorageFormat.segmentHeaderSize))
        var cursor = SegmentCursor(name: name, path: path, ordinal: ordinal, isLast: isLast, reader: reader, summary: summary)
        defer { result.segments.append(cursor.summary) }
        guard try readSegmentHeader(&cursor) else { return }
        cursor.summary.acknowledgedAtStart = result.lastAcknowledged
        let fastPath = scanner.fastPath
        while cursor.offset < size && !stopped {
            if fastPath, try scanSoundRun(&cursor, wantsRecords: wantsRecords, visit: visit) { continue }
            guard try scanRecord(&cursor, wantsRecords: wantsRecords, visit: visit) else { break }
        }
        // A batch cut short by a stop is not a batch without its marker.
        if !stopped { finishSegment(cursor) }
    }

    /// Decodes and checks the segment header. False when the segment's records are not to be read
    /// (a torn or short header, or a format version this reader does not know).
    mutating func readSegmentHeader(_ cursor: inout SegmentCursor) throws(StorageError) -> Bool {
        let reader = cursor.reader
        let nameSequence = StorageFormat.segmentSequence(fileName: cursor.name)
        let headerBytes = try reader.bytes(at: 0, count: Int(min(reader.size, Int64(StorageFormat.segmentHeaderSize))))!
        switch SegmentHeader.decode(headerBytes) {
        case .success(let header):
            cursor.summary.header = header
            checkSegmentHeader(header, name: cursor.name, ordinal: cursor.ordinal, nameSequence: nameSequence)
            previousSegmentSequence = header.sequence
            return true
        case .failure(let failure):
            previousSegmentSequence = nameSequence ?? previousSegmentSequence
            return try segmentHeaderFailure(failure, cursor: cursor)
        }
    }

    /// The checks of a header that decodes: identity, name, and its place after the snapshot or the segment before.
    mutating func checkSegmentHeader(_ header: SegmentHeader, name: String, ordinal: Int, nameSequence: UInt64?) {
        if let logID = result.logID, logID != header.logID {
            if ordinal == 0, let base {
                problem(.P4, .inconsistency, name, 0, "segment belongs to log \(header.logID), the snapshot \(base.file) to log \(logID)")
            } else {
                problem(.S6, .inconsistency, name, 0, "segment belongs to log \(header.logID), the earlier segments to log \(logID)")
            }
            semanticsSuspended = true
        }
        if result.logID == nil { result.logID = header.logID }
        if let nameSequence, nameSequence != header.sequence {
            problem(.S7, .inconsistency, name, 32, "the header says segment \(header.sequence) but the file name says \(nameSequence)")
        }
        if ordinal == 0, let base {
            checkFirstSegment(header, name: name, after: base)
        } else if ordinal == 0 && header.sequence != 1 {
            problem(
                .S4, .inconsistency, name, 32, "the first segment is segment \(header.sequence): segment(s) 1...\(header.sequence - 1) are missing")
            semanticsSuspended = true
        } else if ordinal == 0 && header.firstIndex != 1 {
            problem(
                .S5, .inconsistency, name, 40, index: header.firstIndex,
                "gap: the first segment starts at index \(header.firstIndex), not 1, and no snapshot covers 1...\(header.firstIndex - 1)")
            semanticsSuspended = true
        } else if let previous = previousSegmentSequence, header.sequence != previous + 1 {
            if header.sequence > previous + 1 {
                let missing = header.sequence - previous - 1
                problem(
                    .S8, .inconsistency, name, 32,
                    "\(missing) segment(s) missing before this one (segment \(previous) is followed by \(header.sequence))")
            } else {
                problem(.S8, .inconsistency, name, 32, "segment \(header.sequence) follows segment \(previous)")
            }
            semanticsSuspended = true
        } else if !semanticsSuspended && header.firstIndex != lastIndex + 1 {
            problem(
                .S9, .inconsistency, name, 40, index: header.firstIndex,
                "segment starts at index \(header.firstIndex) but the log before it ends at \(lastIndex)")
            semanticsSuspended = true
        }
    }

    /// Row S10: the first live segment must be the one the snapshot names and start inside or right after it.
    mutating func checkFirstSegment(_ header: SegmentHeader, name: String, after base: SnapshotBase) {
        if header.sequence != base.firstSegment {
            problem(
                .S10, .inconsistency, name, 32,
                header.sequence > base.firstSegment
                    ? "the snapshot at index \(base.index) says the log continues in segment \(base.firstSegment), but the first segment is \(header.sequence): segment(s) \(base.firstSegment)...\(header.sequence - 1) are missing"
                    : "segment \(header.sequence) is below the snapshot's first segment \(base.firstSegment)")
            semanticsSuspended = true
        } else if header.firstIndex > base.index + 1 {
            problem(
                .S10, .inconsistency, name, 40, index: header.firstIndex,
                "gap: the first segment starts at index \(header.firstIndex) but the snapshot covers only through \(base.index)")
            semanticsSuspended = true
        } else {
            // The log before the segment is covered by the snapshot; its terms are known only at the snapshot's index.
            lastIndex = header.firstIndex - 1
            result.lastIndex = lastIndex
            if lastIndex < base.index {
                lastTerm = 0
                lastTermKnown = false
                termRuns = []
                result.lastTerm = 0
            }
        }
    }

    /// A header that does not decode: an interrupted creation (S1, S13), damage (S2) or another
    /// version (S3). True when the records are still to be scanned for further problems.
    mutating func segmentHeaderFailure(_ failure: SegmentHeader.Failure, cursor: SegmentCursor) throws(StorageError) -> Bool {
        let (name, path, reader, size) = (cursor.name, cursor.path, cursor.reader, cursor.size)
        let headerSize = Int64(StorageFormat.segmentHeaderSize)
        let zeroFrom = try reader.zeroSuffixStart()
        if cursor.isLast && (size < headerSize || zeroFrom < headerSize) && zeroFrom <= headerSize {
            problem(
                .S1, .tornTail, name, 0,
                "the segment header is incomplete (\(size) bytes, zero from offset \(zeroFrom)): an interrupted segment creation")
            result.tornTail = TornTail(
                path: path, file: name, damageOffset: 0, cutOffset: 0, removeFile: true,
                bytesLost: size, unacknowledgedEntries: 0)
            return false
        }
        if cursor.isLast && !semanticsSuspended, let unsynced = try unsyncedCreation(reader) {
            problem(
                .S13, .tornTail, name, 0,
                "the segment header is zero from offset \(unsynced.zeroFrom) to the end of its sector, and no record in the segment was synced: a creation under sync policy never whose first sector never reached the disk (\(unsynced.entries) unacknowledged entry record(s) go with it)"
            )
            result.tornTail = TornTail(
                path: path, file: name, damageOffset: 0, cutOffset: 0, removeFile: true,
                bytesLost: size, unacknowledgedEntries: unsynced.entries)
            return false
        }
        semanticsSuspended = true
        switch failure {
        case .short(let available):
            problem(.S2, .corruption, name, 0, "the segment is \(available) bytes, shorter than its 64-byte header, and later segments exist")
            return false
        case .badMagic:
            problem(.S2, .corruption, name, 0, "bad segment magic")
        case .badChecksum(let stored, let computed):
            problem(.S2, .corruption, name, 60, expected: stored, computed: computed, "segment header checksum mismatch")
        case .unsupportedVersion(let v):
            // A version this reader does not know may lay records out differently: reading them as
            // version 1 would be a guess, so none of them is read (or shown).
            problem(
                .S3, .inconsistency, name, 8,
                "segment format version \(v) is not supported (this reader knows version \(StorageFormat.version)): its records are not read")
            return false
        case .badField(let what):
            problem(.S2, .corruption, name, 0, "segment header: \(what)")
        }
        return true
    }

    /// After the last record: a batch without its marker is a torn tail in the last segment (R6),
    /// corruption in any other (R7).
    mutating func finishSegment(_ cursor: SegmentCursor) {
        let name = cursor.name
        if result.tornTail == nil && cursor.pendingEntries > 0 && !semanticsSuspended {
            let cut = cursor.lastBatchEnd ?? Int64(StorageFormat.segmentHeaderSize)
            if cursor.isLast {
                problem(
                    .R6, .tornTail, name, cut,
                    "\(cursor.pendingEntries) entry record(s) after the last batch marker: a batch whose marker was never written")
                result.tornTail = TornTail(
                    path: cursor.path, file: name, damageOffset: cut, cutOffset: cut, removeFile: false,
                    bytesLost: cursor.size - cut, unacknowledgedEntries: cursor.pendingEntries)
            } else {
                problem(
                    .R7, .corruption, name, cut,
                    "the segment ends inside a batch (\(cursor.pendingEntries) entry record(s) after its last marker) but later segments exist")
                semanticsSuspended = true
            }
        }
        if result.problems.contains(where: { $0.file == name && $0.class == .corruption }) { result.batchEnds[name] = cursor.batchEnds }
    }
}
