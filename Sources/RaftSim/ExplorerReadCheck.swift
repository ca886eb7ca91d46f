import RaftCore
import RaftHost

extension KeyValueStore {
    /// The key an entry's command writes and the value it leaves (nil: deleted), or nil when
    /// it writes no key. The same parsing as `apply`; the read check replays the committed
    /// history with it.
    static func write(in data: [UInt8]) -> (key: String, value: String?)? {
        let text = String(decoding: data, as: UTF8.self)
        let words = text.split(separator: " ", omittingEmptySubsequences: true)
        if words.count >= 3, words[0] == "set" { return (String(words[1]), words[2...].joined(separator: " ")) }
        if words.count == 2, words[0] == "del" { return (String(words[1]), nil) }
        return nil
    }
}

/// The clients' own record of their writes, compared with what the cluster committed and
/// answered (issue 18 §1): the driver takes neither from the nodes.
extension Explorer.Driver {
    /// A client asked for this command (`set KEY VALUE`): reads of KEY may now answer VALUE.
    mutating func recordClientWrite(_ command: String) {
        if let (key, value) = KeyValueStore.write(in: Array(command.utf8)), let value { written[key, default: []].insert(value) }
    }

    /// At its acknowledgement, the committed entry at a proposal's index holds the client's
    /// command, not another (a core that appended a no-op or rewrote the data would pass a
    /// comparison of terms).
    mutating func checkCommittedCommand(_ index: UInt64, _ term: UInt64, _ command: String) {
        guard extra == nil, let entry = cluster.committedEntry(at: index), entry.data != Array(command.utf8) else { return }
        let held = entry.kind == .normal ? "'\(String(decoding: entry.data, as: UTF8.self))'" : "a \(entry.kind) entry"
        let failure = InvariantViolation(
            invariant: "Client Write Record",
            evidence: "the client's '\(command)' was acknowledged at index \(index) (term \(term)), but the entry committed there is \(held)")
        extra = failure
        line("# \(failure)")
    }

    /// Every answered read gives a value some client asked to write to that key, or absent.
    mutating func checkReadAnswers() {
        let served = cluster.servedReads
        while readsChecked < served.count {
            let read = served[readsChecked]
            readsChecked += 1
            guard extra == nil, let value = read.value, !(written[read.key]?.contains(value) ?? false) else { continue }
            let failure = InvariantViolation(
                invariant: "Client Write Record",
                evidence: "read \(read.context) answered \(read.key)=\(value), a value no client wrote to \(read.key)")
            extra = failure
            line("# \(failure)")
        }
    }
}
