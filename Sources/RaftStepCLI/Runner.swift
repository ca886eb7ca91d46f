import LineEditor
import RaftCore
import RaftSim

/// Runs a session from a script file, from piped input, or at an interactive prompt.
public enum Runner {
    /// Runs the lines of a script, printing a transcript through `write`; returns the exit code:
    /// 0 when every line passed, 1 at the first failed expect, failed command or violation
    /// (with `set on-violation continue`, violations do not stop the script).
    public static func runScript(lines: [String], name: String, session: Session, write: (String) -> Void) -> Int32 {
        write(session.banner)
        for (number, line) in lines.enumerated() {
            let trimmed = line.trimmingTrailingSpaces()
            if Session.tokenize(trimmed).isEmpty {
                write(trimmed)
                continue
            }
            write("> " + trimmed)
            let result = session.execute(trimmed)
            for output in result.lines { write(output) }
            switch result.status {
            case .ok: continue
            case .quit: return 0
            case .violation where !session.stopsOnViolation: continue
            case .error, .expectationFailed, .violation:
                let what =
                    result.status == .error ? "command failed" : result.status == .expectationFailed ? "expectation failed" : "invariant violated"
                write("FAILED at \(name):\(number + 1): \(what): \(trimmed)")
                return 1
            }
        }
        return 0
    }

    /// Runs a script file; the transcript goes to standard output.
    public static func runScript(path: String, options: SessionOptions) -> Int32 {
        let text: String
        switch FileIO.read(path) {
        case .success(let t): text = t
        case .failure(let e):
            printError("raftstep: \(e.message)")
            return 2
        }
        let session: Session
        do { session = try Session(options: options) } catch {
            printError("raftstep: \(error)")
            return 2
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        let code = runScript(lines: lines, name: path, session: session) { print($0) }
        if code != 0 { printError("raftstep: \(path) failed (see the FAILED line above)") }
        return code
    }

    /// Runs lines as typed at the prompt (the REPL's behaviour with piped input): each line is
    /// echoed after the prompt, errors do not stop anything. Returns 1 when any line failed.
    public static func runPiped(lines: [String], session: Session, write: (String) -> Void) -> Int32 {
        write(session.banner)
        var sawError = false
        for line in lines {
            write("raftstep> " + line)
            let result = session.execute(line)
            for output in result.lines { write(output) }
            if result.status == .error || result.status == .expectationFailed { sawError = true }
            if result.status == .quit { break }
        }
        return sawError ? 1 : 0
    }

    /// The REPL: readline at a terminal, echoed plain lines otherwise. Returns the exit code.
    public static func runInteractive(options: SessionOptions) -> Int32 {
        let session: Session
        do { session = try Session(options: options) } catch {
            printError("raftstep: \(error)")
            return 2
        }
        let interactive = LineEditor.isInteractive
        let editor = LineEditor(historyFile: LineEditor.defaultHistoryFile(name: "raftstep")) { before, word in
            session.completions(before: before, word: word)
        }
        print(session.banner)
        if interactive { print("type help for the commands, quit to leave") }
        var sawError = false
        while let line = editor.readLine(prompt: "raftstep> ") {
            if !interactive { print("raftstep> " + line) }
            // Pictures fit the terminal as it is now (it may have been resized).
            if let columns = LessonRunner.terminalColumns() { session.width = columns }
            let result = session.execute(line)
            for output in result.lines {
                // At a terminal, long lines are cut between words (the terminal would cut mid-word).
                for piece in interactive ? Wrap.lines(output, widthColumns: session.width) : [output] { print(piece) }
            }
            if result.status == .error || result.status == .expectationFailed { sawError = true }
            if result.status == .quit { break }
        }
        editor.close()
        return interactive || !sawError ? 0 : 1
    }

    static func printError(_ text: String) {
        var standardError = StandardError()
        print(text, to: &standardError)
    }
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        let bytes = Array(string.utf8)
        _ = bytes.withUnsafeBufferPointer { fwriteStderr($0) }
    }
}
