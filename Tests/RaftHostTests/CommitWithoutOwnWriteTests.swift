import RaftCore
import RaftHost
import RaftStorage
import Testing

/// `NodeHost.commitsWithoutOwnWrite` with `Config.leaderCountsOwnCopyWhenPersisted` (raftd): a
/// leader counts followers' acknowledgements at once and its own copy only once durable, so an
/// entry commits once any majority holds it durably (dissertation §10.2.1); see "Commit by any
/// durable majority" in docs/raftd.md for what a crash leaves at every point.
@Suite struct CommitWithoutOwnWriteTests {
    /// n1 of three voters, writing through `writer`, with the option on; leading term 1 with its
    /// no-op committed when `leads`.
    func leader(storage: any NodeStorage = DeferredLog(), transport: any Transport = DeferredLog()) throws -> (
        NodeHost<KeyValueStore>, ManualWriter
    ) {
        var config = Config(id: 1)
        config.preVote = false
        config.leaderCountsOwnCopyWhenPersisted = true
        let host = try NodeHost<KeyValueStore>(
            node: RaftNode(config: config, configuration: Configuration(voters: [1, 2, 3])), storage: storage, transport: transport)
        let writer = ManualWriter()
        host.writer = writer
        host.leaderSendsBeforePersisting = true
        host.commitsWithoutOwnWrite = true
        host.campaign()
        _ = host.handleAllReady()
        host.step(.voteResponse(VoteResponse(from: 2, to: 1, term: 1, isGranted: true, isPreVote: false)))
        _ = host.handleAllReady()
        #expect(host.node.isLeader)
        while !writer.queued.isEmpty { writer.finishOne() }
        host.step(ack(host.node.lastIndex, from: 2))
        _ = host.handleAllReady()
        #expect(host.node.commitIndex == host.node.lastIndex)
        return (host, writer)
    }

    func ack(_ index: UInt64, from follower: NodeID, term: UInt64 = 1) -> Message {
        .appendResponse(
            AppendResponse(from: follower, to: 1, term: term, index: index, isRejected: false, rejectHintIndex: 0, rejectHintTerm: 0))
    }

    @Test func twoFollowersCommitAndTheEntryAppliesWhileTheLeadersWriteRuns() throws {
        let (host, writer) = try leader()
        let index = try host.propose(BinaryCommand.set(key: "x", value: "1"))
        _ = host.handleAllReady()
        #expect(writer.queued.count == 1, "the leader's own write runs")
        for follower: NodeID in [2, 3] { host.step(ack(index, from: follower)) }
        _ = host.handleAllReady()
        // Two durable copies of three: committed and applied (the client answered) already.
        #expect(host.node.commitIndex == index)
        #expect(host.appliedIndex == index)
        #expect(host.machine.values == ["x": "1"])
        #expect(writer.queued.count == 1)
    }

    @Test func theLeadersOwnCopyCountsOnlyOnceItsWriteIsDurable() throws {
        let (host, writer) = try leader()
        let index = try host.propose(BinaryCommand.set(key: "x", value: "1"))
        _ = host.handleAllReady()
        // One follower's durable copy and the leader's copy still being written: not a majority.
        host.step(ack(index, from: 2))
        _ = host.handleAllReady()
        #expect(host.node.commitIndex < index)
        #expect(host.appliedIndex < index)
        writer.finishOne()
        // Now durable here: two durable copies.
        #expect(host.node.commitIndex == index)
        _ = host.handleAllReady()
        #expect(host.appliedIndex == index)
    }

    @Test func aNewLeaderCountsItsOwnLogOnceTheHostSaysItIsDurable() throws {
        var config = Config(id: 1)
        config.preVote = false
        config.leaderCountsOwnCopyWhenPersisted = true
        var node = RaftNode(config: config, configuration: Configuration(voters: [1]))
        node.campaign()
        #expect(node.isLeader)
        // Its no-op is appended but not yet handed to the host: nothing commits.
        #expect(node.commitIndex == 0)
        node.persisted(through: node.lastIndex)
        #expect(node.commitIndex == 0, "an entry the host was not handed cannot be durable")
        let ready = node.readyIfAny()!
        #expect(ready.entries.map(\.index) == [1])
        node.advance(ready)
        #expect(node.commitIndex == 0, "handed over, not yet durable")
        node.persisted(through: 1)
        #expect(node.commitIndex == 1)
    }

    @Test func aCompactionPastTheDurableEndIsWrittenAfterItsEntries() throws {
        let log = DeferredLog()
        let (host, writer) = try leader(storage: log, transport: log)
        let index = try host.propose(BinaryCommand.set(key: "x", value: "1"))
        _ = host.handleAllReady()
        for follower: NodeID in [2, 3] { host.step(ack(index, from: follower)) }
        _ = host.handleAllReady()
        #expect(host.appliedIndex == index)
        log.events.removeAll()
        _ = try host.compact(through: index)
        // The writer keeps request order: the entries reach the disk before the snapshot that drops them.
        while !writer.queued.isEmpty { writer.finishOne() }
        #expect(log.events.filter { !$0.hasPrefix("send") } == ["save [\(index)]", "snapshot \(index)"])
    }

    /// kill -9 with the leader's write lost, after it answered a client; then after it stepped
    /// down with its commit index past its durable log end (the hard state of the new term is
    /// requested behind the unfinished write): either way the data directory opens cleanly (no
    /// H13 inconsistency) and the committed entry is durable on the followers.
    @Test func aCrashAtAnyPointLeavesADirectoryThatOpens() throws {
        for writesDone in 0...2 {
            let fs = MemoryFileSystem()
            let storage = try openLog(fs, "/data/n1", segmentSize: 1 << 20)
            let network = Outbox()
            let (host, writer) = try leader(storage: storage, transport: network)
            let durable = host.node.lastIndex
            let index = try host.propose(BinaryCommand.set(key: "x", value: "1"))
            _ = host.handleAllReady()
            for follower: NodeID in [2, 3] { host.step(ack(index, from: follower)) }
            _ = host.handleAllReady()
            #expect(host.appliedIndex == index)
            // A higher term deposes it while its write runs: term 2 goes to disk with commit `index`.
            host.step(ack(index, from: 2, term: 2))
            _ = host.handleAllReady()
            #expect(!host.node.isLeader)
            #expect(host.node.commitIndex == index)
            for _ in 0..<writesDone where !writer.queued.isEmpty { writer.finishOne() }
            storage.close()
            let reopened = try openLog(fs, "/data/n1", segmentSize: 1 << 20)
            #expect(reopened.report.problems.isEmpty, "\(writesDone) writes done: \(reopened.report.problems)")
            #expect(reopened.hardState.commit <= reopened.lastIndex)
            #expect(reopened.lastIndex == (writesDone == 0 ? durable : index))
            #expect(reopened.hardState.term == (writesDone == 2 ? 2 : 1))
        }
    }
}
