import RaftCore

/// What the chosen snapshot file says about where the log starts.
struct SnapshotBase {
    var index: UInt64
    var term: UInt64
    var firstSegment: UInt64
    var batchSequence: UInt64
    var logID: LogID
    var file: String
}

/// The state of one pass over the segments.
struct ScanState {
    let scanner: LogScanner
    /// The segments to read (those the snapshot does not make obsolete), in log order.
    let live: [String]
    /// The snapshot the log starts from.
    let base: SnapshotBase?
    /// The term of the entry at the snapshot's index, in the log as acknowledged (when the live segments hold it).
    var termAtSnapshotIndex: UInt64?
    /// Names of snapshot files that do not read back (their problems are already listed).
    var damagedSnapshotFiles: Set<String> = []
    let truncationsWanted: Bool
    let supersedeTable: [(position: UInt64, minIndex: UInt64)]?
    var supersedeCursor = 0

    var result = ScanResult()
    // The effective log as replayed so far (including the batch in progress).
    var lastIndex: UInt64 = 0
    var lastTerm: UInt64 = 0
    /// False while the log scanned so far ends inside what the snapshot covers (terms there are
    /// known only at the snapshot's own index).
    var lastTermKnown = true
    /// Start index and term of each run of equal terms, for term lookups on truncation.
    var termRuns: [(start: UInt64, term: UInt64)] = []
    // The batch in progress.
    var batchFirstIndex: UInt64?
    var batchEntries: UInt32 = 0
    var batchTruncations: [(position: UInt64, index: UInt64)] = []
    var truncationsAcknowledged: [(position: UInt64, index: UInt64)] = []
    var expectedBatchSequence: UInt64 = 1
    /// Hard-state sequence of the last marker written with a sync (the proof of durability).
    var lastMarkerHardStateSequence: UInt64 = 0
    var lastMarkerHardStateSequenceSeen: UInt64 = 0
    /// Once a record is lost to corruption, order checks would only repeat it; they stop.
    var semanticsSuspended = false
    var previousSegmentSequence: UInt64?
    /// Entry records by type: the three known types in fields (no array write per record), others aside.
    var knownTypeCounts: (normal: Int, noop: Int, config: Int) = (0, 0, 0)
    var otherTypeCounts: [UInt8: Int] = [:]
    /// The segment being read (for problems; kept here so the per-record path passes no string).
    var segmentName = ""
    /// The visitor asked to stop: nothing more is read.
    var stopped = false
    /// The fast path's scratch space (`scanSoundRun`).
    let soundRunScratch = SoundRunScratch()
    /// Where the fast path hands the usual entry when recovery replays the scan (`LogScanner.recoverySink`).
    var sink: RecoveryReplay?

    init(
        scanner: LogScanner, truncationsWanted: Bool, supersedeTable: [(position: UInt64, minIndex: UInt64)]?,
        live: [String], base: SnapshotBase?
    ) {
        self.scanner = scanner
        self.live = live
        self.base = base
        if let base {
            // Without a live segment the log is the snapshot alone; the first segment's header refines this.
            lastIndex = base.index
            lastTerm = base.term
            termRuns = [(base.index, base.term)]
            expectedBatchSequence = base.batchSequence + 1
            result.lastIndex = base.index
            result.lastTerm = base.term
            result.logID = base.logID
        }
        self.truncationsWanted = truncationsWanted
        self.supersedeTable = supersedeTable
    }

    mutating func problem(
        _ row: RecoveryRow, _ c: StorageProblem.Class, _ file: String, _ offset: Int64, index: UInt64? = nil, term: UInt64? = nil,
        expected: UInt32? = nil, computed: UInt32? = nil, _ message: String
    ) {
        // Keep memory bounded on a log that is damaged everywhere; the count is kept.
        if result.problems.count >= scanner.maxProblems && c != .tornTail {
            result.problemsNotListed += 1
            return
        }
        result.problems.append(
            StorageProblem(
                row, c, file: file, offset: offset, index: index, term: term,
                expectedChecksum: expected, computedChecksum: computed, message: message))
    }

    func termAt(_ index: UInt64) -> UInt64 {
        // Last run starting at or before index.
        var lo = 0, hi = termRuns.count - 1, found = 0 as UInt64
        while lo <= hi {
            let mid = (lo + hi) / 2
            if termRuns[mid].start <= index { found = termRuns[mid].term; lo = mid + 1 } else { hi = mid - 1 }
        }
        return found
    }

    mutating func run(wantsRecords: Bool, visit: (ScannedRecord, UnsafeRawBufferPointer) -> ScanVisit) throws(StorageError) {
        let paths = live
        for (ordinal, path) in paths.enumerated() {
            try scanSegment(ordinal: ordinal, path: path, isLast: ordinal == paths.count - 1, wantsRecords: wantsRecords, visit: visit)
            if stopped { return }
        }
        if let base, !semanticsSuspended && !result.problems.contains(where: { $0.class != .tornTail && !damagedSnapshotFiles.contains($0.file) }) {
            if result.lastIndex < base.index {
                problem(
                    .L1, .inconsistency, live.first.map { Path.name(of: $0) } ?? base.file, 0, index: result.lastIndex,
                    "the log ends at index \(result.lastIndex), below the snapshot's index \(base.index), although its first segment starts inside the snapshot"
                )
            } else if let t = termAtSnapshotIndex, t != base.term {
                problem(
                    .L2, .inconsistency, base.file, 40, index: base.index, term: base.term,
                    "the log holds entry \(base.index) with term \(t) but the snapshot says term \(base.term)")
            }
        }
        for (type, count) in [(0, knownTypeCounts.normal), (1, knownTypeCounts.noop), (2, knownTypeCounts.config)] where count > 0 {
            result.entriesByType[UInt8(type)] = count
        }
        for (type, count) in otherTypeCounts { result.entriesByType[type] = count }
    }

}
