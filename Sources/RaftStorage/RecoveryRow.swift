// swift-format-ignore: AlwaysUseLowerCamelCase
/// A row of the recovery decision table, docs/storage-format.md §5.3. Every `StorageProblem` names
/// the row that classified it, and `ScanResult.notedRows` lists the rows that decided something
/// without a problem (an obsolete segment, a lowered commit index…). A test (RecoveryRowTests)
/// produces each row from a damaged log and checks that the rows here and the table in the document
/// are the same set.
///
/// The rows keep the document's names (S1, R8, …) so that code, table and test name the same thing.
public enum RecoveryRow: String, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    // Segment headers and the set of segments.
    case S1, S2, S3, S4, S5, S6, S7, S8, S9, S10, S11, S12, S13
    // Records and rule D.
    case R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11
    // Order of entries.
    case O1, O2, O3, O4, O5
    // Batch markers.
    case M1, M2
    // The log after replay, against the chosen snapshot.
    case L1, L2
    // Snapshot files.
    case P1, P2, P3, P4, P5
    // The hard state.
    case H1, H2, H3, H4, H5, H6, H7, H8, H9, H10, H11, H12, H13, H14, H15
    // The failure marker (§5.6).
    case F1

    /// The row's name as the table spells it (`S13`).
    public var description: String { rawValue }

    /// Position in the table (the declaration order).
    var rank: Int { Self.allCases.firstIndex(of: self)! }

    /// Orders rows as the document's table lists them.
    public static func < (a: RecoveryRow, b: RecoveryRow) -> Bool { a.rank < b.rank }
}
