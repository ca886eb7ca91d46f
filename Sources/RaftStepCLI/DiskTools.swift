#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import RaftSim
import RaftStorage

/// `disk export|tear|flip` and `logdump …` at the prompt: look inside a node's files and damage
/// them on purpose, without leaving the REPL (lesson 10). None of these change the cluster, so
/// none is recorded for `undo` and `save`.
extension Session {
    func diskCommand(_ disk: Command.Disk) throws(CommandError) -> Outcome {
        switch disk {
        case .export(let id, let directory):
            if let data = cluster.options.dataDirectory, DiskTools.isInside(directory, data) {
                throw CommandError("\(directory) is inside the cluster's data directory \(data); export somewhere else", command: "disk")
            }
            var lines = try DiskTools.clearForExport(directory)
            do {
                lines += try cluster.exportDisk(id, to: directory)
            } catch {
                throw CommandError("\(error)", command: "disk")
            }
            return Outcome(lines: lines)
        case .tear(let directory, let bytes):
            return Outcome(lines: try DiskTools.tear(directory: directory, bytes: bytes))
        case .flip(let directory, let file, let offset, let bit):
            return Outcome(lines: try DiskTools.flip(directory: directory, file: file, offset: offset, bit: bit ?? 0))
        }
    }

    /// `logdump SUBCOMMAND ARGS…`: the logdump program, in process. `expect exit N` checks its exit code.
    func logdumpCommand(_ args: [String]) -> Outcome {
        let result = LogdumpInProcess.run(args)
        lastLogdumpExit = result.exitCode
        return Outcome(lines: result.lines + ["[logdump exit \(result.exitCode)]"])
    }
}

enum DiskTools {
    static var fileSystem: PosixFileSystem { PosixFileSystem() }

    /// Whether `path` is `directory` or inside it (symbolic links resolved where the paths exist).
    static func isInside(_ path: String, _ directory: String) -> Bool {
        func resolved(_ p: String) -> String {
            // The deepest existing ancestor, resolved, plus the rest as written.
            var head = Path.normalized(p), tail: [String] = []
            while true {
                if let real = realpath(head, nil) {
                    defer { free(real) }
                    return ([String(cString: real)] + tail.reversed()).joined(separator: "/")
                }
                let parent = Path.directory(of: head)
                if parent == head || head.isEmpty { return Path.normalized(p) }
                tail.append(Path.name(of: head))
                head = parent
            }
        }
        let a = resolved(path), b = resolved(directory)
        return a == b || a.hasPrefix(b.hasSuffix("/") ? b : b + "/")
    }

    /// Whether a name in a directory is one that RaftStorage or logdump writes there.
    static func isDataFile(_ name: String) -> Bool {
        StorageFormat.segmentSequence(fileName: name) != nil || SnapshotFormat.index(fileName: name) != nil
            || name == StorageFormat.hardStateFileName || name.hasSuffix(".tmp")
    }

    /// Makes `directory` ready for an export: an earlier export (data files and logdump backups)
    /// is removed so the new one is exactly the node's disk; anything else there is refused.
    static func clearForExport(_ directory: String) throws(CommandError) -> [String] {
        guard fileSystem.fileExists(atPath: directory) else { return [] }
        guard fileSystem.isDirectory(atPath: directory) else { throw CommandError("\(directory) is a file, not a directory", command: "disk") }
        let names: [String]
        do { names = try fileSystem.contentsOfDirectory(atPath: directory) } catch { throw CommandError("\(error)", command: "disk") }
        let backups = names.filter { $0.hasPrefix("logdump-backup-") && fileSystem.isDirectory(atPath: Path.join(directory, $0)) }
        let others = names.filter { !isDataFile($0) && !backups.contains($0) }
        guard others.isEmpty else {
            throw CommandError(
                "\(directory) holds other files (\(others.prefix(3).joined(separator: ", "))); name a new or empty directory", command: "disk")
        }
        guard !names.isEmpty else { return [] }
        do {
            for backup in backups {
                let path = Path.join(directory, backup)
                for name in try fileSystem.contentsOfDirectory(atPath: path) { try fileSystem.removeFile(atPath: Path.join(path, name)) }
                guard rmdir(path) == 0 else { throw CommandError("cannot remove \(path): \(String(cString: strerror(errno)))", command: "disk") }
            }
            for name in names where isDataFile(name) { try fileSystem.removeFile(atPath: Path.join(directory, name)) }
        } catch let error as CommandError {
            throw error
        } catch {
            throw CommandError("\(error)", command: "disk")
        }
        return ["(replacing the earlier export in \(directory))"]
    }

    /// Cuts `bytes` off the end of the directory's last segment, as a crash in the middle of an
    /// append would.
    static func tear(directory: String, bytes: Int64) throws(CommandError) -> [String] {
        do {
            let segments = try fileSystem.contentsOfDirectory(atPath: directory)
                .compactMap { name in StorageFormat.segmentSequence(fileName: name).map { (name, $0) } }
            guard let last = segments.max(by: { $0.1 < $1.1 }) else {
                throw CommandError("\(directory) holds no log-*.seg segment", command: "disk")
            }
            let path = Path.join(directory, last.0)
            let size = try fileSystem.fileSize(atPath: path)
            guard bytes < size else { throw CommandError("\(last.0) holds only \(size) bytes", command: "disk") }
            let file = try fileSystem.openFile(atPath: path, create: false)
            defer { file.close() }
            // A preallocated segment (storage-format §2.5) ends in zeros: its data ends before them,
            // and a write lost there reads back as the zeros it was written over.
            let dataEnd = try dataEnd(of: file, size: size)
            if dataEnd < size {
                guard bytes < dataEnd else { throw CommandError("\(last.0) holds only \(dataEnd) bytes of data", command: "disk") }
                try file.write([UInt8](repeating: 0, count: Int(bytes)), at: dataEnd - bytes)
                try file.sync()
                return [
                    "\(last.0): zeroed bytes \(dataEnd - bytes)..<\(dataEnd), the last \(bytes) of its data (they never reached the disk; preallocated zeros follow up to \(size))"
                ]
            }
            try file.truncate(to: size - bytes)
            try file.sync()
            return ["\(last.0): cut from \(size) to \(size - bytes) bytes (the last \(bytes) never reached the disk)"]
        } catch let error as CommandError {
            throw error
        } catch {
            throw CommandError("\(error)", command: "disk")
        }
    }

    /// Where the file's trailing zeros start (its size when its last byte is not zero).
    static func dataEnd(of file: StorageFile, size: Int64) throws(StorageError) -> Int64 {
        // Read into a buffer of our own, not from inside `withUnsafeMutableBytes` (a typed throw
        // out of that closure is what FileSystem.swift's `write(_:at:)` steers around too).
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(size), alignment: 8)
        defer { buffer.deallocate() }
        var filled = 0
        while filled < buffer.count {
            let n = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]), at: Int64(filled))
            if n == 0 { break }
            filled += n
        }
        var end = filled
        while end > 0 && buffer[end - 1] == 0 { end -= 1 }
        return Int64(end)
    }

    /// Flips one bit of one byte of a file in the directory.
    static func flip(directory: String, file name: String, offset: Int64, bit: Int) throws(CommandError) -> [String] {
        guard !name.contains("/") else { throw CommandError("name a file inside \(directory), not a path", command: "disk") }
        let path = Path.join(directory, name)
        do {
            guard fileSystem.fileExists(atPath: path), !fileSystem.isDirectory(atPath: path) else {
                throw CommandError("\(path): no such file", command: "disk")
            }
            let size = try fileSystem.fileSize(atPath: path)
            guard offset < size else { throw CommandError("\(name) holds only \(size) bytes", command: "disk") }
            let file = try fileSystem.openFile(atPath: path, create: false)
            defer { file.close() }
            let before = try file.read(count: 1, at: offset)[0]
            let after = before ^ UInt8(1 << bit)
            try file.write([after], at: offset)
            try file.sync()
            return ["\(name) at offset \(offset): bit \(bit) flipped, byte 0x\(hex(before)) → 0x\(hex(after))"]
        } catch let error as CommandError {
            throw error
        } catch {
            throw CommandError("\(error)", command: "disk")
        }
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }
}
