// raftd: a Raft node over TCP serving the key-value store. The node is RaftDaemon; the network RaftServer.
import ArgumentParser
import RaftDaemon
import RaftHost

/// `raftd`'s command line.
struct RaftdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raftd",
        abstract: "A Raft node over TCP, serving a replicated key-value store to Redis clients (RESP2).",
        discussion: """
            Start three nodes (each in its own terminal, or in the background):
              raftd --id 1 --listen 127.0.0.1:6001 --data-dir /tmp/r1 \\
                    --peers 1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003
              raftd --id 2 --listen 127.0.0.1:6002 --data-dir /tmp/r2 --peers …
              raftd --id 3 --listen 127.0.0.1:6003 --data-dir /tmp/r3 --peers …
            then `redis-cli -c -p 6001 SET greeting hello`. Writes are answered once
            applied on the leader (a majority has them on disk); GET is linearizable
            (ReadIndex); followers answer -MOVED with the leader's client address.
            `RAFT STATUS|ADD|REMOVE|PROMOTE|TRANSFER|COMPACT` administer the cluster
            over the same port.

            A restart with the same --data-dir recovers from disk; the initial
            membership is kept in DIR/raftd.members, so --peers then only tells where
            peers listen. --join starts an empty node that waits until the leader adds
            it (`RAFT ADD ID HOST:PORT`). SIGTERM or SIGINT stop it cleanly; kill -9
            loses nothing that was acknowledged. Log lines go to stderr.
            """)

    @OptionGroup var node: NodeOptions

    func run() throws {
        try runKeyValueDaemon(options: node)
    }
}

RaftdCommand.main()
