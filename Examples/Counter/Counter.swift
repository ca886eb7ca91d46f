import RaftDaemon
import RaftHost

/// A replicated counter with compare-and-set: the smallest useful state machine.
/// Commands are text: `add N` and `cas OLD NEW`. Every replica applies the same commands in the
/// same order and ends with the same value, because `apply` depends on nothing else.
struct Counter: StateMachine {
    var value: Int64 = 0

    enum Response {
        case value(Int64)
        case swapped(Bool)
        case refused(String)
    }

    func query(_ query: Void) -> Int64 { value }

    mutating func apply(_ command: [UInt8], index: UInt64) -> Response {
        let words = String(decoding: command, as: UTF8.self).split(separator: " ")
        switch (words.first, words.count) {
        case ("add", 2):
            guard let amount = Int64(words[1]), case (let sum, false) = value.addingReportingOverflow(amount) else { return .refused("bad amount") }
            value = sum
            return .value(value)
        case ("cas", 3):
            guard let old = Int64(words[1]), let new = Int64(words[2]) else { return .refused("bad numbers") }
            guard value == old else { return .swapped(false) }
            value = new
            return .swapped(true)
        default:
            return .refused("unknown command")
        }
    }

    func snapshot() -> [UInt8] { Array(String(value).utf8) }

    mutating func restore(_ bytes: [UInt8]) throws(StateMachineError) {
        guard let restored = Int64(String(decoding: bytes, as: UTF8.self)) else { throw StateMachineError("not a counter") }
        value = restored
    }
}

/// The counter over RESP: `INCRBY counter N`, `GET counter`, `CAS counter OLD NEW`.
enum CounterService: ClientService {
    static func route(_ name: String, _ arguments: [[UInt8]]) -> ClientRoute<Counter> {
        let words = arguments.map { String(decoding: $0, as: UTF8.self) }
        switch (name, words.count) {
        case ("GET", 1): return .read(()) { .integer($0) }
        case ("INCRBY", 2): return .write(Array("add \(words[1])".utf8)) { reply($0) }
        case ("CAS", 3): return .write(Array("cas \(words[1]) \(words[2])".utf8)) { reply($0) }
        default: return .unknown
        }
    }

    static func reply(_ response: Counter.Response) -> Reply {
        switch response {
        case .value(let value): return .integer(value)
        case .swapped(let done): return .integer(done ? 1 : 0)
        case .refused(let why): return .error("ERR \(why)")
        }
    }
}
