import ArgumentParser
import RaftDaemon

/// `counterd`: the counter, replicated by Raft, served to Redis clients — same options as raftd.
struct CounterD: ParsableCommand {
    @OptionGroup var node: NodeOptions
    func run() throws { try Daemon<CounterService>(options: node).run() }
}

CounterD.main()
