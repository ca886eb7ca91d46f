import RaftCore
import RaftStorage

/// The membership a node started with, kept in its data directory (`raftd.members`) so that a
/// restart does not depend on the command line: the configuration entries in the log (and the
/// snapshot) say how membership changed since, the bootstrap says where it started.
///
/// Format: text lines, `raftd-members 1`, then `join` (the node started empty, waiting to be
/// added) or one `ID HOST:PORT` line per initial member. Written once, atomically (temporary
/// file, fsync, rename, directory fsync).
public struct Bootstrap: Equatable, Sendable {
    /// The initial members and their peer addresses; empty for a node started with `--join`.
    public var members: [NodeID: String]
    /// Whether the node started empty, waiting to be added.
    public var isJoin: Bool { members.isEmpty }

    /// The file's name inside the data directory.
    public static let fileName = "raftd.members"

    /// A bootstrap with these members (none: `--join`).
    public init(members: [NodeID: String]) { self.members = members }

    /// The starting configuration: every initial member a voter.
    public var configuration: Configuration { Configuration(voters: members.keys.sorted()) }

    /// The file's text.
    public var text: String {
        var lines = ["raftd-members 1"]
        if isJoin { lines.append("join") }
        for id in members.keys.sorted() { lines.append("\(id) \(members[id]!)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Parses the file's text; nil when it is not one.
    public init?(text: String) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        guard lines.first == "raftd-members 1" else { return nil }
        lines.removeFirst()
        if lines == ["join"] { self.members = [:]; return }
        var members: [NodeID: String] = [:]
        for line in lines {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let id = NodeID(parts[0]), id > 0, members[id] == nil else { return nil }
            members[id] = String(parts[1])
        }
        guard !members.isEmpty else { return nil }
        self.members = members
    }

    /// The bootstrap stored in `directory`, or nil when there is none yet.
    public static func read(directory: String, fileSystem: FileSystem) throws(StorageError) -> Bootstrap? {
        let path = Path.join(directory, fileName)
        guard fileSystem.fileExists(atPath: path) else { return nil }
        let bytes = try fileSystem.readFile(atPath: path)
        guard let bootstrap = Bootstrap(text: String(decoding: bytes, as: UTF8.self)) else {
            throw StorageError(.corruption, "\(fileName) is not a raftd members file", path: path)
        }
        return bootstrap
    }

    /// Stores the bootstrap in `directory` durably.
    public func write(directory: String, fileSystem: FileSystem) throws(StorageError) {
        let path = Path.join(directory, Bootstrap.fileName)
        let temporary = path + ".tmp"
        let file = try fileSystem.openFile(atPath: temporary, create: true)
        do {
            try file.truncate(to: 0)
            try file.write(Array(text.utf8), at: 0)
            try file.sync()
        } catch {
            file.close()
            throw error
        }
        file.close()
        try fileSystem.rename(from: temporary, to: path)
        try fileSystem.syncDirectory(atPath: directory)
    }
}
