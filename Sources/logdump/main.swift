// logdump: decode, verify and repair RaftStep's on-disk Raft logs. A thin command line over
// LogdumpKit (which reads through RaftStorage's one decoder, LogScanner).
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import ArgumentParser
import LogdumpKit
import RaftStorage

let exitCodesHelp = """
    Exit codes: 0 clean (or done), 2 torn tail only, 3 corruption, 4 inconsistency, \
    1 usage or I/O error; diff: 5 when the logs differ.
    """

struct Logdump: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logdump",
        abstract: "Decode, verify and repair RaftStep's on-disk Raft logs (segments + hardstate).",
        discussion: """
            Reads a node's data directory (log-*.seg segments and the hardstate file) with the same decoder that \
            node recovery uses. Nothing is written unless you run `repair --apply` (or `repair --restore`); it is \
            safe to run while a node is writing: records after the last batch marker are shown as a torn tail.

            \(exitCodesHelp)
            See docs/logdump.md for the JSON-lines schema.
            """,
        subcommands: [Dump.self, Verify.self, Repair.self, Stats.self, HardStateCommand.self, Diff.self]
    )
}

/// Runs a LogdumpKit call, mapping its status to the process's exit code.
func finish(_ body: (Output, Output) throws(LogdumpError) -> LogdumpExit) throws -> Never {
    let out = Output(fd: 1), err = Output(fd: 2)
    do {
        let status = try body(out, err)
        out.flush(); err.flush()
        exit(status.rawValue)
    } catch {
        out.flush()
        err.line("logdump: " + error.message)
        err.flush()
        exit(error.status.rawValue)
    }
}

struct Dump: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One line per entry: index, term, type, command.",
        discussion: """
            Shows the log that recovery would rebuild: entries replaced by a later conflict truncation and \
            entries of an unfinished batch (torn tail) are left out unless --physical. A command is printed as \
            text when it is UTF-8 without control characters, quoted with \\n \\t \\xNN escapes when it is UTF-8 with a few control \
            characters, and as 0x-prefixed hex otherwise; configuration entries are decoded.

            After corruption or an inconsistency there is no such log: from the first problem on, every record \
            that reads back is shown in file order (superseded ones included), and each problem takes a `!!` row \
            where it occurs. --to and --limit stop reading early when the log has no problem.

            \(exitCodesHelp) Problems found while reading are summarised on stderr and set the exit code.
            """)

    @Argument(help: ArgumentHelp("A data directory, or segment files (and optionally a hardstate file).", valueName: "DIR|FILE"))
    var paths: [String]

    @Option(help: ArgumentHelp("Show entries with index >= INDEX (inclusive).", valueName: "INDEX"))
    var from: UInt64?

    @Option(help: ArgumentHelp("Show entries with index <= INDEX (inclusive).", valueName: "INDEX"))
    var to: UInt64?

    @Option(help: ArgumentHelp("Show only entries of term T.", valueName: "T"))
    var term: UInt64?

    @Option(
        name: .customLong("type"),
        help: ArgumentHelp("Show only these entry types, comma-separated: normal,noop,config (and batch with --physical).", valueName: "TYPES"))
    var types: String?

    @Option(help: ArgumentHelp("Show only the last N matching entries.", valueName: "N"))
    var tail: Int?

    @Option(help: ArgumentHelp("Stop after the first N matching entries.", valueName: "N"))
    var limit: Int?

    @Option(help: ArgumentHelp("Output format: text (aligned columns) or jsonl (one JSON object per line).", valueName: "text|jsonl"))
    var format: String = "text"

    @Flag(
        help:
            "Show records as stored: segment, offset, record size, kind, CRC and status (ok, superseded, torn-tail), batch markers, and every problem inline."
    )
    var physical = false

    @Option(help: ArgumentHelp("Show at most N payload bytes per entry (0 shows everything).", valueName: "N"))
    var maxBytes: Int = 128

    @Flag(help: "Omit the column header line of the text format.")
    var noHeader = false

    @Option(
        help: ArgumentHelp(
            "With --physical: the columns a line may use, 0 for no limit (default: COLUMNS, else the terminal's width, else 120 when the output is not a terminal). Long fields are cut with …; lines never wrap.",
            valueName: "N"))
    var width: Int?

    func options() throws -> DumpOptions {
        var o = DumpOptions()
        o.from = from
        o.to = to
        o.term = term
        if let types {
            do {
                let parsed = try DumpOptions.parseTypes(types)
                o.types = parsed.types
                o.includeBatches = parsed.batches
            } catch { throw ValidationError(error.message) }
        }
        o.tail = tail
        o.limit = limit
        guard let f = DumpFormat(rawValue: format) else { throw ValidationError("--format must be text or jsonl, not '\(format)'") }
        o.format = f
        o.physical = physical
        o.maxBytes = maxBytes
        o.header = !noHeader
        o.widthColumns = width ?? (physical && f == .text ? terminalWidthColumns() : 0)
        do { try o.validate() } catch { throw ValidationError(error.message) }
        return o
    }

    func validate() throws { _ = try options() }

    func run() throws {
        let o = try options()
        let fs = PosixFileSystem()
        try finish { out, err throws(LogdumpError) in
            let input = try LogInput.resolve(paths, fileSystem: fs)
            return try Dumper(input: input, options: o, fileSystem: fs).run(out: out, err: err)
        }
    }
}

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check every record and the hard state; report every problem, classified.",
        discussion: """
            Each problem is printed with its class (torn tail, corruption, inconsistency), file:offset, the index \
            and term when known, and the stored vs computed CRC32C for checksum failures. The end of the written \
            data is the normal end of a log, not an error. After corruption or an inconsistency, the steps that \
            rebuild the node from its peers come before the verdict (--json: "next_step").

            \(exitCodesHelp)
            """)

    @Argument(help: ArgumentHelp("A data directory, or segment files (and optionally a hardstate file).", valueName: "DIR|FILE"))
    var paths: [String]

    @Flag(help: "Print one JSON object instead of text (schema in docs/logdump.md).")
    var json = false

    func run() throws {
        let fs = PosixFileSystem()
        try finish { out, _ throws(LogdumpError) in
            let input = try LogInput.resolve(paths, fileSystem: fs)
            return try Verifier(input: input, fileSystem: fs, json: json).run(out: out)
        }
    }
}

struct Repair: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Plan (dry run, the default) or apply the repair of a data directory.",
        discussion: """
            Without --apply nothing is written: the exact plan is printed (files, cut offsets, entries and terms \
            that would go, and why it is safe). With --apply, logdump takes an exclusive lock on the directory, \
            copies every file it will change into DIR/logdump-backup-<time>/ with a MANIFEST of sizes and CRC32Cs, \
            cuts, fsyncs files and directory, and verifies again. Only a proven torn tail is cut (and a torn \
            hard-state slot rewritten from the good one); corruption and inconsistency are refused unless \
            --accept-data-loss is given with an explicit --cut-at, and then every lost entry and every lost \
            committed entry is listed. --restore BACKUP puts the backed-up files back, byte for byte.

            \(exitCodesHelp) After --apply the code is that of the re-verify (0 when clean).
            """)

    @Argument(help: ArgumentHelp("The data directory.", valueName: "DIR"))
    var directory: String

    @Flag(help: "Carry the plan out (lock, back up, cut, fsync, re-verify). Without it: dry run.")
    var apply = false

    @Flag(help: "Allow a cut that loses acknowledged entries (needs --cut-at).")
    var acceptDataLoss = false

    @Option(
        help: ArgumentHelp(
            "With --accept-data-loss: the first index that goes; the log keeps the entries below it. Must be a batch boundary before the first damage.",
            valueName: "INDEX"))
    var cutAt: UInt64?

    @Option(help: ArgumentHelp("Undo a repair: put the files of this backup folder (a path, or a name inside DIR) back.", valueName: "BACKUP"))
    var restore: String?

    @Option(help: ArgumentHelp("Name of the backup folder created by --apply (default logdump-backup-<UTC time>).", valueName: "NAME"))
    var backupName: String?

    func options() -> RepairOptions {
        var o = RepairOptions()
        o.apply = apply
        o.acceptDataLoss = acceptDataLoss
        o.cutAt = cutAt
        o.restore = restore
        o.backupName = backupName
        return o
    }

    func validate() throws {
        do { try options().validate() } catch { throw ValidationError(error.message) }
    }

    func run() throws {
        let fs = PosixFileSystem()
        let o = options()
        try finish { out, err throws(LogdumpError) in
            try Repairer(directory: directory, fileSystem: fs, options: o).run(out: out, err: err)
        }
    }
}

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Counts and bytes per entry type, per term (first and last index: a timeline of leaderships), per segment; payload sizes; batch sizes.",
        discussion: exitCodesHelp)

    @Argument(help: ArgumentHelp("A data directory, or segment files (and optionally a hardstate file).", valueName: "DIR|FILE"))
    var paths: [String]

    func run() throws {
        let fs = PosixFileSystem()
        try finish { out, err throws(LogdumpError) in
            let input = try LogInput.resolve(paths, fileSystem: fs)
            return try StatsReport(input: input, fileSystem: fs).run(out: out, err: err)
        }
    }
}

struct HardStateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hardstate",
        abstract: "Term, vote and commit, and both slots of the hard-state file with their checksums.",
        discussion: """
            \(exitCodesHelp) (2: one slot is torn and the other holds the state; 3: no slot reads back or the \
            file has the wrong size; 4: two valid slots that do not belong together.)
            """)

    @Argument(help: ArgumentHelp("A data directory or a hardstate file.", valueName: "DIR|FILE"))
    var path: String

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        let fs = PosixFileSystem()
        try finish { out, _ throws(LogdumpError) in
            try HardStateReport(target: path, fileSystem: fs, json: json).run(out: out)
        }
    }
}

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The first index where two nodes' logs diverge, with both sides shown.",
        discussion: """
            Compares the logs recovery would rebuild (index, term, type and payload of every entry), index by \
            index: an index that one side lacks is shown as damaged (with the problem) or missing. \
            Exit codes: 0 identical, 5 different, 1 usage or I/O error; 2, 3 or 4 when either log has problems.
            """)

    @Argument(help: ArgumentHelp("The first data directory.", valueName: "DIR_A"))
    var a: String

    @Argument(help: ArgumentHelp("The second data directory.", valueName: "DIR_B"))
    var b: String

    @Option(help: ArgumentHelp("Show at most N payload bytes per entry (0 shows everything).", valueName: "N"))
    var maxBytes: Int = 128

    func validate() throws {
        guard maxBytes >= 0 else { throw ValidationError("--max-bytes must be 0 (everything) or more") }
    }

    func run() throws {
        let fs = PosixFileSystem()
        try finish { out, err throws(LogdumpError) in
            let ia = try LogInput.directoryInput(a, fileSystem: fs)
            let ib = try LogInput.directoryInput(b, fileSystem: fs)
            return try LogDiff(a: ia, b: ib, fileSystem: fs, maxBytes: maxBytes).run(out: out, err: err)
        }
    }
}

// Memory must not grow with the log (see pinAllocatorMmapThreshold).
pinAllocatorMmapThreshold()
// Usage errors exit 1 (not ArgumentParser's 64); --help exits 0.
do {
    var command = try Logdump.parseAsRoot()
    try command.run()
} catch {
    let code = Logdump.exitCode(for: error)
    if code == .success {
        print(Logdump.fullMessage(for: error))
        exit(0)
    }
    let message = Logdump.fullMessage(for: error)
    let err = Output(fd: 2)
    err.line(message.hasPrefix("Error:") || message.hasPrefix("Usage:") ? message : "logdump: " + message)
    err.flush()
    exit(1)
}
