/// Writes the built-in copy of the lessons: one Swift file per lesson, each a raw string literal,
/// and an index, so that the binary carries its lessons. `lessons/*.md` stays the one source; a
/// test compares the two.
public enum EmbeddedLessonsSource {
    /// The folder in the package that holds the generated files.
    public static let path = "Sources/RaftStepCLI/EmbeddedLessons"

    /// The generated files for `files` (name and text of each lesson file, in this order): the
    /// index `EmbeddedLessons.swift`, then `EmbeddedLessonNN.swift` per lesson.
    public static func swiftSources(files: [(name: String, text: String)]) -> [(fileName: String, source: String)] {
        // The formatter is told to leave generated files alone: their layout is the generator's,
        // and LessonTests compares them byte for byte with what it writes.
        let header = """
            // swift-format-ignore-file
            // Generated from lessons/*.md: do not edit here; the lessons folder is the source of truth.
            // Regenerate with `swift run raftstep lesson --lessons-dir lessons --write-embedded \(path)`;
            // LessonTests fails while this copy differs from the files.

            """
        var index =
            header + """

                /// The lessons, compiled into the binary so that an installed `raftstep lesson` needs no files.
                enum EmbeddedLessons {
                    /// Each lesson file's name and text, in file-name order.
                    static let files: [(name: String, text: String)] = [

                """
        var sources: [(fileName: String, source: String)] = []
        for (number, file) in zip(1..., files) {
            precondition(!file.name.contains("\""), "a lesson file name with a quote")
            let suffix = number < 10 ? "0\(number)" : "\(number)"
            let hashes = String(repeating: "#", count: delimiterLength(for: file.text))
            index += "        lesson\(suffix),\n"
            sources.append(
                (
                    "EmbeddedLesson\(suffix).swift",
                    header + """

                        extension EmbeddedLessons {
                            /// `lessons/\(file.name)`.
                            static let lesson\(suffix) = (name: "\(file.name)", text: \(hashes)\"\"\"
                        \(file.text)
                        \"\"\"\(hashes))
                        }

                        """
                ))
        }
        index += "    ]\n}\n"
        return [("EmbeddedLessons.swift", index)] + sources
    }

    /// Reads the lesson files of `directory` and writes their Swift sources into the folder `path`
    /// (which must exist); returns a problem in words, or nil when it worked.
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
        for (fileName, source) in swiftSources(files: files) {
            if let error = FileIO.write(path + "/" + fileName, source) { return error.message }
        }
        return nil
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
