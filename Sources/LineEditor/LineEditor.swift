import CReadline
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A prompt with line editing, history and tab completion through GNU readline; plain lines
/// from standard input when it is not a terminal.
///
/// Readline keeps global state, so there is one editor per process at a time.
public final class LineEditor {
    /// Offers completions: given the text of the line before the word being completed and the
    /// word so far, returns the candidates (the editor keeps those that start with the word).
    public typealias Completer = (_ before: String, _ word: String) -> [String]

    /// Whether standard input is a terminal (then readline is used).
    public static var isInteractive: Bool { isatty(STDIN_FILENO) != 0 }

    private let historyFile: String?
    private let interactive: Bool

    /// Creates the editor.
    /// - Parameters:
    ///   - historyFile: where history is loaded from and saved to (nil: no history file).
    ///   - completer: tab completion.
    public init(historyFile: String?, completer: @escaping Completer) {
        self.historyFile = historyFile
        self.interactive = LineEditor.isInteractive
        LineEditorState.completer = completer
        guard interactive else { return }
        ReadlineVariables.readlineName.pointee = UnsafePointer(LineEditorState.readlineName)
        ReadlineVariables.attemptedCompletionFunction.pointee = lineEditorComplete
        ReadlineVariables.basicWordBreakCharacters.pointee = UnsafePointer(LineEditorState.wordBreaks)
        // Ctrl-C abandons the line being typed (as in a shell) instead of ending the session.
        signal(SIGINT, lineEditorInterrupt)
        using_history()
        stifle_history(1000)
        if let historyFile, read_history(historyFile) != 0 {
            // No history yet: create the file, so each line can be appended as it is typed
            // (and survives a session that ends abruptly).
            _ = write_history(historyFile)
        }
    }

    /// Reads one line; nil at end of input.
    public func readLine(prompt: String) -> String? {
        guard interactive else { return Swift.readLine(strippingNewline: true) }
        guard let raw = readline(prompt) else { return nil }
        defer { free(raw) }
        let line = String(cString: raw)
        if !line.allSatisfy(\.isWhitespace) {
            let length = ReadlineVariables.historyLength.pointee
            let last = length > 0 ? history_get(ReadlineVariables.historyBase.pointee + length - 1) : nil
            let previous = last.flatMap { $0.pointee.line }.map { String(cString: $0) }
            if previous != line {
                add_history(line)
                if let historyFile { _ = append_history(1, historyFile) }
            }
        }
        return line
    }

    /// Writes the history file (trimmed to the last 1000 lines).
    public func close() {
        guard interactive, let historyFile else { return }
        _ = write_history(historyFile)
        _ = history_truncate_file(historyFile, 1000)
    }

    /// The default history file: `~/.raftstep_history`.
    public static func defaultHistoryFile(name: String) -> String? {
        guard let home = getenv("HOME") else { return nil }
        return String(cString: home) + "/." + name + "_history"
    }
}

enum LineEditorState {
    nonisolated(unsafe) static var completer: LineEditor.Completer = { _, _ in [] }
    nonisolated(unsafe) static var matches: [String] = []
    nonisolated(unsafe) static var next = 0
    nonisolated(unsafe) static let readlineName: UnsafeMutablePointer<CChar> = strdup("raftstep")
    nonisolated(unsafe) static let wordBreaks: UnsafeMutablePointer<CChar> = strdup(" \t\n|")
}

private func lineEditorComplete(_ text: UnsafePointer<CChar>?, _ start: Int32, _ end: Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
    ReadlineVariables.attemptedCompletionOver.pointee = 1
    let word = text.map { String(cString: $0) } ?? ""
    var before = ""
    if let buffer = ReadlineVariables.lineBuffer.pointee, start > 0 {
        let bytes = UnsafeRawBufferPointer(start: buffer, count: Int(start)).map { $0 }
        before = String(decoding: bytes, as: UTF8.self)
    }
    LineEditorState.matches = LineEditorState.completer(before, word).filter { $0.hasPrefix(word) }
    LineEditorState.next = 0
    return rl_completion_matches(text, lineEditorGenerate)
}

private func lineEditorInterrupt(_ signal: Int32) {
    let newline: [UInt8] = [10]
    _ = newline.withUnsafeBufferPointer { write(STDOUT_FILENO, $0.baseAddress, 1) }
    rl_on_new_line()
    rl_replace_line("", 0)
    rl_redisplay()
}

private func lineEditorGenerate(_ text: UnsafePointer<CChar>?, _ state: Int32) -> UnsafeMutablePointer<CChar>? {
    if state == 0 { LineEditorState.next = 0 }
    guard LineEditorState.next < LineEditorState.matches.count else { return nil }
    let match = LineEditorState.matches[LineEditorState.next]
    LineEditorState.next += 1
    return strdup(match)
}

/// Readline's global variables, reached through the dynamic linker: Swift 6 refuses direct access
/// to mutable C globals, and readline is only ever used from the main thread here.
enum ReadlineVariables {
    /// `rl_completion_func_t *`: a plain C function pointer (the imported typedef is a Swift closure type).
    typealias CompletionFunction = @convention(c) (UnsafePointer<CChar>?, Int32, Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
    private static func variable<T>(_ name: String, _ type: T.Type) -> UnsafeMutablePointer<T> {
        let handle = dlopen(nil, RTLD_NOW)
        guard let address = dlsym(handle, name) else { fatalError("readline lacks \(name)") }
        return address.assumingMemoryBound(to: T.self)
    }
    nonisolated(unsafe) static let readlineName = variable("rl_readline_name", UnsafePointer<CChar>?.self)
    nonisolated(unsafe) static let attemptedCompletionFunction = variable("rl_attempted_completion_function", CompletionFunction?.self)
    nonisolated(unsafe) static let basicWordBreakCharacters = variable("rl_basic_word_break_characters", UnsafePointer<CChar>?.self)
    nonisolated(unsafe) static let attemptedCompletionOver = variable("rl_attempted_completion_over", Int32.self)
    nonisolated(unsafe) static let lineBuffer = variable("rl_line_buffer", UnsafeMutablePointer<CChar>?.self)
    nonisolated(unsafe) static let historyLength = variable("history_length", Int32.self)
    nonisolated(unsafe) static let historyBase = variable("history_base", Int32.self)
}
