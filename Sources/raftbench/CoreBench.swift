import ArgumentParser
import RaftCore
import RaftTesting
#if canImport(Glibc)
    import Glibc
#endif

/// Monotonic nanoseconds, for benchmarks only (the core never reads a clock).
func nowNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Committed proposals per second through a 3-node cluster of the core alone (messages handed
/// over in memory, storage in memory), one proposal per round and `batch` per round.
struct CoreBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "core",
        abstract: "Committed proposals/s of a 3-node cluster of the core alone (in-memory messages and storage).",
        discussion: """
            A round proposes on the leader and delivers every message until the proposals are applied on \
            all three nodes. The core driver (the default) runs the nodes' Ready loop itself: persist to an \
            in-memory log, queue the messages, apply, advance; the host driver runs each node in a NodeHost, \
            as the simulator and raftd do. Compare the unbatched ns/proposal with etcd's \
            BenchmarkProposal3Nodes, run in the same session on the same machine (Debian's \
            golang-etcd-server-dev). That benchmark times how fast the leader's raft goroutine accepts \
            proposals (it does not wait for commits, and replication runs concurrently, batched by its \
            Ready loop's 1 ms sleeps), so it is a looser bound than a full commit cycle per proposal. \
            Allocation counts: Benchmarks/core-allocs.sh.
            """)

    @Option(help: "Proposals to commit in each mode.")
    var proposals: Int = 200_000

    @Option(help: "Proposals per round in the batched mode.")
    var batch: Int = 64

    @Option(help: "Payload size of each proposal in bytes.")
    var payloadBytes: Int = 16

    @Option(help: "Which modes to run: unbatched, batched or both.")
    var mode: Mode = .both

    @Option(help: "Timed repetitions of each mode; the median is reported.")
    var repeats: Int = 5

    @Option(help: "Which driver runs the nodes: core (the benchmark's own Ready loop) or host (NodeHost via LoopbackCluster).")
    var driver: Driver = .core

    enum Mode: String, ExpressibleByArgument, CaseIterable { case unbatched, batched, both }

    /// The core alone, or the core inside the hosts the simulator and raftd use.
    enum Driver: String, ExpressibleByArgument, CaseIterable { case core, host }

    func validate() throws {
        guard proposals >= 1, batch >= 1, payloadBytes >= 0, repeats >= 1 else {
            throw ValidationError("--proposals, --batch and --repeats must be at least 1; --payload-bytes at least 0")
        }
    }

    func run() throws {
        print("raftbench core: 3 nodes, \(proposals) proposals of \(payloadBytes) bytes, median of \(repeats)")
        if mode != .batched { report("unbatched (1 per round)", perRound: 1) }
        if mode != .unbatched { report("batched (\(batch) per round)", perRound: batch) }
    }

    func report(_ label: String, perRound: Int) {
        var timings: [Double] = []
        for _ in 0..<repeats { timings.append(measure(perRound: perRound)) }
        timings.sort()
        let nsPerProposal = timings[timings.count / 2]
        let perSecond = 1e9 / nsPerProposal
        print(
            "\(label + String(repeating: " ", count: max(0, 26 - label.count))) \(format(nsPerProposal)) ns/proposal  \(format(perSecond)) committed proposals/s  [\(format(timings.first!))..\(format(timings.last!))]"
        )
    }

    /// Runs the mode once and returns nanoseconds per committed proposal.
    func measure(perRound: Int) -> Double {
        driver == .core ? measureCore(perRound: perRound) : measureHost(perRound: perRound)
    }

    /// `measure` with `CoreLoop`: the nodes driven directly.
    func measureCore(perRound: Int) -> Double {
        var cluster = CoreLoop(count: 3, seed: 7)
        cluster.elect(1)
        precondition(cluster.nodes[0].isLeader, "the benchmark cluster must elect n1")
        let ignoredBefore = cluster.ignoredCount
        let payload = [UInt8](repeating: 0x61, count: payloadBytes)
        let rounds = max(1, proposals / perRound)
        let start = nowNanoseconds()
        for _ in 0..<rounds {
            for _ in 0..<perRound {
                do { try cluster.propose(1, payload) } catch { fatalError("proposal refused: \(error)") }
            }
            cluster.handleReady(0)
            cluster.stabilize()
        }
        let elapsed = nowNanoseconds() - start
        let committed = UInt64(rounds * perRound)
        for i in 0..<3 {
            precondition(cluster.nodes[i].appliedIndex == committed + 1, "n\(i + 1) did not apply every proposal")
            // The election's no-op and every proposal, each applied once.
            precondition(cluster.appliedCounts[i] == Int(committed) + 1, "n\(i + 1) applied \(cluster.appliedCounts[i]) entries")
        }
        precondition(cluster.ignoredCount == ignoredBefore, "a fault-free commit cycle drops no message")
        precondition(cluster.appliedBytes == 3 * Int(committed) * payloadBytes, "the state machines read every payload")
        return Double(elapsed) / Double(committed)
    }

    /// `measure` with `LoopbackCluster`: every node in a `NodeHost`, as in the simulator.
    func measureHost(perRound: Int) -> Double {
        var cluster = LoopbackCluster(count: 3, seed: 7)
        cluster.isRecordingApplied = false
        cluster.campaign(1)
        cluster.stabilize()
        precondition(cluster.leader == 1, "the benchmark cluster must elect n1")
        let payload = [UInt8](repeating: 0x61, count: payloadBytes)
        let rounds = max(1, proposals / perRound)
        let start = nowNanoseconds()
        for _ in 0..<rounds {
            for _ in 0..<perRound {
                do { _ = try cluster.withNode(1) { try $0.propose(payload) } } catch { fatalError("proposal refused: \(error)") }
            }
            cluster.handleReady(1)
            cluster.stabilize()
        }
        let elapsed = nowNanoseconds() - start
        let committed = UInt64(rounds * perRound)
        for id: NodeID in 1...3 {
            precondition(cluster.node(id).appliedIndex == committed + 1, "n\(id) did not apply every proposal")
        }
        return Double(elapsed) / Double(committed)
    }

    func format(_ value: Double) -> String {
        if value >= 100 { return String(Int(value.rounded())) }
        let scaled = (value * 10).rounded() / 10
        return "\(scaled)"
    }
}
