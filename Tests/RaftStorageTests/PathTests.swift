import Testing
@testable import RaftStorage

/// The path and file-name helpers read ASCII as bytes; they must answer as the Character
/// searches do, for ASCII and for other text.
@Suite struct PathTests {
    static func directory(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func name(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    static func normalized(_ path: String) -> String {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return p
    }

    static let paths = [
        "/", "//", "", "a", "/a", "a/", "/a/b/", "./x", "/n1/log-0000000000000001.seg", "/n1/hardstate",
        "ñ", "/ñ/x", "/a/\u{301}b", "/a\u{301}/b", "a/\u{301}", "/\u{301}",
    ]

    @Test(arguments: paths)
    func matchTheCharacterSearch(_ path: String) {
        #expect(Path.directory(of: path) == Self.directory(path))
        #expect(Path.name(of: path) == Self.name(path))
        #expect(Path.normalized(path) == Self.normalized(path))
        for directory in ["/", ".", "/n1", "/a", "/ñ", "/a\u{301}", "", "a"] {
            #expect(Path.isEntry(path, of: directory) == (Self.directory(path) == directory))
        }
    }

    @Test func fileNumbersMatchTheStringChecks() {
        // What the helper did with String checks: hasPrefix, hasSuffix, then 16 lower-case hex digits.
        func reference(_ name: String, _ prefix: String, _ suffix: String) -> UInt64? {
            guard name.utf8.count == prefix.utf8.count + 16 + suffix.utf8.count, name.hasPrefix(prefix), name.hasSuffix(suffix) else { return nil }
            let digits = name.utf8.dropFirst(prefix.utf8.count).prefix(16)
            guard digits.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return nil }
            return UInt64(String(decoding: digits, as: UTF8.self), radix: 16)
        }
        let names = [
            "log-0000000000000001.seg", "log-00000000000000ff.seg", "log-00000000000000FF.seg", "log-000000000000001.seg",
            "log-0000000000000001.segx", "snap-000000000000002a.snap", "snap-000000000000002a.seg", "log-0000000000000001.snap",
            "log-000000000000000é.seg", "hardstate", "",
        ]
        for name in names {
            #expect(StorageFormat.segmentSequence(fileName: name) == reference(name, "log-", ".seg"), "\(name)")
            #expect(SnapshotFormat.index(fileName: name) == reference(name, "snap-", ".snap"), "\(name)")
        }
        #expect(StorageFormat.segmentSequence(fileName: StorageFormat.segmentFileName(sequence: 0xabc)) == 0xabc)
        #expect(LogID(bytes: Array(0..<16)).description == "00010203-0405-0607-0809-0a0b0c0d0e0f")
    }
}
