import RaftCore

/// A simulated disk that models a page cache, for the simulator and for fault tests.
///
/// - Every write lands in the "page cache" (what reads see) at once.
/// - `StorageFile.sync()` makes a file's current bytes durable; `syncDirectory` makes the names in
///   a directory (creations, renames, removals) durable.
/// - `crash(tearingWith:)` is a power loss: names revert to the last synced directory state, file
///   contents revert to their last synced bytes. With a generator, the most recent unsynced write
///   survives up to a byte offset drawn from it (a torn write); without one, it is lost too.
///
/// Directories are durable as soon as they are created (a simplification: their parent is never
/// synced by storage code). Not thread-safe: one simulated node drives it at a time.
public final class MemoryFileSystem: FileSystem {
    final class Node {
        var data: [UInt8] = []
        var durable: [UInt8] = []
        init() {}
    }

    struct PendingWrite {
        let node: Node
        let offset: Int
        let bytes: [UInt8]
    }

    private var directories: Set<String> = ["/", "."]
    private var names: [String: Node] = [:]
    private var durableNames: [String: Node] = [:]
    private var lastUnsyncedWrite: PendingWrite?

    /// Total number of `sync()` calls on files (for tests and the REPL's disk view).
    public private(set) var fileSyncCount = 0
    /// Total number of `syncDirectory` calls.
    public private(set) var directorySyncCount = 0

    /// An empty disk.
    public init() {}

    private func normalize(_ path: String) -> String { Path.normalized(path) }

    // MARK: FileSystem

    public func createDirectory(atPath path: String) throws(StorageError) {
        var p = normalize(path)
        while !directories.contains(p) {
            if names[p] != nil { throw StorageError(.io, "cannot create directory \(p): a file has that name", path: p) }
            directories.insert(p)
            let parent = Path.directory(of: p)
            if parent == p { break }
            p = parent
        }
    }

    public func contentsOfDirectory(atPath path: String) throws(StorageError) -> [String] {
        let dir = normalize(path)
        guard directories.contains(dir) else { throw StorageError(.notFound, "cannot list \(dir): no such directory", path: dir) }
        var result: [String] = []
        for name in names.keys where Path.isEntry(name, of: dir) { result.append(Path.name(of: name)) }
        for sub in directories where sub != dir && Path.isEntry(sub, of: dir) { result.append(Path.name(of: sub)) }
        return result.sorted(by: Path.bytewisePrecedes)
    }

    public func fileExists(atPath path: String) -> Bool {
        let p = normalize(path)
        return names[p] != nil || directories.contains(p)
    }

    public func isDirectory(atPath path: String) -> Bool { directories.contains(normalize(path)) }

    public func openFile(atPath path: String, create: Bool) throws(StorageError) -> StorageFile {
        let p = normalize(path)
        if let node = names[p] { return MemoryFile(fileSystem: self, node: node, path: p) }
        guard create else { throw StorageError(.notFound, "cannot open \(p): no such file", path: p) }
        guard directories.contains(Path.directory(of: p)) else {
            throw StorageError(.notFound, "cannot create \(p): no such directory", path: p)
        }
        let node = Node()
        names[p] = node
        return MemoryFile(fileSystem: self, node: node, path: p)
    }

    private var locked: Set<String> = []

    /// An in-process lock, so two storages on one simulated directory are caught too.
    public func lockDirectory(atPath path: String) throws(StorageError) -> DirectoryLock? {
        let dir = normalize(path)
        guard !locked.contains(dir) else {
            throw StorageError(.unusable, "\(dir) is in use (its lock is held)", path: dir)
        }
        locked.insert(dir)
        return MemoryDirectoryLock(fileSystem: self, path: dir)
    }

    fileprivate func unlock(_ dir: String) { locked.remove(dir) }

    public func syncDirectory(atPath path: String) throws(StorageError) {
        let dir = normalize(path)
        guard directories.contains(dir) else { throw StorageError(.notFound, "cannot sync \(dir): no such directory", path: dir) }
        directorySyncCount += 1
        for name in durableNames.keys where Path.isEntry(name, of: dir) && names[name] == nil {
            durableNames[name] = nil
        }
        for (name, node) in names where Path.isEntry(name, of: dir) { durableNames[name] = node }
    }

    public func rename(from: String, to: String) throws(StorageError) {
        let a = normalize(from), b = normalize(to)
        guard let node = names[a] else { throw StorageError(.notFound, "cannot rename \(a): no such file", path: a) }
        names[a] = nil
        names[b] = node
    }

    public func removeFile(atPath path: String) throws(StorageError) {
        let p = normalize(path)
        guard names[p] != nil else { throw StorageError(.notFound, "cannot remove \(p): no such file", path: p) }
        names[p] = nil
    }

    public func fileSize(atPath path: String) throws(StorageError) -> Int64 {
        let p = normalize(path)
        guard let node = names[p] else { throw StorageError(.notFound, "cannot stat \(p): no such file", path: p) }
        return Int64(node.data.count)
    }

    // MARK: Power loss

    /// Power loss: every byte not covered by a sync is lost; when a generator is given, the last
    /// unsynced write instead survives up to a byte offset drawn from it (a torn write).
    ///
    /// The torn write survives only when its file's name is durable and it starts inside or right
    /// at the end of the file's durable bytes (a page cache writes back in order; a write beyond a
    /// lost region cannot have reached the disk before that region).
    public func crash(tearingWith generator: inout SeededGenerator?) {
        let torn = lastUnsyncedWrite
        lastUnsyncedWrite = nil
        names = durableNames
        var live = Set<ObjectIdentifier>()
        for node in names.values where live.insert(ObjectIdentifier(node)).inserted {
            node.data = node.durable
        }
        guard var rng = generator, let torn, live.contains(ObjectIdentifier(torn.node)),
              torn.offset <= torn.node.data.count else { return }
        let keep = Int(rng.next(below: UInt64(torn.bytes.count + 1)))
        generator = rng
        guard keep > 0 else { return }
        let end = torn.offset + keep
        if end > torn.node.data.count { torn.node.data.append(contentsOf: repeatElement(0, count: end - torn.node.data.count)) }
        torn.node.data.replaceSubrange(torn.offset..<end, with: torn.bytes[0..<keep])
        // What survived a power loss is on the platter: it is durable now.
        torn.node.durable = torn.node.data
    }

    /// A power loss that tears nothing (every unsynced byte is lost).
    public func crash() {
        var none: SeededGenerator? = nil
        crash(tearingWith: &none)
    }

    /// Copies every file under `directory` here into a real directory (for `disk export`).
    public func export(directory: String, to realDirectory: String) throws(StorageError) {
        let dir = normalize(directory)
        let posix = PosixFileSystem()
        try posix.createDirectory(atPath: realDirectory)
        for name in try contentsOfDirectory(atPath: dir) {
            let source = Path.join(dir, name)
            let target = Path.join(realDirectory, name)
            if isDirectory(atPath: source) {
                try export(directory: source, to: target)
                continue
            }
            guard let node = names[source] else { continue }
            let file = try posix.openFile(atPath: target, create: true)
            defer { file.close() }
            try file.truncate(to: 0)
            try file.write(node.data, at: 0)
            try file.sync()
        }
        try posix.syncDirectory(atPath: realDirectory)
    }

    // MARK: Fault injection and inspection

    /// The current bytes of a file (what a reader sees), or nil when it does not exist.
    public func contents(atPath path: String) -> [UInt8]? { names[normalize(path)]?.data }

    /// The durable bytes of a file under its durable name, or nil when a crash now would lose it.
    public func durableContents(atPath path: String) -> [UInt8]? { durableNames[normalize(path)]?.durable }

    /// Replaces a file's bytes, durably (fault injection: bit flips, zeroed sectors, cuts).
    /// Creates the file (durably) when missing.
    public func replaceContents(atPath path: String, with bytes: [UInt8]) {
        let p = normalize(path)
        let node = names[p] ?? Node()
        node.data = bytes
        node.durable = bytes
        names[p] = node
        durableNames[p] = node
    }

    /// Removes a file and its durable name (fault injection).
    public func removeDurably(atPath path: String) {
        let p = normalize(path)
        names[p] = nil
        durableNames[p] = nil
    }

    fileprivate func noteWrite(_ node: Node, offset: Int, bytes: UnsafeRawBufferPointer) {
        lastUnsyncedWrite = PendingWrite(node: node, offset: offset, bytes: Array(bytes))
    }

    fileprivate func noteSync(_ node: Node) {
        fileSyncCount += 1
        node.durable = node.data
        if let pending = lastUnsyncedWrite, pending.node === node { lastUnsyncedWrite = nil }
    }
}

/// A file opened on a `MemoryFileSystem`.
final class MemoryFile: StorageFile {
    private let fileSystem: MemoryFileSystem
    private let node: MemoryFileSystem.Node
    let path: String
    private var closed = false

    init(fileSystem: MemoryFileSystem, node: MemoryFileSystem.Node, path: String) {
        self.fileSystem = fileSystem
        self.node = node
        self.path = path
    }

    func size() throws(StorageError) -> Int64 { Int64(node.data.count) }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(StorageError) -> Int {
        guard offset >= 0 else { throw StorageError(.io, "negative read offset", path: path) }
        guard offset < Int64(node.data.count) else { return 0 }
        let start = Int(offset)
        let n = min(buffer.count, node.data.count - start)
        node.data.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + start, byteCount: n)
        }
        return n
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(StorageError) {
        guard offset >= 0 else { throw StorageError(.io, "negative write offset", path: path) }
        guard bytes.count > 0 else { return }
        let start = Int(offset)
        let end = start + bytes.count
        if end > node.data.count { node.data.append(contentsOf: repeatElement(0, count: end - node.data.count)) }
        node.data.withUnsafeMutableBytes { target in
            (target.baseAddress! + start).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        }
        fileSystem.noteWrite(node, offset: start, bytes: bytes)
    }

    func truncate(to size: Int64) throws(StorageError) {
        let n = Int(size)
        if n < node.data.count { node.data.removeSubrange(n...) } else if n > node.data.count {
            node.data.append(contentsOf: repeatElement(0, count: n - node.data.count))
        }
    }

    func sync() throws(StorageError) { fileSystem.noteSync(node) }

    func close() { closed = true }
}

final class MemoryDirectoryLock: DirectoryLock {
    private weak var fileSystem: MemoryFileSystem?
    private let path: String
    private var held = true

    init(fileSystem: MemoryFileSystem, path: String) {
        self.fileSystem = fileSystem
        self.path = path
    }

    deinit { release() }

    func release() {
        if held { fileSystem?.unlock(path) }
        held = false
    }
}
