import RaftStorage

/// Which files of a node's simulated disk hold bytes or names a crash now would lose, kept from a
/// `SyncWatch` (only the files it names are looked at again) instead of a walk of the disk per
/// question. `StorageDisk` checks every answer against the walk in debug builds.
struct UnsyncedFiles {
    /// The node's directory: only files under it count.
    let directory: String
    /// The files that held unsynced bytes or names at the last answer (a node has a handful of
    /// files, so a list).
    private(set) var paths: [String] = []

    init(directory: String) {
        self.directory = directory
    }

    /// Whether a file under `directory` has bytes or a name a crash now would lose: the files the
    /// watch saw change since the last answer are looked at again, or every file when it says
    /// names moved.
    mutating func answer(_ memory: MemoryFileSystem, _ watch: inout SyncWatch) -> Bool {
        let fully = !watch.canAnswerIncrementally
        if fully {
            paths.removeAll(keepingCapacity: true)
            Self.collect(memory, directory, into: &paths)
        } else {
            for path in watch.touchedPaths where isUnderDirectory(path) {
                let listed = paths.firstIndex(of: path)
                if Self.isUnsynced(memory, path) == true {
                    if listed == nil { paths.append(path) }
                } else if let listed {
                    paths.remove(at: listed)
                }
            }
        }
        watch.answered(fully: fully)
        return !paths.isEmpty
    }

    /// After a power loss: nothing is unsynced.
    mutating func forget() {
        paths.removeAll()
    }

    /// Whether `path` lies under `directory` (compared as bytes: `hasPrefix` on `String` compares
    /// characters, which is slower).
    private func isUnderDirectory(_ path: String) -> Bool {
        let root = directory.utf8
        let trimmed = root.last == UInt8(ascii: "/") ? root.count - 1 : root.count
        let bytes = path.utf8
        return bytes.count > trimmed + 1 && bytes.starts(with: root.prefix(trimmed))
            && bytes[bytes.index(bytes.startIndex, offsetBy: trimmed)] == UInt8(ascii: "/")
    }

    /// Whether the file at `path` has bytes or a name a crash now would lose (nil: no such file).
    /// (Comparing the byte arrays is cheap when they are synced: they then share storage.)
    private static func isUnsynced(_ memory: MemoryFileSystem, _ path: String) -> Bool? {
        guard let current = memory.contents(atPath: path) else { return nil }
        guard let durable = memory.durableContents(atPath: path) else { return true }
        return durable != current
    }

    /// Whether a file under `directory` has bytes or a name a crash now would lose, by a walk of
    /// the disk (the answer `answer` must give).
    static func walk(_ memory: MemoryFileSystem, _ directory: String) -> Bool {
        guard let names = try? memory.contentsOfDirectory(atPath: directory) else { return false }
        for name in names {
            let path = Path.join(directory, name)
            if memory.isDirectory(atPath: path) {
                if walk(memory, path) { return true }
                continue
            }
            guard let durable = memory.durableContents(atPath: path), durable == memory.contents(atPath: path) else { return true }
        }
        return false
    }

    /// Adds every file under `directory` with bytes or a name a crash now would lose to `paths`.
    private static func collect(_ memory: MemoryFileSystem, _ directory: String, into paths: inout [String]) {
        guard let names = try? memory.contentsOfDirectory(atPath: directory) else { return }
        for name in names {
            let path = Path.join(directory, name)
            if memory.isDirectory(atPath: path) {
                collect(memory, path, into: &paths)
            } else if isUnsynced(memory, path) != false {
                paths.append(path)
            }
        }
    }
}

/// What changed on a simulated disk since `StorageDisk` last asked which files hold unsynced bytes,
/// so that it re-reads only the files whose answer may have changed (every acknowledgement asks;
/// a full walk of the disk each time was a tenth of the explorer's time).
///
/// A file's answer compares its current bytes with the synced bytes under its durable name. Until
/// a rename, each file lives under one path only (current name, durable name or both), so a write,
/// cut or sync through a handle can change the answer of the handle's path alone; a creation or
/// removal changes its own path's, and a directory sync those of the paths created or removed in
/// that directory since its last sync (every other name there already is its durable one). A
/// rename moves a file to a second path: until its directories are synced and the disk walked, and
/// for changes through handles opened on the old path before it, every question walks the whole
/// disk, as after anything that bypasses this file system (a crash, a restored backup).
struct SyncWatch {
    /// The next question must walk the whole disk.
    var needsFullCheck = true
    /// Paths whose answer may have changed since the last question (normalized).
    /// (A list: each handle adds its path once per answer, and hashing paths per write cost more
    /// than the walk it saves; a path listed twice is looked at twice.)
    private(set) var touchedPaths: [String] = []
    /// Per directory: the paths created, removed or renamed there since it was last synced.
    private var unsyncedNames: [String: [String]] = [:]
    /// Directories with a rename not yet synced.
    private var unsyncedRenames: Set<String> = []
    /// Counts renames (a handle remembers the count when it was opened).
    private(set) var renameCount = 0
    /// Per path: the `renameCount` of the last rename away from it. A handle on that path opened
    /// before it follows its file to the new name, so its changes are not pinned to its path.
    private var renamedAway: [String: Int] = [:]

    /// Whether only `touchedPaths` can have changed since the last full walk.
    var canAnswerIncrementally: Bool { !needsFullCheck && unsyncedRenames.isEmpty }

    /// Counts answers (and forgotten names): `touchedPaths` is emptied only then.
    private var answerCount = 0

    /// What the watch knows of one handle, so that a write through it costs no hashing when
    /// nothing was renamed and its path is already touched.
    struct HandleMark {
        /// `renameCount` when the handle was opened.
        let openedAtRename: Int
        /// Through this `renameCount`, the handle's path still named its file.
        var checkedThroughRename: Int
        /// `answerCount` when the handle's path was last added to `touchedPaths`.
        var notedAtAnswer = -1

        init(openedAtRename: Int) {
            self.openedAtRename = openedAtRename
            checkedThroughRename = openedAtRename
        }
    }

    /// A file's bytes or synced bytes change through a handle on `path`. When its file was
    /// renamed away from `path` after the handle was opened, the change is not pinned to a path.
    mutating func noteFileChange(_ path: String, _ mark: inout HandleMark) {
        if mark.checkedThroughRename != renameCount {
            if let moved = renamedAway[path], moved > mark.openedAtRename {
                needsFullCheck = true
                return
            }
            mark.checkedThroughRename = renameCount
        }
        guard mark.notedAtAnswer != answerCount else { return }
        mark.notedAtAnswer = answerCount
        touchedPaths.append(path)
    }

    /// A file was created or removed.
    mutating func noteNameChange(_ path: String) {
        touchedPaths.append(path)
        unsyncedNames[Path.directory(of: path), default: []].append(path)
    }

    /// A file was renamed.
    mutating func noteRename(from: String, to: String) {
        needsFullCheck = true
        renameCount += 1
        renamedAway[from] = renameCount
        for path in [from, to] {
            noteNameChange(path)
            unsyncedRenames.insert(Path.directory(of: path))
        }
    }

    /// A directory's names were made durable.
    mutating func noteDirectorySynced(_ directory: String) {
        if let paths = unsyncedNames.removeValue(forKey: directory) { touchedPaths.append(contentsOf: paths) }
        unsyncedRenames.remove(directory)
    }

    /// Every name is its durable one again (a crash, a restored backup). After a crash every
    /// file's bytes are its synced ones too (`allSynced`: nothing is left to walk for); otherwise
    /// the next question walks the disk.
    mutating func forgetNames(allSynced: Bool) {
        needsFullCheck = !allSynced
        answerCount += 1
        touchedPaths.removeAll()
        unsyncedNames.removeAll()
        unsyncedRenames.removeAll()
    }

    /// After a question was answered (by a full walk or from `touchedPaths`): a walk while a
    /// rename is unsynced does not let the next answer be incremental.
    mutating func answered(fully: Bool) {
        answerCount += 1
        touchedPaths.removeAll(keepingCapacity: true)
        if fully { needsFullCheck = !unsyncedRenames.isEmpty }
    }
}
