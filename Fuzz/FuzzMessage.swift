// libFuzzer target: messages built from arbitrary bytes (any kind, any field values, up to a
// few entries) are stepped into a node that is follower, candidate or leader with a short log.
// The core validates untrusted messages where they enter: it must ignore bad ones, never trap.
import RaftCore

struct Bytes {
    var data: [UInt8]
    var position = 0
    mutating func u8() -> UInt8 { defer { position += 1 }; return position < data.count ? data[position] : 0 }
    mutating func u64() -> UInt64 {
        // Small values most of the time (they reach deeper code), any value sometimes.
        let tag = u8()
        if tag & 3 != 0 { return UInt64(u8() % 8) }
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(u8()) << UInt64(8 * k) }
        return v
    }
}

/// libFuzzer entry: step a node with messages built from arbitrary bytes; any crash is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMessage(_ data: UnsafeRawPointer, _ count: Int) -> CInt {
    var b = Bytes(data: Array(UnsafeRawBufferPointer(start: data, count: count)))
    let voters: [NodeID] = [1, 2, 3]
    var config = Config(id: 1)
    config.seed = 1
    let entries = [Entry(term: 1, index: 1), Entry(term: 2, index: 2)]
    var node = RaftNode(
        config: config, configuration: Configuration(voters: voters),
        hardState: HardState(term: 2, vote: 1, commit: 1), entries: entries)
    switch b.u8() % 3 {
    case 1: node.campaign()
    case 2:
        node.campaign()
        _ = node.step(.voteResponse(VoteResponse(from: 2, to: 1, term: node.term, isGranted: true, isPreVote: node.role == .preCandidate)))
        if node.role == .preCandidate {
            _ = node.step(.voteResponse(VoteResponse(from: 2, to: 1, term: node.term + 1, isGranted: true, isPreVote: true)))
            _ = node.step(.voteResponse(VoteResponse(from: 2, to: 1, term: node.term, isGranted: true)))
        }
    default: break
    }
    if node.hasReady { let ready = node.ready(); node.advance(ready) }
    while b.position < b.data.count {
        let from = NodeID(b.u8() % 5)
        let to = NodeID(b.u8() % 3)
        let term = b.u64()
        let message: Message
        switch b.u8() % 9 {
        case 0:
            var list: [Entry] = []
            let n = Int(b.u8() % 4)
            for _ in 0..<n { list.append(Entry(term: b.u64(), index: b.u64(), kind: [.normal, .noop, .config][Int(b.u8() % 3)], data: [b.u8()])) }
            message = .append(
                Append(from: from, to: to, term: term, prevLogIndex: b.u64(), prevLogTerm: b.u64(), entries: list, leaderCommit: b.u64()))
        case 1:
            message = .appendResponse(
                AppendResponse(
                    from: from, to: to, term: term, index: b.u64(), isRejected: b.u8() & 1 == 1, rejectHintIndex: b.u64(), rejectHintTerm: b.u64()))
        case 2:
            message = .vote(
                Vote(
                    from: from, to: to, term: term, lastLogIndex: b.u64(), lastLogTerm: b.u64(), isPreVote: b.u8() & 1 == 1,
                    isTransfer: b.u8() & 1 == 1))
        case 3: message = .voteResponse(VoteResponse(from: from, to: to, term: term, isGranted: b.u8() & 1 == 1, isPreVote: b.u8() & 1 == 1))
        case 4: message = .heartbeat(Heartbeat(from: from, to: to, term: term, commit: b.u64(), readContext: b.u8() & 1 == 1 ? b.u64() : nil))
        case 5: message = .heartbeatResponse(HeartbeatResponse(from: from, to: to, term: term, readContext: b.u8() & 1 == 1 ? b.u64() : nil))
        case 6: message = .readIndex(ReadIndex(from: from, to: to, term: term, context: b.u64()))
        case 7: message = .readIndexResponse(ReadIndexResponse(from: from, to: to, term: term, context: b.u64(), index: b.u64()))
        default: message = .timeoutNow(TimeoutNow(from: from, to: to, term: term))
        }
        _ = node.step(message)
        if node.hasReady { let ready = node.ready(); node.advance(ready) }
        if b.u8() % 4 == 0 { node.tick() }
    }
    return 0
}
