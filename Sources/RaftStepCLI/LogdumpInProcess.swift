import LogdumpKit
import RaftStorage

/// `logdump` run inside the process: the same LogdumpKit calls as the `logdump` executable, with
/// its output captured as lines. The REPL's `logdump` command, lesson 10 and the documentation
/// tests (samples/README.md, the README tour) go through it.
///
/// The options are those of the executable (`logdump SUBCOMMAND --help`); this is a small parser
/// of the same spellings, because the executable's ArgumentParser types live in its main.swift.
public enum LogdumpInProcess {
    /// What one logdump command printed and its exit status.
    public struct Result: Sendable, Equatable {
        /// Standard output, then standard error, split into lines.
        public var lines: [String]
        /// The exit code the executable would return (0 clean, 1 usage or I/O, 2 torn tail,
        /// 3 corruption, 4 inconsistency, 5 diff: the logs differ).
        public var exitCode: Int32
    }

    /// The usage line the REPL shows for `logdump`.
    public static let usage = "logdump dump|verify|repair|stats|hardstate|diff ARGS… (as the logdump program)"

    /// Runs `logdump ARGS…` (without the program name) on real files.
    public static func run(_ args: [String]) -> Result {
        let out = Output(), err = Output()
        let status: Int32
        do {
            status = try dispatch(args, out: out, err: err).rawValue
        } catch {
            err.line("logdump: " + error.message)
            status = error.status.rawValue
        }
        var lines = split(out.text)
        lines += split(err.text)
        return Result(lines: lines, exitCode: status)
    }

    private static func split(_ text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// Options of one subcommand: flags (no value) and options (one value).
    private struct Parsed {
        var flags: Set<String> = []
        var values: [String: String] = [:]
        var positional: [String] = []

        init(_ args: ArraySlice<String>, flags allowedFlags: Set<String>, options allowedOptions: Set<String>) throws(LogdumpError) {
            var i = args.startIndex
            while i < args.endIndex {
                let word = args[i]
                if word.hasPrefix("--") {
                    var name = String(word.dropFirst(2))
                    var inline: String?
                    if let eq = name.firstIndex(of: "=") {
                        inline = String(name[name.index(after: eq)...])
                        name = String(name[..<eq])
                    }
                    if allowedFlags.contains(name) && inline == nil {
                        flags.insert(name)
                    } else if allowedOptions.contains(name) {
                        if let inline {
                            values[name] = inline
                        } else {
                            i += 1
                            guard i < args.endIndex else { throw LogdumpError("--\(name) needs a value") }
                            values[name] = args[i]
                        }
                    } else {
                        throw LogdumpError("unknown option '\(word)'")
                    }
                } else {
                    positional.append(word)
                }
                i += 1
            }
        }

        func number<T: FixedWidthInteger>(_ name: String, as: T.Type = T.self) throws(LogdumpError) -> T? {
            guard let text = values[name] else { return nil }
            guard let value = T(text) else { throw LogdumpError("--\(name) must be a number, not '\(text)'") }
            return value
        }
    }

    private static func dispatch(_ args: [String], out: Output, err: Output) throws(LogdumpError) -> LogdumpExit {
        guard let sub = args.first else { throw LogdumpError("name a subcommand: dump, verify, repair, stats, hardstate or diff") }
        let rest = args.dropFirst()
        let fs = PosixFileSystem()
        switch sub {
        case "dump":
            let p = try Parsed(
                rest, flags: ["physical", "no-header"],
                options: ["from", "to", "term", "type", "tail", "limit", "format", "max-bytes", "width"])
            var o = DumpOptions()
            o.from = try p.number("from")
            o.to = try p.number("to")
            o.term = try p.number("term")
            if let types = p.values["type"] {
                let parsed = try DumpOptions.parseTypes(types)
                o.types = parsed.types
                o.includeBatches = parsed.batches
            }
            o.tail = try p.number("tail")
            o.limit = try p.number("limit")
            if let format = p.values["format"] {
                guard let f = DumpFormat(rawValue: format) else { throw LogdumpError("--format must be text or jsonl, not '\(format)'") }
                o.format = f
            }
            o.physical = p.flags.contains("physical")
            if let maxBytes: Int = try p.number("max-bytes") { o.maxBytes = maxBytes }
            o.header = !p.flags.contains("no-header")
            o.widthColumns = try p.number("width") ?? (o.physical && o.format == .text ? interactiveWidthColumns() : 0)
            try o.validate()
            let input = try LogInput.resolve(try paths(p), fileSystem: fs)
            return try Dumper(input: input, options: o, fileSystem: fs).run(out: out, err: err)
        case "verify":
            let p = try Parsed(rest, flags: ["json"], options: [])
            let input = try LogInput.resolve(try paths(p), fileSystem: fs)
            return try Verifier(input: input, fileSystem: fs, json: p.flags.contains("json")).run(out: out)
        case "repair":
            let p = try Parsed(rest, flags: ["apply", "accept-data-loss"], options: ["cut-at", "restore", "backup-name"])
            guard p.positional.count == 1 else { throw LogdumpError("repair takes one data directory") }
            var o = RepairOptions()
            o.apply = p.flags.contains("apply")
            o.acceptDataLoss = p.flags.contains("accept-data-loss")
            o.cutAt = try p.number("cut-at")
            o.restore = p.values["restore"]
            o.backupName = p.values["backup-name"]
            try o.validate()
            return try Repairer(directory: p.positional[0], fileSystem: fs, options: o).run(out: out, err: err)
        case "stats":
            let p = try Parsed(rest, flags: [], options: [])
            let input = try LogInput.resolve(try paths(p), fileSystem: fs)
            return try StatsReport(input: input, fileSystem: fs).run(out: out, err: err)
        case "hardstate":
            let p = try Parsed(rest, flags: ["json"], options: [])
            guard p.positional.count == 1 else { throw LogdumpError("hardstate takes one data directory or hardstate file") }
            return try HardStateReport(target: p.positional[0], fileSystem: fs, json: p.flags.contains("json")).run(out: out)
        case "diff":
            let p = try Parsed(rest, flags: [], options: ["max-bytes"])
            guard p.positional.count == 2 else { throw LogdumpError("diff takes two data directories") }
            let maxBytes: Int = try p.number("max-bytes") ?? 128
            guard maxBytes >= 0 else { throw LogdumpError("--max-bytes must be 0 (everything) or more") }
            let a = try LogInput.directoryInput(p.positional[0], fileSystem: fs)
            let b = try LogInput.directoryInput(p.positional[1], fileSystem: fs)
            return try LogDiff(a: a, b: b, fileSystem: fs, maxBytes: maxBytes).run(out: out, err: err)
        default:
            throw LogdumpError("unknown subcommand '\(sub)': dump, verify, repair, stats, hardstate or diff")
        }
    }

    private static func paths(_ p: Parsed) throws(LogdumpError) -> [String] {
        guard !p.positional.isEmpty else { throw LogdumpError("name a data directory or segment files") }
        return p.positional
    }
}
