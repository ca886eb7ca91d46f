import RaftCore

/// What the disk held at the last full sync (open, a synced save, `sync()`, a snapshot): a failed
/// sync of what `SyncPolicy.never` wrote after it goes back to it (docs/storage-format.md §5.6).
struct DurablePoint: Equatable {
    var segmentSequence: UInt64
    var segmentOffset: Int64
    var hardStateSequence: UInt64
    var hardState: HardState
    var batchSequence: UInt64
}

extension LogStorage {
    // MARK: Failed syncs of unsynced writes (docs/storage-format.md §5.6)

    /// Where the log's files stand now.
    var currentPoint: DurablePoint {
        DurablePoint(
            segmentSequence: segmentSequence, segmentOffset: segmentOffset, hardStateSequence: hardStateSequence,
            hardState: hardState, batchSequence: batchSequence)
    }

    /// After a save, snapshot or sync that left nothing unsynced: this is the new point to go back to.
    func noteDurablePointIfSynced() {
        if unsyncedSince == nil { durable = currentPoint }
    }

    /// The undo of a failed `syncEverything`: every write since the last full sync goes (they were
    /// made under `SyncPolicy.never`, never acknowledged, and after a failed writeback the page
    /// cache may show them while the disk lacks them). Nil when nothing was written since.
    func rollBackToDurablePoint() -> FailureMarker.Undo? {
        let now = currentPoint
        guard now != durable else { return nil }
        var state: FailureMarker.SyncedHardState?
        if now.hardStateSequence != durable.hardStateSequence {
            state = FailureMarker.SyncedHardState(
                state: durable.hardState, sequence: durable.hardStateSequence,
                batchSequence: durable.batchSequence, segmentSequence: durable.segmentSequence)
        }
        return .rollBack(file: StorageFormat.segmentFileName(sequence: durable.segmentSequence), length: durable.segmentOffset, hardState: state)
    }
}
