import RaftCore
@testable import RaftSim
import Testing

/// Issue 18 §3: the explorer's network and time faults, and the simulator commands under them
/// (`replay`, `delay`, `set election-ticks NODE N`, `tick NODE… N`, `cut`, many-group partitions).
@Suite struct NetworkFaultTests {
    static let newFaults: [Fault] = Fault.networkAndTime

    @Test("every new fault is named, safe and in the default set")
    func faultsAreSafeAndDefault() throws {
        for fault in Self.newFaults {
            #expect(!fault.isUnsafe && Fault.safe.contains(fault) && !fault.help.isEmpty, "\(fault)")
            #expect(try Fault.parseList(fault.rawValue).get() == [fault])
        }
        #expect(Fault(rawValue: "one-way") == .oneWay)
    }

    @Test("each new action takes effect in a bounded run, and the runs stay clean")
    func everyNewActionHappens() {
        var options = Explorer.Options()
        options.nodes = 5
        options.steps = 1500
        var total = Explorer.NetworkStats()
        for seed: UInt64 in 1...3 {
            let result = Explorer.run(seed: seed, options: options)
            #expect(result.violation == nil, "seed \(seed): \(result.violation.map(String.init(describing:)) ?? "")")
            let s = result.stats.network
            total.skewedTicks += s.skewedTicks; total.timedNodes += s.timedNodes; total.splits += s.splits
            total.oneWayCuts += s.oneWayCuts; total.bridges += s.bridges; total.replays += s.replays; total.delays += s.delays
        }
        #expect(total.skewedTicks > 0 && total.timedNodes > 0 && total.splits > 0 && total.oneWayCuts > 0)
        #expect(total.bridges > 0 && total.replays > 0 && total.delays > 0, "\(total)")
    }

    @Test("with the new faults left out no new action is drawn")
    func leftOutFaultsChangeNothing() {
        var options = Explorer.Options()
        options.steps = 800
        options.faults = Fault.safe.filter { !Self.newFaults.contains($0) }
        let result = Explorer.run(seed: 4, options: options)
        #expect(result.stats.network == Explorer.NetworkStats())
        let script = Explorer.script(for: result, options: options)
        let words = Set(["replay", "delay", "cut"])
        #expect(!script.contains { words.contains(Command.tokenize($0).first ?? "") })
    }

    @Test("the explorer's scripts spell the new actions so that they parse back and replay")
    func scriptsReplay() throws {
        var options = Explorer.Options()
        options.steps = 1200
        let result = Explorer.run(seed: 2, options: options)
        let script = Explorer.script(for: result, options: options)
        var seen: Set<String> = []
        for line in script {
            let words = Command.tokenize(line)
            guard !words.isEmpty else { continue }
            let command = try Command.parse(words: words)
            #expect(command.description == line, "'\(line)' is not canonical")
            seen.insert(command.name)
        }
        #expect(seen.isSuperset(of: ["replay", "delay", "cut", "partition", "tick"]), "\(seen)")
        #expect(script.contains { $0.hasPrefix("set election-ticks n") } == (result.stats.network.timedNodes > 0))
        let transcript = Support.transcript(of: script, repl: false, name: "explore-2")
        #expect(transcript.code == 0, "the script should replay clean")
    }

    @Test("new commands parse from and spell back to their canonical form")
    func commandsRoundTrip() throws {
        let cases: [(String, Command)] = [
            ("replay 12", .replay(12)),
            ("delay 7 40", .delay(7, deliveries: 40)),
            ("set election-ticks n2 15", .set(.nodeElectionTicks(2, 15))),
            ("set heartbeat-ticks n3 2", .set(.nodeHeartbeatTicks(3, 2))),
            ("tick n2 3", .tick(nodes: [2], count: 3)),
            ("cut n1->n3", .cut(from: 1, to: 3)),
            ("partition n1 n2 | n3 n4 n5", .partition([[1, 2], [3, 4, 5]])),
        ]
        for (line, command) in cases {
            #expect(try Command.parse(line) == command, "\(line)")
            #expect(command.description == line)
        }
        #expect(try Command.parse("replay #12") == .replay(12))
        for bad in ["replay", "replay x", "replay 1 2", "delay 5", "delay 5 0", "delay n1 3", "set election-ticks n2", "set heartbeat-ticks n2 x 1"] {
            #expect(throws: CommandError.self, "\(bad)") { try Command.parse(bad) }
        }
        #expect(throws: CommandError(.noSuchNode(4), command: "set")) { try Command.parse("set election-ticks n4 12", nodeCount: 3) }
    }

    @Test("replay puts a copy of a delivered message back in flight; refusals say why")
    func replayCopiesDelivered() throws {
        let cluster = try ClusterTests.cluster(3)
        try cluster.campaign(1)
        let request = try #require(cluster.inFlight.first)
        #expect(throws: SimError.self) { try cluster.replay(request.id) }  // still in flight
        try cluster.deliver(.ids([request.id]))
        try cluster.replay(request.id)
        let copy = try #require(cluster.inFlight.last)
        #expect(copy.message == request.message && copy.id > request.id)
        do {
            try cluster.replay(9_999)
            Issue.record("a message not sent yet was replayed")
        } catch { #expect(error.message.contains("no message #9999 yet")) }
        let dropped = try #require(cluster.inFlight.first { $0.id != copy.id })
        try cluster.drop(.ids([dropped.id]))
        do {
            try cluster.replay(dropped.id)
            Issue.record("a dropped message was replayed")
        } catch { #expect(error.message.contains("not among the delivered messages the network keeps")) }
    }

    @Test("the record of delivered messages is bounded and keeps a thinned archive of old ones")
    func recordIsBounded() throws {
        let cluster = try ClusterTests.cluster(3)
        try ClusterTests.elect(cluster, 1)
        let first = cluster.keptDelivered(at: 0).id
        for k in 0..<600 {
            try cluster.propose("set k \(k)", on: 1)
            try cluster.stabilize()
        }
        let count = cluster.keptDeliveredCount
        #expect(count <= SimNetwork.recentCapacity + SimNetwork.archiveCapacity)
        #expect(count > SimNetwork.recentCapacity, "older deliveries should be archived (\(count) kept)")
        let kept = (0..<count).map { cluster.keptDelivered(at: $0).id }
        #expect(kept.prefix(count - SimNetwork.recentCapacity).allSatisfy { $0 % SimNetwork.archiveStride == 0 })
        #expect(kept.first! > first, "the oldest deliveries are forgotten")
        #expect(throws: SimError.self) { try cluster.replay(first) }
        try cluster.replay(kept.first!)
    }

    @Test("a held message is passed over by deliver, stabilize and run until its hold ends")
    func delayHoldsBack() throws {
        let cluster = try ClusterTests.cluster(3)
        try cluster.campaign(1)
        let (a, b) = (cluster.inFlight[0].id, cluster.inFlight[1].id)
        try cluster.delay(a, deliveries: 2)
        #expect(cluster.heldMessages.map(\.id) == [a])
        try cluster.deliver(.oldest)
        #expect(cluster.message(id: a) != nil && cluster.message(id: b) == nil, "the held message waits")
        // n3's reply to the second request goes next; then the hold has ended.
        try cluster.deliver(.oldest)
        #expect(cluster.message(id: a) != nil)
        try cluster.deliver(.oldest)
        #expect(cluster.message(id: a) == nil, "after two deliveries the hold ends")
        try cluster.stabilize()
        // Naming a held message delivers it at once.
        try cluster.propose("set x 1", on: 1)
        let held = try #require(cluster.inFlight.first).id
        try cluster.delay(held, deliveries: 1_000)
        try cluster.deliver(.ids([held]))
        #expect(cluster.message(id: held) == nil)
        // When only held messages are in flight, the oldest of them goes.
        try cluster.stabilize()
        try cluster.propose("set x 2", on: 1)
        for item in cluster.inFlight { try cluster.delay(item.id, deliveries: 1_000) }
        let oldest = try #require(cluster.inFlight.first).id
        try cluster.deliver(.oldest)
        #expect(cluster.message(id: oldest) == nil)
        #expect(throws: SimError.self) { try cluster.delay(held, deliveries: 5) }
        #expect(throws: SimError.self) { try cluster.delay(1, deliveries: 0) }
    }

    @Test("a node's own timing must keep its election timeout above its heartbeat")
    func nodeTiming() throws {
        let cluster = try ClusterTests.cluster(3)
        try cluster.setNodeTiming(2, electionTicks: 20, heartbeatTicks: 3)
        #expect(cluster.node(2)?.config.electionTicks == 20 && cluster.node(2)?.config.heartbeatTicks == 3)
        #expect(cluster.node(1)?.config.electionTicks == 10, "the others keep the cluster's setting")
        do {
            try cluster.setNodeTiming(3, electionTicks: 1, heartbeatTicks: nil)
            Issue.record("n3 got an election timeout no longer than its heartbeat")
        } catch { #expect(error.message == "n3: election ticks (1) must exceed heartbeat ticks (1)") }
        #expect(throws: SimError.self) { try cluster.setTiming(electionTicks: nil, heartbeatTicks: 20) }  // n2's 20 would not exceed it
        #expect(throws: SimError.self) { try cluster.setNodeTiming(4, electionTicks: 12, heartbeatTicks: nil) }
        #expect(cluster.settings.electionTicks(of: 3) == 10)
    }

    @Test("a node ticked alone runs ahead: its clock times out while the others' stand still")
    func unevenTicks() throws {
        let cluster = try ClusterTests.cluster(3)
        try cluster.tick([2], count: 25)
        #expect(cluster.node(2)?.role == .preCandidate, "n2's timeout (10…19 ticks) has passed")
        #expect(cluster.node(1)?.electionElapsedTicks == 0 && cluster.node(3)?.electionElapsedTicks == 0)
    }
}
