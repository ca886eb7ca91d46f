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
    /// Disk thread writes that took more than 5 ms, and the longest one (microseconds).
    public var slowDiskWrites = 0
    /// The longest disk thread write, in microseconds.
    public var maxDiskWriteMicroseconds = 0
    /// Flushes (the node's Ready loop, with a follower's inline writes and any compaction) that
    /// held the node's thread more than 5 ms, and the longest one (microseconds).
    public var slowFlushes = 0
    /// The longest flush, in microseconds.
    public var maxFlushMicroseconds = 0
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

    /// Records a disk thread write that took `microseconds`.
    mutating func countDiskWrite(microseconds: Int) {
        diskWriteMicroseconds += microseconds
        if microseconds > 5_000 { slowDiskWrites += 1 }
        maxDiskWriteMicroseconds = max(maxDiskWriteMicroseconds, microseconds)
    }

    /// Records a flush that took `microseconds`.
    mutating func countFlush(microseconds: Int) {
        if microseconds > 5_000 { slowFlushes += 1 }
        maxFlushMicroseconds = max(maxFlushMicroseconds, microseconds)
    }

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
            "disk_writes:\(diskWrites)", "disk_write_us:\(diskWriteMicroseconds)",
            "slow_disk_writes:\(slowDiskWrites)", "max_disk_write_us:\(maxDiskWriteMicroseconds)", "slow_flushes:\(slowFlushes)",
            "max_flush_us:\(maxFlushMicroseconds)", "read_rounds:\(readRounds)", "reads:\(reads)",
            "sent_appends:\(sentAppends)", "sent_empty_appends:\(sentEmptyAppends)",
            "sent_heartbeats:\(sentHeartbeats)", "sent_other:\(sentOther)", "received:\(received)",
        ]
    }
}
