import Testing
@testable import RaftCore
import RaftTesting

/// Hostile-input property test: random, often malformed messages from any sender must never crash
/// a node or break its local invariants (commit within the log, terms never decreasing).
@Suite("Random messages")
struct RandomMessageTests {
    struct Generator {
        var random: SeededGenerator

        mutating func pick(_ values: [UInt64]) -> UInt64 { values[random.next(in: 0..<values.count)] }
        mutating func index() -> UInt64 { pick([0, 1, 2, 3, 5, 8, 13, 40, UInt64.max / 2, UInt64.max]) }
        mutating func term() -> UInt64 { pick([0, 1, 1, 2, 2, 3, 4, 9, UInt64.max]) }
        mutating func node() -> NodeID { pick([0, 1, 2, 3, 3, 2, 7]) }
        mutating func flag() -> Bool { random.next(below: 2) == 0 }

        mutating func entries(after prev: UInt64, term: UInt64) -> [Entry] {
            let count = random.next(in: 0..<4)
            let contiguous = random.next(below: 4) != 0
            return (0..<count).map { k in
                let index = contiguous ? prev &+ UInt64(k) &+ 1 : self.index()
                let kind: EntryKind = random.next(below: 8) == 0 ? .config : .normal
                return Entry(
                    term: contiguous ? min(term, 1 + UInt64(k)) : self.term(), index: index, kind: kind,
                    data: kind == .config && flag() ? ConfigurationCodec.encode(Configuration(voters: [1, 2, 3])) : [UInt8(k)])
            }
        }

        mutating func message(to: NodeID) -> Message {
            let from = node()
            let term = self.term()
            switch random.next(below: 10) {
            case 7:
                return .readIndex(ReadIndex(from: from, to: to, term: term, context: index()))
            case 8:
                return .readIndexResponse(ReadIndexResponse(from: from, to: to, term: term, context: index(), index: index()))
            case 6:
                let metadata = SnapshotMetadata(index: index(), term: self.term(), configuration: Configuration(voters: [1, 2, 3]))
                return .installSnapshot(InstallSnapshot(from: from, to: to, term: term, snapshot: Snapshot(metadata: metadata, data: [1])))
            case 0:
                let prev = index()
                return .append(
                    Append(
                        from: from, to: to, term: term, prevLogIndex: prev, prevLogTerm: self.term(),
                        entries: entries(after: prev, term: term), leaderCommit: index()))
            case 1:
                return .appendResponse(
                    AppendResponse(
                        from: from, to: to, term: term, index: index(), isRejected: flag(),
                        rejectHintIndex: index(), rejectHintTerm: self.term()))
            case 2:
                return .vote(
                    Vote(
                        from: from, to: to, term: term, lastLogIndex: index(), lastLogTerm: self.term(),
                        isPreVote: flag(), isTransfer: flag()))
            case 3:
                return .voteResponse(VoteResponse(from: from, to: to, term: term, isGranted: flag(), isPreVote: flag()))
            case 4:
                return .heartbeat(Heartbeat(from: from, to: to, term: term, commit: index(), readContext: flag() ? index() : nil))
            case 5:
                return .heartbeatResponse(HeartbeatResponse(from: from, to: to, term: term, readContext: flag() ? index() : nil))
            default:
                return .timeoutNow(TimeoutNow(from: from, to: to, term: term))
            }
        }
    }

    @Test("thousands of random messages never crash a node", arguments: Array(UInt64(1)...8))
    func survive(seed: UInt64) throws {
        var generator = Generator(random: SeededGenerator(seed: seed))
        var cluster = LoopbackCluster(count: 3, seed: seed)
        var lastTerms: [UInt64] = [0, 0, 0]
        for step in 0..<5000 {
            let target = NodeID(generator.random.next(in: 1..<4))
            switch generator.random.next(below: 10) {
            case 0: cluster.tickAll()
            case 1: cluster.campaign(target)
            case 2: _ = try? cluster.propose(target, [UInt8(step & 0xff)])
            case 3: cluster.stabilize(limit: 50)
            case 4:
                let node = cluster.node(target)
                if node.appliedIndex > node.firstIndex { try? cluster.compact(target, through: node.appliedIndex - 1, data: [9]) }
            default:
                cluster.enqueue(generator.message(to: target))
                cluster.deliverOne()
            }
            for i in 0..<3 {
                let node = cluster.nodes[i]
                #expect(node.commitIndex <= node.lastIndex)
                #expect(node.term >= lastTerms[i], "terms never decrease")
                lastTerms[i] = node.term
            }
            if step % 500 == 499 { cluster.dropAll() }
        }
        #expect(!cluster.ignored.isEmpty, "most random messages are refused")
    }
}
