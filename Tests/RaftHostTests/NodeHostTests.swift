import RaftCore
import RaftHost
import RaftStorage
import Testing

/// A transport that keeps what was sent, for the test to deliver.
final class Outbox: Transport {
    var messages: [Message] = []
    func send(_ messages: [Message]) { self.messages.append(contentsOf: messages) }
}

/// A storage that records calls and can be told to fail.
final class RecordingStorage: NodeStorage {
    var calls: [String] = []
    var failSave = false
    struct Failure: Error, CustomStringConvertible { var description: String { "injected write failure" } }

    func save(hardState: HardState?, entries: [Entry], mustSync: Bool) throws {
        if failSave { throw Failure() }
        calls.append("save \(entries.map(\.index)) hard \(hardState.map { "\($0.term)/\($0.vote)/\($0.commit)" } ?? "-") sync \(mustSync)")
    }

    func saveSnapshot(_ snapshot: Snapshot, hardState: HardState?, received: Bool) throws {
        calls.append("snapshot \(snapshot.metadata.index) received \(received)")
    }
}

/// Three hosts over real `LogStorage` on simulated disks, messages delivered by hand.
struct ThreeHosts {
    var hosts: [NodeHost<KeyValueStore>] = []
    var storages: [LogStorage] = []
    let outbox = Outbox()
    let disks = (1...3).map { _ in MemoryFileSystem() }

    /// Directories are named per test: the lock on a data directory is held per process.
    init(name: String = #function) throws {
        for id in 1...3 {
            var config = Config(id: NodeID(id))
            config.seed = 7
            let node = RaftNode(config: config, configuration: Configuration(voters: [1, 2, 3]))
            let storage = try LogStorage.open(directory: "/\(name)/n\(id)", fileSystem: disks[id - 1])
            storages.append(storage)
            hosts.append(try NodeHost(node: node, storage: storage, transport: outbox))
        }
    }

    /// Delivers everything until nothing is in flight, handling each receiver's Readys.
    mutating func settle() {
        var rounds = 0
        while !outbox.messages.isEmpty && rounds < 1000 {
            rounds += 1
            let message = outbox.messages.removeFirst()
            let host = hosts[Int(message.to) - 1]
            host.step(message)
            _ = host.handleAllReady()
        }
    }
}

@Suite struct NodeHostTests {
    @Test func electsReplicatesAppliesAndPersistsThroughLogStorage() throws {
        var cluster = try ThreeHosts()
        cluster.hosts[0].campaign()
        _ = cluster.hosts[0].handleAllReady()
        cluster.settle()
        #expect(cluster.hosts[0].node.isLeader)
        let index = try cluster.hosts[0].propose(BinaryCommand.set(key: "x", value: "1"))
        let reports = cluster.hosts[0].handleAllReady()
        // The leader persists the entry before its messages leave (persist, then send).
        #expect(reports.first?.entries.map(\.index) == [index])
        #expect(reports.first?.mustSync == true)
        #expect(reports.first?.messages.isEmpty == false)
        cluster.settle()
        for host in cluster.hosts {
            #expect(host.machine.values == ["x": "1"])
            #expect(host.appliedIndex == index)
        }
        // What each host persisted is what a restart reads back.
        for id in 1...3 {
            cluster.storages[id - 1].close()
            let reopened = try LogStorage.open(directory: "/\(#function)/n\(id)", fileSystem: cluster.disks[id - 1])
            #expect(reopened.lastIndex == index)
            #expect(reopened.entries.last?.data == BinaryCommand.set(key: "x", value: "1"))
        }
    }

    @Test func appliedEntriesCarryTheMachinesResponses() throws {
        var cluster = try ThreeHosts()
        cluster.hosts[0].campaign()
        _ = cluster.hosts[0].handleAllReady()
        cluster.settle()
        _ = try cluster.hosts[0].propose(BinaryCommand.increment(key: "n", by: 2))
        _ = cluster.hosts[0].handleAllReady()
        // The commit is learned from the followers' answers: the leader's report that applies it.
        var responses: [KeyValueStore.Response?] = []
        while !cluster.outbox.messages.isEmpty {
            let message = cluster.outbox.messages.removeFirst()
            let host = cluster.hosts[Int(message.to) - 1]
            host.step(message)
            for report in host.handleAllReady() where message.to == 1 {
                responses += report.applied.filter { $0.entry.kind == .normal }.map(\.response)
            }
        }
        #expect(responses == [.incremented(key: "n", value: 2)])
    }

    @Test func readsAreAnsweredOnlyAfterConfirmationAndApply() throws {
        var cluster = try ThreeHosts()
        cluster.hosts[0].campaign()
        _ = cluster.hosts[0].handleAllReady()
        cluster.settle()
        _ = try cluster.hosts[0].propose(Array("set k v".utf8))
        _ = cluster.hosts[0].handleAllReady()
        cluster.settle()
        try cluster.hosts[0].read(["k"], context: 1)
        let before = cluster.hosts[0].handleAllReady()
        #expect(before.allSatisfy { $0.answeredReads.isEmpty }, "no answer before a quorum confirmed leadership")
        #expect(cluster.hosts[0].pendingReadContexts == [1])
        var answers: [[String?]] = []
        while !cluster.outbox.messages.isEmpty {
            let message = cluster.outbox.messages.removeFirst()
            let host = cluster.hosts[Int(message.to) - 1]
            host.step(message)
            for report in host.handleAllReady() { answers += report.answeredReads.map(\.result) }
        }
        #expect(answers == [["v"]])
        #expect(cluster.hosts[0].pendingReadContexts.isEmpty)
    }

    @Test func aFailedWriteStopsTheHostBeforeItSends() throws {
        let storage = RecordingStorage()
        let outbox = Outbox()
        var config = Config(id: 1)
        config.preVote = false
        let host = try NodeHost<KeyValueStore>(
            node: RaftNode(config: config, configuration: Configuration(voters: [1, 2, 3])),
            storage: storage, transport: outbox)
        storage.failSave = true
        host.campaign()
        let reports = host.handleAllReady()
        #expect(reports.count == 1)
        #expect(reports.first?.failure?.stage == .save)
        #expect(outbox.messages.isEmpty, "nothing leaves a node whose vote is not on disk")
    }

    @Test func compactionSnapshotsTheStateAtTheIndex() throws {
        let storage = RecordingStorage()
        let host = try NodeHost<KeyValueStore>(
            node: RaftNode(config: Config(id: 1), configuration: Configuration(voters: [1])),
            storage: storage, transport: Outbox())
        host.campaign()
        _ = host.handleAllReady()
        let first = try host.propose(Array("set a 1".utf8))
        _ = try host.propose(Array("set a 2".utf8))
        _ = host.handleAllReady()
        #expect(host.machine.values == ["a": "2"])
        #expect(host.isCompactionDue(thresholdEntries: 3))
        let snapshot = try host.compact(through: first)
        var restored = KeyValueStore()
        try restored.restore(snapshot.data)
        #expect(restored.values == ["a": "1"], "the state right after the compacted index, not the live one")
        #expect(storage.calls.last == "snapshot \(first) received false")
        #expect(host.node.firstIndex == first + 1)
    }
}

/// Storage and transport that write one shared log of what happened, in order.
final class OrderLog: Transport, NodeStorage {
    var events: [String] = []
    func send(_ messages: [Message]) { if !messages.isEmpty { events.append("send") } }
    func save(hardState: HardState?, entries: [Entry], mustSync: Bool) throws { events.append("save") }
    func saveSnapshot(_ snapshot: Snapshot, hardState: HardState?, received: Bool) throws { events.append("snapshot") }
}

@Suite struct PersistSendOrderTests {
    /// A single-voter leader for the test (elected at once), with the option on.
    func leader(sendsFirst: Bool) throws -> (NodeHost<KeyValueStore>, OrderLog) {
        var config = Config(id: 1)
        config.preVote = false
        let log = OrderLog()
        let host = try NodeHost<KeyValueStore>(
            node: RaftNode(config: config, configuration: Configuration(voters: [1, 2, 3])),
            storage: log, transport: log)
        host.leaderSendsBeforePersisting = sendsFirst
        host.campaign()
        _ = host.handleAllReady()
        // Votes from n2: n1 leads term 1.
        host.step(.voteResponse(VoteResponse(from: 2, to: 1, term: 1, isGranted: true, isPreVote: false)))
        _ = host.handleAllReady()
        #expect(host.node.isLeader)
        // Both followers acknowledge the leader's no-op: they move from probe to replicate, so the
        // next proposal goes out to them at once.
        for follower: NodeID in [2, 3] {
            host.step(
                .appendResponse(
                    AppendResponse(
                        from: follower, to: 1, term: 1, index: host.node.lastIndex,
                        isRejected: false, rejectHintIndex: 0, rejectHintTerm: 0)))
        }
        _ = host.handleAllReady()
        return (host, log)
    }

    @Test func aCandidatePersistsItsVoteBeforeAskingEvenWithTheOption() throws {
        let (_, log) = try leader(sendsFirst: true)
        // campaign: the term and the self-vote are saved before the vote requests leave.
        #expect(log.events.prefix(2) == ["save", "send"])
    }

    @Test func aLeaderWithTheOptionSendsItsAppendsBeforeItsOwnWrite() throws {
        let (host, log) = try leader(sendsFirst: true)
        log.events.removeAll()
        _ = try host.propose(Array("set x 1".utf8))
        _ = host.handleAllReady()
        #expect(log.events == ["send", "save"])
    }

    @Test func withoutTheOptionEveryRolePersistsFirst() throws {
        let (host, log) = try leader(sendsFirst: false)
        log.events.removeAll()
        _ = try host.propose(Array("set x 1".utf8))
        _ = host.handleAllReady()
        #expect(log.events == ["save", "send"])
    }

    @Test func aFollowerPersistsBeforeItAnswersEvenWithTheOption() throws {
        let log = OrderLog()
        let host = try NodeHost<KeyValueStore>(
            node: RaftNode(config: Config(id: 2), configuration: Configuration(voters: [1, 2, 3])),
            storage: log, transport: log)
        host.leaderSendsBeforePersisting = true
        host.step(
            .append(
                Append(
                    from: 1, to: 2, term: 1, prevLogIndex: 0, prevLogTerm: 0,
                    entries: [Entry(term: 1, index: 1, kind: .noop)], leaderCommit: 0)))
        _ = host.handleAllReady()
        #expect(log.events == ["save", "send"])
    }
}
