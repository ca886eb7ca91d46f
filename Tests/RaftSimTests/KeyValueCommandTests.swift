import RaftCore
import Testing
@testable import RaftSim

/// The store's command parser reads ASCII as bytes; it must answer as the String split did, and
/// the quiet apply must change the store exactly as `apply` does.
@Suite struct KeyValueCommandTests {
    /// The parse the store used before it read bytes: split the text on spaces (Characters).
    static func split(_ text: String) -> KeyValueStore.Command {
        let words = text.split(separator: " ", omittingEmptySubsequences: true)
        if words.count >= 3, words[0] == "set" { return .set(key: String(words[1]), value: words[2...].joined(separator: " ")) }
        if words.count == 2, words[0] == "del" { return .del(key: String(words[1])) }
        return .opaque
    }

    static let texts = [
        "set k1 v", "set  k1   v ", " set k1 v", "set k1 a b  c", "set k1", "set", "del k1", " del  k1 ", "del k1 x",
        "del", "", "   ", "setx k v", "SET k v", "set\tk v", "set k v\r\n", "x y z", "set k1 \r\n v",
        // Not ASCII: the String split decides (a space followed by a combining mark is one Character).
        "set k é", "set \u{301}k v", "set k \u{301}v", "del k\u{301}", "set kñ v w",
    ]

    @Test(arguments: texts)
    func parsesAsTheStringSplit(_ text: String) {
        #expect(KeyValueStore.command(in: Array(text.utf8)) == Self.split(text))
    }

    @Test func applyQuietlyChangesTheStoreAsApplyDoes() {
        let entries = Self.texts.enumerated().map { offset, text in
            Entry(term: 1, index: UInt64(offset + 1), kind: offset % 7 == 3 ? .noop : .normal, data: Array(text.utf8))
        }
        var described = KeyValueStore()
        for entry in entries { _ = described.apply(entry) }
        var quiet = KeyValueStore()
        quiet.applyQuietly(entries)
        #expect(quiet == described)
        #expect(quiet.commandCount > 0 && !quiet.values.isEmpty)
    }
}
