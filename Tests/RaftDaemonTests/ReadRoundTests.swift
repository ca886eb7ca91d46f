import RaftCore
import RaftDaemon
import Testing

/// Issue 12 §5: raftd's read rounds ask one follower of two (`NodeOptions.coreConfig` turns on
/// `Config.readRoundsAskQuorumOnly`), so the other follower is spared a heartbeat and an answer
/// per round; GET stays linearizable, and a silent follower only delays a read until the next
/// periodic heartbeat.
@Suite struct ReadRoundTests {
    /// raftd's core configuration for node `id` of three, as `raftd` would build it from its options.
    static func raftdConfig(_ config: inout Config) {
        let id = config.id
        let options = try! NodeOptions.parse([
            "--id", "\(id)", "--peers", "1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003",
            "--listen", "127.0.0.1:600\(id)", "--data-dir", "/unused",
        ])
        config = options.coreConfig()
        #expect(config.id == id)
    }

    @Test func eachReadRoundAsksOneFollower() throws {
        let cluster = try MemoryCluster(core: Self.raftdConfig)
        cluster.elect(1)
        #expect(cluster.command(1, "SET", "k", "v") == .status("OK"))
        cluster.readHeartbeats = [:]
        for _ in 1...5 { #expect(cluster.command(1, "GET", "k") == .bulk(Array("v".utf8))) }
        let heartbeats = cluster.readHeartbeats.values.reduce(0, +)
        #expect(cluster.readRounds == 5)
        #expect(heartbeats == 5, "read heartbeats by follower: \(cluster.readHeartbeats)")
    }

    @Test func aReadWhoseFollowerIsDownIsAnsweredAfterTheNextHeartbeat() throws {
        let cluster = try MemoryCluster(core: Self.raftdConfig)
        cluster.elect(1)
        #expect(cluster.command(1, "SET", "k", "v") == .status("OK"))
        cluster.readHeartbeats = [:]
        #expect(cluster.command(1, "GET", "k") == .bulk(Array("v".utf8)))
        // The follower the last round asked goes down; the next round asks it again and waits.
        let asked = try #require(cluster.readHeartbeats.keys.first)
        cluster.down.insert(asked)
        let answer = Box<Reply?>(nil)
        cluster.runtimes[0].handle([Array("GET".utf8), Array("k".utf8)]) { answer.value = $0 }
        cluster.settle()
        #expect(answer.value == nil, "answered without a quorum's confirmation")
        // raftd's leader sends its periodic heartbeat (to both, with the read) every 5 ticks.
        for _ in 0..<5 {
            cluster.runtimes[0].tick()
            cluster.settle()
        }
        #expect(answer.value == .bulk(Array("v".utf8)))
        // The next round asks the follower that answered instead.
        cluster.readHeartbeats = [:]
        #expect(cluster.command(1, "GET", "k") == .bulk(Array("v".utf8)))
        #expect(cluster.readHeartbeats[asked] == nil)
    }
}
