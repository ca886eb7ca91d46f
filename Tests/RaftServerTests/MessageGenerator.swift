import RaftCore
import RaftServer

/// Seeded random messages of every kind with every field varied, for wire round-trip properties.
struct MessageGenerator {
    var random: SeededGenerator

    init(seed: UInt64) { random = SeededGenerator(seed: seed) }

    mutating func u64() -> UInt64 {
        // Mostly small values, sometimes the extremes, so varint-like bugs and sign bugs both show.
        switch random.next(below: 4) {
        case 0: return random.next(below: 4)
        case 1: return random.next(below: 1000)
        case 2: return [UInt64.max, UInt64.max - 1, 1 << 32, UInt64(UInt32.max)][random.next(in: 0..<4)]
        default: return random.next()
        }
    }

    mutating func flag() -> Bool { random.next(below: 2) == 0 }
    mutating func optional() -> UInt64? { flag() ? u64() : nil }

    mutating func bytes(maxCount: Int) -> [UInt8] {
        (0..<random.next(in: 0..<(maxCount + 1))).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }

    mutating func configuration() -> Configuration {
        var ids = Array(Set((0..<random.next(in: 1..<8)).map { _ in 1 + random.next(below: 20) })).sorted()
        let voters = Array(ids.prefix(max(1, ids.count / 2)))
        ids.removeFirst(voters.count)
        let joint = flag()
        let outgoing = joint ? Array(ids.prefix(ids.count / 2)) : []
        let learners = Array(ids.dropFirst(outgoing.count))
        return Configuration(voters: voters, outgoingVoters: outgoing, learners: learners)
    }

    mutating func entry() -> Entry {
        let kind = EntryKind.allCases[random.next(in: 0..<EntryKind.allCases.count)]
        let data = kind == .config ? ConfigurationCodec.encode(configuration()) : bytes(maxCount: 40)
        return Entry(term: u64(), index: u64(), kind: kind, data: data)
    }

    /// A message of `kind`; the switch is exhaustive so a new kind must be generated here too.
    mutating func message(kind: PeerWire.Kind) -> Message {
        let (from, to, term) = (u64(), u64(), u64())
        switch kind {
        case .append:
            return .append(
                Append(
                    from: from, to: to, term: term, prevLogIndex: u64(), prevLogTerm: u64(),
                    entries: (0..<random.next(in: 0..<5)).map { _ in entry() }, leaderCommit: u64()))
        case .appendResponse:
            return .appendResponse(
                AppendResponse(
                    from: from, to: to, term: term, index: u64(), isRejected: flag(),
                    rejectHintIndex: u64(), rejectHintTerm: u64()))
        case .vote:
            return .vote(
                Vote(
                    from: from, to: to, term: term, lastLogIndex: u64(), lastLogTerm: u64(),
                    isPreVote: flag(), isTransfer: flag()))
        case .voteResponse:
            return .voteResponse(VoteResponse(from: from, to: to, term: term, isGranted: flag(), isPreVote: flag()))
        case .heartbeat:
            return .heartbeat(Heartbeat(from: from, to: to, term: term, commit: u64(), readContext: optional()))
        case .heartbeatResponse:
            return .heartbeatResponse(HeartbeatResponse(from: from, to: to, term: term, readContext: optional()))
        case .timeoutNow:
            return .timeoutNow(TimeoutNow(from: from, to: to, term: term))
        case .installSnapshot:
            let metadata = SnapshotMetadata(index: u64(), term: u64(), configuration: configuration())
            return .installSnapshot(
                InstallSnapshot(
                    from: from, to: to, term: term,
                    snapshot: Snapshot(metadata: metadata, data: bytes(maxCount: 200))))
        case .readIndex:
            return .readIndex(ReadIndex(from: from, to: to, term: term, context: u64()))
        case .readIndexResponse:
            return .readIndexResponse(ReadIndexResponse(from: from, to: to, term: term, context: u64(), index: u64()))
        }
    }

    mutating func message() -> Message {
        message(kind: PeerWire.Kind.allCases[random.next(in: 0..<PeerWire.Kind.allCases.count)])
    }
}
