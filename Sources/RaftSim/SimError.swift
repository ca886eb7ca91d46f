import RaftCore

/// A request the simulator refused, with one line for a person. The cluster is unchanged when
/// one of these is thrown.
public struct SimError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong, in words.
    public var message: String

    /// Creates an error.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}

/// Node names as the REPL spells them.
public enum NodeName {
    /// `n3` for 3.
    public static func of(_ id: NodeID) -> String { "n\(id)" }

    /// Parses `n3` → 3 (any positive number; the cluster checks the range).
    public static func parse(_ text: String) -> NodeID? {
        guard text.count >= 2, text.first == "n" || text.first == "N" else { return nil }
        let digits = text.dropFirst()
        guard digits.count <= 4, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = UInt64(digits), value > 0 else { return nil }
        return value
    }
}
