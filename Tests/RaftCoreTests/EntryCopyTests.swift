import Testing
@testable import RaftCore

/// The core's allocation budget per proposal, counted structurally instead of timed: a proposal's
/// entry is copied out of the leader's log once, and that one array is what the leader persists,
/// what both appends carry, what each follower persists and what every node applies.
@Suite("Copies of a proposal's entries")
struct EntryCopyTests {
    /// Where an array's elements live: equal for two arrays that share one buffer.
    static func storage(_ entries: [Entry]) -> UnsafeRawPointer? {
        entries.withUnsafeBufferPointer { $0.baseAddress.map(UnsafeRawPointer.init) }
    }

    /// Three nodes driven by hand: each Ready is taken, recorded and advanced, and its messages are
    /// stepped at once on their receivers, until no node has a Ready.
    struct Trio {
        var nodes = (1...3).map { RaftNode(config: Config(id: NodeID($0)), configuration: Configuration(voters: [1, 2, 3])) }
        /// Every Ready taken, with the node it came from.
        var readys: [(id: NodeID, ready: Ready)] = []

        mutating func pump() {
            var quiet = false
            while !quiet {
                quiet = true
                for i in nodes.indices where nodes[i].hasReady {
                    quiet = false
                    let ready = nodes[i].ready()
                    nodes[i].advance(ready)
                    readys.append((NodeID(i + 1), ready))
                    for message in ready.messages { nodes[Int(message.to) - 1].step(message) }
                }
            }
        }
    }

    @Test("one array carries a proposal from the leader's log to storage, both followers and every state machine")
    func oneCopyPerProposal() throws {
        var trio = Trio()
        trio.nodes[0].campaign()
        trio.pump()
        #expect(trio.nodes[0].isLeader)
        trio.readys = []
        let index = try trio.nodes[0].propose([1, 2, 3])
        trio.pump()

        var arrays: [UnsafeRawPointer?] = []
        for (id, ready) in trio.readys {
            if ready.entries.last?.index == index { arrays.append(Self.storage(ready.entries)) }
            if ready.committedEntries.last?.index == index { arrays.append(Self.storage(ready.committedEntries)) }
            for case .append(let append) in ready.messages where append.entries.last?.index == index {
                #expect(id == 1)
                arrays.append(Self.storage(append.entries))
            }
        }
        // Persisted on three nodes, carried by two appends, applied on three nodes.
        #expect(arrays.count == 8)
        #expect(Set(arrays).count == 1, "the proposal's entry was copied \(Set(arrays).count) times")
        for node in trio.nodes { #expect(node.appliedIndex == index) }
    }
}
