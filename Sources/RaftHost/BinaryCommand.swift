/// The binary spelling of key-value commands, as `raftd` proposes them: keys and values are
/// length-prefixed, so they may hold spaces and newlines (they must be UTF-8: the store keeps
/// `String`s, and `raftd` refuses other bytes before proposing).
///
/// Layout (integers little-endian): `0xFF`, an operation byte, then
/// - `s` (set): u32 key length, key, u32 value length, value;
/// - `d` (delete): u32 key count, then per key u32 length and key;
/// - `i` (increment): u32 key length, key, i64 amount.
public enum BinaryCommand {
    /// The first byte of every binary command; never the first byte of UTF-8 text.
    public static let marker: UInt8 = 0xFF
    /// The most keys one delete may name.
    public static let maxDeleteKeys = 1 << 16

    /// `SET key value`.
    public static func set(key: String, value: String) -> [UInt8] {
        var out: [UInt8] = [marker, UInt8(ascii: "s")]
        ByteWriter.appendString(key, to: &out)
        ByteWriter.appendString(value, to: &out)
        return out
    }

    /// `DEL key…`.
    public static func delete(keys: [String]) -> [UInt8] {
        precondition(!keys.isEmpty && keys.count <= maxDeleteKeys, "a delete names 1…\(maxDeleteKeys) keys")
        var out: [UInt8] = [marker, UInt8(ascii: "d")]
        ByteWriter.appendU32(UInt32(keys.count), to: &out)
        for key in keys { ByteWriter.appendString(key, to: &out) }
        return out
    }

    /// `INCRBY key amount`.
    public static func increment(key: String, by amount: Int64) -> [UInt8] {
        var out: [UInt8] = [marker, UInt8(ascii: "i")]
        ByteWriter.appendString(key, to: &out)
        ByteWriter.appendU64(UInt64(bitPattern: amount), to: &out)
        return out
    }

    static func decode(_ data: [UInt8]) -> KeyValueStore.Command {
        var reader = ByteReader(bytes: data, position: 2)
        guard data.count >= 2, data[0] == marker else { return .malformed("not a binary command") }
        let command: KeyValueStore.Command?
        switch data[1] {
        case UInt8(ascii: "s"):
            if let key = reader.string(), let value = reader.string() { command = .set(key: key, value: value) } else { command = nil }
        case UInt8(ascii: "d"):
            var keys: [String] = []
            if let count = reader.u32(), count >= 1, count <= UInt32(maxDeleteKeys) {
                for _ in 0..<count {
                    guard let key = reader.string() else { break }
                    keys.append(key)
                }
            }
            command = keys.isEmpty ? nil : .delete(keys: keys)
        case UInt8(ascii: "i"):
            if let key = reader.string(), let bits = reader.u64() {
                command = .increment(key: key, by: Int64(bitPattern: bits))
            } else {
                command = nil
            }
        default:
            return .malformed("unknown binary operation \(data[1])")
        }
        guard let command, reader.position == data.count else { return .malformed("a binary command that does not decode") }
        return command
    }
}
