/// An open file of a `FileSystem`. Offsets are absolute; there is no file position.
public protocol StorageFile: AnyObject {
    /// The current size in bytes (as a reader would see it, synced or not).
    func size() throws(StorageError) -> Int64
    /// Reads up to `buffer.count` bytes at `offset`; returns how many were read (0 at the end).
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(StorageError) -> Int
    /// Writes all of `bytes` at `offset`, extending the file when needed.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(StorageError)
    /// Cuts (or extends with zeros) the file to `size` bytes.
    func truncate(to size: Int64) throws(StorageError)
    /// Makes the file's data and size durable (`fdatasync`). Its name becomes durable only with
    /// `FileSystem.syncDirectory` of its directory.
    func sync() throws(StorageError)
    /// Releases the file. Further calls are programming errors.
    func close()
    /// A read-only view of the file's first `size()` bytes (`mmap`), when the file system offers one;
    /// nil otherwise. Valid until `close`. Reading it after another process cut the file would
    /// fault (SIGBUS), so scanners map only under the directory's lock (`SegmentReading`).
    func mapForReading() -> UnsafeRawBufferPointer?
}

extension StorageFile {
    /// Default: no mapping; readers fall back to `read(into:at:)`.
    public func mapForReading() -> UnsafeRawBufferPointer? { nil }

    /// Writes all of `bytes` at `offset`.
    public func write(_ bytes: [UInt8], at offset: Int64) throws(StorageError) {
        var failure: StorageError?
        bytes.withUnsafeBytes { raw in
            do throws(StorageError) { try write(raw, at: offset) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Reads exactly `count` bytes at `offset`, or fewer when the file ends first.
    public func read(count: Int, at offset: Int64) throws(StorageError) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        var filled = 0
        var failure: StorageError?
        result.withUnsafeMutableBytes { raw in
            do throws(StorageError) {
                while filled < count {
                    let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]), at: offset + Int64(filled))
                    if n == 0 { break }
                    filled += n
                }
            } catch { failure = error }
        }
        if let failure { throw failure }
        result.removeSubrange(filled...)
        return result
    }

    /// The whole file.
    public func readAll() throws(StorageError) -> [UInt8] {
        try read(count: Int(try size()), at: 0)
    }
}

/// The seam between storage and the disk: real files (`PosixFileSystem`) or the simulator's
/// page-cache model (`MemoryFileSystem`). Paths are `/`-separated strings.
public protocol FileSystem: AnyObject {
    /// Creates `path` and any missing parents, each made durable by syncing its parent directory
    /// (fails when a sync fails); succeeds when it already exists as a directory.
    func createDirectory(atPath path: String) throws(StorageError)
    /// The names (not paths) of the entries of a directory, sorted bytewise.
    func contentsOfDirectory(atPath path: String) throws(StorageError) -> [String]
    /// Whether a file or directory exists at `path`.
    func fileExists(atPath path: String) -> Bool
    /// Whether `path` is a directory.
    func isDirectory(atPath path: String) -> Bool
    /// Opens a file for reading and writing; creates an empty one when `create` is true and it is missing.
    func openFile(atPath path: String, create: Bool) throws(StorageError) -> StorageFile
    /// Opens an existing file for reading only (scanners and `logdump` need no write permission).
    func openFileForReading(atPath path: String) throws(StorageError) -> StorageFile
    /// Makes the directory's entries (created, renamed, removed names) durable.
    func syncDirectory(atPath path: String) throws(StorageError)
    /// Takes an exclusive lock on a directory for as long as the returned object lives (nil when the
    /// file system has no locks). Fails when another holder has it.
    func lockDirectory(atPath path: String) throws(StorageError) -> DirectoryLock?
    /// Atomically renames a file, replacing `to` when it exists.
    func rename(from: String, to: String) throws(StorageError)
    /// Removes a file.
    func removeFile(atPath path: String) throws(StorageError)
    /// The size of a file in bytes.
    func fileSize(atPath path: String) throws(StorageError) -> Int64
}

/// An exclusive hold on a data directory; released by `release()` or when it is deallocated.
public protocol DirectoryLock: AnyObject {
    /// Gives the lock up.
    func release()
}

extension FileSystem {
    /// Default: no locking.
    public func lockDirectory(atPath path: String) throws(StorageError) -> DirectoryLock? { nil }

    /// Default: the read-write open of an existing file.
    public func openFileForReading(atPath path: String) throws(StorageError) -> StorageFile {
        try openFile(atPath: path, create: false)
    }

    /// The whole content of a file.
    public func readFile(atPath path: String) throws(StorageError) -> [UInt8] {
        let file = try openFileForReading(atPath: path)
        defer { file.close() }
        return try file.readAll()
    }

    /// Replaces a file atomically: writes `path.tmp`, syncs it, renames it over `path`, syncs the directory.
    public func writeFileAtomically(_ bytes: [UInt8], atPath path: String) throws(StorageError) {
        let temporary = path + ".tmp"
        if fileExists(atPath: temporary) { try removeFile(atPath: temporary) }
        let file = try openFile(atPath: temporary, create: true)
        do {
            try file.write(bytes, at: 0)
            try file.sync()
        } catch {
            file.close()
            throw error
        }
        file.close()
        try rename(from: temporary, to: path)
        try syncDirectory(atPath: Path.directory(of: path))
    }
}

/// Small path helpers (no Foundation).
public enum Path {
    /// `a` + `/` + `b`, without doubling the slash.
    public static func join(_ a: String, _ b: String) -> String {
        if a.isEmpty { return b }
        return a.hasSuffix("/") ? a + b : a + "/" + b
    }

    /// The directory part of a path (`.` when there is none).
    public static func directory(of path: String) -> String {
        if let slash = asciiLastSlash(path) {
            guard let slash = slash else { return "." }
            return slash == 0 ? "/" : String(decoding: path.utf8.prefix(slash), as: UTF8.self)
        }
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The last component of a path.
    public static func name(of path: String) -> String {
        if let slash = asciiLastSlash(path) {
            guard let slash = slash else { return path }
            return String(decoding: path.utf8.dropFirst(slash + 1), as: UTF8.self)
        }
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// Whether `path` is an entry of `directory`: `directory(of: path) == directory`, without
    /// building the directory's string when both are ASCII (the simulated disk asks this of every
    /// name at every listing and directory sync).
    public static func isEntry(_ path: String, of directory: String) -> Bool {
        var path = path, directory = directory
        let fast = path.withUTF8 { p in
            directory.withUTF8 { d -> Bool? in
                guard let slash = asciiLastSlash(p), d.allSatisfy({ $0 < 0x80 }) else { return nil }
                guard let slash else { return d.elementsEqual(".".utf8) }
                return slash == 0 ? d.elementsEqual("/".utf8) : d.elementsEqual(p[..<slash])
            }
        }
        return fast ?? (Path.directory(of: path) == directory)
    }

    /// Byte-wise order of two strings' UTF-8 (the order listings are sorted in).
    public static func bytewisePrecedes(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        return a.withUTF8 { x in b.withUTF8 { y in x.lexicographicallyPrecedes(y) } }
    }

    /// For an ASCII path, the byte offset of its last `/` (`.some(nil)` when it has none); nil for
    /// any other path. In ASCII every byte is a Character, so the offset is where the Character
    /// search would stop; the byte search skips grapheme breaking, which was most of the
    /// simulator's directory listing. Other paths keep the Character search.
    private static func asciiLastSlash(_ path: String) -> Int?? {
        var path = path
        return path.withUTF8 { asciiLastSlash($0) }
    }

    private static func asciiLastSlash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int?? {
        var last: Int?
        for (offset, byte) in bytes.enumerated() {
            if byte >= 0x80 { return nil }
            if byte == UInt8(ascii: "/") { last = offset }
        }
        return .some(last)
    }

    /// The path without trailing slashes (except the root).
    public static func normalized(_ path: String) -> String {
        // Most paths end without a slash: nothing to do (and no Character count).
        if path.utf8.last != UInt8(ascii: "/") { return path }
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return p
    }
}
