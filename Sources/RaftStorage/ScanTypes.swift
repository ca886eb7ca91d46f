import RaftCore

/// What a record visitor tells `LogScanner.scanUntilStop(visit:)` to do next.
public enum ScanVisit: Sendable, Equatable {
    /// Read on.
    case next
    /// Read nothing more.
    case stop
}

/// One physical record as the scanner read it. The payload is handed to the visitor separately,
/// as bytes that are valid only during the call, so a scan copies nothing it is not asked to.
public struct ScannedRecord: Sendable {
    /// The segment file's name.
    public var file: String
    /// Position of the segment in the scan (0-based).
    public var segmentOrdinal: Int
    /// Byte offset of the record in the file.
    public var offset: Int64
    /// Bytes the record occupies (header, padded payload, trailer).
    public var size: Int
    /// Entry or batch marker.
    public var kind: RecordKind
    /// The entry type byte (`EntryKind.rawValue`; 0 for markers).
    public var entryType: UInt8
    /// Entry: its term. Marker: the term of the log's last entry after the batch.
    public var term: UInt64
    /// Entry: its index. Marker: the log's last index after the batch.
    public var index: UInt64
    /// Payload length in bytes.
    public var payloadLength: Int
    /// The record checksum stored in the trailer (equal to the computed one: only valid records are visited).
    public var checksum: UInt32
    /// The decoded marker, for batch records.
    public var batch: BatchMarker?
    /// True when a later entry with an index at or below this one's supersedes it (only computed
    /// when the scan was asked to; otherwise false).
    public var superseded: Bool

    /// The entry kind, when the type byte is a known one.
    public var entryKind: EntryKind? { kind == .entry ? EntryKind(rawValue: entryType) : nil }

    /// Builds the entry (copies the payload).
    public func entry(payload: UnsafeRawBufferPointer) -> Entry? {
        guard kind == .entry, let k = entryKind else { return nil }
        return Entry(term: term, index: index, kind: k, data: copyBytes(payload))
    }
}

/// A byte array with the contents of `bytes` (one allocation and one copy).
@inline(__always)
func copyBytes(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
    guard bytes.count > 0 else { return [] }
    // `Array(bytes)` is specialized for a raw buffer down to the allocation; `init(repeating:count:)`
    // and `init(unsafeUninitializedCapacity:)` reach `Array._allocateBufferUninitialized` in the
    // runtime unspecialized, which looks up the array's metadata on every call (perf: that lookup
    // cost more than the copy and the allocation together for a 128-byte payload).
    return Array(bytes)
}

/// What a segment looked like.
public struct SegmentSummary: Sendable {
    /// The file's name.
    public var name: String
    /// Its path.
    public var path: String
    /// Its size in bytes.
    public var size: Int64
    /// The decoded header, when it decodes.
    public var header: SegmentHeader?
    /// Valid entry records.
    public var entryRecords: Int = 0
    /// Valid batch markers.
    public var batchRecords: Int = 0
    /// Lowest and highest entry index seen in the segment.
    public var minIndex: UInt64?
    /// Highest entry index seen in the segment.
    public var maxIndex: UInt64?
    /// End of the last valid record (where an appender would continue).
    public var validEnd: Int64 = 0
    /// Zero bytes after the last record of the last segment: space preallocated for records (row R11).
    public var unusedBytes: Int64 = 0
    /// The last valid batch marker before this segment (nil when there was none).
    public var acknowledgedAtStart: AcknowledgedPoint?
}

/// A place in the log where a valid batch marker ends: what the log looked like there.
public struct AcknowledgedPoint: Sendable, Equatable {
    /// Offset just past the marker in its segment.
    public var end: Int64
    /// The marker's batch sequence.
    public var batchSequence: UInt64
    /// The marker's hard-state sequence.
    public var hardStateSequence: UInt64
    /// The log's last index and term after the batch.
    public var lastIndex: UInt64
    /// The log's last term after the batch.
    public var lastTerm: UInt64
}

/// A proven torn tail: what to cut so the log ends at its last durable batch.
public struct TornTail: Sendable, Equatable {
    /// Path of the segment that holds it (always the last segment).
    public var path: String
    /// Its name.
    public var file: String
    /// Where the damage starts.
    public var damageOffset: Int64
    /// The file length after the cut: the end of the last batch marker in this segment (or of the header).
    public var cutOffset: Int64
    /// True when the segment's header itself is torn: the whole file goes.
    public var removeFile: Bool
    /// Bytes that would go.
    public var bytesLost: Int64
    /// Entry records after the last marker that were never acknowledged (they go too).
    public var unacknowledgedEntries: Int
}
