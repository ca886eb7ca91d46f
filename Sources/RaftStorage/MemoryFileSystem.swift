import RaftCore

/// A simulated disk that models a page cache, for the simulator and for fault tests.
///
/// - Every write lands in the "page cache" (what reads see) at once.
/// - `StorageFile.sync()` makes a file's current bytes durable; `syncDirectory` makes the names in
///   a directory (creations, renames, removals, new subdirectories) durable. `createDirectory`
///   syncs each new directory's parent, as `PosixFileSystem` does: a directory is durable only
///   through that sync.
/// - A power loss (`crash`) keeps what was synced; what else survives depends on the crash model:
///   `crash()` keeps nothing more; `crash(keepingPagesWith:)` (`CrashModel.pages`) keeps any
///   subset of the unsynced 4 KiB pages of any file and any prefix of the unsynced name changes;
///   `crash(tearingWith:)` with `CrashModel.lastWriteTorn` keeps a prefix of the most recent
///   unsynced write only.
///
/// Not thread-safe: one simulated node drives it at a time.
public final class MemoryFileSystem: FileSystem {
    /// What a power loss with a generator keeps of the unsynced state.
    public enum CrashModel: Sendable, Equatable {
        /// A prefix (drawn) of the most recent unsynced write survives, nothing else unsynced.
        case lastWriteTorn
        /// Each unsynced 4 KiB page of each file survives or not (and a surviving page may be cut
        /// after a drawn 512-byte sector), each file keeps its synced or its current size, and a drawn prefix of
        /// the unsynced name changes (creations, renames, removals, new directories) persists, as
        /// an ext4 journal commit may persist them before any directory sync.
        case pages
    }

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

    /// A change of names not yet made durable by a directory sync, in the order it was made.
    enum NameChange {
        case create(String, Node)
        case rename(from: String, to: String, Node)
        case remove(String)
        case makeDirectory(String)

        /// The paths whose directories must be synced to make the change durable.
        var paths: [String] {
            switch self {
            case .create(let p, _), .remove(let p), .makeDirectory(let p): return [p]
            case .rename(let a, let b, _): return [a, b]
            }
        }
    }

    private var directories: Set<String> = ["/", "."]
    private var durableDirectories: Set<String> = ["/", "."]
    private var names: [String: Node] = [:]
    private var durableNames: [String: Node] = [:]
    private var pendingNameChanges: [NameChange] = []
    private var lastUnsyncedWrite: PendingWrite?

    /// What `crash(tearingWith:)` keeps when given a generator (the simulator's crash calls it).
    public var crashModel: CrashModel = .lastWriteTorn

    /// Total number of `sync()` calls on files (for tests and the REPL's disk view).
    public private(set) var fileSyncCount = 0
    /// Total number of `syncDirectory` calls.
    public private(set) var directorySyncCount = 0

    /// An empty disk.
    public init() {}

    private func normalize(_ path: String) -> String { Path.normalized(path) }

    // MARK: FileSystem

    /// Creates a directory (its parent must exist).
    public func createDirectory(atPath path: String) throws(StorageError) {
        var missing: [String] = []
        var p = normalize(path)
        while !directories.contains(p) {
            if names[p] != nil { throw StorageError(.io, "cannot create directory \(p): a file has that name", path: p) }
            missing.append(p)
            let parent = Path.directory(of: p)
            if parent == p { break }
            p = parent
        }
        // Outermost first, each made durable by syncing its parent (as PosixFileSystem does).
        for directory in missing.reversed() {
            directories.insert(directory)
            pendingNameChanges.append(.makeDirectory(directory))
            try syncDirectory(atPath: Path.directory(of: directory))
        }
    }

    /// The names in a directory.
    public func contentsOfDirectory(atPath path: String) throws(StorageError) -> [String] {
        let dir = normalize(path)
        guard directories.contains(dir) else { throw StorageError(.notFound, "cannot list \(dir): no such directory", path: dir) }
        var result: [String] = []
        for name in names.keys where Path.isEntry(name, of: dir) { result.append(Path.name(of: name)) }
        for sub in directories where sub != dir && Path.isEntry(sub, of: dir) { result.append(Path.name(of: sub)) }
        return result.sorted(by: Path.bytewisePrecedes)
    }

    /// Whether a file or directory is there.
    public func fileExists(atPath path: String) -> Bool {
        let p = normalize(path)
        return names[p] != nil || directories.contains(p)
    }

    /// Whether the path is a directory.
    public func isDirectory(atPath path: String) -> Bool { directories.contains(normalize(path)) }

    /// Opens a file for reading and writing (creating it when asked).
    public func openFile(atPath path: String, create: Bool) throws(StorageError) -> StorageFile {
        let p = normalize(path)
        if let node = names[p] { return MemoryFile(fileSystem: self, node: node, path: p) }
        guard create else { throw StorageError(.notFound, "cannot open \(p): no such file", path: p) }
        guard directories.contains(Path.directory(of: p)) else {
            throw StorageError(.notFound, "cannot create \(p): no such directory", path: p)
        }
        let node = Node()
        names[p] = node
        pendingNameChanges.append(.create(p, node))
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

    /// Makes a directory's entries durable, as a directory fsync would.
    public func syncDirectory(atPath path: String) throws(StorageError) {
        let dir = normalize(path)
        guard directories.contains(dir) else { throw StorageError(.notFound, "cannot sync \(dir): no such directory", path: dir) }
        directorySyncCount += 1
        for name in durableNames.keys where Path.isEntry(name, of: dir) && names[name] == nil {
            durableNames[name] = nil
        }
        for (name, node) in names where Path.isEntry(name, of: dir) { durableNames[name] = node }
        for sub in directories where sub != dir && Path.isEntry(sub, of: dir) { durableDirectories.insert(sub) }
        pendingNameChanges.removeAll { change in change.paths.allSatisfy { Path.isEntry($0, of: dir) } }
    }

    /// Renames a file, replacing `to` atomically.
    public func rename(from: String, to: String) throws(StorageError) {
        let a = normalize(from), b = normalize(to)
        guard let node = names[a] else { throw StorageError(.notFound, "cannot rename \(a): no such file", path: a) }
        names[a] = nil
        names[b] = node
        pendingNameChanges.append(.rename(from: a, to: b, node))
    }

    /// Removes a file.
    public func removeFile(atPath path: String) throws(StorageError) {
        let p = normalize(path)
        guard names[p] != nil else { throw StorageError(.notFound, "cannot remove \(p): no such file", path: p) }
        names[p] = nil
        pendingNameChanges.append(.remove(p))
    }

    /// A file's size in bytes.
    public func fileSize(atPath path: String) throws(StorageError) -> Int64 {
        let p = normalize(path)
        guard let node = names[p] else { throw StorageError(.notFound, "cannot stat \(p): no such file", path: p) }
        return Int64(node.data.count)
    }

    // MARK: Power loss

    /// Power loss: every byte and name not covered by a sync is lost, except that with a generator
    /// some survive as `crashModel` says (`.lastWriteTorn`, the default: a prefix of the last
    /// unsynced write, drawn from the generator; `.pages`: see `crash(keepingPagesWith:)`).
    ///
    /// The torn write survives only when its file's name is durable and it starts inside or right
    /// at the end of the file's durable bytes (in this model the page cache writes back in order; a
    /// write beyond a lost region cannot have reached the disk before that region).
    public func crash(tearingWith generator: inout SeededGenerator?) {
        if crashModel == .pages, var rng = generator {
            crash(keepingPagesWith: &rng)
            generator = rng
            return
        }
        let torn = lastUnsyncedWrite
        let tornFileBefore = torn?.node.data ?? []
        loseUnsyncedNames()
        var live = Set<ObjectIdentifier>()
        for node in names.values where live.insert(ObjectIdentifier(node)).inserted {
            node.data = node.durable
        }
        guard var rng = generator, let torn, live.contains(ObjectIdentifier(torn.node)),
            torn.offset <= torn.node.data.count
        else { return }
        let keep = Int(rng.next(below: UInt64(torn.bytes.count + 1)))
        generator = rng
        guard keep > 0 else { return }
        let end = torn.offset + keep
        if end > torn.node.data.count { torn.node.data.append(contentsOf: repeatElement(0, count: end - torn.node.data.count)) }
        torn.node.data.replaceSubrange(torn.offset..<end, with: torn.bytes[0..<keep])
        // A sector is written whole: earlier unsynced bytes of the torn write's first sector reach
        // the disk with it (they exist only where a write overwrote synced bytes, as in a
        // preallocated segment, docs/storage-format.md §2.5).
        let sectorStart = torn.offset / StorageFormat.sectorSize * StorageFormat.sectorSize
        for i in sectorStart..<torn.offset where i < tornFileBefore.count { torn.node.data[i] = tornFileBefore[i] }
        // What survived a power loss is on the platter: it is durable now.
        torn.node.durable = torn.node.data
    }

    /// A power loss that tears nothing (every unsynced byte and name is lost).
    public func crash() {
        var none: SeededGenerator? = nil
        crash(tearingWith: &none)
    }

    /// A power loss as unforgiving as a real disk's (`CrashModel.pages`), every choice drawn from
    /// `generator` (so the same seed replays the same outcome):
    ///
    /// - a prefix of the unsynced name changes persists, in the order they were made (a journal
    ///   commits in order; each change is atomic, so a rename never loses its file); files under a
    ///   directory whose creation did not persist are gone;
    /// - each surviving file keeps either its synced size or its current one (zero-filled where no
    ///   data reached the disk);
    /// - each 4 KiB page whose current bytes differ from the synced ones keeps the synced bytes
    ///   (zeros past the synced size), or the current ones, or the current ones up to a drawn
    ///   512-byte sector boundary and the synced ones after it (a write-back cut by the power loss;
    ///   a sector is written whole). Pages are independent: a later page of one write may survive
    ///   while an earlier one does not.
    public func crash(keepingPagesWith generator: inout SeededGenerator) {
        let persisted = Int(generator.next(below: UInt64(pendingNameChanges.count + 1)))
        for change in pendingNameChanges.prefix(persisted) {
            switch change {
            case .create(let p, let node): durableNames[p] = node
            case .rename(let a, let b, let node):
                durableNames[a] = nil
                durableNames[b] = node
            case .remove(let p): durableNames[p] = nil
            case .makeDirectory(let p): durableDirectories.insert(p)
            }
        }
        loseUnsyncedNames()
        var seen = Set<ObjectIdentifier>()
        // Sorted, so that the draws do not depend on the dictionary's order.
        for path in names.keys.sorted(by: Path.bytewisePrecedes) {
            let node = names[path]!
            guard seen.insert(ObjectIdentifier(node)).inserted, node.data != node.durable else { continue }
            node.data = Self.survivingBytes(synced: node.durable, current: node.data, &generator)
            node.durable = node.data
        }
    }

    /// What a power loss leaves of a file whose synced and current bytes differ (`CrashModel.pages`).
    static func survivingBytes(synced: [UInt8], current: [UInt8], _ rng: inout SeededGenerator) -> [UInt8] {
        let length = rng.next(below: 2) == 0 ? synced.count : current.count
        var out = [UInt8](repeating: 0, count: length)
        let kept = min(synced.count, length)
        out.replaceSubrange(0..<kept, with: synced[0..<kept])
        let page = StorageFormat.pageSize
        var start = 0
        while start < length {
            let end = min(start + page, length)
            defer { start += page }
            func byte(_ bytes: [UInt8], _ i: Int) -> UInt8 { i < bytes.count ? bytes[i] : 0 }
            guard (start..<end).contains(where: { byte(synced, $0) != byte(current, $0) }) else { continue }
            switch rng.next(below: 8) {
            case 0..<4: continue  // the page never reached the disk
            case 4..<7: for i in start..<end { out[i] = byte(current, i) }  // it did, whole
            default:  // its write-back was cut after a sector
                let sector = StorageFormat.sectorSize
                let sectors = (end - start + sector - 1) / sector
                let cut = min(end, start + sector * Int(1 + rng.next(below: UInt64(max(1, sectors - 1)))))
                for i in start..<cut { out[i] = byte(current, i) }
            }
        }
        return out
    }

    /// Names and directories go back to their durable state; unsynced name changes are forgotten.
    private func loseUnsyncedNames() {
        lastUnsyncedWrite = nil
        pendingNameChanges.removeAll()
        // A directory whose own creation was lost takes everything under it along.
        let lost = directories.filter { !reachesDurableRoot($0) }
        directories.subtract(lost)
        durableDirectories = directories
        if !lost.isEmpty { durableNames = durableNames.filter { !lost.contains(Path.directory(of: $0.key)) } }
        names = durableNames
    }

    /// Whether a directory and each of its parents are durable.
    private func reachesDurableRoot(_ directory: String) -> Bool {
        var p = directory
        while true {
            guard durableDirectories.contains(p) else { return false }
            let parent = Path.directory(of: p)
            if parent == p || p == "." { return true }
            p = parent
        }
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
        pendingNameChanges.removeAll { $0.paths.contains(p) }
        let node = names[p] ?? Node()
        node.data = bytes
        node.durable = bytes
        names[p] = node
        durableNames[p] = node
    }

    /// Removes a file and its durable name (fault injection).
    public func removeDurably(atPath path: String) {
        let p = normalize(path)
        pendingNameChanges.removeAll { $0.paths.contains(p) }
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
        if n < node.data.count {
            node.data.removeSubrange(n...)
        } else if n > node.data.count {
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
