import RaftCore

/// Rebuilds the effective log from a scan's records, in file order (docs/storage-format.md §2.4):
/// an entry at or below the last index supersedes the suffix from its index on, then is appended.
/// Entries are applied as they are read; a batch whose marker never comes is rolled back at the
/// end — its appends dropped, the acknowledged entries it superseded put back — because only whole
/// acknowledged batches are part of the log (§2.3).
struct RecoveryReplay {
    /// The log replayed so far, the open batch included; `log[0]` has index `start` (the first live
    /// segment may begin after index 1: a snapshot covers what is before it).
    private(set) var log: [Entry] = []
    private var start: UInt64 = 1
    /// `log.count` at the last batch marker.
    private var acknowledged = 0
    /// The first acknowledged position the open batch superseded.
    private var undoStart: Int?
    /// The acknowledged entries the open batch superseded, from `undoStart` on.
    private var undo: [Entry] = []

    /// Applies one record that read back.
    mutating func apply(_ record: ScannedRecord, payload: UnsafeRawBufferPointer) {
        switch record.kind {
        case .entry: applyEntry(record, payload: payload)
        case .batch: acknowledgeBatch()
        }
    }

    /// Appends an entry, superseding the suffix from its index on when it is a conflict.
    private mutating func applyEntry(_ record: ScannedRecord, payload: UnsafeRawBufferPointer) {
        guard let kind = record.entryKind, record.index >= 1 else { return }
        if log.isEmpty && undoStart == nil && acknowledged == 0 { start = record.index }
        guard record.index <= start + UInt64(log.count) else {
            return  // the scan reports unknown types and gaps; nothing to apply
        }
        let position = record.index < start ? 1 : Int(record.index - start) + 1
        if record.index < start { start = record.index }
        if position <= log.count { supersede(from: position - 1) }
        log.append(Entry(term: record.term, index: record.index, kind: kind, data: copyBytes(payload)))
    }

    /// Removes the log from `cut` on, keeping the acknowledged part of it for a rollback.
    private mutating func supersede(from cut: Int) {
        let protectedEnd = undoStart ?? acknowledged
        if cut < protectedEnd {
            undo = Array(log[cut..<protectedEnd]) + undo
            undoStart = cut
        }
        log.removeSubrange(cut...)
    }

    /// A batch marker: everything read so far is acknowledged.
    private mutating func acknowledgeBatch() {
        acknowledged = log.count
        undoStart = nil
        undo.removeAll()
    }

    /// The log of the acknowledged batches: the open batch, if any, rolled back.
    mutating func acknowledgedLog() -> [Entry] {
        if log.count != acknowledged || undoStart != nil {
            log.removeSubrange((undoStart ?? acknowledged)...)
            log.append(contentsOf: undo)
            acknowledged = log.count
            undoStart = nil
            undo.removeAll()
        }
        return log
    }
}
