/// Log compaction: the host captures its state machine through an applied index, the node keeps
/// that snapshot (to send to followers that fall behind it) and drops the entries it covers.
extension RaftNode {
    /// Takes a snapshot through `index` with the state machine's bytes `data` and drops the log
    /// entries it covers. The host persists the returned snapshot and truncates its stored log.
    @discardableResult
    public mutating func compact(through index: UInt64, data: [UInt8]) throws(RaftError) -> Snapshot {
        guard index > log.offset, index <= log.applied else {
            throw .invalidCompaction(index: index, snapshotIndex: log.offset, appliedIndex: log.applied)
        }
        let metadata = SnapshotMetadata(index: index, term: log.term(at: index)!, configuration: configuration(at: index))
        let taken = Snapshot(metadata: metadata, data: data)
        log.compact(through: index)
        snapshot = taken
        baseConfiguration = metadata.configuration
        syncConfiguration(baseChanged: true)
        assertInvariants()
        return taken
    }

    /// The configuration in effect at `index`: that of the latest config entry at or below it.
    func configuration(at index: UInt64) -> Configuration {
        guard let entryIndex = log.configIndexes.last(where: { $0 <= index }),
            let entry = log.entries(from: entryIndex, through: entryIndex).first,
            let decoded = ConfigurationCodec.decode(entry.data)
        else {
            return baseConfiguration
        }
        return decoded
    }
}
