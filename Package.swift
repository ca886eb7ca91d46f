// swift-tools-version:6.0
// RaftStep: a Raft core you can step through one message at a time, its storage, a REPL and a log inspector.
// Layers (lowest first; a layer never imports one above it) are described in docs/ and DESIGN.md §1.
import PackageDescription

let package = Package(
    name: "RaftStep",
    products: [
        .library(name: "RaftCore", targets: ["RaftCore"]),
        .library(name: "RaftStorage", targets: ["RaftStorage"]),
        .library(name: "RaftSim", targets: ["RaftSim"]),
        .executable(name: "raftstep", targets: ["raftstep"]),
        .executable(name: "logdump", targets: ["logdump"]),
        .executable(name: "raftbench", targets: ["raftbench"]),
        .library(name: "LinCheck", targets: ["LinCheck"]),
        .executable(name: "lincheck", targets: ["lincheck"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Pure Raft state machine: Swift stdlib only.
        .target(name: "RaftCore"),
        // On-disk log, hard state, recovery scan, FileSystem seam.
        .target(name: "RaftStorage", dependencies: ["RaftCore", "CCRC32C"]),
        // CRC32C with the SSE4.2 instruction (runtime-detected) and a portable table fallback.
        .target(name: "CCRC32C"),
        // In-process cluster, simulated network and disks, invariant checker.
        .target(name: "RaftSim", dependencies: ["RaftCore", "RaftStorage"]),
        // GNU readline, as a system library.
        .systemLibrary(name: "CReadline", providers: [.apt(["libreadline-dev"])]),
        // Prompt, history and completion on top of readline; plain lines when stdin is not a TTY.
        .target(name: "LineEditor", dependencies: ["CReadline"]),
        // REPL command language, rendering and script runner, testable without a terminal.
        .target(name: "RaftStepCLI", dependencies: ["RaftSim", "RaftStorage", "LineEditor", "LogdumpKit"]),
        .executableTarget(name: "raftstep", dependencies: [
            "RaftStepCLI", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // logdump's subcommands, rendering, filters and repair driver — a library so tests can drive it.
        .target(name: "LogdumpKit", dependencies: ["RaftStorage", "RaftCore"]),
        .executableTarget(name: "logdump", dependencies: [
            "LogdumpKit", "RaftStorage", "RaftCore", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Benchmarks of the core (and later storage) against in-run baselines.
        .executableTarget(name: "raftbench", dependencies: [
            "RaftCore", "RaftStorage", "LogdumpKit", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "RaftCoreTests", dependencies: ["RaftCore"]),
        .testTarget(name: "RaftStorageTests", dependencies: ["RaftStorage"]),
        .testTarget(name: "RaftSimTests", dependencies: ["RaftSim", "RaftStepCLI"]),
        .testTarget(name: "LogdumpTests", dependencies: ["LogdumpKit", "RaftStorage", "RaftCore"], exclude: ["Golden"]),
        // The documentation is true: samples/README.md against the sample directories, the README tour against real runs.
        .testTarget(name: "DocsTests", dependencies: ["RaftStepCLI", "LogdumpKit", "RaftStorage"]),
        // Linearizability checker (Wing–Gong–Lowe search, per-key partitioning): Swift stdlib only.
        .target(name: "LinCheck"),
        .executableTarget(name: "lincheck", dependencies: [
            "LinCheck", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "LinCheckTests", dependencies: ["LinCheck"], exclude: ["Data"]),
    ],
    swiftLanguageModes: [.v6]
)
