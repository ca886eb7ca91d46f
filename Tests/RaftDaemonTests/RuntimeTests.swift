import RaftCore
import RaftDaemon
import RaftHost
import RaftStorage
import Testing

/// Three runtimes wired by an in-memory network and a task queue: the runtime's behaviour toward
/// clients (writes, reads, redirects, administration) without sockets, deterministically.
final class MemoryCluster {
    final class Link: PeerSender, @unchecked Sendable {
        let cluster: MemoryCluster
        var peers: [NodeID: String] = [:]
        init(_ cluster: MemoryCluster) { self.cluster = cluster }
        func send(_ messages: [Message]) { cluster.network.append(contentsOf: messages) }
        func setPeers(_ peers: [NodeID: String]) { self.peers = peers }
    }

    var runtimes: [NodeRuntime<KeyValueService>] = []
    var links: [Link] = []
    var network: [Message] = []
    var tasks: [() -> Void] = []
    var down: Set<NodeID> = []
    let failures = Box<[String]>([])

    /// Runs writes as tasks of the queue, between other inputs (a disk thread, deterministically).
    final class TaskWriter: StorageWriter {
        unowned let cluster: MemoryCluster
        init(_ cluster: MemoryCluster) { self.cluster = cluster }
        func submit(_ write: @escaping () throws -> Void, done: @escaping ((any Error)?) -> Void) {
            cluster.tasks.append {
                do {
                    try write()
                    done(nil)
                } catch { done(error) }
            }
        }
    }

    /// `deferredWrites`: every node writes through a `TaskWriter`, as raftd's do through its disk thread.
    init(
        count: Int = 3, name: String = #function, deferredWrites: Bool = false,
        configure: (inout RuntimeOptions) -> Void = { _ in },
        core: (inout Config) -> Void = { _ in }
    ) throws {
        let voters = (1...count).map { NodeID($0) }
        for id in voters {
            var config = Config(id: id)
            core(&config)
            config.seed = 11
            let node = RaftNode(config: config, configuration: Configuration(voters: voters))
            let storage = try LogStorage.open(directory: "/\(name)/n\(id)", fileSystem: MemoryFileSystem())
            var options = RuntimeOptions(
                id: id, address: MemberAddress(peer: "127.0.0.1:\(7000 + id)", client: "127.0.0.1:\(6000 + id)"),
                initialPeers: Dictionary(uniqueKeysWithValues: voters.map { ($0, "127.0.0.1:\(7000 + $0)") }))
            options.snapshotEntries = 0
            configure(&options)
            let failures = self.failures
            let runtime = try NodeRuntime<KeyValueService>(
                node: node, storage: storage, options: options, log: { _ in },
                fail: { message in failures.value.append(message) },
                writer: deferredWrites ? TaskWriter(self) : nil,
                schedule: { [unowned self] task in self.tasks.append(task) })
            let link = Link(self)
            runtime.connect(link)
            runtimes.append(runtime)
            links.append(link)
        }
    }

    /// The read contexts the leader's heartbeats carried, as delivered by `settle`.
    var readContexts: Set<UInt64> = []
    /// How many heartbeats with a read context `settle` delivered (or dropped), by receiver.
    var readHeartbeats: [NodeID: Int] = [:]
    /// How many ReadIndex rounds `settle` saw.
    var readRounds: Int { readContexts.count }

    /// Runs queued tasks and delivers messages until both are empty.
    func settle() {
        var steps = 0
        while (!tasks.isEmpty || !network.isEmpty) && steps < 100_000 {
            steps += 1
            if !tasks.isEmpty { tasks.removeFirst()(); continue }
            let message = network.removeFirst()
            if case .heartbeat(let beat) = message, let context = beat.readContext {
                readContexts.insert(context)
                readHeartbeats[beat.to, default: 0] += 1
            }
            guard !down.contains(message.to), !down.contains(message.from) else { continue }
            runtimes[Int(message.to) - 1].receive(message)
        }
    }

    func elect(_ id: NodeID) {
        runtimes[Int(id) - 1].host.campaign()
        runtimes[Int(id) - 1].handle([Array("PING".utf8)]) { _ in }
        // A flush is scheduled by the next input; tick once to get one.
        runtimes[Int(id) - 1].tick()
        settle()
        // The followers learn that the leader's first entries (its address) committed with the next
        // tick: commit notices wait for the next append or tick (see `OutboundBuffer`).
        runtimes[Int(id) - 1].tick()
        settle()
    }

    /// Sends a command to node `id` and returns the reply once the cluster settled.
    func command(_ id: NodeID, _ words: String...) -> Reply? {
        let box = Box<Reply?>(nil)
        runtimes[Int(id) - 1].handle(words.map { Array($0.utf8) }) { reply in box.value = reply }
        settle()
        return box.value
    }
}

@Suite struct RuntimeTests {
    @Test func writesAreAnsweredOnceAppliedAndReadsAreLinearizable() throws {
        let cluster = try MemoryCluster()
        cluster.elect(1)
        #expect(cluster.runtimes[0].host.node.isLeader)
        #expect(cluster.command(1, "SET", "k", "hello world") == .status("OK"))
        #expect(cluster.command(1, "GET", "k") == .bulk(Array("hello world".utf8)))
        #expect(cluster.command(1, "INCR", "n") == .integer(1))
        #expect(cluster.command(1, "INCRBY", "n", "41") == .integer(42))
        #expect(cluster.command(1, "INCR", "k") == .error("ERR value is not an integer or out of range"))
        #expect(cluster.command(1, "EXISTS", "k", "n", "x") == .integer(2))
        #expect(cluster.command(1, "DEL", "k", "x") == .integer(1))
        #expect(cluster.command(1, "GET", "k") == .bulk(nil))
        for runtime in cluster.runtimes { #expect(runtime.host.machine.inner.values == ["n": "42"]) }
    }

    @Test func writesAndReadsAreAnsweredTheSameWithWritesOnADiskThread() throws {
        let cluster = try MemoryCluster(deferredWrites: true)
        cluster.elect(1)
        #expect(cluster.runtimes[0].host.node.isLeader)
        #expect(cluster.command(1, "SET", "k", "hello world") == .status("OK"))
        #expect(cluster.command(1, "GET", "k") == .bulk(Array("hello world".utf8)))
        #expect(cluster.command(1, "INCRBY", "n", "41") == .integer(41))
        #expect(cluster.command(1, "DEL", "k", "x") == .integer(1))
        #expect(cluster.command(1, "GET", "k") == .bulk(nil))
        #expect(cluster.command(2, "SET", "k", "v") == .error("MOVED 0 127.0.0.1:6001"))
        for runtime in cluster.runtimes { #expect(runtime.host.machine.inner.values == ["n": "41"]) }
        #expect(cluster.failures.value.isEmpty)
    }

    @Test func aWriteIsAnsweredBeforeTheCommitNoticesLeaveWhichWaitForTheNextTick() throws {
        let cluster = try MemoryCluster()
        cluster.elect(1)
        #expect(cluster.command(1, "SET", "a", "1") == .status("OK"))
        let noticesAtAnswer = Box<Int?>(nil)
        let shared = Box(cluster)  // the answer is given on the cluster's one thread
        cluster.runtimes[0].handle([Array("SET".utf8), Array("k".utf8), Array("v".utf8)]) { reply in
            #expect(reply == .status("OK"))
            let index = shared.value.runtimes[0].host.appliedIndex
            noticesAtAnswer.value =
                shared.value.network.filter { message in
                    guard case .append(let append) = message else { return false }
                    return append.entries.isEmpty && append.leaderCommit >= index
                }.count
        }
        cluster.settle()
        // The empty appends that carry the new commit index were still waiting when the client
        // got its answer, and still are: nothing else went to the followers.
        #expect(noticesAtAnswer.value == 0)
        for runtime in cluster.runtimes[1...] { #expect(runtime.host.machine.inner.values == ["a": "1"]) }
        // The next tick sends them: both followers apply the write.
        cluster.runtimes[0].tick()
        cluster.settle()
        for runtime in cluster.runtimes { #expect(runtime.host.machine.inner.values == ["a": "1", "k": "v"]) }
    }

    @Test func anAppendWithEntriesReplacesTheWaitingNotice() throws {
        let cluster = try MemoryCluster()
        cluster.elect(1)
        #expect(cluster.command(1, "SET", "a", "1") == .status("OK"))
        let leader = cluster.runtimes[0]
        // b is proposed and replicated; the followers' acknowledgements reach the leader together
        // with a new write, c, so one flush both commits b and proposes c.
        leader.handle([Array("SET".utf8), Array("b".utf8), Array("1".utf8)]) { _ in }
        while !cluster.tasks.isEmpty { cluster.tasks.removeFirst()() }
        let appends = cluster.network
        cluster.network.removeAll()
        for message in appends { cluster.runtimes[Int(message.to) - 1].receive(message) }
        while !cluster.tasks.isEmpty { cluster.tasks.removeFirst()() }
        let acks = cluster.network
        cluster.network.removeAll()
        leader.handle([Array("SET".utf8), Array("c".utf8), Array("1".utf8)]) { _ in }
        for message in acks { leader.receive(message) }
        cluster.tasks.removeFirst()()  // the leader's flush alone
        let bIndex = leader.host.appliedIndex
        // Right after the flush, each follower's append of c is out, alone: it carries b's commit,
        // so the notice of b's commit was dropped.
        for follower: NodeID in [2, 3] {
            let appends = cluster.network.filter { $0.to == follower }.map { message -> Append? in
                guard case .append(let append) = message else { return nil }
                return append
            }
            #expect(appends.count == 1 && appends[0]?.entries.isEmpty == false, "to n\(follower)")
            #expect((appends.first??.leaderCommit ?? 0) >= bIndex, "to n\(follower)")
        }
        cluster.settle()
        for runtime in cluster.runtimes[1...] { #expect(runtime.host.machine.inner.values == ["a": "1", "b": "1"]) }
        cluster.runtimes[0].tick()
        cluster.settle()
        for runtime in cluster.runtimes { #expect(runtime.host.machine.inner.values == ["a": "1", "b": "1", "c": "1"]) }
        #expect(leader.status().contains("role:leader"))
    }

    @Test func readsThatArriveDuringARoundShareTheNextOne() throws {
        let cluster = try MemoryCluster()
        cluster.elect(1)
        #expect(cluster.command(1, "SET", "k", "v") == .status("OK"))
        cluster.network.removeAll()
        let answers = Box<[Reply]>([])
        // Three reads, each arriving after the previous one's flush started a round.
        for _ in 1...3 {
            cluster.runtimes[0].handle([Array("GET".utf8), Array("k".utf8)]) { answers.value.append($0) }
            while !cluster.tasks.isEmpty { cluster.tasks.removeFirst()() }
        }
        cluster.settle()
        #expect(answers.value == Array(repeating: .bulk(Array("v".utf8)), count: 3))
        // The first read has a round to itself; the two that came while it ran share the next.
        #expect(cluster.readRounds == 2)
    }

    @Test func aCommandTooLargeToReplicateIsRefused() throws {
        let cluster = try MemoryCluster { $0.maxCommandBytes = 100 }
        cluster.elect(1)
        let reply = cluster.command(1, "SET", "k", String(repeating: "x", count: 200))
        guard case .error(let text)? = reply else { Issue.record("a 200-byte SET was not refused: \(String(describing: reply))"); return }
        #expect(text.hasPrefix("ERR the command takes ") && text.hasSuffix("above the limit of 100 (half of --max-frame-bytes)"), "\(text)")
        #expect(cluster.command(1, "SET", "k", "small") == .status("OK"), "the log goes on")
        #expect(cluster.command(1, "GET", "k") == .bulk(Array("small".utf8)))
    }

    @Test func followersRedirectToTheLeadersClientAddress() throws {
        let cluster = try MemoryCluster()
        // Before any leader: retry later.
        #expect(cluster.command(2, "GET", "k") == .error("TRYAGAIN no leader"))
        cluster.elect(1)
        // The leader published its client address through the log; followers know it.
        #expect(cluster.command(2, "SET", "k", "v") == .error("MOVED 0 127.0.0.1:6001"))
        #expect(cluster.command(3, "GET", "k") == .error("MOVED 0 127.0.0.1:6001"))
        let status = try #require(cluster.command(2, "RAFT", "STATUS"))
        guard case .bulk(let bytes?) = status else { Issue.record("status is not a bulk string"); return }
        let text = String(decoding: bytes, as: UTF8.self)
        for line in ["id:2", "role:follower", "leader_id:1", "leader_addr:127.0.0.1:6001", "voters:1,2,3", "learners:"] {
            #expect(text.contains(line + "\n"), "\(line) in \(text)")
        }
    }

    @Test func connectionCommandsAndBadInputGetRedisAnswers() throws {
        let cluster = try MemoryCluster()
        #expect(cluster.command(1, "PING") == .status("PONG"))
        #expect(cluster.command(1, "ping", "x") == .bulk(Array("x".utf8)))
        #expect(cluster.command(1, "SELECT", "0") == .status("OK"))
        #expect(cluster.command(1, "SELECT", "1") == .error("ERR DB index is out of range"))
        #expect(cluster.command(1, "CONFIG", "GET", "save") == .array([.text("save"), .text("")]))
        #expect(cluster.command(1, "COMMAND", "DOCS") == .array([]))
        #expect(cluster.command(1, "HELLO", "3") == .error("NOPROTO raftd speaks RESP2 only"))
        #expect(cluster.command(1, "echo", "hi") == .bulk(Array("hi".utf8)))
        #expect(cluster.command(1, "CLIENT", "SETNAME", "x") == .status("OK"))
        #expect(cluster.command(1, "GET") == .error("ERR wrong number of arguments for 'get' command"))
        #expect(cluster.command(1, "SET", "k", "v", "EX", "10") == .error("ERR syntax error (raftd's SET takes no options)"))
        #expect(cluster.command(1, "FLUSHALL")?.isError == true)
        #expect(cluster.command(1, "RAFT", "ADD", "x", "y") == .error("ERR usage: RAFT ADD ID HOST:PORT [learner]"))
    }

    @Test func keysAndValuesMustBeUTF8AndNonASCIITextRoundTrips() throws {
        let cluster = try MemoryCluster()
        cluster.elect(1)
        let refusal = Reply.error("ERR raftd keeps keys and values as UTF-8 text; these bytes are not")
        /// Sends a command of raw arguments to the leader (node 1).
        func send(_ arguments: [[UInt8]]) -> Reply? {
            let box = Box<Reply?>(nil)
            cluster.runtimes[0].handle(arguments) { box.value = $0 }
            cluster.settle()
            return box.value
        }
        let (get, set) = (Array("GET".utf8), Array("SET".utf8))
        for bad: [UInt8] in [[0xFF], [0x6B, 0xC3], [0xED, 0xA0, 0x80], [0x80, 0x61], [0x61, 0xF8, 0x88, 0x80, 0x80, 0x80]] {
            #expect(send([get, bad]) == refusal)
            #expect(send([set, bad, Array("v".utf8)]) == refusal)
            #expect(send([set, Array("k".utf8), bad]) == refusal)
        }
        #expect(cluster.command(1, "SET", "clé", "valeur ∑ 🙂") == .status("OK"))
        #expect(cluster.command(1, "GET", "clé") == .bulk(Array("valeur ∑ 🙂".utf8)))
        #expect(cluster.command(1, "SET", "", "") == .status("OK"))
        #expect(cluster.command(1, "GET", "") == .bulk([]))
    }

    @Test func aWriteOverwrittenByAnotherLeaderIsRefusedNotAcknowledged() throws {
        let cluster = try MemoryCluster()
        cluster.elect(1)
        #expect(cluster.command(1, "SET", "a", "1") == .status("OK"))
        // n1 is cut off; its next write cannot commit.
        cluster.down = [1]
        let box = Box<Reply?>(nil)
        cluster.runtimes[0].handle(["SET", "a", "lost"].map { Array($0.utf8) }) { reply in box.value = reply }
        cluster.settle()
        #expect(box.value == nil, "no answer while the write is not committed")
        // Time passes for n2 and n3 without n1: one of them leads a higher term and writes at the same index.
        for _ in 0..<40 where !cluster.runtimes[1...].contains(where: { $0.host.node.isLeader }) {
            cluster.runtimes[1].tick()
            cluster.runtimes[2].tick()
            cluster.settle()
        }
        let leader = try #require(cluster.runtimes.firstIndex { $0.host.node.isLeader && $0.host.node.id != 1 }).advanced(by: 1)
        #expect(cluster.command(NodeID(leader), "SET", "a", "2") == .status("OK"))
        // n1 comes back and learns the new leader's log: its own entry at that index is replaced.
        cluster.down = []
        for _ in 0..<3 {
            cluster.runtimes[leader - 1].tick()
            cluster.settle()
        }
        #expect(box.value == .error("ERR the write was lost to a leader change before it committed; retry"))
        #expect(cluster.command(NodeID(leader), "GET", "a") == .bulk(Array("2".utf8)))
        #expect(cluster.runtimes[0].host.machine.inner.values["a"] == "2")
    }

    @Test func raftStatsCountsWhatTheLeaderDid() throws {
        let cluster = try MemoryCluster(deferredWrites: true)
        cluster.elect(1)
        func stats(_ id: NodeID) -> [String: Int] {
            guard case .bulk(let bytes?)? = cluster.command(id, "RAFT", "STATS") else { return [:] }
            var values: [String: Int] = [:]
            for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
                let parts = line.split(separator: ":")
                if parts.count == 2, let value = Int(parts[1]) { values[String(parts[0])] = value }
            }
            return values
        }
        let before = stats(1)
        #expect(before["proposed_commands"] == 0)
        for key in ["a", "b", "c"] { #expect(cluster.command(1, "SET", key, "1") == .status("OK")) }
        let after = stats(1)
        #expect(after["proposed_commands"] == 3)
        #expect(after["proposal_batches"] == 3)
        #expect((after["entries"] ?? 0) - (before["entries"] ?? 0) == 3)
        // Each SET went to both followers, and both answered.
        #expect((after["sent_appends"] ?? 0) - (before["sent_appends"] ?? 0) == 6)
        #expect((after["received"] ?? 0) - (before["received"] ?? 0) >= 6)
        #expect(stats(2)["proposed_commands"] == 0)
    }

    @Test func membershipIsAdministeredThroughRaftCommands() throws {
        let cluster = try MemoryCluster()
        cluster.elect(1)
        #expect(cluster.command(1, "RAFT", "REMOVE", "3") == .status("OK"))
        cluster.runtimes[0].tick()
        cluster.settle()
        #expect(cluster.runtimes[0].host.node.configuration.voters == [1, 2])
        #expect(cluster.command(1, "RAFT", "COMPACT")?.isStatus == true)
        #expect(cluster.runtimes[0].host.node.firstIndex > 1)
        #expect(cluster.failures.value.isEmpty)
    }
}

extension Reply {
    var isError: Bool { if case .error = self { return true } else { return false } }
    var isStatus: Bool { if case .status = self { return true } else { return false } }
}

/// A value the runtimes' reply closures write; the tests run on one thread.
final class Box<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
