import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// Where a node listens: an IPv4 address and a port.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    /// Dotted IPv4, e.g. `127.0.0.1` or `10.77.3.2`.
    public var host: String
    /// The TCP port.
    public var port: Int

    /// An endpoint.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `HOST:PORT`.
    public var description: String { "\(host):\(port)" }
}

/// A blocking RESP2 client (tests and the fault campaign): one request, one reply, with a deadline.
public final class RESPClient {
    /// The socket.
    public let fd: Int32
    private var buffer: [UInt8] = []

    /// Connects to 127.0.0.1:port; nil when nothing listens. Each send and receive waits at most
    /// `timeoutMilliseconds` (then the call returns nil: its outcome is unknown).
    public convenience init?(port: Int, timeoutSeconds: Int = 5) {
        self.init(port: port, timeoutMilliseconds: timeoutSeconds * 1000)
    }

    /// Connects to 127.0.0.1:port with a deadline in milliseconds; nil when nothing listens.
    public convenience init?(port: Int, timeoutMilliseconds: Int) {
        self.init(endpoint: Endpoint(host: "127.0.0.1", port: port), timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Connects to an endpoint with a deadline in milliseconds (connecting included); nil when the
    /// connection cannot be made (nothing listens, no route, or the deadline passed).
    public init?(endpoint: Endpoint, timeoutMilliseconds: Int) {
        let port = endpoint.port
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr(endpoint.host)
        var timeout = timeval(tv_sec: timeoutMilliseconds / 1000, tv_usec: (timeoutMilliseconds % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(fd); return nil }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        self.fd = fd
    }

    deinit { close(fd) }

    /// The redirect port in a `-MOVED 0 HOST:PORT` error, if `value` is one.
    public static func movedPort(_ value: Value?) -> Int? { movedEndpoint(value)?.port }

    /// The redirect target in a `-MOVED 0 HOST:PORT` error, if `value` is one.
    public static func movedEndpoint(_ value: Value?) -> Endpoint? {
        guard case .error(let text)? = value, text.hasPrefix("MOVED "),
            let target = text.split(separator: " ").last
        else { return nil }
        let parts = target.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]) else { return nil }
        return Endpoint(host: String(parts[0]), port: port)
    }

    /// A reply: status, error, integer, bulk (nil: null) or array.
    public indirect enum Value: Equatable, Sendable {
        case status(String)
        case error(String)
        case integer(Int64)
        case bulk(String?)
        case array([Value])
    }

    /// Sends raw bytes (garbage tests).
    public func sendRaw(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count
    }

    /// Sends a command and reads its reply; nil on a timeout or a closed connection.
    public func call(_ words: String...) -> Value? { call(words) }

    /// Sends a command given as words and reads its reply; nil on a timeout or a closed connection.
    public func call(_ words: [String]) -> Value? {
        var request = "*\(words.count)\r\n"
        for word in words { request += "$\(word.utf8.count)\r\n\(word)\r\n" }
        guard sendRaw(Array(request.utf8)) else { return nil }
        return readValue()
    }

    private func readLine() -> String? {
        while true {
            if let end = buffer.firstIndex(of: 10), end > 0, buffer[end - 1] == 13 {
                let line = String(decoding: buffer[..<(end - 1)], as: UTF8.self)
                buffer.removeFirst(end + 1)
                return line
            }
            guard fill() else { return nil }
        }
    }

    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
        guard count > 0 else { return false }
        buffer.append(contentsOf: chunk[..<count])
        return true
    }

    private func readValue() -> Value? {
        guard let line = readLine(), let marker = line.first else { return nil }
        let rest = String(line.dropFirst())
        switch marker {
        case "+": return .status(rest)
        case "-": return .error(rest)
        case ":": return Int64(rest).map(Value.integer)
        case "$":
            guard let count = Int(rest) else { return nil }
            if count < 0 { return .bulk(nil) }
            while buffer.count < count + 2 { guard fill() else { return nil } }
            let text = String(decoding: buffer[..<count], as: UTF8.self)
            buffer.removeFirst(count + 2)
            return .bulk(text)
        case "*":
            guard let count = Int(rest) else { return nil }
            var values: [Value] = []
            for _ in 0..<max(count, 0) {
                guard let value = readValue() else { return nil }
                values.append(value)
            }
            return .array(values)
        default: return nil
        }
    }
}
