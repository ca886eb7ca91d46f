#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Synchronization

/// A tiny levelled logger that writes one line per event to stderr; safe to call from any thread.
///
/// Lines look like `raftd n1 warn peer: closing 127.0.0.1:5001: bad checksum`; the level is settable
/// while the node runs. A line is written with one `write(2)` so concurrent lines never interleave.
public final class ServerLog: Sendable {
    /// How much to say, most severe first.
    public enum Level: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
        /// Something failed and was not recovered from here.
        case error = 0
        /// Something unexpected that the node survives (a malformed frame, a lost connection).
        case warn = 1
        /// Lifecycle: listening, connected, stopped.
        case info = 2
        /// Per-connection and per-message detail.
        case debug = 3

        /// The lower-case name used on the command line and in log lines.
        public var description: String {
            switch self {
            case .error: return "error"
            case .warn: return "warn"
            case .info: return "info"
            case .debug: return "debug"
            }
        }

        /// Parses `error`, `warn`, `info` or `debug`.
        public init?(name: String) {
            guard let level = Level.allCases.first(where: { $0.description == name }) else { return nil }
            self = level
        }

        /// Orders by verbosity: `error < warn < info < debug`.
        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// Where lines go: stderr by default; tests capture them instead.
    public typealias Sink = @Sendable (String) -> Void

    private let prefix: String
    private let sink: Sink
    // Behind a lock so `level` can change while other threads log.
    private let state: Mutex<Level>

    /// Creates a logger whose lines start with `prefix` (for example `raftd n1`).
    public init(prefix: String, level: Level = .info, sink: Sink? = nil) {
        self.prefix = prefix
        self.state = Mutex(level)
        self.sink = sink ?? ServerLog.writeToStderr
    }

    /// The most verbose level that is written.
    public var level: Level {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }

    /// Whether a line at `level` would be written (to skip building expensive messages).
    public func isEnabled(_ level: Level) -> Bool { level <= self.level }

    /// Writes `message` at `level` when enabled; the message is only built then.
    public func log(_ level: Level, _ message: @autoclosure () -> String) {
        guard isEnabled(level) else { return }
        sink("\(prefix) \(level) \(message())")
    }

    /// Writes at `error`.
    public func error(_ message: @autoclosure () -> String) { log(.error, message()) }
    /// Writes at `warn`.
    public func warn(_ message: @autoclosure () -> String) { log(.warn, message()) }
    /// Writes at `info`.
    public func info(_ message: @autoclosure () -> String) { log(.info, message()) }
    /// Writes at `debug`.
    public func debug(_ message: @autoclosure () -> String) { log(.debug, message()) }

    private static let writeToStderr: Sink = { line in
        var bytes = Array((line + "\n").utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { return }  // stderr closed: nothing sensible left to do with a log line
                offset += written
            }
        }
    }
}

import NIOCore

extension SocketAddress {
    /// `HOST:PORT` (`[HOST]:PORT` for IPv6), for log lines; NIO's own description repeats the host.
    var hostPort: String {
        guard let ip = ipAddress, let port else { return description }
        if case .v6 = self { return "[\(ip)]:\(port)" }
        return "\(ip):\(port)"
    }
}
