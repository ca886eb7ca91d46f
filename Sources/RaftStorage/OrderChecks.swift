import RaftCore

extension ScanState {
    // MARK: Order checks

    mutating func checkEntry(offset: Int64, position: UInt64, entryType: UInt8, term: UInt64, index: UInt64) {
        if batchFirstIndex == nil { batchFirstIndex = index }
        batchEntries &+= 1
        if EntryKind(rawValue: entryType) == nil {
            problem(.O1, .inconsistency, segmentName, offset, index: index, term: term, "unknown entry type \(entryType)")
        }
        guard !semanticsSuspended else { return }
        if index == 0 || term == 0 || index >= StorageFormat.plausibleLimit || term >= StorageFormat.plausibleLimit {
            problem(.O2, .inconsistency, segmentName, offset, index: index, term: term, "entries have index and term of at least 1 (and below 2^62)")
            semanticsSuspended = true
            return
        }
        if index > lastIndex + 1 {
            problem(.O3, .inconsistency, segmentName, offset, index: index, term: term, "gap: entry \(index) follows last index \(lastIndex)")
            semanticsSuspended = true
            return
        }
        if index <= lastIndex {
            // Conflict truncation: this entry supersedes the suffix from `index` on.
            let previousTerm = index > 1 ? termAt(index - 1) : 0
            if term < previousTerm {
                problem(
                    .O4, .inconsistency, segmentName, offset, index: index, term: term,
                    "entry \(index) has term \(term), below the term \(previousTerm) of entry \(index - 1)")
                semanticsSuspended = true
                return
            }
            while let last = termRuns.last, last.start >= index { termRuns.removeLast() }
            batchTruncations.append((position, index))
        } else if term < lastTerm {
            problem(.O5, .inconsistency, segmentName, offset, index: index, term: term, "term goes down from \(lastTerm) to \(term)")
            semanticsSuspended = true
            return
        }
        lastIndex = index
        if termRuns.last?.term != term { termRuns.append((index, term)) }
        lastTerm = term
        lastTermKnown = true
    }

    mutating func checkBatch(name: String, offset: Int64, marker: BatchMarker, term: UInt64, index: UInt64) {
        defer {
            batchFirstIndex = nil
            batchEntries = 0
            batchTruncations.removeAll(keepingCapacity: true)
            expectedBatchSequence = marker.batchSequence &+ 1
        }
        if !semanticsSuspended {
            var wrong: [String] = []
            if marker.batchSequence != expectedBatchSequence {
                wrong.append("batch sequence \(marker.batchSequence), expected \(expectedBatchSequence)")
            }
            if marker.entryCount != batchEntries { wrong.append("counts \(marker.entryCount) entries, \(batchEntries) precede it") }
            if let first = batchFirstIndex, marker.firstIndex != first {
                wrong.append("first index \(marker.firstIndex), the batch starts at \(first)")
            }
            if batchFirstIndex == nil && marker.firstIndex != lastIndex + 1 {
                wrong.append("first index \(marker.firstIndex) for a batch without entries, expected \(lastIndex + 1)")
            }
            // Where the log so far lies inside what the newer snapshot covers, its last term is
            // unknown (a marker written before that compaction still names it): compare the index.
            if index != lastIndex || (lastTermKnown && term != lastTerm) {
                wrong.append("says the log ends at \(index) (term \(term)), it ends at \(lastIndex) (term \(lastTerm))")
            }
            if marker.hardStateSequence < lastMarkerHardStateSequenceSeen {
                wrong.append("hard-state sequence \(marker.hardStateSequence) goes back from \(lastMarkerHardStateSequenceSeen)")
            }
            if !wrong.isEmpty {
                problem(.M2, .inconsistency, name, offset, index: index, term: term, "batch marker " + wrong.joined(separator: "; "))
                semanticsSuspended = true
                return
            }
        } else {
            return
        }
        // The batch is acknowledged: it becomes part of the durable log.
        result.lastIndex = lastIndex
        result.lastTerm = lastTerm
        if let base, lastIndex >= base.index, !termRuns.isEmpty, termRuns[0].start <= base.index { termAtSnapshotIndex = termAt(base.index) }
        result.lastBatch = marker
        lastMarkerHardStateSequenceSeen = marker.hardStateSequence
        if marker.synced {
            lastMarkerHardStateSequence = marker.hardStateSequence
            result.unsyncedBatchesAtEnd = 0
        } else {
            result.unsyncedBatchesAtEnd += 1
        }
        if truncationsWanted { truncationsAcknowledged.append(contentsOf: batchTruncations) }
    }
}
