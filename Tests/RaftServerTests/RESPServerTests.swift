import Dispatch
import NIOCore
import NIOPosix
import RaftCore
import Synchronization
import Testing
@testable import RaftServer

/// `RESPServer` on loopback: answers, pipelining with answers given out of order from other threads,
/// QUIT, and garbage that closes one connection and not the server.
@Suite("RESP server")
struct RESPServerTests {
    /// PING, ECHO, and `SLEEP ms value`, answered after `ms` milliseconds from another thread.
    static let handler: RESPServer.Handler = { command, reply in
        switch command.name {
        case "PING": reply.send(.simpleString("PONG"))
        case "ECHO" where command.arguments.count == 2: reply.send(.bulkString(command.arguments[1]))
        case "SLEEP" where command.arguments.count == 3:
            let ms = Int(String(decoding: command.arguments[1], as: UTF8.self)) ?? 0
            let value = command.arguments[2]
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(ms)) { reply.send(.bulkString(value)) }
        default: reply.send(.error("ERR unknown command '\(command.name)'"))
        }
    }

    func withServer(_ body: (RESPServer, Int, LogCapture) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let lines = LogCapture()
        let log = lines.log()
        let server = RESPServer(
            listenAddress: try SocketAddress(ipAddress: "127.0.0.1", port: 0), group: group,
            log: log, handler: Self.handler)
        try await server.start()
        let port = try #require(server.localPort)
        do {
            try await body(server, port, lines)
        } catch {
            await server.shutdown()
            try await group.shutdownGracefully()
            throw error
        }
        await server.shutdown()
        #expect(server.connectionCount == 0)
        try await group.shutdownGracefully()
    }

    @Test("PING, inline and array, and ECHO of binary data")
    func ping() async throws {
        try await withServer { _, port, _ in
            let client = try TestSocket(port: port)
            client.write("PING\r\n")
            client.write(RESPCommand("ECHO", "a\r\nb").encoded)
            #expect(try client.readValues(2) == [.simpleString("PONG"), .bulk("a\r\nb")])
        }
    }

    @Test("a pipelined burst answered out of order from other threads comes back in request order")
    func pipelinedInOrder() async throws {
        try await withServer { _, port, _ in
            let client = try TestSocket(port: port)
            // Later requests answer sooner: every answer but the last waits for an earlier one.
            var burst: [UInt8] = []
            var expected: [RESPValue] = []
            for i in 0..<300 {
                if i % 3 == 0 {
                    burst += RESPCommand("SLEEP", String((300 - i) / 10), "v\(i)").encoded
                    expected.append(.bulk("v\(i)"))
                } else if i % 3 == 1 {
                    burst += Array("PING\r\n".utf8)
                    expected.append(.simpleString("PONG"))
                } else {
                    burst += RESPCommand("ECHO", "e\(i)").encoded
                    expected.append(.bulk("e\(i)"))
                }
            }
            client.write(burst)
            #expect(try client.readValues(expected.count) == expected)
        }
    }

    @Test("more pipelined requests than may wait: reading pauses and resumes, nothing is lost")
    func backPressure() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = RESPServer(
            listenAddress: try SocketAddress(ipAddress: "127.0.0.1", port: 0), group: group,
            log: ServerLog(prefix: "test", level: .error), maxPendingReplies: 4, handler: Self.handler)
        try await server.start()
        let client = try TestSocket(port: try #require(server.localPort))
        let burst = (0..<200).flatMap { RESPCommand("SLEEP", "1", "\($0)").encoded }
        client.write(burst)
        #expect(try client.readValues(200) == (0..<200).map { .bulk("\($0)") })
        await server.shutdown()
        try await group.shutdownGracefully()
    }

    @Test("QUIT answers +OK after earlier answers and closes")
    func quit() async throws {
        try await withServer { _, port, _ in
            let client = try TestSocket(port: port)
            client.write(RESPCommand("SLEEP", "20", "first").encoded + Array("QUIT\r\nPING\r\n".utf8))
            #expect(try client.readValues(2) == [.bulk("first"), .ok])
            #expect(client.readsEndOfStream(), "PING after QUIT is not answered; the connection closes")
        }
    }

    @Test("garbage gets a protocol error and a closed connection; the server keeps serving")
    func garbage() async throws {
        try await withServer { server, port, lines in
            let garbage: [([UInt8], RESPValue)] = [
                (Array("*x\r\n".utf8), .error("ERR Protocol error: invalid multibulk length")),
                (Array("*1\r\n$999999999999\r\n".utf8), .error("ERR Protocol error: invalid bulk length")),
                (Array("*2\r\n$4\r\nECHO\r\n+no\r\n".utf8), .error("ERR Protocol error: expected '$', got '+'")),
                ([UInt8](repeating: 0x41, count: 70_000), .error("ERR Protocol error: too big inline request")),
            ]
            for (bytes, reply) in garbage {
                let bad = try TestSocket(port: port)
                bad.write("PING\r\n")
                bad.write(bytes)
                #expect(try bad.readValues(2) == [.simpleString("PONG"), reply])
                #expect(bad.readsEndOfStream())
            }
            // Random noise, half of it starting like an array, from clients that then hang up.
            var random = SeededGenerator(seed: 7)
            for round in 0..<40 {
                let noise = try TestSocket(port: port)
                let bytes = (0..<Int(random.next(below: 3000))).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                noise.write((round % 2 == 0 ? Array("*3\r\n$".utf8) : []) + bytes)
            }
            let client = try TestSocket(port: port)
            client.write("PING\r\n")
            #expect(try client.readValues(1) == [.simpleString("PONG")])
            #expect(lines.contains("Protocol error: invalid multibulk length; closing"))
            #expect(await eventually { server.connectionCount == 1 })
        }
    }

    @Test("a client above the connection limit is told so and closed; a freed slot is taken again")
    func connectionLimit() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let lines = LogCapture()
        let server = RESPServer(
            listenAddress: try SocketAddress(ipAddress: "127.0.0.1", port: 0), group: group,
            log: lines.log(), maxConnections: 2, handler: Self.handler)
        try await server.start()
        let port = try #require(server.localPort)
        var first: TestSocket? = try TestSocket(port: port)
        let second = try TestSocket(port: port)
        first!.write("PING\r\n")
        second.write("PING\r\n")
        #expect(try first!.readValues(1) == [.simpleString("PONG")])
        #expect(try second.readValues(1) == [.simpleString("PONG")])
        let third = try TestSocket(port: port)
        third.write("PING\r\n")
        #expect(try third.readValues(1) == [.error("ERR max number of clients reached")])
        #expect(third.readsEndOfStream())
        #expect(lines.contains("refusing a client from 127.0.0.1:"))
        #expect(lines.contains("2 connections are open, the most allowed"))
        #expect(server.connectionCount == 2)
        first = nil  // closes its socket: its slot frees once the server sees the close
        #expect(await eventually { server.connectionCount == 1 })
        let fourth = try TestSocket(port: port)
        fourth.write("PING\r\n")
        #expect(try fourth.readValues(1) == [.simpleString("PONG")])
        await server.shutdown()
        try await group.shutdownGracefully()
    }
}
