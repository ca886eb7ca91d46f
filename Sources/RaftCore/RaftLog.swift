/// A node's in-memory view of its log: what is stored, what is stable on disk, what is committed
/// and what is applied. The host persists through `Ready`; the log never does I/O.
@usableFromInline
struct RaftLog: Sendable {
    /// The entries after the compaction point.
    /// - Invariant: `entries[i].index == offset + 1 + i`; terms never decrease.
    @usableFromInline private(set) var entries: [Entry]
    /// Index of the last entry dropped by compaction (0 while nothing is compacted).
    @usableFromInline private(set) var offset: UInt64 = 0
    /// Term of the entry at `offset` (0 while nothing is compacted).
    @usableFromInline private(set) var offsetTerm: UInt64 = 0
    /// Entries through this index are known to be on stable storage.
    /// - Invariant: `stableIndex <= lastIndex`.
    @usableFromInline private(set) var stableIndex: UInt64
    /// The highest index known to be committed.
    /// - Invariant: `committed <= lastIndex`; never decreases.
    @usableFromInline private(set) var committed: UInt64
    /// Indexes of the configuration entries in `entries`, ascending (the latest one is in effect).
    private(set) var configIndexes: [UInt64] = []
    /// The highest index handed to the state machine.
    /// - Invariant: `applied <= committed`.
    @usableFromInline private(set) var applied: UInt64
    /// The run of entries last copied out of `entries` (for a Ready or an append message), or
    /// the run a follower last appended as it arrived. Asked for the same run again — a
    /// proposal's entry goes to storage, to each follower and later to the state machine — the
    /// log hands out this array instead of copying again.
    /// - Invariant: empty, or equal to the entries at its indexes in `entries` (cleared whenever
    ///   entries are replaced).
    private var lastCopy: [Entry] = []

    /// A log recovered from storage: an optional snapshot and the entries after it, all stable;
    /// `commit` comes from the hard state. The state machine starts from the snapshot.
    init(snapshot: SnapshotMetadata?, entries: [Entry], commit: UInt64) {
        let offset = snapshot?.index ?? 0
        let offsetTerm = snapshot?.term ?? 0
        precondition(
            RaftLog.sequenceProblem(entries, after: offset, term: offsetTerm) == nil,
            "stored entries must follow the snapshot (or start at 1) and be contiguous")
        self.entries = entries
        self.offset = offset
        self.offsetTerm = offsetTerm
        self.stableIndex = offset + UInt64(entries.count)
        // A commit index beyond the stored log can only come from a damaged or mismatched hard
        // state; never claim more than we hold. The snapshot itself is committed.
        self.committed = max(offset, min(commit, offset + UInt64(entries.count)))
        self.applied = offset
        self.configIndexes = entries.filter { $0.kind == .config }.map(\.index)
    }

    /// Why `entries` cannot follow the entry (`index`, `term`) in a log, or nil when they can:
    /// indexes consecutive from `index + 1`, terms at least 1 and never decreasing. The one
    /// statement of the rule: messages are validated with it (`Validation.swift`) and the log
    /// asserts it.
    static func sequenceProblem(_ entries: some RandomAccessCollection<Entry>, after index: UInt64, term: UInt64) -> String? {
        var expected = index + 1
        var lastTerm = term
        // By position, reading fields in place: iterating would copy each entry (and retain its payload).
        for position in entries.indices {
            let entryIndex = entries[position].index
            let entryTerm = entries[position].term
            if entryIndex != expected { return "entry index \(entryIndex) where \(expected) was expected" }
            if entryTerm == 0 { return "entry \(entryIndex) has term 0" }
            if entryTerm < lastTerm { return "entry \(entryIndex) has term \(entryTerm) below the previous \(lastTerm)" }
            expected += 1
            lastTerm = entryTerm
        }
        return nil
    }

    @inlinable var firstIndex: UInt64 { offset + 1 }
    @inlinable var lastIndex: UInt64 { offset + UInt64(entries.count) }
    @inlinable var lastTerm: UInt64 { entries.isEmpty ? offsetTerm : entries[entries.endIndex - 1].term }

    /// The term of the entry at `index`: 0 for index 0, nil when compacted away or beyond the end.
    @inline(__always)
    func term(at index: UInt64) -> UInt64? {
        if index == offset { return offsetTerm }
        if index < offset || index > lastIndex { return nil }
        return entries[Int(index - offset - 1)].term
    }

    func matchTerm(_ index: UInt64, _ term: UInt64) -> Bool { self.term(at: index) == term }

    /// Whether a candidate whose log ends at (`index`, `term`) is at least as up to date (paper §5.4.1).
    func isAtLeastAsRecent(lastIndex index: UInt64, lastTerm term: UInt64) -> Bool {
        term > lastTerm || (term == lastTerm && index >= lastIndex)
    }

    /// Entries in `from...through`, clamped to what is stored.
    func entries(from: UInt64, through: UInt64) -> ArraySlice<Entry> {
        let low = max(from, firstIndex)
        let high = min(through, lastIndex)
        if low > high { return [] }
        return entries[Int(low - offset - 1)...Int(high - offset - 1)]
    }

    /// Entries in `from...through` as an array of their own, clamped to what is stored: the last
    /// copy again when it is the same run, else a new copy (which becomes the last).
    mutating func copyOfEntries(from: UInt64, through: UInt64) -> [Entry] {
        let low = max(from, firstIndex)
        let high = min(through, lastIndex)
        if low > high { return [] }
        // (`lastCopy.first` would copy the entry, retaining its payload, on every call.)
        if !lastCopy.isEmpty, lastCopy[0].index == low, UInt64(lastCopy.count) == high - low + 1 {
            return lastCopy
        }
        lastCopy = Array(entries[Int(low - offset - 1)...Int(high - offset - 1)])
        return lastCopy
    }

    /// Entries from `from` on, at least one (when any), at most `maxBytes` of payload after the first.
    mutating func entries(from: UInt64, maxBytes: Int) -> [Entry] {
        if from > lastIndex { return [] }
        precondition(from >= firstIndex, "entries before the compaction point are gone")
        let start = Int(from - offset - 1)
        var end = start + 1
        var sizeBytes = entries[start].data.count
        while end < entries.count {
            sizeBytes += entries[end].data.count
            if sizeBytes > maxBytes { break }
            end += 1
        }
        return copyOfEntries(from: from, through: from + UInt64(end - start) - 1)
    }

    /// Entries that are not yet known to be stable.
    mutating func unstableEntries() -> [Entry] {
        if stableIndex >= lastIndex { return [] }
        return copyOfEntries(from: stableIndex + 1, through: lastIndex)
    }

    /// Appends one entry at the end (a leader's own entry).
    mutating func append(_ entry: Entry) {
        precondition(entry.index == lastIndex + 1, "entry \(entry.index) does not follow the last index \(lastIndex)")
        assert(entry.term >= 1 && entry.term >= lastTerm, "terms never decrease")
        entries.append(entry)
        if entry.kind == .config { configIndexes.append(entry.index) }
    }

    /// Appends entries; an entry whose index is at or below the last index replaces the suffix
    /// from that index on.
    mutating func append(_ new: ArraySlice<Entry>) {
        guard !new.isEmpty else { return }
        let first = new[new.startIndex].index  // (`new.first` would copy the entry)
        precondition(first > committed, "entry \(first) would overwrite a committed entry")
        precondition(first <= lastIndex + 1, "gap before entry \(first)")
        if first <= lastIndex {
            lastCopy = []
            entries.removeSubrange(Int(first - offset - 1)...)
            stableIndex = min(stableIndex, first - 1)
            while let last = configIndexes.last, last >= first { configIndexes.removeLast() }
        }
        entries.append(contentsOf: new)
        for position in new.indices where new[position].kind == .config { configIndexes.append(new[position].index) }
        assert(RaftLog.sequenceProblem(entries.suffix(new.count + 1), after: lastIndex - UInt64(min(entries.count, new.count + 1)), term: 0) == nil)
    }

    /// The first index of `new` whose term differs from ours (or which we lack); nil when all match.
    func firstConflict(in new: [Entry]) -> Int? {
        // By position, reading fields in place: iterating would copy each entry (and retain its payload).
        for position in new.indices where !matchTerm(new[position].index, new[position].term) {
            return position
        }
        return nil
    }

    /// The follower's side of AppendEntries: when our log holds (`prevIndex`, `prevTerm`), append
    /// what is new and advance the commit index; returns the index of the last entry sent.
    mutating func maybeAppend(
        prevIndex: UInt64, prevTerm: UInt64, leaderCommit: UInt64,
        entries new: [Entry]
    ) -> UInt64? {
        guard matchTerm(prevIndex, prevTerm) else { return nil }
        let lastNewIndex = prevIndex + UInt64(new.count)
        if let position = firstConflict(in: new) {
            append(new[position...])
            // The run arrived as an array of its own: hand that one out for storage and applying.
            if position == 0 { lastCopy = new }
        }
        commit(to: min(leaderCommit, lastNewIndex))
        return lastNewIndex
    }

    /// The largest index at or below `index` whose term is at most `term`, with its term: the
    /// fast-backtracking hint (the leader can skip every entry of a conflicting term at once).
    func conflictHint(atOrBelow index: UInt64, term: UInt64) -> (index: UInt64, term: UInt64) {
        var i = min(index, lastIndex)
        while i > offset, let t = self.term(at: i), t > term { i -= 1 }
        return (i, self.term(at: i) ?? 0)
    }

    /// Raises the commit index (never lowers it).
    mutating func commit(to index: UInt64) {
        guard index > committed else { return }
        precondition(index <= lastIndex, "commit \(index) beyond last index \(lastIndex)")
        committed = index
    }

    /// Records that entries through `index` (whose term is `term`) reached stable storage. Ignored
    /// when the log changed since (the entry at `index` now has another term).
    mutating func stable(to index: UInt64, term: UInt64) {
        guard matchTerm(index, term), index > stableIndex else { return }
        stableIndex = index
    }

    /// Drops the entries through `index` (already applied and captured by a snapshot).
    mutating func compact(through index: UInt64) {
        precondition(index > offset && index <= applied, "compact only applied entries after the current snapshot")
        let term = self.term(at: index)!
        entries.removeFirst(Int(index - offset))
        offset = index
        offsetTerm = term
        configIndexes.removeAll { $0 <= index }
    }

    /// Replaces the whole log by a snapshot received from the leader.
    mutating func restore(_ snapshot: SnapshotMetadata) {
        precondition(snapshot.index > committed, "a snapshot must be newer than the commit index")
        lastCopy = []
        entries.removeAll()
        configIndexes.removeAll()
        offset = snapshot.index
        offsetTerm = snapshot.term
        committed = snapshot.index
        // The snapshot goes to disk through the Ready that carries it; nothing after it is unstable.
        stableIndex = snapshot.index
    }

    /// Records that the state machine applied entries through `index`.
    mutating func applied(to index: UInt64, unchecked: Bool = false) {
        precondition(index <= committed || unchecked, "applied \(index) beyond commit \(committed)")
        if index > applied { applied = index }
    }
}
