import RaftCore
import RaftHost
import Testing

/// A writer that keeps submitted writes until the test runs them: "the fsync is still running".
final class ManualWriter: StorageWriter {
    var queued: [(write: () throws -> Void, done: ((any Error)?) -> Void)] = []

    func submit(_ write: @escaping () throws -> Void, done: @escaping ((any Error)?) -> Void) {
        queued.append((write, done))
    }

    /// Runs the oldest submitted write and reports it finished.
    func finishOne() {
        let next = queued.removeFirst()
        do {
            try next.write()
            next.done(nil)
        } catch { next.done(error) }
    }
}

/// What a host with a writer saved and sent, in order.
final class DeferredLog: NodeStorage, Transport {
    var events: [String] = []
    var sent: [Message] = []
    func send(_ messages: [Message]) {
        sent += messages
        events += messages.map { "send \($0.kindName) to n\($0.to)" }
    }
    func save(hardState: HardState?, entries: [Entry], mustSync: Bool) throws {
        events.append("save \(entries.map(\.index))")
    }
    func saveSnapshot(_ snapshot: Snapshot, hardState: HardState?, received: Bool) throws {
        events.append("snapshot \(snapshot.metadata.index)")
    }
}

@Suite struct DeferredWriteTests {
    /// A host whose writes wait for `writer`; reports of finished writes are collected.
    func host(id: NodeID, voters: [NodeID]) throws -> (NodeHost<KeyValueStore>, ManualWriter, DeferredLog, Box) {
        var config = Config(id: id)
        config.preVote = false
        let log = DeferredLog()
        let host = try NodeHost<KeyValueStore>(
            node: RaftNode(config: config, configuration: Configuration(voters: voters)), storage: log, transport: log)
        let writer = ManualWriter()
        let reports = Box()
        host.writer = writer
        host.leaderSendsBeforePersisting = true
        host.onWriteFinished = { reports.appliedIndexes += $0.applied.map(\.entry.index) }
        return (host, writer, log, reports)
    }

    final class Box { var appliedIndexes: [UInt64] = [] }

    func ack(_ index: UInt64, from follower: NodeID) -> Message {
        .appendResponse(
            AppendResponse(from: follower, to: 1, term: 1, index: index, isRejected: false, rejectHintIndex: 0, rejectHintTerm: 0))
    }

    /// n1 leads term 1 of three voters and both followers hold its no-op.
    func leader() throws -> (NodeHost<KeyValueStore>, ManualWriter, DeferredLog, Box) {
        let (host, writer, log, reports) = try host(id: 1, voters: [1, 2, 3])
        host.campaign()
        _ = host.handleAllReady()
        // A candidate with nothing unfinished writes inline: term and self-vote first, then the requests.
        #expect(log.events == ["save []", "send Vote to n2", "send Vote to n3"])
        #expect(writer.queued.isEmpty)
        host.step(.voteResponse(VoteResponse(from: 2, to: 1, term: 1, isGranted: true, isPreVote: false)))
        _ = host.handleAllReady()
        #expect(host.node.isLeader)
        while !writer.queued.isEmpty { writer.finishOne() }
        for follower: NodeID in [2, 3] { host.step(ack(host.node.lastIndex, from: follower)) }
        _ = host.handleAllReady()
        #expect(host.node.commitIndex == host.node.lastIndex)
        log.events.removeAll()
        return (host, writer, log, reports)
    }

    @Test func aFollowerWritesInlineBeforeItAnswers() throws {
        let (host, writer, log, _) = try host(id: 2, voters: [1, 2, 3])
        host.step(
            .append(
                Append(
                    from: 1, to: 2, term: 1, prevLogIndex: 0, prevLogTerm: 0,
                    entries: [Entry(term: 1, index: 1, kind: .noop)], leaderCommit: 0)))
        _ = host.handleAllReady()
        #expect(log.events == ["save [1]", "send AppResp to n1"])
        #expect(writer.queued.isEmpty)
    }

    @Test func aDeposedLeaderAnswersOnlyOnceItsUnfinishedWriteIsDone() throws {
        let (host, writer, log, _) = try leader()
        _ = try host.propose(BinaryCommand.set(key: "x", value: "1"))
        _ = host.handleAllReady()
        log.events.removeAll()
        // n2 leads term 2 while n1's write runs: the append waits for it, and so does the answer.
        let last = host.node.lastIndex
        host.step(
            .append(
                Append(
                    from: 2, to: 1, term: 2, prevLogIndex: last, prevLogTerm: 1,
                    entries: [Entry(term: 2, index: last + 1, kind: .noop)], leaderCommit: 0)))
        _ = host.handleAllReady()
        #expect(host.node.isLeader, "the append is held")
        #expect(log.events == [])
        writer.finishOne()
        #expect(!host.node.isLeader)
        _ = host.handleAllReady()
        #expect(log.events == ["save [\(last)]", "save [\(last + 1)]", "send AppResp to n2"])
    }

    @Test func theLeaderCountsNoAcknowledgementBeforeItsOwnWriteIsDurable() throws {
        let (host, writer, log, reports) = try leader()
        let index = try host.propose(BinaryCommand.set(key: "x", value: "1"))
        _ = host.handleAllReady()
        // The appends leave at once; the leader's own write is still running.
        #expect(log.events == ["send App to n2", "send App to n3"])
        #expect(writer.queued.count == 1)
        // Both followers acknowledge before the leader's fsync returns: not counted yet.
        for follower: NodeID in [2, 3] { host.step(ack(index, from: follower)) }
        _ = host.handleAllReady()
        #expect(host.node.commitIndex < index)
        #expect(host.appliedIndex < index)
        writer.finishOne()
        // The write is durable: the held acknowledgements are stepped, the entry commits and applies.
        #expect(host.node.commitIndex == index)
        _ = host.handleAllReady()
        #expect(host.appliedIndex == index)
        #expect(host.machine.values == ["x": "1"])
        #expect(reports.appliedIndexes.isEmpty, "committed by acknowledgements, the entry applied in a Ready, not after a write")
    }

    @Test func anAcknowledgementWaitsOnlyForTheWriteOfWhatItAcknowledges() throws {
        let (host, writer, _, _) = try leader()
        let first = try host.propose(BinaryCommand.set(key: "x", value: "1"))
        _ = host.handleAllReady()
        // A second write is asked for while the first runs; then the followers acknowledge the first.
        let second = try host.propose(BinaryCommand.set(key: "y", value: "1"))
        _ = host.handleAllReady()
        #expect(writer.queued.count == 1)
        for follower: NodeID in [2, 3] { host.step(ack(first, from: follower)) }
        _ = host.handleAllReady()
        #expect(host.node.commitIndex < first, "not counted before the leader's own copy is durable")
        writer.finishOne()
        // The first write is durable: its acknowledgements count now, not after the second write.
        #expect(host.node.commitIndex == first)
        _ = host.handleAllReady()
        #expect(host.appliedIndex == first)
        #expect(writer.queued.count == 1, "the second write still runs")
        // An acknowledgement of the second entry waits for the second write.
        for follower: NodeID in [2, 3] { host.step(ack(second, from: follower)) }
        _ = host.handleAllReady()
        #expect(host.node.commitIndex == first)
        writer.finishOne()
        #expect(host.node.commitIndex == second)
        // Once durable, an acknowledgement is stepped at once, though other inputs still wait.
        let third = try host.propose(BinaryCommand.set(key: "z", value: "1"))
        _ = host.handleAllReady()
        let fourth = try host.propose(BinaryCommand.set(key: "w", value: "1"))
        _ = host.handleAllReady()
        writer.finishOne()
        #expect(writer.queued.count == 1, "the fourth entry's write runs")
        host.tick()
        for follower: NodeID in [2, 3] { host.step(ack(third, from: follower)) }
        #expect(host.node.commitIndex == third)
        #expect(fourth == third + 1)
    }

    @Test func aClusterOfOneAppliesOnlyOnceItsWriteFinished() throws {
        let (host, writer, _, reports) = try host(id: 1, voters: [1])
        host.campaign()
        _ = host.handleAllReady()
        while !writer.queued.isEmpty { writer.finishOne() }
        _ = host.handleAllReady()
        while !writer.queued.isEmpty { writer.finishOne() }
        #expect(host.node.isLeader)
        reports.appliedIndexes.removeAll()
        let index = try host.propose(BinaryCommand.set(key: "x", value: "1"))
        _ = host.handleAllReady()
        // It committed on its own append, but its only copy is not on disk yet.
        #expect(host.node.commitIndex == index)
        #expect(host.appliedIndex < index)
        writer.finishOne()
        #expect(host.appliedIndex == index)
        #expect(reports.appliedIndexes == [index])
    }

    @Test func writesRequestedWhileOneRunsGoToDiskTogether() throws {
        let (host, writer, log, _) = try leader()
        _ = try host.propose(BinaryCommand.set(key: "a", value: "1"))
        _ = host.handleAllReady()
        let first = host.node.lastIndex
        for key in ["b", "c", "d"] {
            _ = try host.propose(BinaryCommand.set(key: key, value: "1"))
            _ = host.handleAllReady()
        }
        // One write runs; the three proposals made meanwhile wait, then go as one save.
        #expect(writer.queued.count == 1)
        writer.finishOne()
        #expect(writer.queued.count == 1)
        writer.finishOne()
        let saves = log.events.filter { $0.hasPrefix("save") }
        #expect(saves == ["save [\(first)]", "save [\(first + 1), \(first + 2), \(first + 3)]"])
    }

    @Test func aTickDuringAWriteWaitsForIt() throws {
        let (host, writer, _, _) = try leader()
        _ = try host.propose(BinaryCommand.set(key: "x", value: "1"))
        _ = host.handleAllReady()
        let before = host.node.electionElapsedTicks
        host.tick()
        #expect(host.node.electionElapsedTicks == before)
        writer.finishOne()
        #expect(host.node.electionElapsedTicks == before + 1)
    }
}
