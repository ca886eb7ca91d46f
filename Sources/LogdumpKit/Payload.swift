import RaftCore
import RaftStorage

/// How an entry's payload is shown.
public enum PayloadEncoding: String, Sendable {
    /// UTF-8 text without control characters, shown as is.
    case text
    /// Valid UTF-8 with a few control characters: shown quoted, with `\n`, `\t`, `\xNN` escapes.
    case escaped
    /// Anything else: lower-case hex.
    case hex
}

/// Picks how a payload is shown: as is when it is UTF-8 text without control characters (and it
/// cannot be mistaken for one of the other spellings), escaped when it is UTF-8 text with few
/// control characters, hex otherwise.
@inline(__always)
func classify(_ p: UnsafeRawBufferPointer) -> PayloadEncoding {
    // Branch-free counts, 8 bytes at a time (random payloads made a per-byte branch mispredict):
    // control bytes (below 0x20, or 0x7F) and whether any byte has the high bit set. The masks are
    // exact per byte: no carry crosses a byte because the high bit is cleared before adding.
    var controls = 0
    var highBits: UInt64 = 0
    var i = 0
    let n = p.count
    let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F, top: UInt64 = 0x8080_8080_8080_8080
    if let base = p.baseAddress {
        while i + 8 <= n {
            let w = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            highBits |= w & top
            let below20 = ~(((w & low7) &+ 0x6060_6060_6060_6060) | w) & top
            let x = w ^ low7
            let del = ~(((x & low7) &+ low7) | x) & top
            controls &+= below20.nonzeroBitCount &+ del.nonzeroBitCount
            i += 8
        }
        while i < n {
            let b = base.load(fromByteOffset: i, as: UInt8.self)
            highBits |= UInt64(b & 0x80)
            controls &+= (b < 0x20 || b == 0x7F) ? 1 : 0
            i += 1
        }
    }
    let high = highBits != 0
    if controls == 0 && (!high || isValidUTF8(p)) {
        // "0x…", a leading quote or a lone "-" would read as another spelling.
        if let first = p.first, first == UInt8(ascii: "\"") || first == UInt8(ascii: " ") { return .escaped }
        if p.count >= 2 && p[0] == UInt8(ascii: "0") && p[1] == UInt8(ascii: "x") { return .escaped }
        if p.count == 1 && p[0] == UInt8(ascii: "-") { return .escaped }
        if let last = p.last, last == UInt8(ascii: " ") { return .escaped }
        return .text
    }
    if controls * 8 > p.count { return .hex }
    if high && !isValidUTF8(p) { return .hex }
    return .escaped
}

func isValidUTF8(_ p: UnsafeRawBufferPointer) -> Bool {
    var it = p.makeIterator()
    var decoder = UTF8()
    while true {
        switch decoder.decode(&it) {
        case .scalarValue: continue
        case .emptyInput: return true
        case .error: return false
        }
    }
}

/// The payload limit of a text line.
struct PayloadLimit {
    /// Bytes of payload shown at most (0: all).
    var maxBytes: Int
}

extension Output {
    /// The command column of a text line: `-` when empty, the text, `"escaped"`, or `0x…` hex;
    /// cut at `limit` payload bytes with `…(+N bytes)`.
    @inline(__always)
    func command(_ payload: UnsafeRawBufferPointer, limit: Int) {
        if payload.isEmpty {
            byte(UInt8(ascii: "-"))
            return
        }
        let shown = limit > 0 && payload.count > limit ? UnsafeRawBufferPointer(rebasing: payload[0..<limit]) : payload
        switch classify(shown) {
        case .text:
            bytes(shown)
        case .escaped:
            byte(UInt8(ascii: "\""))
            escaped(shown, json: false)
            byte(UInt8(ascii: "\""))
        case .hex:
            write("0x")
            hex(shown)
        }
        if shown.count < payload.count {
            write("…(+")
            decimal(UInt64(payload.count - shown.count))
            write(" bytes)")
        }
    }

    /// Writes text with escapes: `\\`, `\"`, `\n`, `\r`, `\t`, and `\xNN` (or `\u00NN` in JSON) for
    /// other control bytes and, when `bytesAreUTF8` is false, for every byte above 0x7E.
    func escaped(_ p: UnsafeRawBufferPointer, json: Bool) {
        var runStart = 0
        var i = 0
        let n = p.count
        func flushRun(_ end: Int) {
            if end > runStart { bytes(UnsafeRawBufferPointer(rebasing: p[runStart..<end])) }
        }
        while i < n {
            let b = p[i]
            let plain = (b >= 0x20 && b != 0x22 && b != 0x5C && b != 0x7F)
            if plain { i += 1; continue }
            flushRun(i)
            switch b {
            case 0x22: write("\\\"")
            case 0x5C: write("\\\\")
            case 0x0A: write("\\n")
            case 0x0D: write("\\r")
            case 0x09: write("\\t")
            default:
                write(json ? "\\u00" : "\\x")
                byte(hexDigits[Int(b >> 4)])
                byte(hexDigits[Int(b & 15)])
            }
            i += 1
            runStart = i
        }
        flushRun(n)
    }

    /// A JSON string literal of `s`.
    func jsonString(_ s: String) {
        byte(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { escaped(UnsafeRawBufferPointer($0), json: true) }
        byte(UInt8(ascii: "\""))
    }

    /// `"data":…` members for a payload in JSON: `"text"` for UTF-8 text, else `"hex"`.
    func jsonPayload(_ payload: UnsafeRawBufferPointer, limit: Int) {
        let shown = limit > 0 && payload.count > limit ? UnsafeRawBufferPointer(rebasing: payload[0..<limit]) : payload
        let encoding = shown.isEmpty ? PayloadEncoding.text : classify(shown)
        if encoding == .hex {
            write(",\"hex\":\"")
            hex(shown)
            byte(UInt8(ascii: "\""))
        } else {
            write(",\"text\":\"")
            escaped(shown, json: true)
            byte(UInt8(ascii: "\""))
        }
        if shown.count < payload.count { write(",\"truncated\":true") }
    }
}

/// The name of an entry type byte: `normal`, `noop`, `config`, or `type-N` for an unknown one.
func typeName(_ raw: UInt8) -> String {
    EntryKind(rawValue: raw)?.description ?? "type-\(raw)"
}

let typeNames: [[UInt8]] = (0...255).map { Array(typeName(UInt8($0)).utf8) }

/// A configuration entry's payload in words, when it decodes.
func configDescription(_ payload: UnsafeRawBufferPointer) -> String? {
    ConfigurationCodec.decode(Array(payload)).map(\.description)
}
