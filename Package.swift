// swift-tools-version:6.0
// RaftStep: a Raft core you can step through one message at a time, its storage, a REPL and a log inspector.
// Layers (lowest first; a layer never imports one above it): docs/architecture.md, whose table
// Tests/DocsTests/LayeringTests.swift checks against every target's imports and the dependencies below.
import PackageDescription

let package = Package(
    name: "RaftStep",
    products: [
        .library(name: "RaftCore", targets: ["RaftCore"]),
        .library(name: "RaftStorage", targets: ["RaftStorage"]),
        .library(name: "RaftHost", targets: ["RaftHost"]),
        .library(name: "RaftSim", targets: ["RaftSim"]),
        .executable(name: "raftstep", targets: ["raftstep"]),
        .executable(name: "logdump", targets: ["logdump"]),
        .executable(name: "raftbench", targets: ["raftbench"]),
        .executable(name: "raftd", targets: ["raftd"]),
        .library(name: "LinCheck", targets: ["LinCheck"]),
        .executable(name: "lincheck", targets: ["lincheck"]),
        .executable(name: "raftchaos", targets: ["raftchaos"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    ],
    targets: [
        // Pure Raft state machine: Swift stdlib only.
        .target(name: "RaftCore"),
        // On-disk log, hard state, recovery scan, FileSystem seam.
        .target(name: "RaftStorage", dependencies: ["RaftCore", "CCRC32C"]),
        // CRC32C with the SSE4.2 instruction (runtime-detected) and a portable table fallback.
        .target(name: "CCRC32C"),
        // The one Ready loop (NodeHost), the StateMachine and Transport protocols, the key-value store.
        .target(name: "RaftHost", dependencies: ["RaftCore", "RaftStorage"]),
        // In-process cluster, simulated network and disks, invariant checker.
        .target(
            name: "RaftSim",
            dependencies: [
                "RaftCore", "RaftStorage", "RaftHost", "JSONText", .product(name: "DequeModule", package: "swift-collections"),
            ]),
        // GNU readline, as a system library.
        .systemLibrary(name: "CReadline", providers: [.apt(["libreadline-dev"])]),
        // Prompt, history and completion on top of readline; plain lines when stdin is not a TTY.
        .target(name: "LineEditor", dependencies: ["CReadline"]),
        // REPL command language, rendering and script runner, testable without a terminal.
        .target(name: "RaftStepCLI", dependencies: ["RaftSim", "RaftHost", "RaftStorage", "RaftCore", "LineEditor", "LogdumpKit"]),
        .executableTarget(
            name: "raftstep",
            dependencies: [
                "RaftStepCLI", "RaftSim", "RaftCore", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // logdump's subcommands, rendering, filters and repair driver — a library so tests can drive it.
        .target(name: "LogdumpKit", dependencies: ["RaftStorage", "RaftCore"]),
        .executableTarget(
            name: "logdump",
            dependencies: [
                "LogdumpKit", "RaftStorage", "RaftCore", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Benchmarks of the core (and later storage) against in-run baselines.
        .executableTarget(
            name: "raftbench",
            dependencies: [
                "RaftCore", "RaftStorage", "LogdumpKit", "RaftTesting", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // The network layer of raftd: peer frames and transport, RESP2 codec and server, a logger.
        .target(
            name: "RaftServer",
            dependencies: [
                "RaftCore", "RaftStorage",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ]),
        // raftd's node: a NodeHost driven by ticks, peers and clients; the member directory; RESP commands.
        .target(
            name: "RaftDaemon",
            dependencies: [
                "RaftCore", "RaftStorage", "RaftHost", "RaftServer",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // raftd: a thin main over RaftDaemon serving the key-value store.
        .executableTarget(
            name: "raftd",
            dependencies: [
                "RaftDaemon", "RaftHost", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // A second service on RaftDaemon: a replicated counter with compare-and-set (Examples/Counter).
        .executableTarget(
            name: "counterd",
            dependencies: [
                "RaftDaemon", "RaftHost", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ], path: "Examples/Counter"),
        // Test support: LoopbackCluster, the core's own test and benchmark driver, on NodeHost.
        .target(name: "RaftTesting", dependencies: ["RaftCore", "RaftHost"]),
        .testTarget(name: "RaftCoreTests", dependencies: ["RaftCore", "RaftTesting"]),
        .testTarget(name: "RaftDaemonTests", dependencies: ["RaftDaemon", "RaftHost", "RaftCore", "RaftStorage"]),
        // raftd as processes on loopback (the raftd and logdump products must be built: `swift build --build-tests` does).
        .testTarget(name: "RaftdProcessTests", dependencies: ["Chaos"]),
        .testTarget(name: "RaftStorageTests", dependencies: ["RaftStorage", "RaftCore"]),
        .testTarget(name: "RaftHostTests", dependencies: ["RaftHost", "RaftCore", "RaftStorage"]),
        .testTarget(name: "RaftSimTests", dependencies: ["RaftSim", "RaftStepCLI", "RaftHost", "RaftCore", "RaftStorage"]),
        .testTarget(name: "LogdumpTests", dependencies: ["LogdumpKit", "RaftStorage", "RaftCore"], exclude: ["Golden"]),
        // The documentation is true: samples/README.md against the sample directories, the README tour against real runs.
        .testTarget(
            name: "RaftServerTests",
            dependencies: [
                "RaftServer", "RaftCore", "RaftStorage",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]),
        .testTarget(name: "DocsTests", dependencies: ["RaftStepCLI", "LogdumpKit", "RaftStorage"]),
        // Linearizability checker (Wing–Gong–Lowe search, per-key partitioning): Swift stdlib only.
        // A small JSON reader and string quoting (stdlib only), for LinCheck's histories and the explorer's summaries.
        .target(name: "JSONText"),
        .target(name: "LinCheck", dependencies: ["JSONText"]),
        .executableTarget(
            name: "lincheck",
            dependencies: [
                "LinCheck", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "LinCheckTests", dependencies: ["LinCheck", "JSONText"], exclude: ["Data"]),
        // The fault campaign against raftd processes (issue 13): cluster control, clients, faults, checks, report.
        .target(name: "Chaos", dependencies: ["LinCheck"]),
        .executableTarget(
            name: "raftchaos",
            dependencies: [
                "Chaos", "LinCheck", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // raftchaos runs bounded: the safe run is clean, the unsafe one is caught (needs raftd, logdump, raftchaos built).
        .testTarget(name: "ChaosTests", dependencies: ["Chaos"]),
    ],
    swiftLanguageModes: [.v6]
)
