import RaftCore
import Testing
@testable import RaftHost

/// The store's command parser reads ASCII as bytes and must answer as the String split did;
/// text and binary commands, their answers, refusals and snapshots.
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

    @Test func textCommandsChangeTheStoreAndAnswer() {
        var store = KeyValueStore()
        #expect(store.apply(Array("set x 1".utf8), index: 1) == .set(key: "x", value: "1"))
        #expect(store.apply(Array("set y a  b".utf8), index: 2) == .set(key: "y", value: "a b"))
        #expect(store.apply(Array("del x".utf8), index: 3) == .deleted(keys: ["x"], count: 1))
        #expect(store.apply(Array("del x".utf8), index: 4) == .deleted(keys: ["x"], count: 0))
        #expect(store.apply(Array("hello".utf8), index: 5) == .opaque)
        store.skip(index: 6)
        #expect(store.values == ["y": "a b"])
        #expect(store.commandCount == 5)
        #expect(store.lastApplied == 6)
        #expect(store.query(["y", "x"]) == ["a b", nil])
    }

    @Test func binaryCommandsKeepSpacesAndCountIncrements() {
        var store = KeyValueStore()
        #expect(store.apply(BinaryCommand.set(key: "a key", value: " two  spaces\n"), index: 1) == .set(key: "a key", value: " two  spaces\n"))
        #expect(store.apply(BinaryCommand.increment(key: "n", by: 5), index: 2) == .incremented(key: "n", value: 5))
        #expect(store.apply(BinaryCommand.increment(key: "n", by: -7), index: 3) == .incremented(key: "n", value: -2))
        #expect(store.apply(BinaryCommand.increment(key: "a key", by: 1), index: 4) == .error("value is not an integer or out of range"))
        #expect(store.apply(BinaryCommand.set(key: "big", value: String(Int64.max)), index: 5) == .set(key: "big", value: String(Int64.max)))
        #expect(store.apply(BinaryCommand.increment(key: "big", by: 1), index: 6) == .error("increment or decrement would overflow"))
        #expect(store.apply(BinaryCommand.delete(keys: ["n", "gone", "a key"]), index: 7) == .deleted(keys: ["n", "gone", "a key"], count: 2))
        #expect(store.values == ["big": String(Int64.max)])
    }

    @Test func malformedBinaryCommandsAreRefusedNotApplied() {
        var store = KeyValueStore()
        let good = BinaryCommand.set(key: "k", value: "v")
        for cut in 1..<good.count {
            guard case .error = store.apply(Array(good.prefix(cut)), index: UInt64(cut)) else {
                Issue.record("a set cut to \(cut) bytes was not refused")
                continue
            }
        }
        #expect(store.apply(good + [0], index: 100) == .error("a binary command that does not decode"))
        #expect(store.apply([0xFF, UInt8(ascii: "z")], index: 101) == .error("unknown binary operation 122"))
        #expect(store.values.isEmpty)
    }

    @Test func snapshotRestoresTheSameStore() throws {
        var store = KeyValueStore()
        _ = store.apply(BinaryCommand.set(key: "k é", value: "v w"), index: 1)
        _ = store.apply(Array("set x 3".utf8), index: 2)
        store.skip(index: 3)
        var restored = KeyValueStore()
        _ = restored.apply(Array("set stale 1".utf8), index: 1)
        try restored.restore(store.snapshot())
        #expect(restored == store)
        #expect(throws: StateMachineError.self) { try restored.restore(Array(store.snapshot().dropLast())) }
    }
}
