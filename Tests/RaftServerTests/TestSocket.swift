#if canImport(Glibc)
    import Glibc
#endif
import NIOCore
import Synchronization
@testable import RaftServer

/// A blocking TCP client on 127.0.0.1 for loopback tests: raw bytes in and out, every read bounded
/// by a receive timeout so a test cannot hang.
final class TestSocket {
    enum Failure: Error {
        case connect(Int32)
        case timeout, closed
    }

    private let fd: Int32
    private var received = ByteBuffer()

    init(port: Int, timeoutSeconds: Int = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw Failure.connect(errno)
        }
    }

    deinit { close(fd) }

    func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }  // the server closed; the test reads and sees it
            offset += n
        }
    }

    func write(_ text: String) { write(Array(text.utf8)) }

    /// Reads until `count` RESP values are parsed.
    func readValues(_ count: Int) throws -> [RESPValue] {
        var values: [RESPValue] = []
        while values.count < count {
            if let value = try RESPValue.read(from: &received) {
                values.append(value)
            } else {
                try fill()
            }
        }
        return values
    }

    /// True when the server closes the connection (after any bytes still unread).
    func readsEndOfStream() -> Bool {
        while true {
            do { try fill() } catch Failure.closed { return true } catch { return false }
        }
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { throw Failure.closed }
        if n < 0 { throw errno == EAGAIN || errno == EWOULDBLOCK ? Failure.timeout : Failure.closed }
        received.writeBytes(chunk[..<n])
    }
}

/// Polls `condition` every few milliseconds until it holds or `seconds` pass.
func eventually(seconds: Double = 10, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

/// Collects a `ServerLog`'s lines for assertions.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    /// A logger at `level` writing here.
    func log(prefix: String = "test", level: ServerLog.Level = .debug) -> ServerLog {
        ServerLog(prefix: prefix, level: level, sink: { [self] line in lines.withLock { $0.append(line) } })
    }

    /// Whether some line contains `text`.
    func contains(_ text: String) -> Bool { lines.withLock { $0.contains { $0.contains(text) } } }

    /// Every line so far.
    var all: [String] { lines.withLock { $0 } }
}
