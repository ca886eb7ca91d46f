import Foundation
import Testing
import Chaos
#if canImport(Glibc)
    import Glibc
#endif

/// Three (then four) real raftd processes on loopback: election, writes and reads over RESP,
/// -MOVED from a follower, kill -9 of the leader, restart and catch-up, a node added with --join
/// and RAFT ADD, one removed, a clean stop, and logdump on every data directory.
/// Serialized: the two tests start processes and must not share the machine's two cores at once.
@Suite(.serialized) struct RaftdProcessTests {
    @Test func threeNodesSurviveTheLeadersKillAndChangeMembership() throws {
        let cluster = try RaftdCluster(name: "tour", ids: [1, 2, 3])
        for id in [1, 2, 3] { try cluster.start(id) }
        #expect(cluster.waitUntil(seconds: 15) { cluster.leader(among: [1, 2, 3]) != nil }, "no leader: \(cluster.log(1))")
        let first = try #require(cluster.leader(among: [1, 2, 3]))
        let follower = [1, 2, 3].first { $0 != first }!

        // Writes through the leader; a follower redirects to it.
        for k in 0..<20 { #expect(cluster.call(first, "SET", "k\(k)", "v\(k)") == .status("OK")) }
        #expect(cluster.call(first, "INCR", "counter") == .integer(1))
        #expect(cluster.call(first, "GET", "k7") == .bulk("v7"))
        let redirect = cluster.client(follower)?.call("GET", "k7")
        #expect(redirect == .error("MOVED 0 127.0.0.1:\(cluster.members[first]!.clientPort)"))
        #expect(cluster.call(follower, "GET", "k7") == .bulk("v7"), "following -MOVED reaches the leader")

        // kill -9 the leader: a new one within a few seconds, and every acknowledged write is there.
        cluster.kill9(first)
        let survivors = [1, 2, 3].filter { $0 != first }
        let killedAt = Date()
        #expect(cluster.waitUntil(seconds: 10) { cluster.leader(among: survivors) != nil })
        let failover = Date().timeIntervalSince(killedAt)
        print("raftd: a new leader \(String(format: "%.2f", failover)) s after kill -9 of n\(first)")
        let second = try #require(cluster.leader(among: survivors))
        for k in 0..<20 { #expect(cluster.call(second, "GET", "k\(k)") == .bulk("v\(k)")) }
        #expect(cluster.call(second, "INCR", "counter") == .integer(2))
        for k in 20..<60 { #expect(cluster.call(second, "SET", "k\(k)", "v\(k)") == .status("OK")) }

        // The old leader restarts from its disk and catches up (by snapshot: the log compacts every 40 entries).
        try cluster.start(first)
        let target = Int(cluster.status(second)?["commit_index"] ?? "0") ?? 0
        #expect(
            cluster.waitUntil(seconds: 10) { (Int(cluster.status(first)?["applied_index"] ?? "0") ?? 0) >= target },
            "n\(first) did not catch up: \(cluster.log(first).suffix(2000))")

        // A fourth node joins empty (knowing where the members listen) and is added; then one voter is removed.
        try cluster.addMember(4)
        try cluster.start(4, join: true)
        let leaderNow = try #require(cluster.leader(among: [1, 2, 3]))
        #expect(cluster.call(leaderNow, "RAFT", "ADD", "4", "127.0.0.1:\(cluster.members[4]!.peerPort)") == .status("OK"))
        #expect(
            cluster.waitUntil(seconds: 10) { cluster.status(4)?["voters"] == "1,2,3,4" && cluster.call(4, "GET", "k59") == .bulk("v59") },
            "n4 did not join: \(cluster.status(4) ?? [:])")
        let removed = [1, 2, 3].first { $0 != leaderNow }!
        #expect(cluster.call(leaderNow, "RAFT", "REMOVE", "\(removed)") == .status("OK"))
        let remaining = [1, 2, 3, 4].filter { $0 != removed }
        #expect(
            cluster.waitUntil(seconds: 10) {
                remaining.allSatisfy { (cluster.status($0)?["voters"] ?? "") == remaining.map(String.init).joined(separator: ",") }
            })
        #expect(cluster.call(leaderNow, "SET", "last", "write") == .status("OK"))
        let finalCommit = Int(cluster.status(leaderNow)?["commit_index"] ?? "0") ?? 0
        #expect(cluster.waitUntil(seconds: 10) { remaining.allSatisfy { (Int(cluster.status($0)?["applied_index"] ?? "0") ?? 0) >= finalCommit } })

        // Clean stop; every directory verifies, and the logs agree on what they share.
        for id in [1, 2, 3, 4] where cluster.members[id]?.process != nil { #expect(cluster.stop(id), "n\(id) did not stop cleanly") }
        for id in [1, 2, 3, 4] {
            let (status, output) = try cluster.logdump(["verify", cluster.members[id]!.directory])
            #expect(status == 0, "logdump verify n\(id): \(output)")
        }
        for id in remaining where id != leaderNow {
            let (status, output) = try cluster.logdump(["diff", cluster.members[leaderNow]!.directory, cluster.members[id]!.directory])
            #expect(status == 0, "logdump diff n\(leaderNow) n\(id): \(output)")
        }
    }

    @Test func garbageOnBothPortsLeavesTheClusterServing() throws {
        let cluster = try RaftdCluster(name: "garbage", ids: [1, 2, 3])
        for id in [1, 2, 3] { try cluster.start(id) }
        #expect(cluster.waitUntil(seconds: 15) { cluster.leader(among: [1, 2, 3]) != nil })
        let leader = try #require(cluster.leader(among: [1, 2, 3]))
        var generator = SystemRandomNumberGenerator()
        for id in [1, 2, 3] {
            // Random bytes, a huge bulk length, and a truncated frame header on the peer port.
            let junk = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = RESPClient(port: cluster.members[id]!.clientPort)?.sendRaw(junk)
            _ = RESPClient(port: cluster.members[id]!.clientPort)?.sendRaw(Array("*1\r\n$999999999999\r\n".utf8))
            _ = RESPClient(port: cluster.members[id]!.peerPort)?.sendRaw(junk)
            _ = RESPClient(port: cluster.members[id]!.peerPort)?.sendRaw([0x52, 0x46, 0x01])
        }
        #expect(cluster.call(leader, "SET", "still", "serving") == .status("OK"))
        #expect(cluster.call(1, "GET", "still") == .bulk("serving"))
        #expect([1, 2, 3].allSatisfy { cluster.members[$0]!.process?.isRunning == true })
        for id in [1, 2, 3] { #expect(cluster.stop(id)) }
    }

    @Test func aSecondRaftdOnTheSameDirectoryIsRefused() throws {
        let cluster = try RaftdCluster(name: "lock", ids: [1])
        try cluster.start(1)
        #expect(cluster.waitUntil(seconds: 10) { cluster.status(1)?["role"] == "leader" })
        let second = Process()
        second.executableURL = cluster.binaries.appendingPathComponent("raftd")
        second.arguments = [
            "--id", "1", "--peers", cluster.peers(), "--listen", "127.0.0.1:\(try RaftdCluster.freePort())",
            "--data-dir", cluster.members[1]!.directory,
        ]
        let pipe = Pipe()
        second.standardError = pipe
        try second.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        second.waitUntilExit()
        #expect(second.terminationStatus != 0)
        #expect(output.contains("in use"), "\(output)")
        #expect(cluster.call(1, "SET", "a", "b") == .status("OK"), "the first keeps serving")
        #expect(cluster.stop(1))
    }

    /// A snapshot many times the peer frame limit reaches a follower in chunks (a 16 KiB limit stands
    /// for the real 64 MiB one), and the follower serves what it holds once it leads.
    @Test func aSnapshotAboveTheFrameLimitReachesAFollowerInChunks() throws {
        let cluster = try RaftdCluster(name: "chunks", ids: [1, 2, 3])
        cluster.extraArguments = ["--max-frame-bytes", "16384"]
        for id in [1, 2, 3] { try cluster.start(id) }
        #expect(cluster.waitUntil(seconds: 15) { cluster.leader(among: [1, 2, 3]) != nil })
        let leader = try #require(cluster.leader(among: [1, 2, 3]))
        let behind = [1, 2, 3].first { $0 != leader }!
        #expect(cluster.stop(behind))
        // About 90 KB of state, while the log compacts every 40 entries: n\(behind) can only catch up by snapshot.
        let value = String(repeating: "v", count: 300)
        for k in 0..<300 { #expect(cluster.call(leader, "SET", "k\(k)", "\(k)\(value)") == .status("OK")) }
        #expect(Int(cluster.status(leader)?["snapshot_index"] ?? "0") ?? 0 > 40)
        try cluster.start(behind)
        let target = Int(cluster.status(leader)?["commit_index"] ?? "0") ?? 0
        #expect(
            cluster.waitUntil(seconds: 20) { (Int(cluster.status(behind)?["applied_index"] ?? "0") ?? 0) >= target },
            "n\(behind) did not catch up: \(cluster.log(behind).suffix(2000))")
        #expect(cluster.log(leader).contains("n\(behind): sending the snapshot at index"), "sent in chunks")
        #expect(!cluster.log(behind).contains("warn"), "\(cluster.log(behind).suffix(2000))")
        // The follower's state came from the rebuilt snapshot: make it lead and read it back.
        #expect(cluster.call(leader, "RAFT", "TRANSFER", "\(behind)") == .status("OK"))
        #expect(cluster.waitUntil(seconds: 10) { cluster.status(behind)?["role"] == "leader" })
        for k in stride(from: 0, to: 300, by: 37) { #expect(cluster.call(behind, "GET", "k\(k)") == .bulk("\(k)\(value)")) }
        for id in [1, 2, 3] { #expect(cluster.stop(id)) }
    }
}
