import RaftCore
import RaftHost

/// Where each member listens: its peer address (Raft messages) and its client address (RESP).
public struct MemberAddress: Equatable, Sendable {
    /// `HOST:PORT` for peers.
    public var peer: String
    /// `HOST:PORT` for clients; empty until the member has led once and published it.
    public var client: String

    /// An address pair.
    public init(peer: String, client: String) {
        self.peer = peer
        self.client = client
    }
}

/// A state machine wrapped with the cluster's member directory, so that every member learns
/// the others' addresses through the log (and a snapshot keeps them):
/// - a leader publishes its own peer and client addresses when it takes office, so followers can
///   send clients to it (`-MOVED`);
/// - `RAFT ADD` publishes the new member's peer address before the membership change, so
///   every member can dial it.
///
/// Directory updates are log entries whose first byte is `0xFE` (never the first byte of UTF-8
/// text, nor `BinaryCommand.marker`); every other command goes to the wrapped machine.
/// Queries are batched: one ReadIndex round answers every read that arrived together.
public struct DaemonMachine<Inner: StateMachine>: StateMachine {
    /// The application's state machine.
    public private(set) var inner: Inner
    /// The members' addresses, by id.
    public private(set) var directory: [NodeID: MemberAddress] = [:]

    /// The first byte of a directory update.
    public static var directoryMarker: UInt8 { 0xFE }

    /// An empty machine and directory.
    public init() { inner = Inner() }

    /// The inner machine's answer; nil for a directory update.
    public typealias Response = Inner.Response?
    /// Several reads answered together.
    public typealias Query = [Inner.Query]
    /// Their answers, in order.
    public typealias QueryResult = [Inner.QueryResult]

    /// Applies a directory update, or hands the command to the inner machine.
    public mutating func apply(_ command: [UInt8], index: UInt64) -> Inner.Response? {
        guard command.first == Self.directoryMarker else { return inner.apply(command, index: index) }
        if let (id, address) = Self.decodeUpdate(command) { directory[id] = address }
        inner.skip(index: index)
        return nil
    }

    /// Passes the index on to the inner machine.
    public mutating func skip(index: UInt64) { inner.skip(index: index) }

    /// Answers each read from the inner machine.
    public func query(_ queries: [Inner.Query]) -> [Inner.QueryResult] { queries.map { inner.query($0) } }

    /// `DM1`, the directory (u32 count; per member sorted by id: u64 id, peer, client as
    /// u32-length strings), then the inner machine's snapshot.
    public func snapshot() -> [UInt8] {
        var out: [UInt8] = Array("DM1".utf8)
        ByteWriter.appendU32(UInt32(directory.count), to: &out)
        for id in directory.keys.sorted() {
            ByteWriter.appendU64(id, to: &out)
            ByteWriter.appendString(directory[id]!.peer, to: &out)
            ByteWriter.appendString(directory[id]!.client, to: &out)
        }
        out.append(contentsOf: inner.snapshot())
        return out
    }

    /// Reads back `snapshot()`'s bytes.
    public mutating func restore(_ bytes: [UInt8]) throws(StateMachineError) {
        var reader = ByteReader(bytes: bytes)
        guard bytes.starts(with: Array("DM1".utf8)) else { throw StateMachineError("not a raftd snapshot (no DM1 header)") }
        reader.position = 3
        guard let count = reader.u32(), count <= 1 << 20 else { throw StateMachineError("a raftd snapshot's directory does not decode") }
        var restored: [NodeID: MemberAddress] = [:]
        for _ in 0..<count {
            guard let id = reader.u64(), let peer = reader.string(), let client = reader.string() else {
                throw StateMachineError("a raftd snapshot's directory does not decode")
            }
            restored[id] = MemberAddress(peer: peer, client: client)
        }
        var machine = Inner()
        try machine.restore(Array(bytes[reader.position...]))
        inner = machine
        directory = restored
    }

    /// The command that records `address` for member `id`.
    public static func update(_ id: NodeID, _ address: MemberAddress) -> [UInt8] {
        var out: [UInt8] = [directoryMarker]
        ByteWriter.appendU64(id, to: &out)
        ByteWriter.appendString(address.peer, to: &out)
        ByteWriter.appendString(address.client, to: &out)
        return out
    }

    static func decodeUpdate(_ bytes: [UInt8]) -> (NodeID, MemberAddress)? {
        var reader = ByteReader(bytes: bytes)
        reader.position = 1
        guard let id = reader.u64(), let peer = reader.string(), let client = reader.string(), reader.position == bytes.count else { return nil }
        return (id, MemberAddress(peer: peer, client: client))
    }
}
