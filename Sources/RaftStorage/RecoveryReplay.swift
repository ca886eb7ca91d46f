import RaftCore

/// Rebuilds the effective log from a scan's records, in file order (docs/storage-format.md §2.4):
/// an entry at or below the last index supersedes the suffix from its index on, then is appended.
/// Entries are applied as they are read; a batch whose marker never comes is rolled back at the
/// end — its appends dropped, the acknowledged entries it superseded put back — because only whole
/// acknowledged batches are part of the log (§2.3).
///
/// A class so that the scan's fast path (`ScanState.scanSoundRun`, through `LogScanner.recoverySink`)
/// can append the usual entry — the next index, nothing superseded — without building a
/// `ScannedRecord` for the visitor; every other record goes through `apply`.
final class RecoveryReplay {
    /// The log replayed so far, the open batch included; `log[0]` has index `start` (the first live
    /// segment may begin after index 1: a snapshot covers what is before it).
    @exclusivity(unchecked) private(set) var log: [Entry] = []
    @exclusivity(unchecked) private var start: UInt64 = 1
    /// `log.count` at the last batch marker.
    private var acknowledged = 0
    /// The first acknowledged position the open batch superseded.
    private var undoStart: Int?
    /// The acknowledged entries the open batch superseded, from `undoStart` on.
    private var undo: [Entry] = []
    /// Bytes of the live segments still to be replayed, for `reserve`; 0 once it reserved.
    private var bytesToReplay = 0

    /// Tells the replay how many segment bytes it is about to be fed (`LogScanner.scan` with a sink).
    func expectSegmentBytes(_ count: Int64) { bytesToReplay = Int(clamping: count) }

    /// Once, from the first run of records the fast path reads: room for as many entries as the
    /// segments hold at that run's average record size. Growing a large log by doubling copied it
    /// about twice over and cost as much as building its entries (perf, 128 MiB of 128-byte
    /// entries); an estimate that is too low leaves the usual doubling, one too high only address
    /// space (the reserved pages are not touched).
    func reserve(averageRecordBytes: Int) {
        guard bytesToReplay > 0, averageRecordBytes > 0 else { return }
        let estimate = bytesToReplay / max(averageRecordBytes, StorageFormat.recordSize(payloadLength: 0))
        bytesToReplay = 0
        if estimate > log.capacity { log.reserveCapacity(estimate) }
    }

    /// Applies one record that read back.
    func apply(_ record: ScannedRecord, payload: UnsafeRawBufferPointer) {
        switch record.kind {
        case .entry: applyEntry(record, payload: payload)
        case .batch: acknowledgeBatch()
        }
    }

    /// `apply` for an entry record of a known type: when it is the next index of a non-empty log
    /// (nothing superseded), the append `applyEntry` would make, without a `ScannedRecord`.
    @inline(__always)
    func applyEntry(term: UInt64, index: UInt64, kind: EntryKind, payload: UnsafeRawBufferPointer) {
        if !log.isEmpty && index == start &+ UInt64(log.count) {
            log.append(Entry(term: term, index: index, kind: kind, data: copyBytes(payload)))
        } else {
            applyAnyEntry(term: term, index: index, kind: kind, payload: payload)
        }
    }

    /// Appends an entry, superseding the suffix from its index on when it is a conflict.
    private func applyEntry(_ record: ScannedRecord, payload: UnsafeRawBufferPointer) {
        applyAnyEntry(term: record.term, index: record.index, kind: record.entryKind, payload: payload)
    }

    @inline(never)
    private func applyAnyEntry(term: UInt64, index: UInt64, kind: EntryKind?, payload: UnsafeRawBufferPointer) {
        guard let kind, index >= 1 else { return }
        if log.isEmpty && undoStart == nil && acknowledged == 0 { start = index }
        guard index <= start + UInt64(log.count) else {
            return  // the scan reports unknown types and gaps; nothing to apply
        }
        let position = index < start ? 1 : Int(index - start) + 1
        if index < start { start = index }
        if position <= log.count { supersede(from: position - 1) }
        log.append(Entry(term: term, index: index, kind: kind, data: copyBytes(payload)))
    }

    /// Removes the log from `cut` on, keeping the acknowledged part of it for a rollback.
    private func supersede(from cut: Int) {
        let protectedEnd = undoStart ?? acknowledged
        if cut < protectedEnd {
            undo = Array(log[cut..<protectedEnd]) + undo
            undoStart = cut
        }
        log.removeSubrange(cut...)
    }

    /// A batch marker: everything read so far is acknowledged.
    private func acknowledgeBatch() {
        acknowledged = log.count
        undoStart = nil
        undo.removeAll()
    }

    /// The log of the acknowledged batches: the open batch, if any, rolled back. The log is
    /// handed over (the replay keeps none of it, so the caller's first change copies nothing).
    func takeAcknowledgedLog() -> [Entry] {
        if log.count != acknowledged || undoStart != nil {
            log.removeSubrange((undoStart ?? acknowledged)...)
            log.append(contentsOf: undo)
            undoStart = nil
            undo.removeAll()
        }
        let taken = log
        log = []
        acknowledged = 0
        return taken
    }
}
