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

    /// Creates options; the defaults suit a LAN cluster with 10 ms ticks.
    public init(maxPayloadBytes: Int = PeerWire.defaultMaxPayloadBytes, queueCapacityFrames: Int = 4096,
                queueCapacityBytes: Int = 64 << 20, initialBackoff: TimeAmount = .milliseconds(50),
                maxBackoff: TimeAmount = .seconds(2), connectTimeout: TimeAmount = .seconds(1),
                writeStallTimeout: TimeAmount = .seconds(10)) {
        precondition(queueCapacityFrames >= 1 && queueCapacityBytes >= 1, "a send queue holds at least one frame")
        precondition(initialBackoff > .zero && maxBackoff >= initialBackoff, "backoff must grow from a positive start")
        self.maxPayloadBytes = maxPayloadBytes
        self.queueCapacityFrames = queueCapacityFrames
        self.queueCapacityBytes = queueCapacityBytes
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.connectTimeout = connectTimeout
        self.writeStallTimeout = writeStallTimeout
    }
}
