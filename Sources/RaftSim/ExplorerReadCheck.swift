import RaftCore
import RaftHost

extension KeyValueStore {
    /// The key an entry's command writes and the value it leaves (nil: deleted), or nil when
    /// it writes no key. The same parsing as `apply`; the read check replays the committed
    /// history with it.
    static func write(in data: [UInt8]) -> (key: String, value: String?)? {
        let text = String(decoding: data, as: UTF8.self)
        let words = text.split(separator: " ", omittingEmptySubsequences: true)
        if words.count >= 3, words[0] == "set" { return (String(words[1]), words[2...].joined(separator: " ")) }
        if words.count == 2, words[0] == "del" { return (String(words[1]), nil) }
        return nil
    }
}
