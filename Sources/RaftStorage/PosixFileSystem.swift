#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Real files through POSIX calls: `pread`/`pwrite`, `fdatasync` for files, `fsync` of the
/// directory after a file is created, renamed or removed.
public final class PosixFileSystem: FileSystem {
    /// Creates the file system (it holds no state).
    public init() {}

    /// Test seam: an errno for `syncDirectory` of a path to fail with instead of calling `fsync`
    /// (nil, the default: no injection). Real directory fsyncs hardly ever fail on demand.
    var injectedDirectorySyncError: ((String) -> Int32?)?

    static func failure(_ what: String, _ path: String, _ code: Int32 = Glibc.errno) -> StorageError {
        let text = String(cString: strerror(code))
        return StorageError(code == ENOENT ? .notFound : .io, "\(what) \(path): \(text)", path: path, errno: code)
    }

    /// Creates a directory (its parent must exist).
    public func createDirectory(atPath path: String) throws(StorageError) {
        let clean = Path.normalized(path)
        if isDirectory(atPath: clean) { return }
        let parent = Path.directory(of: clean)
        if parent != clean && parent != "." && parent != "/" && !fileExists(atPath: parent) {
            try createDirectory(atPath: parent)
        }
        if mkdir(clean, 0o755) != 0 {
            let code = Glibc.errno
            // Another process may have created it meanwhile (it syncs the parent); a file of that name is an error.
            guard code == EEXIST, isDirectory(atPath: clean) else { throw Self.failure("cannot create directory", clean, code) }
            return
        }
        // The new name is durable only once the parent directory is synced; a failure is an error,
        // since files synced into a directory whose own name is lost are lost with it.
        try syncDirectory(atPath: parent)
    }

    /// The names in a directory.
    public func contentsOfDirectory(atPath path: String) throws(StorageError) -> [String] {
        guard let dir = opendir(path) else { throw Self.failure("cannot list", path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Whether a file or directory is there.
    public func fileExists(atPath path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// Whether the path is a directory.
    public func isDirectory(atPath path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Opens a file for reading and writing (creating it when asked).
    public func openFile(atPath path: String, create: Bool) throws(StorageError) -> StorageFile {
        let flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0)
        var fd = Glibc.open(path, flags, 0o644)
        if fd < 0 && Glibc.errno == EACCES && !create { fd = Glibc.open(path, O_RDONLY | O_CLOEXEC) }
        if fd < 0 { throw Self.failure("cannot open", path) }
        return PosixFile(fd: fd, path: path)
    }

    /// Opens a file read-only.
    public func openFileForReading(atPath path: String) throws(StorageError) -> StorageFile {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw Self.failure("cannot open", path) }
        return PosixFile(fd: fd, path: path)
    }

    /// `flock(LOCK_EX | LOCK_NB)` on the directory itself (no lock file is created).
    public func lockDirectory(atPath path: String) throws(StorageError) -> DirectoryLock? {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw Self.failure("cannot open directory", path) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = Glibc.errno
            Glibc.close(fd)
            if code == EWOULDBLOCK {
                throw StorageError(.unusable, "\(path) is in use by another process (its lock is held)", path: path, errno: code)
            }
            throw Self.failure("cannot lock", path, code)
        }
        return PosixDirectoryLock(fd: fd)
    }

    /// Makes a directory's entries durable (fsync of the directory).
    public func syncDirectory(atPath path: String) throws(StorageError) {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw Self.failure("cannot open directory", path) }
        defer { Glibc.close(fd) }
        if let code = injectedDirectorySyncError?(path) { throw Self.failure("cannot fsync directory", path, code) }
        if fsync(fd) != 0 { throw Self.failure("cannot fsync directory", path) }
    }

    /// Renames a file, replacing `to` atomically.
    public func rename(from: String, to: String) throws(StorageError) {
        if Glibc.rename(from, to) != 0 { throw Self.failure("cannot rename to \(to):", from) }
    }

    /// Removes a file.
    public func removeFile(atPath path: String) throws(StorageError) {
        if unlink(path) != 0 { throw Self.failure("cannot remove", path) }
    }

    /// A file's size in bytes.
    public func fileSize(atPath path: String) throws(StorageError) -> Int64 {
        var info = stat()
        if stat(path, &info) != 0 { throw Self.failure("cannot stat", path) }
        return Int64(info.st_size)
    }
}

/// A file opened by `PosixFileSystem`.
public final class PosixFile: StorageFile {
    /// The descriptor (valid until `close`).
    public private(set) var fd: Int32
    /// The path it was opened with.
    public let path: String

    private var mapping: UnsafeRawBufferPointer?

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { close() }

    /// The whole file mapped read-only, or nil when it cannot be mapped.
    public func mapForReading() -> UnsafeRawBufferPointer? {
        if let mapping { return mapping }
        guard fd >= 0, let size = try? size(), size > 0, size <= Int64(Int.max) else { return nil }
        guard let base = mmap(nil, Int(size), PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else { return nil }
        _ = madvise(base, Int(size), MADV_SEQUENTIAL)
        mapping = UnsafeRawBufferPointer(start: base, count: Int(size))
        return mapping
    }

    /// The file's size in bytes.
    public func size() throws(StorageError) -> Int64 {
        var info = stat()
        if fstat(fd, &info) != 0 { throw PosixFileSystem.failure("cannot stat", path) }
        return Int64(info.st_size)
    }

    /// Reads up to `buffer.count` bytes at `offset`; returns how many (0 at the end).
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(StorageError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            let n = pread(fd, base, buffer.count, off_t(offset))
            if n >= 0 { return n }
            if Glibc.errno != EINTR { throw PosixFileSystem.failure("cannot read", path) }
        }
    }

    /// Writes all of `bytes` at `offset`.
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(StorageError) {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, base + done, bytes.count - done, off_t(offset + Int64(done)))
            if n < 0 {
                if Glibc.errno == EINTR { continue }
                throw PosixFileSystem.failure("cannot write", path)
            }
            done += n
        }
    }

    /// Cuts the file to `size` bytes.
    public func truncate(to size: Int64) throws(StorageError) {
        if ftruncate(fd, off_t(size)) != 0 { throw PosixFileSystem.failure("cannot truncate", path) }
    }

    /// Makes the file's data durable (fdatasync).
    public func sync() throws(StorageError) {
        if fdatasync(fd) != 0 { throw PosixFileSystem.failure("cannot fdatasync", path) }
    }

    /// Closes the file.
    public func close() {
        if let mapping {
            munmap(UnsafeMutableRawPointer(mutating: mapping.baseAddress!), mapping.count)
            self.mapping = nil
        }
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
}

/// A `flock` held on an open directory descriptor.
final class PosixDirectoryLock: DirectoryLock {
    private var fd: Int32

    init(fd: Int32) { self.fd = fd }

    deinit { release() }

    func release() {
        if fd >= 0 {
            _ = flock(fd, LOCK_UN)
            Glibc.close(fd)
        }
        fd = -1
    }
}
