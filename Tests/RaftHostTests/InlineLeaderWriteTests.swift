import RaftCore
import RaftHost
import Testing

/// `NodeHost.leaderWritesInlineWhenIdle`: an idle leader writes on its own thread, after its
/// appends left; a busy one, or one with a write unfinished, keeps the writer.
@Suite struct InlineLeaderWriteTests {
    /// n1 leads three voters, everything committed, writing inline when idle.
    func idleLeader() throws -> (NodeHost<KeyValueStore>, ManualWriter, DeferredLog) {
        let (host, writer, log, _) = try DeferredWriteTests().leader()
        host.leaderWritesInlineWhenIdle = true
        return (host, writer, log)
    }

    func ack(_ index: UInt64, from follower: NodeID) -> Message { DeferredWriteTests().ack(index, from: follower) }

    @Test func anIdleLeaderWritesInlineOnceItsAppendsHaveLeft() throws {
        let (host, writer, log) = try idleLeader()
        let index = try host.propose(BinaryCommand.set(key: "x", value: "1"))
        _ = host.handleAllReady()
        // The appends first (the followers' fsyncs overlap the leader's), then its own write, done
        // before handleReady returned: no hand-over to the writer's thread and back.
        #expect(log.events == ["send App to n2", "send App to n3", "save [\(index)]"])
        #expect(writer.queued.isEmpty)
        #expect(host.node.commitIndex < index)
        for follower: NodeID in [2, 3] { host.step(ack(index, from: follower)) }
        _ = host.handleAllReady()
        #expect(host.appliedIndex == index)
        #expect(host.machine.values == ["x": "1"])
    }

    @Test func aBatchOfSeveralGoesToTheWriterEvenWhenNothingElseIsPending() throws {
        let (host, writer, log) = try idleLeader()
        // Many requests at once (clients, or a pipeline): more are likely on their way, and the
        // loop should read and propose them while this fsync runs.
        _ = try host.propose(batch: [BinaryCommand.set(key: "a", value: "1"), BinaryCommand.set(key: "b", value: "1")])
        _ = host.handleAllReady()
        #expect(writer.queued.count == 1)
        #expect(log.events == ["send App to n2", "send App to n3"])
    }

    @Test func aBusyLeaderKeepsTheWriterAndHoldsAcknowledgementsForIt() throws {
        let (host, writer, log) = try idleLeader()
        let first = try host.propose(BinaryCommand.set(key: "a", value: "1"))
        _ = host.handleAllReady()
        // The first entry waits for its acknowledgements: the leader is busy, the next write is deferred.
        let second = try host.propose(BinaryCommand.set(key: "b", value: "1"))
        _ = host.handleAllReady()
        try #require(writer.queued.count == 1)
        #expect(log.events.filter { $0.hasPrefix("save") } == ["save [\(first)]"])
        // Acknowledgements of both arrive before the second write returns: none is counted yet.
        for follower: NodeID in [2, 3] { host.step(ack(second, from: follower)) }
        _ = host.handleAllReady()
        #expect(host.node.commitIndex < first)
        writer.finishOne()
        #expect(host.node.commitIndex == second)
        _ = host.handleAllReady()
        #expect(host.appliedIndex == second)
    }

    @Test func anIdleLeaderNeverWritesAheadOfAnUnfinishedWrite() throws {
        let (host, writer, log) = try idleLeader()
        let index = try host.propose(BinaryCommand.set(key: "x", value: "1"))
        _ = host.handleAllReady()
        for follower: NodeID in [2, 3] { host.step(ack(index, from: follower)) }
        _ = host.handleAllReady()
        #expect(host.appliedIndex == index)
        // The compaction's snapshot goes to the writer; the next entry, though all the leader has
        // uncommitted, must not overtake it on disk.
        _ = try host.compact(through: index)
        #expect(writer.queued.count == 1)
        log.events.removeAll()
        let next = try host.propose(BinaryCommand.set(key: "y", value: "1"))
        _ = host.handleAllReady()
        #expect(log.events == ["send App to n2", "send App to n3"])
        while !writer.queued.isEmpty { writer.finishOne() }
        #expect(log.events == ["send App to n2", "send App to n3", "snapshot \(index)", "save [\(next)]"])
    }
}
