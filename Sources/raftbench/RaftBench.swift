import ArgumentParser

/// Benchmarks that report our figures beside a baseline measured in the same run.
@main
struct RaftBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raftbench",
        abstract: "Benchmarks of RaftStep's core and storage, each beside a baseline measured in the same run.",
        subcommands: [CoreBench.self, StorageBench.self, LogdumpBench.self, DiskBench.self]
    )
}
