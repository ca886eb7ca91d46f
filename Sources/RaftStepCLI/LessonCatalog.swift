#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The lessons: read from a folder of `NN-*.md` files, or the copy built into the binary
/// (`EmbeddedLessons`, generated from `lessons/`), so that an installed `raftstep` needs no files.
public struct LessonCatalog: Sendable {
    /// Where the lessons were read from: a folder, or `built in`.
    public var directory: String
    /// Every lesson, in file-name order.
    public var lessons: [Lesson]

    /// What `directory` says for the copy built into the binary.
    public static let builtInName = "built in"

    /// Reads every `NN-*.md` file of `directory`.
    public static func load(directory: String) -> Result<LessonCatalog, CLIErrorMessage> {
        let names: [String]
        switch lessonFileNames(in: directory) {
        case .failure(let error): return .failure(error)
        case .success(let found): names = found
        }
        var files: [(name: String, text: String)] = []
        for name in names {
            switch FileIO.read(directory + "/" + name) {
            case .failure(let error): return .failure(CLIErrorMessage(error.message))
            case .success(let text): files.append((name, text))
            }
        }
        if files.isEmpty { return .failure(CLIErrorMessage("no lessons (NN-name.md) in \(directory)")) }
        return parse(files, directory: directory)
    }

    /// The lessons compiled into the binary.
    public static func builtIn() -> Result<LessonCatalog, CLIErrorMessage> {
        parse(EmbeddedLessons.files, directory: builtInName)
    }

    static func parse(_ files: [(name: String, text: String)], directory: String) -> Result<LessonCatalog, CLIErrorMessage> {
        var lessons: [Lesson] = []
        for file in files {
            do { lessons.append(try Lesson.parse(file.text, slug: String(file.name.dropLast(3)))) } catch {
                return .failure(CLIErrorMessage(error.description))
            }
        }
        return .success(LessonCatalog(directory: directory, lessons: lessons))
    }

    /// The `NN-*.md` files of a folder, sorted.
    public static func lessonFileNames(in directory: String) -> Result<[String], CLIErrorMessage> {
        guard let dir = opendir(directory) else {
            return .failure(CLIErrorMessage("cannot read the lessons folder \(directory): \(FileIO.errnoText())"))
        }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name.hasSuffix(".md"), name.first?.isNumber == true { names.append(name) }
        }
        closedir(dir)
        return .success(names.sorted())
    }

    /// A lessons folder to prefer over the built-in copy: `$RAFTSTEP_LESSONS`, else `lessons/` here,
    /// else next to the executable's package (`…/.build/release/raftstep` → `…/lessons`); a folder
    /// counts only when it holds lesson files. Nil: use the built-in copy.
    public static func defaultDirectory(executable: String) -> String? {
        if let dir = FileIO.environment("RAFTSTEP_LESSONS"), !dir.isEmpty { return dir }
        var candidates = ["lessons"]
        var parent = executable
        for _ in 0..<4 {
            guard let slash = parent.lastIndex(of: "/") else { break }
            parent = String(parent[..<slash])
            candidates.append((parent.isEmpty ? "" : parent) + "/lessons")
        }
        return candidates.first { candidate in
            if case .success(let names) = lessonFileNames(in: candidate) { return !names.isEmpty }
            return false
        }
    }

    /// Finds a lesson by number (`3`, `03`) or by name (`split-vote`, `03-split-vote`).
    public func lesson(named key: String) -> Lesson? {
        if let number = Int(key) { return lessons.first { $0.number == number } }
        return lessons.first { $0.slug == key || $0.slug.drop(while: { $0.isNumber || $0 == "-" }) == Substring(key) }
    }
}

/// A one-line error of the lesson layer.
public struct CLIErrorMessage: Error, Sendable, CustomStringConvertible {
    /// In words.
    public var description: String
    init(_ description: String) { self.description = description }
}

/// The learner's finished lessons, one slug per line in `~/.raftstep/lessons-done`.
public struct LessonProgress: Sendable {
    /// Where progress is kept (nil when there is no home directory).
    public var path: String?
    /// Finished lesson slugs.
    public private(set) var done: [String]

    /// Reads the progress file (missing means nothing done yet).
    public static func load(path: String? = LessonProgress.defaultPath) -> LessonProgress {
        guard let path, case .success(let text) = FileIO.read(path) else { return LessonProgress(path: path, done: []) }
        return LessonProgress(path: path, done: text.split(separator: "\n").map(String.init))
    }

    /// `$HOME/.raftstep/lessons-done`.
    public static var defaultPath: String? {
        guard let home = FileIO.environment("HOME"), !home.isEmpty else { return nil }
        return home + "/.raftstep/lessons-done"
    }

    /// Records a finished lesson and writes the file; returns an error message when it cannot.
    public mutating func markDone(_ slug: String) -> String? {
        guard !done.contains(slug) else { return nil }
        done.append(slug)
        guard let path else { return "no home directory: progress is not kept" }
        if let slash = path.lastIndex(of: "/") { mkdir(String(path[..<slash]), 0o755) }
        return FileIO.write(path, done.joined(separator: "\n") + "\n")?.message
    }
}
