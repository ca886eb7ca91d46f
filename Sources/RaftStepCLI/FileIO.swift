#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Small file helpers for scripts, `save` and `load` (no Foundation in this layer).
enum FileIO {
    /// The whole file as UTF-8 text, or a one-line error.
    static func read(_ path: String) -> Result<String, CLIError> {
        guard let file = fopen(path, "rb") else { return .failure(CLIError("cannot read \(path): \(errnoText())")) }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n > 0 { bytes.append(contentsOf: buffer[0..<n]) }
            if n < buffer.count {
                if ferror(file) != 0 { return .failure(CLIError("cannot read \(path): \(errnoText())")) }
                break
            }
            if bytes.count > 64 << 20 { return .failure(CLIError("\(path) is larger than 64 MiB")) }
        }
        return .success(String(decoding: bytes, as: UTF8.self))
    }

    /// Writes `text` to `path`, replacing it.
    static func write(_ path: String, _ text: String) -> CLIError? {
        guard let file = fopen(path, "wb") else { return CLIError("cannot write \(path): \(errnoText())") }
        let bytes = Array(text.utf8)
        let written = bytes.isEmpty ? 0 : fwrite(bytes, 1, bytes.count, file)
        let closed = fclose(file)
        if written != bytes.count || closed != 0 { return CLIError("cannot write \(path): \(errnoText())") }
        return nil
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }

    /// An environment variable.
    static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }
}

/// A user error in the CLI layer.
struct CLIError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
