/// Writes `EmbeddedLessons.swift`: the lesson files as Swift raw string literals, so that the
/// binary carries its lessons. `lessons/*.md` stays the one source; a test compares the two.
public enum EmbeddedLessonsSource {
    /// Where the generated file lives in the package.
    public static let path = "Sources/RaftStepCLI/EmbeddedLessons.swift"

    /// The Swift source holding `files` (name and text of each lesson file, in this order).
    public static func swiftSource(files: [(name: String, text: String)]) -> String {
        var source = """
        // Generated from lessons/*.md: do not edit here; the lessons folder is the source of truth.
        // Regenerate with `swift run raftstep lesson --lessons-dir lessons --write-embedded \(path)`;
        // LessonTests fails while this copy differs from the files.

        /// The lessons, compiled into the binary so that an installed `raftstep lesson` needs no files.
        enum EmbeddedLessons {
            /// Each lesson file's name and text, in file-name order.
            static let files: [(name: String, text: String)] = [

        """
        for file in files {
            precondition(!file.name.contains("\""), "a lesson file name with a quote")
            let hashes = String(repeating: "#", count: delimiterLength(for: file.text))
            source += "        (\"\(file.name)\", \(hashes)\"\"\"\n\(file.text)\n\"\"\"\(hashes)),\n"
        }
        source += "    ]\n}\n"
        return source
    }

    /// Reads the lesson files of `directory` and writes their Swift source to `path`; returns a
    /// problem in words, or nil when it worked.
    public static func write(from directory: String, to path: String) -> String? {
        let names: [String]
        switch LessonCatalog.lessonFileNames(in: directory) {
        case .failure(let error): return error.description
        case .success(let found): names = found
        }
        var files: [(name: String, text: String)] = []
        for name in names {
            switch FileIO.read(directory + "/" + name) {
            case .failure(let error): return error.message
            case .success(let text): files.append((name, text))
            }
        }
        if files.isEmpty { return "no lessons (NN-name.md) in \(directory)" }
        // A broken lesson must not reach the binary.
        if case .failure(let error) = LessonCatalog.parse(files, directory: directory) { return error.description }
        return FileIO.write(path, swiftSource(files: files))?.message
    }

    /// The fewest `#`s for a raw string that `text` cannot end early or escape out of.
    static func delimiterLength(for text: String) -> Int {
        var count = 1
        while text.contains("\"" + String(repeating: "#", count: count)) || text.contains("\\" + String(repeating: "#", count: count)) {
            count += 1
        }
        return count
    }
}
