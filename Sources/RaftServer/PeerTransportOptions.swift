import NIOCore

/// Settings of the peer transport.
public struct PeerTransportOptions: Sendable {
    /// Largest frame payload sent or accepted.
    public var maxPayloadBytes: Int
    /// Frames queued per peer before the oldest is dropped.
    public var queueCapacityFrames: Int
    /// Bytes queued per peer before the oldest frames are dropped.
    public var queueCapacityBytes: Int
    /// First wait before redialling a peer that could not be reached.
    public var initialBackoff: TimeAmount
    /// Longest wait between dials (the backoff doubles up to this).
    public var maxBackoff: TimeAmount
    /// How long one dial may take.
    public var connectTimeout: TimeAmount
    /// How long a connection may stay unwritable (its buffers full, nothing drained) before it is
    /// dropped and redialled: a peer that stopped reading, or a path that silently lost it.
    public var writeStallTimeout: TimeAmount
    /// Inbound peer connections open at once; one more is closed at once with a `warn` line. A
    /// member holds one per peer that dials it (two while a peer redials), so the default leaves
    /// room for large clusters while bounding what a stray client can hold open.
    public var maxInboundConnections: Int
    /// Snapshot data bytes per chunk frame; a snapshot message whose payload is larger is sent in
    /// chunks of this size (or less, to stay under `maxPayloadBytes`), one at a time.
    public var snapshotChunkBytes: Int
    /// The largest snapshot (its data) put together from chunks; a larger one is refused at its first chunk.
    public var maxSnapshotBytes: Int
    /// How long the same chunked snapshot is not sent again once all of it went out on a connection
    /// that is still up (the follower is installing it); a lost connection ends the wait at once.
    public var snapshotResendInterval: TimeAmount

    /// Creates options; the defaults suit a LAN cluster with 10 ms ticks.
    public init(
        maxPayloadBytes: Int = PeerWire.defaultMaxPayloadBytes, queueCapacityFrames: Int = 4096,
        queueCapacityBytes: Int = 64 << 20, initialBackoff: TimeAmount = .milliseconds(50),
        maxBackoff: TimeAmount = .seconds(2), connectTimeout: TimeAmount = .seconds(1),
        writeStallTimeout: TimeAmount = .seconds(10), maxInboundConnections: Int = 256,
        snapshotChunkBytes: Int = PeerWire.defaultSnapshotChunkBytes,
        maxSnapshotBytes: Int = PeerWire.defaultMaxSnapshotBytes,
        snapshotResendInterval: TimeAmount = .seconds(10)
    ) {
        precondition(queueCapacityFrames >= 1 && queueCapacityBytes >= 1, "a send queue holds at least one frame")
        precondition(initialBackoff > .zero && maxBackoff >= initialBackoff, "backoff must grow from a positive start")
        self.maxPayloadBytes = maxPayloadBytes
        self.queueCapacityFrames = queueCapacityFrames
        self.queueCapacityBytes = queueCapacityBytes
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.connectTimeout = connectTimeout
        self.writeStallTimeout = writeStallTimeout
        precondition(maxInboundConnections >= 1, "a transport takes at least one inbound connection")
        self.maxInboundConnections = maxInboundConnections
        precondition(snapshotChunkBytes >= 1 && maxSnapshotBytes >= 0, "a chunk carries at least one byte")
        self.snapshotChunkBytes = snapshotChunkBytes
        self.maxSnapshotBytes = maxSnapshotBytes
        self.snapshotResendInterval = snapshotResendInterval
    }
}
