import NIOCore

/// A bounded FIFO of encoded frames that drops its oldest frames when full (see docs/wire-format.md §6
/// for why the oldest).
struct FrameQueue {
    let capacityFrames: Int
    let capacityBytes: Int
    private(set) var frames = CircularBuffer<ByteBuffer>()
    private(set) var queuedBytes = 0

    init(capacityFrames: Int, capacityBytes: Int) {
        self.capacityFrames = capacityFrames
        self.capacityBytes = capacityBytes
    }

    var isEmpty: Bool { frames.isEmpty }
    var count: Int { frames.count }

    /// Appends `frame`; returns how many older frames were dropped to make room.
    mutating func append(_ frame: ByteBuffer) -> Int {
        frames.append(frame)
        queuedBytes += frame.readableBytes
        var dropped = 0
        // The newest frame always stays, even alone above the byte capacity: it was under the frame limit.
        while frames.count > 1 && (frames.count > capacityFrames || queuedBytes > capacityBytes) {
            queuedBytes -= frames.removeFirst().readableBytes
            dropped += 1
        }
        assert(frames.count <= capacityFrames || capacityFrames < 1)
        return dropped
    }

    /// Removes and returns the oldest frame.
    mutating func popFirst() -> ByteBuffer? {
        guard let frame = frames.popFirst() else { return nil }
        queuedBytes -= frame.readableBytes
        return frame
    }

    /// Empties the queue; returns how many frames were discarded.
    mutating func removeAll() -> Int {
        defer { frames.removeAll(); queuedBytes = 0 }
        return frames.count
    }
}
