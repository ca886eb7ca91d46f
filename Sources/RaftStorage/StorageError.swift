/// Why a storage operation failed. Every refusal to open a damaged log carries the problems found
/// and points to `logdump verify`, which prints them with their file offsets.
public struct StorageError: Error, CustomStringConvertible, Sendable {
    /// The broad reason.
    public enum Kind: String, Sendable {
        /// A system call failed (the message holds `errno`'s text).
        case io
        /// A file or directory that must exist does not.
        case notFound
        /// Recovery found data that was acknowledged as durable but does not read back.
        case corruption
        /// The files read back but do not fit together (missing segment, mixed logs, hard state vs log).
        case inconsistency
        /// A caller passed something storage cannot write (gap in indexes, oversized entry…).
        case invalidArgument
        /// The storage was closed, or an earlier write failed and its state is unknown.
        case unusable
    }

    /// The broad reason.
    public var kind: Kind
    /// What went wrong, in words.
    public var message: String
    /// The file or directory involved, when there is one.
    public var path: String?
    /// `errno` for `.io` errors.
    public var errno: Int32?
    /// The problems recovery found (for `.corruption` and `.inconsistency`).
    public var problems: [StorageProblem]

    /// Creates an error.
    public init(_ kind: Kind, _ message: String, path: String? = nil, errno: Int32? = nil, problems: [StorageProblem] = []) {
        self.kind = kind
        self.message = message
        self.path = path
        self.errno = errno
        self.problems = problems
    }

    /// The error in one line, with its path.
    public var description: String {
        var text = message
        if let path, !message.contains(path) { text += " (\(path))" }
        for problem in problems.prefix(10) { text += "\n  " + problem.description }
        if problems.count > 10 { text += "\n  … and \(problems.count - 10) more" }
        return text
    }
}
