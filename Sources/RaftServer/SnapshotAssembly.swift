import RaftCore
import Synchronization

/// Rebuilds `InstallSnapshot` messages from their chunks (docs/wire-format.md §3.1), for every
/// inbound connection of one transport.
///
/// Memory is bounded: at most one unfinished snapshot per peer (keyed by the chunks' `from`) and
/// per connection, each at most `maxSnapshotBytes`, and a partial buffer never holds more than
/// the bytes actually received. A chunk that does not continue its peer's partial snapshot exactly
/// (out of order, a gap, a duplicate, another snapshot, more bytes than the announced total) drops
/// the partial state with one `warn` line; the rest of that snapshot's
/// chunks are then skipped quietly until a new snapshot starts at offset 0. A late chunk on an older
/// connection is ignored: a sender starts over on its new connection. Nothing here throws or
/// traps: Raft resends a snapshot the follower did not acknowledge.
public final class SnapshotAssembly: Sendable {
    /// Identifies the connection a chunk came in on (one per inbound connection's decoder).
    public struct Owner: Hashable, Sendable {
        fileprivate let value: UInt64
    }

    /// Counts for tests and logs.
    public struct Statistics: Equatable, Sendable {
        /// Snapshots rebuilt whole and handed on.
        public var assembled = 0
        /// Partial (or refused) snapshots dropped.
        public var dropped = 0
        /// Bytes held in unfinished snapshots now.
        public var partialBytes = 0
    }

    /// The largest snapshot (its data) accepted; a larger announced total is refused at its first chunk.
    public let maxSnapshotBytes: Int
    private let log: ServerLog?
    private let state = Mutex(State())

    /// One peer's progress.
    private enum Slot {
        /// Chunks received so far; `data.count` is the next expected offset.
        case assembling(first: SnapshotChunk, owner: Owner, data: [UInt8])
        /// A snapshot given up on; its remaining chunks are skipped without a log line each.
        case discarding(first: SnapshotChunk, owner: Owner)

        var owner: Owner {
            switch self {
            case .assembling(_, let owner, _), .discarding(_, let owner): return owner
            }
        }
    }

    private struct State {
        var slots: [NodeID: Slot] = [:]
        var nextOwner: UInt64 = 1
        var statistics = Statistics()
    }

    /// At most this many peers are remembered as `discarding` (their memory is a chunk header each).
    private static let maxDiscardingSlots = 64

    /// Creates an empty assembly.
    public init(maxSnapshotBytes: Int = PeerWire.defaultMaxSnapshotBytes, log: ServerLog? = nil) {
        precondition(maxSnapshotBytes >= 0, "a negative snapshot limit")
        self.maxSnapshotBytes = maxSnapshotBytes
        self.log = log
    }

    /// A new connection's identity.
    public func makeOwner() -> Owner {
        state.withLock { state in
            defer { state.nextOwner += 1 }
            return Owner(value: state.nextOwner)
        }
    }

    /// What the assembly has done so far.
    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// Takes one chunk received on `owner`'s connection; returns the whole message when `chunk` completes it.
    public func accept(_ chunk: SnapshotChunk, owner: Owner) -> Message? {
        let (message, lines) = state.withLock { state -> (Message?, [String]) in
            var lines: [String] = []
            let message =
                chunk.offset == 0
                ? start(chunk, owner: owner, state: &state, lines: &lines)
                : proceed(chunk, owner: owner, state: &state, lines: &lines)
            state.statistics.partialBytes = state.slots.values.reduce(0) {
                if case .assembling(_, _, let data) = $1 { return $0 + data.count } else { return $0 }
            }
            return (message, lines)
        }
        for line in lines { log?.warn(line) }
        return message
    }

    /// The connection ended: whatever it was assembling is dropped (a reconnecting sender starts over).
    public func release(owner: Owner) {
        let lines = state.withLock { state -> [String] in
            var lines: [String] = []
            for (peer, slot) in state.slots where slot.owner == owner {
                if case .assembling(let first, _, let data) = slot {
                    lines.append("dropping the unfinished snapshot from n\(peer) (\(describe(first, received: data.count))): its connection ended")
                    state.statistics.dropped += 1
                    state.statistics.partialBytes -= data.count
                }
                state.slots[peer] = nil
            }
            return lines
        }
        for line in lines { log?.info(line) }
    }

    /// A chunk at offset 0: a new snapshot, replacing whatever its peer (or its connection) had unfinished.
    private func start(_ chunk: SnapshotChunk, owner: Owner, state: inout State, lines: inout [String]) -> Message? {
        let peer = chunk.from
        if case .assembling(let first, _, let data)? = state.slots[peer] {
            lines.append("dropping the unfinished snapshot from n\(peer) (\(describe(first, received: data.count))): a new snapshot starts")
            state.statistics.dropped += 1
        }
        state.slots[peer] = nil
        for (other, slot) in state.slots where slot.owner == owner {
            if case .assembling(let first, _, let data) = slot {
                lines.append(
                    "dropping the unfinished snapshot from n\(other) (\(describe(first, received: data.count))): its connection starts one from n\(peer)"
                )
                state.statistics.dropped += 1
            }
            state.slots[other] = nil
        }
        if let problem = startProblem(chunk) {
            lines.append("refusing the snapshot from n\(peer) (index \(chunk.metadata.index)): \(problem)")
            state.statistics.dropped += 1
            discard(chunk, owner: owner, state: &state)
            return nil
        }
        if chunk.isLast {
            state.statistics.assembled += 1
            return whole(chunk, data: chunk.data)
        }
        var header = chunk
        header.data = []
        state.slots[peer] = .assembling(first: header, owner: owner, data: chunk.data)
        return nil
    }

    /// Why a first chunk cannot start a snapshot, or nil.
    private func startProblem(_ chunk: SnapshotChunk) -> String? {
        if chunk.totalBytes > UInt64(maxSnapshotBytes) {
            return "its \(chunk.totalBytes) bytes exceed the limit of \(maxSnapshotBytes) bytes"
        }
        if UInt64(chunk.data.count) > chunk.totalBytes {
            return "size mismatch: the first chunk holds \(chunk.data.count) bytes of a \(chunk.totalBytes)-byte snapshot"
        }
        if chunk.data.isEmpty && chunk.totalBytes > 0 { return "an empty chunk" }
        return nil
    }

    /// A chunk at a later offset: appended when it continues its peer's snapshot exactly.
    private func proceed(_ chunk: SnapshotChunk, owner: Owner, state: inout State, lines: inout [String]) -> Message? {
        let peer = chunk.from
        switch state.slots[peer] {
        case .assembling(_, let holder, _)? where holder != owner:
            // A late chunk on an older connection: the snapshot started since on the newer one is the live one.
            return nil
        case .assembling(let first, let holder, var data)?:
            if let problem = continuationProblem(chunk, first: first, received: data.count) {
                lines.append("dropping the unfinished snapshot from n\(peer) (\(describe(first, received: data.count))): \(problem)")
                state.statistics.dropped += 1
                discard(chunk, owner: owner, state: &state)
                return nil
            }
            state.slots[peer] = nil  // so that `data` is uniquely referenced and grows in place
            data.append(contentsOf: chunk.data)
            guard chunk.isLast else {
                state.slots[peer] = .assembling(first: first, owner: holder, data: data)
                return nil
            }
            state.statistics.assembled += 1
            return whole(first, data: data)
        case .discarding(let first, _)? where first.isSameSnapshot(as: chunk):
            return nil
        default:
            lines.append(
                "ignoring a snapshot chunk from n\(peer) at offset \(chunk.offset) (index \(chunk.metadata.index)): its start was not received")
            discard(chunk, owner: owner, state: &state)
            return nil
        }
    }

    /// Why `chunk` does not continue the partial snapshot `first` (`received` bytes so far), or nil.
    private func continuationProblem(_ chunk: SnapshotChunk, first: SnapshotChunk, received: Int) -> String? {
        if !chunk.isSameSnapshot(as: first) {
            return "a chunk of another snapshot (index \(chunk.metadata.index), term \(chunk.term)) at offset \(chunk.offset)"
        }
        if chunk.offset < UInt64(received) { return "a chunk at offset \(chunk.offset) again (duplicate or out of order; expected \(received))" }
        if chunk.offset > UInt64(received) { return "a gap: a chunk at offset \(chunk.offset), expected \(received)" }
        if chunk.data.isEmpty { return "an empty chunk at offset \(chunk.offset)" }
        if chunk.offset + UInt64(chunk.data.count) > chunk.totalBytes {
            return "size mismatch: a chunk ends at \(chunk.offset + UInt64(chunk.data.count)), beyond the total of \(chunk.totalBytes) bytes"
        }
        return nil
    }

    /// Remembers that the rest of `chunk`'s snapshot is to be skipped.
    private func discard(_ chunk: SnapshotChunk, owner: Owner, state: inout State) {
        var header = chunk
        header.data = []
        state.slots[chunk.from] = .discarding(first: header, owner: owner)
        let discarding = state.slots.filter { if case .discarding = $0.value { return true } else { return false } }
        if discarding.count > Self.maxDiscardingSlots {
            for peer in discarding.keys where peer != chunk.from { state.slots[peer] = nil }
        }
    }

    private func whole(_ first: SnapshotChunk, data: [UInt8]) -> Message {
        assert(UInt64(data.count) == first.totalBytes, "a snapshot is handed on only when complete")
        return .installSnapshot(
            InstallSnapshot(
                from: first.from, to: first.to, term: first.term,
                snapshot: Snapshot(metadata: first.metadata, data: data)))
    }

    private func describe(_ first: SnapshotChunk, received: Int) -> String {
        "index \(first.metadata.index), term \(first.term), \(received) of \(first.totalBytes) bytes"
    }
}
