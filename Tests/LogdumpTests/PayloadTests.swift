@testable import LogdumpKit
import RaftCore
import Testing

/// The word-at-a-time fast path of `classify` agrees with a byte-by-byte reference.
@Test func classifyMatchesReference() {
    func reference(_ bytes: [UInt8]) -> PayloadEncoding {
        var controls = 0, high = false
        for b in bytes {
            if b >= 0x20 && b < 0x7F { continue }
            if b >= 0x80 { high = true } else { controls += 1 }
        }
        let valid = String(validating: bytes, as: UTF8.self) != nil
        if controls == 0 && (!high || valid) {
            if bytes.first == 0x22 || bytes.first == 0x20 || bytes.last == 0x20 { return .escaped }
            if bytes.count >= 2 && bytes[0] == 0x30 && bytes[1] == 0x78 { return .escaped }
            if bytes == [0x2D] { return .escaped }
            return .text
        }
        if controls * 8 > bytes.count { return .hex }
        if high && !valid { return .hex }
        return .escaped
    }
    var g = SeededGenerator(seed: 99)
    let alphabet: [UInt8] = Array("abc XYZ09".utf8) + [0x00, 0x09, 0x0A, 0x1F, 0x7E, 0x7F, 0x80, 0xC3, 0xA9, 0xE2, 0x98, 0x95, 0xFF]
    for _ in 0..<5000 {
        let n = Int(g.next() % 40)
        var bytes = (0..<n).map { _ in UInt8(ascii: "a") + UInt8(g.next() % 26) }
        for _ in 0..<Int(g.next() % 3) where n > 0 { bytes[Int(g.next() % UInt64(n))] = alphabet[Int(g.next() % UInt64(alphabet.count))] }
        let got = bytes.withUnsafeBytes { classify($0) }
        #expect(got == reference(bytes), "\(bytes)")
    }
}

/// docs/logdump.md's JSON rule, case by case: `text` for valid UTF-8 with at most one control byte
/// in eight (escaped), `hex` for invalid UTF-8 or more control bytes, and the choice made on the
/// bytes shown when `--max-bytes` cuts the payload.
@Test func jsonPayloadFollowsTheDocumentedRule() {
    func json(_ bytes: [UInt8], limit: Int = 0) -> String {
        let output = Output()
        bytes.withUnsafeBytes { output.jsonPayload($0, limit: limit) }
        output.flush()
        return output.text
    }
    #expect(json([]) == #","text":"""#)
    #expect(json(Array("set x 1".utf8)) == #","text":"set x 1""#)
    #expect(json(Array("é ok".utf8)) == #","text":"é ok""#)
    // One control byte in eight: still text, escaped for JSON.
    #expect(json(Array("abc\ndefg".utf8)) == #","text":"abc\ndefg""#)
    // Two in eight: hex.
    #expect(json(Array("ab\n\ndefg".utf8)) == #","hex":"61620a0a64656667""#)
    // Invalid UTF-8 (a lone continuation byte): hex.
    #expect(json([0x61, 0x80, 0x62]) == #","hex":"618062""#)
    // "é" is two bytes; a cut after the first leaves invalid UTF-8 on screen: hex, marked truncated.
    #expect(json(Array("aé".utf8), limit: 2) == #","hex":"61c3","truncated":true"#)
}
