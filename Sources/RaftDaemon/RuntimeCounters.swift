import RaftCore

/// What a node's runtime did since it started, for `RAFT STATS` (issue 12 §5: how many entries
/// ride on each Ready, append and fsync, how many messages each write costs). Touched only on
/// the node's thread.
public struct RuntimeCounters: Sendable {
    /// Flushes run (each handles every Ready the inputs before it made).
    public var flushes = 0
    /// Readys handled.
    public var readys = 0
    /// Readys that persisted entries, and the entries they persisted.
    public var entryReadys = 0
    /// Entries persisted (leader: proposed; follower: received).
    public var entries = 0
    /// Batches proposed by a flush, and the client commands in them.
    public var proposalBatches = 0
    /// Client commands proposed.
    public var proposedCommands = 0
    /// Writes handed to the disk thread (each one `fdatasync` when it has entries).
    public var diskWrites = 0
    /// Time the disk thread's writes took, summed: from submission until the completion reached
    /// the node's thread (the write, its `fdatasync` and the two hand-overs), in microseconds.
    public var diskWriteMicroseconds = 0
    /// ReadIndex rounds started, and the reads they carried.
    public var readRounds = 0
    /// Reads carried by those rounds.
    public var reads = 0
    /// Messages sent, by kind: appends with entries, appends without (probes, commit notices),
    /// heartbeats, everything else.
    public var sentAppends = 0
    /// Appends without entries sent (commit notices, probes).
    public var sentEmptyAppends = 0
    /// Heartbeats sent.
    public var sentHeartbeats = 0
    /// Other messages sent (responses, votes…).
    public var sentOther = 0
    /// Messages received from peers.
    public var received = 0

    /// Counts messages handed to the transport.
    mutating func countSent(_ messages: [Message]) {
        for message in messages {
            switch message {
            case .append(let append):
                if append.entries.isEmpty { sentEmptyAppends += 1 } else { sentAppends += 1 }
            case .heartbeat: sentHeartbeats += 1
            default: sentOther += 1
            }
        }
    }

    /// `key:value` lines.
    public var lines: [String] {
        [
            "flushes:\(flushes)", "readys:\(readys)", "entry_readys:\(entryReadys)", "entries:\(entries)",
            "proposal_batches:\(proposalBatches)", "proposed_commands:\(proposedCommands)",
            "disk_writes:\(diskWrites)", "disk_write_us:\(diskWriteMicroseconds)", "read_rounds:\(readRounds)", "reads:\(reads)",
            "sent_appends:\(sentAppends)", "sent_empty_appends:\(sentEmptyAppends)",
            "sent_heartbeats:\(sentHeartbeats)", "sent_other:\(sentOther)", "received:\(received)",
        ]
    }
}
