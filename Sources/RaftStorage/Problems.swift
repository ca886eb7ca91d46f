/// One thing recovery or `logdump verify` found wrong, with where it is.
public struct StorageProblem: Sendable, Equatable, CustomStringConvertible {
    /// How serious the problem is and what may be done about it.
    public enum Class: String, Sendable, Comparable, CaseIterable {
        /// Damage after the last batch marker that looks like an interrupted write: it was never
        /// acknowledged, so cutting it loses nothing that was promised.
        case tornTail = "torn tail"
        /// Bytes that were acknowledged as durable (or sit before later durable data) do not read back.
        case corruption
        /// Every record reads back, but the files do not fit together.
        case inconsistency

        var rank: Int {
            switch self {
            case .tornTail: return 0
            case .corruption: return 1
            case .inconsistency: return 2
            }
        }

        /// Orders classes from the least to the most serious.
        public static func < (a: Class, b: Class) -> Bool { a.rank < b.rank }
    }

    /// The row of the recovery decision table (docs/storage-format.md §5.3) that classified it.
    public var row: RecoveryRow
    /// The classification.
    public var `class`: Class
    /// The file's name (relative to the data directory) or path.
    public var file: String
    /// Byte offset in the file where the problem starts.
    public var offset: Int64
    /// The entry index involved, when known.
    public var index: UInt64?
    /// The term involved, when known.
    public var term: UInt64?
    /// The checksum stored in the file, for checksum failures.
    public var expectedChecksum: UInt32?
    /// The checksum computed from the bytes read, for checksum failures.
    public var computedChecksum: UInt32?
    /// What is wrong, in words.
    public var message: String

    /// Creates a problem.
    public init(
        _ row: RecoveryRow, _ problemClass: Class, file: String, offset: Int64, index: UInt64? = nil, term: UInt64? = nil,
        expectedChecksum: UInt32? = nil, computedChecksum: UInt32? = nil, message: String
    ) {
        self.row = row
        self.class = problemClass
        self.file = file
        self.offset = offset
        self.index = index
        self.term = term
        self.expectedChecksum = expectedChecksum
        self.computedChecksum = computedChecksum
        self.message = message
    }

    /// The classification (same as `class`, for callers that prefer not to write backticks).
    public var classification: Class { self.class }

    /// The problem in one line: file, offset, row and what is wrong.
    public var description: String {
        var s = "\(self.class.rawValue): \(file):\(offset): \(message)"
        if let expectedChecksum, let computedChecksum {
            s += " (stored \(formatChecksum(expectedChecksum)), computed \(formatChecksum(computedChecksum)))"
        }
        var at: [String] = []
        if let index { at.append("index \(index)") }
        if let term { at.append("term \(term)") }
        if !at.isEmpty { s += " [" + at.joined(separator: ", ") + "]" }
        return s
    }
}

/// What `LogStorage.open` found and did.
public struct RecoveryReport: Sendable {
    /// Every problem found (when the log opened: only torn tails, and damaged snapshot files an older
    /// snapshot and the log replaced — docs/storage-format.md row P5).
    public var problems: [StorageProblem]
    /// True when a torn tail was cut off while opening.
    public var tornTailCut: Bool
    /// Lines for a person: what was read, what was cut, what hard state was chosen.
    public var summary: [String]
    /// True when the directory was empty and a new log was created.
    public var created: Bool
    /// Zero bytes kept after the last record of the last segment as unused space (row R11). With
    /// preallocation they are expected; without it they are a write whose length reached the disk
    /// and whose data did not (never acknowledged: an acknowledged write was synced).
    public var unusedBytes: Int64

    /// Creates a report.
    public init(
        problems: [StorageProblem] = [], tornTailCut: Bool = false, summary: [String] = [], created: Bool = false,
        unusedBytes: Int64 = 0
    ) {
        precondition(unusedBytes >= 0, "a byte count")
        self.problems = problems
        self.tornTailCut = tornTailCut
        self.summary = summary
        self.created = created
        self.unusedBytes = unusedBytes
    }
}
