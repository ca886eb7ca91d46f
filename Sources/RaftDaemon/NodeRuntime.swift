import RaftCore
import RaftHost
import RaftStorage

/// Where a runtime's messages go (the peer transport); set once the transport exists.
public protocol PeerSender: AnyObject, Sendable {
    /// Queues messages for their peers; never blocks.
    func send(_ messages: [Message])
    /// The peers to dial, by id (`HOST:PORT`).
    func setPeers(_ peers: [NodeID: String])
}

/// How a runtime is set up.
public struct RuntimeOptions: Sendable {
    /// This node's id.
    public var id: NodeID
    /// This node's own addresses.
    public var address: MemberAddress
    /// The peer addresses named at start (`--peers`), used until the directory knows better.
    public var initialPeers: [NodeID: String]
    /// Compact once this many applied entries follow the snapshot (0: never). The default is
    /// etcd's (`--snapshot-count`); why not fewer, in `NodeOptions.snapshotEntries`.
    public var snapshotEntries: Int = 100_000
    /// The most Readys handled in one flush before other inputs get their turn.
    public var maxReadyRounds: Int = 64
    /// The largest command proposed; a larger one is refused. An entry must fit in one peer frame
    /// (entries are not chunked) and in one storage record (64 MiB): raftd uses half its frame limit.
    public var maxCommandBytes: Int = 32 << 20
    /// TEST ONLY (`--unsafe-local-reads`): answer reads from the local state, on any node, without
    /// ReadIndex. Stale reads follow; the fault campaign's tests turn it on to see them caught.
    public var unsafeLocalReads = false

    /// Options for node `id`.
    public init(id: NodeID, address: MemberAddress, initialPeers: [NodeID: String]) {
        self.id = id
        self.address = address
        self.initialPeers = initialPeers
    }
}

/// One `raftd` node: a `NodeHost` on real storage, driven by ticks, peer messages and client
/// commands, all on one thread (the caller's executor must run every method on the same thread,
/// one at a time — `raftd` uses one NIO event loop).
///
/// Inputs step the core and schedule one flush; the flush handles every Ready (so everything
/// that arrived while the previous fsync ran goes to disk in one batch: group commit), then
/// answers the clients whose writes were applied and whose reads were confirmed.
public final class NodeRuntime<Service: ClientService> {
    /// The state machine the host runs: the service's, with the member directory.
    public typealias Machine = DaemonMachine<Service.Machine>
    /// Sends a reply to the client that asked; callable from any thread.
    public typealias Respond = @Sendable (Reply) -> Void

    /// The host: the one Ready loop.
    public let host: NodeHost<Machine>
    let options: RuntimeOptions
    let log: @Sendable (String) -> Void
    /// Called when the node must stop (its disk failed): the process exits.
    let fail: @Sendable (String) -> Void
    private let outbound: OutboundBuffer
    /// Writes proposed here, by log index: answered once that index is applied.
    private var writes: [UInt64: PendingWrite] = [:]
    /// Writes that arrived since the last flush: proposed together, as one append.
    private var proposalQueue: [(command: [UInt8], write: PendingWrite)] = []
    /// Reads that arrived since the last flush: one ReadIndex round serves them all.
    private var readQueue: [PendingQuery] = []
    /// Reads confirmed or waiting for confirmation, by read context.
    private var reads: [UInt64: [PendingQuery]] = [:]
    private var nextReadContext: UInt64 = 1
    /// The read round the core has not yet confirmed (or given up). Reads that arrive meanwhile
    /// wait for the next round: one round at a time, so rounds are few and carry many reads.
    private var unconfirmedRound: (context: UInt64, term: UInt64)?
    /// The term in which this node last published its own addresses as leader.
    private var publishedTerm: UInt64 = 0
    private var dialed: [NodeID: String] = [:]
    private var isFlushScheduled = false
    /// What this runtime did since it started (`RAFT STATS`).
    public private(set) var counters = RuntimeCounters()
    /// Runs a flush later on the same thread (after the inputs already queued).
    private let schedule: (@escaping () -> Void) -> Void

    private struct PendingWrite {
        var term: UInt64
        /// The service's reply to its machine's response; nil for a membership change (answered `+OK`).
        var answer: ((Service.Machine.Response) -> Reply)?
        var respond: Respond

        /// The reply once the entry is applied with `response` (the host's, for this runtime's machine).
        func reply(to response: Machine.Response?) -> Reply {
            guard let answer else { return .status("OK") }
            guard let response = response ?? nil else { return .error("ERR internal: a write without a response") }
            return answer(response)
        }
    }

    private struct PendingQuery {
        var query: Service.Machine.Query
        var answer: (Service.Machine.QueryResult) -> Reply
        var respond: Respond
    }

    /// A runtime for `node`, persisting through `storage`; `schedule` runs a closure later on the
    /// runtime's thread. With a `writer`, writes run on its thread while the runtime keeps serving
    /// (see `NodeHost`'s deferred writes); without one, inline.
    public init(
        node: RaftNode, storage: any NodeStorage, options: RuntimeOptions,
        log: @escaping @Sendable (String) -> Void, fail: @escaping @Sendable (String) -> Void,
        writer: (any StorageWriter)? = nil,
        schedule: @escaping (@escaping () -> Void) -> Void
    ) throws(StateMachineError) {
        self.options = options
        self.log = log
        self.fail = fail
        self.schedule = schedule
        outbound = OutboundBuffer()
        host = try NodeHost(node: node, storage: storage, transport: outbound)
        // The follower's fsync overlaps the leader's own (dissertation §10.2.1; see NodeHost).
        host.leaderSendsBeforePersisting = true
        if let writer {
            let counting = CountingWriter(base: writer)
            counting.onSubmit = { [unowned self] in counters.diskWrites += 1 }
            counting.onDone = { [unowned self] elapsed in counters.countDiskWrite(microseconds: elapsed.microseconds) }
            host.writer = counting
        }
        // One client waiting: its write skips the two hops to the disk thread and back (see NodeHost).
        host.leaderWritesInlineWhenIdle = true
        host.onWriteFinished = { [unowned self] report in writeFinished(report) }
    }

    /// A deferred write finished: answer what it let through, then handle the Readys its held
    /// messages made.
    private func writeFinished(_ report: ReadyReport<Machine>) {
        if let failure = report.failure {
            fail("node \(options.id) \(failure); stopping (a node whose storage failed must not go on)")
            return
        }
        counters.countSent(report.messages)
        answer(report)
        scheduleFlush()
    }

    /// Connects the peer transport: messages queued so far leave now.
    public func connect(_ sender: any PeerSender) {
        outbound.sender = sender
        updatePeers()
    }

    // MARK: Inputs

    /// One tick of logical time.
    public func tick() {
        outbound.releaseTrailing()
        host.tick()
        scheduleFlush()
    }

    /// A message from a peer.
    public func receive(_ message: Message) {
        guard message.to == options.id else { return }
        counters.received += 1
        host.step(message)
        scheduleFlush()
    }

    /// A client command (its name upper-cased by the caller is not required).
    ///
    /// `arguments` is taken over: when the caller hands over its only reference (the client
    /// server does), the name is removed in place rather than the rest copied to a new array.
    public func handle(_ arguments: consuming [[UInt8]], respond: @escaping Respond) {
        var rest = arguments
        guard !rest.isEmpty else { return respond(.error("ERR empty command")) }
        let first = rest.removeFirst()
        let name = Self.commandName(first)
        if let reply = ConnectionCommands.reply(name, rest) { return respond(reply) }
        if name == "RAFT" { return handleRaft(rest, respond: respond) }
        switch Service.route(name, rest) {
        case .write(let command, let answer):
            // The route's answer is kept as it is (`PendingWrite.reply` unwraps the response): no closure per write.
            propose(command, answer: answer, respond: respond)
        case .read(let query, let answer):
            if options.unsafeLocalReads { return respond(answer(host.machine.query([query])[0])) }
            guard host.node.isLeader else { return respond(notLeaderReply()) }
            readQueue.append(PendingQuery(query: query, answer: answer, respond: respond))
            scheduleFlush()
        case .reply(let reply):
            respond(reply)
        case .unknown:
            respond(
                .error(
                    "ERR unknown command '\(String(decoding: first, as: UTF8.self))', with args beginning with: \(rest.prefix(3).map { "'\(String(decoding: $0, as: UTF8.self))' " }.joined())"
                ))
        }
    }

    /// A command name in upper case. Clients send names in upper-case ASCII already (redis-cli,
    /// redis-benchmark): those skip `uppercased()`, whose Unicode rules cost more than the rest of a PING.
    static func commandName(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        return bytes.contains { (97...122).contains($0) || $0 >= 128 } ? text.uppercased() : text
    }

    /// Queues a command for the next flush's proposal; `respond` gets `answer`'s reply once it is applied.
    func propose(_ command: [UInt8], answer: @escaping (Service.Machine.Response) -> Reply, respond: @escaping Respond) {
        guard host.node.isLeader else { return respond(notLeaderReply()) }
        // Too large to replicate: it would stall every later entry behind it, or fail the write.
        guard command.count <= options.maxCommandBytes else {
            return respond(
                .error(
                    "ERR the command takes \(command.count) bytes in the log, above the limit of \(options.maxCommandBytes) (half of --max-frame-bytes)"
                ))
        }
        proposalQueue.append((command, PendingWrite(term: 0, answer: answer, respond: respond)))
        scheduleFlush()
    }

    /// Proposes every queued command as one batch (one append per follower, one save).
    private func proposeQueued() {
        guard !proposalQueue.isEmpty else { return }
        let batch = proposalQueue
        proposalQueue.removeAll(keepingCapacity: true)
        counters.proposalBatches += 1
        counters.proposedCommands += batch.count
        do {
            let last = try host.propose(batch: batch.lazy.map { $0.command })
            let term = host.node.term
            var index = last + 1 - UInt64(batch.count)
            for var item in batch {
                item.write.term = term
                writes[index] = item.write
                index += 1
            }
            assert(index == last + 1, "a batch takes consecutive indexes")
        } catch {
            let reply = refusal(error)
            for item in batch { item.write.respond(reply) }
        }
    }

    /// The reply that sends a client to the leader, or asks it to retry.
    func notLeaderReply() -> Reply {
        let leader = host.node.leader
        if leader != .none, leader != options.id, let address = host.machine.directory[leader]?.client, !address.isEmpty {
            return .error("MOVED 0 \(address)")
        }
        return .error("TRYAGAIN no leader")
    }

    func refusal(_ error: RaftError) -> Reply {
        switch error {
        case .notLeader: return notLeaderReply()
        case .transferInProgress: return .error("TRYAGAIN leadership transfer in progress")
        default: return .error("ERR \(error)")
        }
    }

    // MARK: The flush

    func scheduleFlush() {
        guard !isFlushScheduled else { return }
        isFlushScheduled = true
        schedule { [self] in
            isFlushScheduled = false
            flush()
        }
    }

    /// Handles every Ready, answers clients, starts the reads that queued up, compacts.
    func flush() {
        counters.flushes += 1
        let started = ContinuousClock.now
        defer { counters.countFlush(microseconds: (ContinuousClock.now - started).microseconds) }
        proposeQueued()
        startQueuedReads()
        publishOwnAddressAsLeader()
        // Commit notices wait for the next append or tick (see OutboundBuffer): no client waits for them.
        var rounds = 0
        while rounds < options.maxReadyRounds, let report = host.handleReady() {
            rounds += 1
            count(report)
            if let failure = report.failure {
                fail("node \(options.id) \(failure); stopping (a node whose storage failed must not go on)")
                return
            }
            answer(report)
        }
        if host.isCompactionDue(thresholdEntries: options.snapshotEntries) {
            guard case .success(let index) = compactThroughApplied() else { return }
            log("compacted the log through \(index)")
        }
        if host.node.hasReady { scheduleFlush() }
    }

    private func count(_ report: ReadyReport<Machine>) {
        counters.readys += 1
        if !report.entries.isEmpty {
            counters.entryReadys += 1
            counters.entries += report.entries.count
        }
        counters.countSent(report.messages)
    }

    private func answer(_ report: ReadyReport<Machine>) {
        var directoryChanged = false
        for applied in report.applied {
            if applied.entry.kind == .normal, applied.entry.data.first == Machine.directoryMarker { directoryChanged = true }
            guard let write = writes.removeValue(forKey: applied.entry.index) else { continue }
            if applied.entry.term == write.term {
                write.respond(write.reply(to: applied.response))
            } else {
                // Another leader's entry took this index: the proposal is gone (Log Matching).
                write.respond(.error("ERR the write was lost to a leader change before it committed; retry"))
            }
        }
        if report.installedSnapshot != nil {
            directoryChanged = true
            // Everything the snapshot covers is decided; writes waiting there were not (or were) applied here.
            let through = report.installedSnapshot!.metadata.index
            for index in writes.keys where index <= through {
                writes.removeValue(forKey: index)!.respond(
                    .error("TRYAGAIN the node installed a snapshot; the outcome is unknown, check before retrying"))
            }
        }
        if let round = unconfirmedRound?.context,
            report.confirmedReads.contains(where: { $0.context == round }) || report.abandonedReads.contains(round)
                || report.answeredReads.contains(where: { $0.context == round })
        {
            unconfirmedRound = nil
            if !readQueue.isEmpty { scheduleFlush() }
        }
        for answered in report.answeredReads {
            guard let batch = reads.removeValue(forKey: answered.context) else { continue }
            for (pending, result) in zip(batch, answered.result) { pending.respond(pending.answer(result)) }
        }
        for context in report.abandonedReads {
            for pending in reads.removeValue(forKey: context) ?? [] {
                pending.respond(.error("TRYAGAIN the leader changed before the read was confirmed"))
            }
        }
        if directoryChanged { updatePeers() }
    }

    private func startQueuedReads() {
        // A leader waits for its round in flight; a node that no longer leads (or leads in a new
        // term, where the core forgot the old round) goes on at once.
        guard !readQueue.isEmpty else { return }
        if let round = unconfirmedRound, host.node.isLeader, round.term == host.node.term { return }
        let batch = readQueue
        // The batch stays in `reads` until answered; the next queue starts at this round's size,
        // so its reads are appended without regrowing it (about five allocations a round).
        readQueue = []
        readQueue.reserveCapacity(batch.count)
        let context = nextReadContext
        nextReadContext += 1
        do {
            try host.read(batch.map(\.query), context: context)
            counters.readRounds += 1
            counters.reads += batch.count
            reads[context] = batch
            unconfirmedRound = (context, host.node.term)
        } catch {
            let reply = refusal(error)
            for pending in batch { pending.respond(reply) }
        }
    }

    /// A new leader tells everyone where its clients should go (followers answer `-MOVED` with it).
    private func publishOwnAddressAsLeader() {
        let node = host.node
        guard node.isLeader, publishedTerm != node.term, host.machine.directory[options.id] != options.address else { return }
        publishedTerm = node.term
        _ = try? host.propose(Machine.update(options.id, options.address))
    }

    private func updatePeers() {
        var peers = options.initialPeers
        for (id, address) in host.machine.directory where !address.peer.isEmpty { peers[id] = address.peer }
        peers[options.id] = nil
        guard peers != dialed else { return }
        dialed = peers
        outbound.sender?.setPeers(peers)
    }

    // MARK: Administration

    private func handleRaft(_ arguments: [[UInt8]], respond: @escaping Respond) {
        let words = arguments.map { String(decoding: $0, as: UTF8.self) }
        switch (words.first?.uppercased(), words.count) {
        case ("STATUS", 1): respond(.text(status()))
        case ("STATS", 1): respond(.text((counters.lines + ["notices_replaced:\(outbound.noticesReplaced)"]).joined(separator: "\n") + "\n"))
        case ("ADD", 3), ("ADD", 4):
            guard let id = NodeID(words[1]), id > 0, words.count == 3 || words[3].lowercased() == "learner",
                AddressParser.split(words[2]) != nil
            else {
                return respond(.error("ERR usage: RAFT ADD ID HOST:PORT [learner]"))
            }
            guard host.node.isLeader else { return respond(notLeaderReply()) }
            proposeQueued()
            // The address first, so every member can dial the new one once the change is appended.
            _ = try? host.propose(Machine.update(id, MemberAddress(peer: words[2], client: host.machine.directory[id]?.client ?? "")))
            change([words.count == 4 ? .addLearner(id) : .addVoter(id)], respond: respond)
        case ("REMOVE", 2), ("PROMOTE", 2):
            guard let id = NodeID(words[1]), id > 0 else { return respond(.error("ERR usage: RAFT \(words[0].uppercased()) ID")) }
            change([words[0].uppercased() == "REMOVE" ? .remove(id) : .promote(id)], respond: respond)
        case ("TRANSFER", 2):
            guard let id = NodeID(words[1]), id > 0 else { return respond(.error("ERR usage: RAFT TRANSFER ID")) }
            do {
                try host.transferLeadership(to: id)
                scheduleFlush()
                respond(.status("OK"))
            } catch { respond(refusal(error)) }
        case ("COMPACT", 1):
            guard host.appliedIndex >= host.node.firstIndex else { return respond(.error("ERR nothing applied since the last snapshot")) }
            switch compactThroughApplied() {
            case .success(let index): respond(.status("OK compacted through \(index)"))
            case .failure(let error): respond(.error("ERR \(error)"))
            }
        default:
            respond(.error("ERR usage: RAFT STATUS | STATS | ADD ID HOST:PORT [learner] | REMOVE ID | PROMOTE ID | TRANSFER ID | COMPACT"))
        }
    }

    /// Snapshots through the applied index; when the snapshot cannot be written the node stops
    /// (a node whose storage failed must not go on).
    private func compactThroughApplied() -> Result<UInt64, HostFailure> {
        do { return .success(try host.compact(through: host.appliedIndex).metadata.index) } catch {
            fail("node \(options.id) \(error); stopping")
            return .failure(error)
        }
    }

    private func change(_ changes: [ConfigChange], respond: @escaping Respond) {
        guard host.node.isLeader else { return respond(notLeaderReply()) }
        proposeQueued()  // writes that arrived earlier stay earlier in the log
        do {
            let index = try host.proposeConfigChange(changes)
            writes[index] = PendingWrite(term: host.node.term, answer: nil, respond: respond)
            scheduleFlush()
        } catch {
            respond(refusal(error))
        }
    }

    /// `RAFT STATUS`: `key:value` lines.
    public func status() -> String {
        let node = host.node
        let configuration = node.configuration
        func list(_ ids: [NodeID]) -> String { ids.map(String.init).joined(separator: ",") }
        let leader = node.leader
        var lines = [
            "id:\(options.id)", "role:\(node.role.rawValue)", "term:\(node.term)",
            "leader_id:\(leader == .none ? 0 : leader)",
            "leader_addr:\(leader == .none ? "" : host.machine.directory[leader]?.client ?? "")",
            "commit_index:\(node.commitIndex)", "applied_index:\(host.appliedIndex)",
            "last_index:\(node.lastIndex)", "snapshot_index:\(node.firstIndex - 1)",
            "voters:\(list(configuration.voters))", "learners:\(list(configuration.learners))",
        ]
        if configuration.isJoint { lines.append("outgoing_voters:\(list(configuration.outgoingVoters))") }
        lines.append("peer_addr:\(options.address.peer)")
        lines.append("client_addr:\(options.address.client)")
        return lines.joined(separator: "\n") + "\n"
    }
}

extension Duration {
    /// Whole microseconds.
    var microseconds: Int { Int(components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000) }
}

/// A writer that counts what it is handed (`RuntimeCounters.diskWrites`).
final class CountingWriter: StorageWriter {
    let base: any StorageWriter
    var onSubmit: (() -> Void)?
    /// Called with how long a write took, from its submission until its completion reached the node's thread.
    var onDone: ((Duration) -> Void)?

    init(base: any StorageWriter) { self.base = base }

    func submit(_ write: @escaping () throws -> Void, done: @escaping ((any Error)?) -> Void) {
        onSubmit?()
        let started = ContinuousClock.now
        base.submit(write) { [self] error in
            onDone?(ContinuousClock.now - started)
            done(error)
        }
    }
}

/// The host's transport: holds messages until the peer transport is connected, and holds the
/// leader's commit notices until something else goes to their follower or the next tick.
///
/// A commit notice is an append without entries: the core sends one to every follower when its
/// commit index moves, and each follower answers it. Under load the next append with entries
/// follows within a round and carries the same commit index (and more), so the notice and its
/// answer are two messages and two wake-ups for nothing: measured with 50 clients, half of the
/// leader's peer messages. Here a notice waits in `trailing`; an append with entries to the same
/// follower that carries at least its commit index replaces it (the notice is dropped, as a
/// network may drop it: Raft retries, and nothing waits for a follower to learn the commit);
/// any other message to that follower takes it along, ahead of itself, so each peer's messages
/// leave in order; `releaseTrailing` (every tick) sends what still waits, so an idle follower
/// learns the commit within a tick. Nothing waits on a notice: an answered write is committed and
/// applied already; a follower applies it a little later, as on a slower network.
final class OutboundBuffer: Transport {
    var sender: (any PeerSender)? {
        didSet {
            if let sender, !held.isEmpty { sender.send(held); held.removeAll() }
        }
    }
    private var held: [Message] = []
    /// Commit notices waiting, in the order they were sent.
    private(set) var trailing: [Message] = []
    /// Notices replaced by a later append to the same follower (for `RAFT STATS`).
    private(set) var noticesReplaced = 0

    func send(_ messages: [Message]) {
        var now: [Message] = []
        for message in messages {
            if Self.isCommitNotice(message) {
                // A newer notice to the same follower supersedes an older one (same term, higher commit).
                trailing.removeAll { Self.supersedes(message, $0) }
                trailing.append(message)
                continue
            }
            if !trailing.isEmpty && trailing.contains(where: { $0.to == message.to }) {
                for notice in trailing where notice.to == message.to {
                    if Self.supersedes(message, notice) { noticesReplaced += 1 } else { now.append(notice) }
                }
                trailing.removeAll { $0.to == message.to }
            }
            now.append(message)
        }
        if !now.isEmpty { forward(now) }
    }

    /// Sends the notices that waited, in order.
    func releaseTrailing() {
        guard !trailing.isEmpty else { return }
        let messages = trailing
        trailing.removeAll(keepingCapacity: true)
        forward(messages)
    }

    static func isCommitNotice(_ message: Message) -> Bool {
        if case .append(let append) = message { return append.entries.isEmpty }
        return false
    }

    /// Whether `later`, an append to the same follower in the same term, tells it everything the
    /// notice `earlier` would: a commit index at least as high, from a log position at least as far.
    static func supersedes(_ later: Message, _ earlier: Message) -> Bool {
        guard case .append(let new) = later, case .append(let old) = earlier else { return false }
        return new.to == old.to && new.term == old.term && new.leaderCommit >= old.leaderCommit
            && new.prevLogIndex + UInt64(new.entries.count) >= old.prevLogIndex
    }

    private func forward(_ messages: [Message]) {
        if let sender { sender.send(messages) } else { held.append(contentsOf: messages) }
    }
}

/// Commands about the connection itself, answered without the cluster.
enum ConnectionCommands {
    static func reply(_ name: String, _ arguments: [[UInt8]]) -> Reply? {
        switch name {
        case "PING":
            if arguments.isEmpty { return .status("PONG") }
            return arguments.count == 1 ? .bulk(arguments[0]) : .wrongArity(name)
        case "ECHO": return arguments.count == 1 ? .bulk(arguments[0]) : .wrongArity(name)
        case "SELECT":
            guard arguments.count == 1 else { return .wrongArity(name) }
            return arguments[0] == Array("0".utf8) ? .status("OK") : .error("ERR DB index is out of range")
        case "CONFIG":
            guard arguments.count == 2, String(decoding: arguments[0], as: UTF8.self).uppercased() == "GET" else {
                return .error("ERR raftd answers CONFIG GET only")
            }
            let key = String(decoding: arguments[1], as: UTF8.self).lowercased()
            switch key {
            case "save": return .array([.text("save"), .text("")])
            case "appendonly": return .array([.text("appendonly"), .text("no")])
            default: return .array([])
            }
        case "COMMAND": return .array([])
        case "CLIENT": return .status("OK")
        case "HELLO": return .error("NOPROTO raftd speaks RESP2 only")
        default: return nil
        }
    }
}

/// `HOST:PORT` parsing, with IPv6 in brackets (`[::1]:7000`).
public enum AddressParser {
    /// The host and port, or nil when the text is not `HOST:PORT` with a port in 1…65535.
    public static func split(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        guard let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port), !host.isEmpty else { return nil }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }
}
