import Foundation
import Testing

/// The layering rules check themselves (issue 16 §5): every target's `import` lines are compared
/// with the layering table of docs/architecture.md, no target imports one listed below it, and
/// Package.swift declares every module a target imports.
@Suite struct LayeringTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Modules of the toolchain and the platform: imported without a Package.swift dependency.
    static let platformModules: Set<String> = [
        "Swift", "Foundation", "Glibc", "Darwin", "Dispatch",
        "Synchronization", "Testing", "XCTest",
    ]

    /// One target of Package.swift: its kind, its source directory and its declared dependencies.
    struct Target {
        var name: String
        var kind: String
        var path: String
        /// Target names and product names from its `dependencies:` list.
        var dependencies: Set<String>
    }

    // MARK: Reading the package

    static func read(_ relativePath: String) throws -> String {
        try String(contentsOf: packageRoot.appendingPathComponent(relativePath), encoding: .utf8)
    }

    /// The text from `open` (an index of "(" or "[") through its matching closing bracket.
    static func balanced(_ text: [Character], from open: Int) -> String {
        let closing: Character = text[open] == "(" ? ")" : "]"
        var depth = 0
        var inString = false
        for i in open..<text.count {
            let c = text[i]
            if c == "\"" { inString.toggle() }
            if inString { continue }
            if c == text[open] { depth += 1 }
            if c == closing {
                depth -= 1
                if depth == 0 { return String(text[open...i]) }
            }
        }
        return String(text[open...])
    }

    static func captures(_ pattern: String, in text: String) -> [[String]] {
        let regex = try! NSRegularExpression(pattern: pattern)
        let range = NSRange(text.startIndex..., in: text)
        return regex.matches(in: text, range: range).map { match in
            (1..<match.numberOfRanges).map { i in
                Range(match.range(at: i), in: text).map { String(text[$0]) } ?? ""
            }
        }
    }

    /// Every target declared in Package.swift.
    static func packageTargets() throws -> [Target] {
        let manifest = try read("Package.swift")
        let characters = Array(manifest)
        let regex = try NSRegularExpression(pattern: #"\.(target|executableTarget|testTarget|systemLibrary)\(\s*name: "([^"]+)""#)
        return regex.matches(in: manifest, range: NSRange(manifest.startIndex..., in: manifest)).map { match in
            let kind = String(manifest[Range(match.range(at: 1), in: manifest)!])
            let name = String(manifest[Range(match.range(at: 2), in: manifest)!])
            let kindEnd = Range(match.range(at: 1), in: manifest)!.upperBound
            let open = manifest.distance(from: manifest.startIndex, to: kindEnd)
            let call = balanced(characters, from: open)
            var dependencies: Set<String> = []
            if let start = call.range(of: "dependencies: [") {
                let callCharacters = Array(call)
                let offset = call.distance(from: call.startIndex, to: start.upperBound) - 1
                var list = balanced(callCharacters, from: offset)
                for product in captures(#"\.product\(name: "([^"]+)"[^)]*\)"#, in: list) {
                    dependencies.insert(product[0])
                }
                list = list.replacingOccurrences(of: #"\.product\([^)]*\)"#, with: "", options: .regularExpression)
                for target in captures(#""([^"]+)""#, in: list) { dependencies.insert(target[0]) }
            }
            let path =
                captures(#"path: "([^"]+)""#, in: call).first?[0]
                ?? (kind == "testTarget" ? "Tests/\(name)" : "Sources/\(name)")
            return Target(name: name, kind: kind, path: path, dependencies: dependencies)
        }
    }

    /// The modules the Swift files under `path` import (platform modules included).
    static func imports(under path: String) throws -> Set<String> {
        let directory = packageRoot.appendingPathComponent(path)
        guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else { return [] }
        var found: Set<String> = []
        for case let file as URL in walker where file.pathExtension == "swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            for line in text.split(separator: "\n") {
                let trimmed = line.drop { $0 == " " }
                guard trimmed.hasPrefix("import ") || trimmed.hasPrefix("@") else { continue }
                let pattern = #"^(?:@\w+ )*import (?:(?:struct|class|enum|func|protocol|typealias|var|let) )?([A-Za-z_][A-Za-z0-9_]*)"#
                if let module = captures(pattern, in: String(trimmed)).first?[0] { found.insert(module) }
            }
        }
        return found
    }

    /// The layering table of docs/architecture.md, lowest layer first: target → the modules it imports.
    static func documentedLayers() throws -> [(target: String, imports: Set<String>)] {
        let doc = try read("docs/architecture.md")
        guard let start = doc.range(of: "<!-- layering table: begin -->"),
            let end = doc.range(of: "<!-- layering table: end -->")
        else { return [] }
        var rows: [(String, Set<String>)] = []
        for line in doc[start.upperBound..<end.lowerBound].split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let target = cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            let modules = captures("`([A-Za-z_][A-Za-z0-9_]*)`", in: cells[2]).map { $0[0] }
            rows.append((target, Set(modules)))
        }
        return rows
    }

    // MARK: Tests

    @Test("docs/architecture.md lists every target of Sources/ once, with exactly the modules it imports")
    func importsMatchTheTable() throws {
        let layers = try Self.documentedLayers()
        #expect(!layers.isEmpty, "docs/architecture.md has no layering table between its markers")
        let targets = try Self.packageTargets().filter { $0.kind != "testTarget" }
        #expect(
            Set(layers.map(\.target)) == Set(targets.map(\.name)),
            "the table's targets and Package.swift's differ")
        #expect(layers.count == Set(layers.map(\.target)).count, "a target is listed twice")
        for target in targets {
            guard let row = layers.first(where: { $0.target == target.name }) else { continue }
            let actual = try Self.imports(under: target.path)
            #expect(
                actual == row.imports,
                "\(target.name): imports \(actual.sorted()), the table says \(row.imports.sorted()); update one of them")
        }
    }

    @Test("no target imports a target listed at or below it in the table (one-way layers)")
    func layersPointDown() throws {
        let layers = try Self.documentedLayers()
        let order = Dictionary(uniqueKeysWithValues: layers.enumerated().map { ($1.target, $0) })
        for (position, layer) in layers.enumerated() {
            for module in layer.imports {
                guard let other = order[module] else { continue }
                #expect(other < position, "\(layer.target) imports \(module), which the table puts above it")
            }
        }
    }

    @Test("Package.swift declares every module a target imports (tests included)")
    func importsAreDeclared() throws {
        let targets = try Self.packageTargets()
        #expect(targets.count > 20, "Package.swift was not parsed (found \(targets.count) targets)")
        for target in targets {
            let undeclared = try Self.imports(under: target.path)
                .subtracting(Self.platformModules).subtracting(target.dependencies)
            #expect(undeclared.isEmpty, "\(target.name) imports \(undeclared.sorted()) without declaring it in Package.swift")
        }
    }
}
