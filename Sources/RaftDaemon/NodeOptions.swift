import ArgumentParser
import RaftCore
import RaftServer
#if canImport(Glibc)
    import Glibc
#endif

/// The options every node takes (`raftd`'s, and those of a service built on RaftDaemon).
public struct NodeOptions: ParsableArguments {
    /// Options parsed from the command line.
    public init() {}

    /// This node's id.
    @Option(help: "This node's id (a positive integer).")
    public var id: UInt64

    /// Every initial member's peer address, `ID=HOST:PORT,…`.
    @Option(help: "Every initial member's peer address, this node's included: ID=HOST:PORT,… (with --join: the current members' and this node's).")
    public var peers: String

    /// Where clients connect, `HOST:PORT`.
    @Option(help: "Where clients connect (RESP2): HOST:PORT.")
    public var listen: String

    /// Where the log, hard state and snapshots live.
    @Option(name: .customLong("data-dir"), help: "The node's data directory (created when missing; locked while the node runs).")
    public var dataDirectory: String

    /// Start empty and wait to be added.
    @Flag(help: "Start empty and wait to be added by the leader (RAFT ADD).")
    public var join = false

    /// Wall-clock milliseconds per tick.
    @Option(name: .customLong("tick-ms"), help: "Milliseconds per tick of logical time.")
    public var tickMilliseconds = 10

    /// Base election timeout in ticks.
    @Option(name: .customLong("election-ticks"), help: "Base election timeout in ticks (randomized in [N, 2N)).")
    public var electionTicks = 30

    /// Heartbeat interval in ticks.
    @Option(name: .customLong("heartbeat-ticks"), help: "Ticks between a leader's heartbeats.")
    public var heartbeatTicks = 5

    /// Applied entries between automatic snapshots (0: never).
    ///
    /// Every snapshot serializes the whole store (the key-value store sorts its keys, for a
    /// canonical form) and holds the node's loop meanwhile, so it costs per snapshot, not per
    /// entry: every 10,000 entries, with 10,000 keys, it took 4–8 % of a follower's CPU under SETs.
    /// 100,000 is etcd's default (`--snapshot-count`); with 100-byte values the entries kept in
    /// memory between snapshots then cost about 30 MB (`docs/raftd.md`, Performance).
    @Option(
        name: .customLong("snapshot-entries"),
        help: "Compact once this many applied entries follow the snapshot (0: never). 100000 is etcd's default too.")
    public var snapshotEntries = 100_000

    /// Client connections accepted at once.
    @Option(name: .customLong("max-clients"), help: "Client connections open at once; one more is answered -ERR max number of clients reached.")
    public var maxClients = 10_000

    /// Peer connections accepted at once.
    @Option(name: .customLong("max-peer-connections"), help: "Inbound peer connections open at once; one more is closed.")
    public var maxPeerConnections = 256

    /// The largest peer frame payload sent or accepted.
    @Option(
        name: .customLong("max-frame-bytes"),
        help: "Largest peer frame payload sent or accepted; larger snapshots go in chunks (every member should use the same).")
    public var maxFrameBytes = PeerWire.defaultMaxPayloadBytes

    /// Event-loop threads (1: node, peers and clients on one); writes and fsyncs have a disk thread of their own either way.
    @Option(
        help:
            "1: node and network share one event loop (fewer wake-ups and hops, less CPU); 2: the network has its own. Writes and fsyncs run on a disk thread either way."
    )
    public var threads = 1

    /// The lowest log level written to stderr.
    @Option(name: .customLong("log-level"), help: "error, warn, info or debug.")
    public var logLevel = "info"

    /// TEST ONLY: answer GET from the local state on any node, without ReadIndex — stale reads, a
    /// deliberate violation so the fault campaign (issue 13, docs/chaos.md) can show it catches one.
    @Flag(name: .customLong("unsafe-local-reads"), help: .hidden)
    public var unsafeLocalReads = false

    /// The smallest `--max-frame-bytes`: room for a vote, an append of a few small entries, and a
    /// snapshot chunk's fields with a large configuration.
    public static let minimumFrameBytes = 4096

    /// The environment variable that must be `1` for `--unsafe-local-reads` to be accepted.
    public static let unsafeTestingVariable = "RAFTD_UNSAFE_TESTING"

    /// The parsed `--peers`.
    public var peerMap: [NodeID: String] {
        get throws {
            var map: [NodeID: String] = [:]
            for item in peers.split(separator: ",", omittingEmptySubsequences: true) {
                let parts = item.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, let peerID = NodeID(parts[0]), peerID > 0 else {
                    throw ValidationError("--peers: '\(item)' is not ID=HOST:PORT")
                }
                guard AddressParser.split(String(parts[1])) != nil else {
                    throw ValidationError("--peers: '\(parts[1])' is not HOST:PORT with a port in 1…65535")
                }
                guard map[peerID] == nil else { throw ValidationError("--peers names \(peerID) twice") }
                map[peerID] = String(parts[1])
            }
            return map
        }
    }

    /// The core's configuration for this node: timing from the options, pre-vote and check-quorum
    /// on, read rounds that ask a quorum only (`Config.readRoundsAskQuorumOnly`: a follower not
    /// needed to confirm a round is spared its heartbeat and answer), appends kept well under the
    /// frame limit. The election seed is the daemon's to draw.
    public func coreConfig() -> Config {
        var config = Config(id: id)
        config.electionTicks = electionTicks
        config.heartbeatTicks = heartbeatTicks
        config.preVote = true
        config.checkQuorum = true
        config.readRoundsAskQuorumOnly = true
        // An append must fit in one peer frame (entries are not chunked, snapshots are): keep the
        // core's batches well under the frame limit.
        config.maxAppendBytes = min(config.maxAppendBytes, maxFrameBytes / 2)
        return config
    }

    /// Checks the options together.
    public func validate() throws {
        guard id > 0 else { throw ValidationError("--id must be a positive integer") }
        let map = try peerMap
        guard map[id] != nil else { throw ValidationError("--peers must name this node (\(id)) with its peer address") }
        guard AddressParser.split(listen) != nil else { throw ValidationError("--listen: '\(listen)' is not HOST:PORT") }
        guard (1...10_000).contains(tickMilliseconds) else { throw ValidationError("--tick-ms must be 1…10000") }
        guard heartbeatTicks >= 1, electionTicks > heartbeatTicks, electionTicks <= 10_000 else {
            throw ValidationError("need 1 ≤ --heartbeat-ticks < --election-ticks ≤ 10000")
        }
        guard maxClients >= 1, maxPeerConnections >= 1 else { throw ValidationError("--max-clients and --max-peer-connections must be at least 1") }
        guard maxFrameBytes >= Self.minimumFrameBytes && maxFrameBytes <= Int(UInt32.max) else {
            throw ValidationError("--max-frame-bytes must be \(Self.minimumFrameBytes)…\(UInt32.max)")
        }
        guard threads == 1 || threads == 2 else { throw ValidationError("--threads must be 1 or 2") }
        guard snapshotEntries >= 0 else { throw ValidationError("--snapshot-entries must be 0 or more") }
        guard ["error", "warn", "info", "debug"].contains(logLevel) else { throw ValidationError("--log-level: error, warn, info or debug") }
        if unsafeLocalReads, getenv(Self.unsafeTestingVariable).map({ String(cString: $0) }) != "1" {
            throw ValidationError("--unsafe-local-reads breaks linearizability and is for tests only: it needs \(Self.unsafeTestingVariable)=1")
        }
    }
}
