import Foundation
import LinCheck

/// How a campaign runs.
public struct CampaignOptions: Sendable {
    /// The seed of every random choice (clients and faults); printed.
    public var seed: UInt64
    /// How long clients run, in seconds.
    public var durationSeconds: Double
    /// 3 or 5.
    public var nodes: Int
    /// Concurrent client threads.
    public var clients: Int
    /// How many text keys they share (`k0`…: GET, SET, DEL).
    public var keys: Int
    /// How many counter keys they share (`n0`…: GET, INCR).
    public var counters = 2
    /// Where the nodes run.
    public var network = NetworkChoice.automatic
    /// The raftd and logdump binaries.
    public var raftd: String, logdump: String
    /// Where data directories, the history, the report and the SVG go.
    public var outputDirectory: String
    /// Start raftd with `--unsafe-local-reads` (and RAFTD_UNSAFE_TESTING=1): the campaign must fail.
    public var unsafeLocalReads = false
    /// The fault kinds the schedule draws from.
    public var faults: [FaultInterval.Kind] = FaultInterval.Kind.allCases
    /// A client's deadline for one answer (then the outcome is unknown).
    public var clientTimeoutMilliseconds = 1000

    /// Options with the defaults above.
    public init(
        seed: UInt64, durationSeconds: Double, nodes: Int, clients: Int, keys: Int,
        raftd: String, logdump: String, outputDirectory: String
    ) {
        self.seed = seed
        self.durationSeconds = durationSeconds
        self.nodes = nodes
        self.clients = clients
        self.keys = keys
        self.raftd = raftd
        self.logdump = logdump
        self.outputDirectory = outputDirectory
    }
}

/// Where a campaign's nodes run.
public enum NetworkChoice: String, Sendable, CaseIterable {
    /// Namespaces when they can be made (root, `ip` present), else loopback.
    case automatic = "auto"
    /// Each node in its own network namespace; the campaign cannot run without them.
    case namespaces = "netns"
    /// Every node on 127.0.0.1: process faults only, no partitions.
    case loopback = "loopback"
}

/// What a campaign found.
public struct CampaignResult: Sendable {
    /// Every client operation, in no particular order.
    public var records: [Record]
    /// Every fault, in order.
    public var faults: [FaultInterval]
    /// The checker's verdict on the whole history (final reads included).
    public var verdict: Verdict
    /// The verdict in words (a violation names the stuck operation, as `lincheck` does).
    public var verdictText: String
    /// The checker's explored states and wall time.
    public var checkerStates: Int, checkerSeconds: Double
    /// Acknowledged writes neither readable at the end nor possibly overwritten.
    public var lostWrites: [String]
    /// Problems of the end phase (no convergence, logdump findings, a node that did not stop cleanly).
    public var endProblems: [String]
    /// Per leader kill -9: milliseconds from the kill to the first acknowledged write after it.
    public var unavailabilityMilliseconds: [Double]
    /// When clients started (monotonic ns), the origin of the report's times.
    public var startNanoseconds: Int64
    /// The network in words: namespaces and subnet, or the loopback fallback and why.
    public var networkDescription: String
    /// Per partition that cut the leader off: milliseconds from the cut to the first acknowledged write after it.
    public var unavailabilityAfterCutMilliseconds: [Double] = []
    /// GETs answered by a node while a partition left it without a majority (a safe raftd answers none).
    public var cutOffReads = 0
    /// Every write with only those GETs, checked alone: a violation here is a stale read served by a
    /// cut-off node (removing reads only removes constraints, so nothing else can cause it).
    public var cutOffVerdict = Verdict.linearizable, cutOffVerdictText = "linearizable"

    /// True when nothing is wrong.
    public var isClean: Bool {
        if case .linearizable = verdict { return lostWrites.isEmpty && endProblems.isEmpty }
        return false
    }
}

/// A fault campaign: start the cluster, run clients and faults, heal, check, stop.
public struct Campaign: Sendable {
    /// Its options.
    public let options: CampaignOptions
    /// Progress lines (the command line prints them).
    public let say: @Sendable (String) -> Void

    /// A campaign with these options.
    public init(options: CampaignOptions, say: @escaping @Sendable (String) -> Void) {
        precondition(options.nodes >= 3 && options.clients >= 1 && options.keys >= 1, "a campaign needs nodes, clients and keys")
        self.options = options
        self.say = say
    }

    /// Makes the namespaces if asked and possible; nil and the reason for loopback otherwise.
    private func makeNetwork() throws -> (NamespaceNetwork?, String) {
        let reason = options.network == .loopback ? "--network loopback" : NamespaceNetwork.unavailableReason()
        if let reason {
            if options.network == .namespaces { throw CampaignError("network namespaces are not available: \(reason)") }
            return (nil, "loopback (no partitions: \(reason); kill/pause faults only)")
        }
        let network: NamespaceNetwork
        do { network = try NamespaceNetwork(count: options.nodes) } catch {
            if options.network == .namespaces { throw error }
            return (nil, "loopback (no partitions: the namespaces could not be made: \(error); kill/pause faults only)")
        }
        return (
            network,
            "network namespaces \(network.namespace(1))…\(network.namespace(options.nodes)) on bridge \(network.bridge), 10.77.\(network.subnet).0/24"
        )
    }

    /// Runs it; throws only when the cluster cannot be set up at all. Every node is stopped, and every
    /// namespace, veth and bridge removed, on return and on SIGINT/SIGTERM (`InterruptCleanup`).
    public func run() throws -> CampaignResult {
        let root = options.outputDirectory + "/data"
        try? FileManager.default.removeItem(atPath: root)
        let (network, networkDescription) = try makeNetwork()
        let cleanupNetwork = InterruptCleanup.register { network?.tearDown() }
        defer { network?.tearDown(); InterruptCleanup.unregister(cleanupNetwork) }
        say("network: \(networkDescription)")
        let cluster = try ChaosCluster(
            count: options.nodes, root: root, raftd: options.raftd,
            extraArguments: options.unsafeLocalReads ? ["--unsafe-local-reads"] : [],
            environment: options.unsafeLocalReads ? ["RAFTD_UNSAFE_TESTING": "1"] : [:],
            network: network)
        // Runs before the network's: the nodes die first, then their namespaces go.
        let cleanupNodes = InterruptCleanup.register {
            cluster.killAllNow(); cluster.unmountSmallDisk()
        }
        defer { cluster.stopAll(); cluster.unmountSmallDisk(); InterruptCleanup.unregister(cleanupNodes) }
        var kinds = options.faults
        if network == nil && kinds.contains(where: \.isPartition) {
            say("no namespaces: the partition faults are left out")
            kinds.removeAll { $0.isPartition }
        }
        if kinds.contains(.fullDisk) {
            if cluster.mountSmallDisk(sizeMegabytes: 24) {
                say("n\(cluster.smallDiskNode!)'s data directory is a 24 MB tmpfs (the disk-full fault)")
            } else {
                say("no tmpfs (not root, or mount failed): the disk-full fault is left out")
                kinds.removeAll { $0 == .fullDisk }
            }
        }
        guard !kinds.isEmpty else { throw CampaignError("no fault kind left to inject") }
        for id in cluster.ids { try cluster.start(id) }
        guard waitUntil(seconds: 20, { cluster.leader() != nil }) else {
            throw CampaignError("no leader within 20 s of start:\n" + cluster.ids.map { cluster.logTail($0, lines: 5) }.joined(separator: "\n"))
        }
        say("cluster of \(options.nodes) up under \(root); leader n\(cluster.leader()!)")
        let (records, faults, start) = runLoad(cluster, kinds: kinds)
        say("load done: \(records.count) operations, \(faults.count) faults; healing")
        var endProblems: [String] = []
        let finalReads = heal(cluster, problems: &endProblems)
        let all = records + finalReads
        let history = Self.history(all)
        let clock = monotonicNanoseconds()
        let (verdict, states) = Checker(model: .kv).check(history)
        let checkerSeconds = Double(monotonicNanoseconds() - clock) / 1e9
        try? renderJSONLines(history, model: .kv).write(toFile: options.outputDirectory + "/history.jsonl", atomically: true, encoding: .utf8)
        let lost = Self.lostWrites(records, finalReads: finalReads) + Self.lostIncrements(records, finalReads: finalReads)
        for id in cluster.ids where !cluster.stop(id) { endProblems.append("n\(id) did not exit 0 on SIGTERM") }
        endProblems += checkLogs(cluster)
        let (cutOffReads, cutOffHistory) = Self.cutOffHistory(records, faults)
        let cutOffVerdict = Checker(model: .kv).check(cutOffHistory).verdict
        var result = CampaignResult(
            records: all, faults: faults, verdict: verdict, verdictText: Self.describe(verdict, history), checkerStates: states,
            checkerSeconds: checkerSeconds,
            lostWrites: lost, endProblems: endProblems,
            unavailabilityMilliseconds: Self.unavailability(records, faults), startNanoseconds: start,
            networkDescription: networkDescription)
        result.cutOffReads = cutOffReads
        result.unavailabilityAfterCutMilliseconds = Self.unavailabilityAfterCut(records, faults)
        result.cutOffVerdict = cutOffVerdict
        result.cutOffVerdictText = Self.describe(cutOffVerdict, cutOffHistory)
        return result
    }

    /// Clients and the fault thread for the duration; then faults stop and clients finish.
    private func runLoad(_ cluster: ChaosCluster, kinds: [FaultInterval.Kind]) -> ([Record], [FaultInterval], Int64) {
        let endpoints = cluster.ids.map { cluster.node($0).clientEndpoint }
        let workers = (0..<options.clients).map {
            ClientWorker(
                number: $0 + 1, seed: options.seed, keys: options.keys, counters: options.counters,
                endpoints: endpoints, timeoutMilliseconds: options.clientTimeoutMilliseconds)
        }
        let injector = FaultInjector(cluster: cluster, seed: options.seed, kinds: kinds)
        let start = monotonicNanoseconds()
        let end = start + Int64(options.durationSeconds * 1e9)
        let group = DispatchGroup()
        for worker in workers {
            group.enter()
            Thread.detachNewThread {
                worker.run { monotonicNanoseconds() >= end }; group.leave()
            }
        }
        injector.run { monotonicNanoseconds() >= end }
        group.wait()
        return (workers.flatMap(\.records), injector.intervals, start)
    }

    /// Resumes and restarts every node, waits for one leader and equal applied indexes, then reads
    /// every key through the leader (those reads join the history).
    private func heal(_ cluster: ChaosCluster, problems: inout [String]) -> [Record] {
        problems += cluster.network?.healAll() ?? []
        for id in cluster.ids {
            cluster.setPaused(id, false)
            if !cluster.isRunning(id) { try? cluster.start(id) }
        }
        var lastStatus = ""
        let converged = waitUntil(seconds: 30) {
            guard let leader = cluster.leader(), let status = cluster.status(leader) else { return false }
            let voters = (status["voters"] ?? "").split(separator: ",").compactMap { Int($0) }
            let applied = cluster.ids.map { cluster.status($0)?["applied_index"] ?? "?" }
            lastStatus = "leader n\(leader), voters \(voters), applied \(applied)"
            return voters.count == options.nodes && Set(applied).count == 1 && applied[0] != "?"
                && applied[0] == status["commit_index"]
        }
        if !converged { problems.append("no convergence within 30 s: \(lastStatus)") }
        say("healed: \(lastStatus)")
        var finals: [Record] = []
        for key in (0..<options.keys).map({ "k\($0)" }) + (0..<options.counters).map({ "n\($0)" }) {
            guard let leader = cluster.leader() else { break }
            let call = monotonicNanoseconds()
            let reply = cluster.call(leader, ["GET", key])
            var record = Record(
                client: 0, kind: .get, key: key, written: nil, observed: nil, callNanoseconds: call,
                returnNanoseconds: monotonicNanoseconds(), outcome: .unknown)
            if case .bulk(let text)? = reply {
                record.outcome = .ok; record.observed = text
            } else {
                problems.append("final GET \(key) answered \(String(describing: reply))")
            }
            finals.append(record)
        }
        return finals
    }

    /// `logdump verify` on every data directory, `logdump diff` of each against the first.
    private func checkLogs(_ cluster: ChaosCluster) -> [String] {
        var problems: [String] = []
        let directories = cluster.ids.map { cluster.node($0).directory }
        for directory in directories {
            let (status, output) = runTool(options.logdump, ["verify", directory])
            if status != 0 { problems.append("logdump verify \(directory) exited \(status): \(output.suffix(400))") }
        }
        for directory in directories.dropFirst() {
            let (status, output) = runTool(options.logdump, ["diff", directories[0], directory])
            if status != 0 { problems.append("logdump diff \(directories[0]) \(directory) exited \(status): \(output.suffix(400))") }
        }
        return problems
    }

    /// The records as a LinCheck history (kv model), in call order; failed operations (which did not
    /// happen) and GETs of unknown outcome are left out. An operation's line is its line in history.jsonl.
    static func history(_ records: [Record]) -> History {
        var history = History()
        let sorted = records.sorted { ($0.callNanoseconds, $0.client) < ($1.callNanoseconds, $1.client) }
        for record in sorted where record.outcome != .fail {
            let action: Action
            switch record.kind {
            case .get:
                guard record.outcome == .ok else { continue }
                action = .read(observed: record.observed.map { history.value(of: $0) } ?? .absent)
            case .set: action = .write(history.value(of: record.written!))
            case .incr: action = .increment(result: record.outcome == .ok ? Int64(record.observed ?? "") : nil)
            case .del: action = .delete(removed: record.outcome == .ok ? Int(record.observed ?? "") : nil)
            }
            let known = record.outcome == .ok
            let line = history.operations.count + 1  // its line in history.jsonl
            history.operations.append(
                Operation(
                    client: "\(record.client)", key: record.key, action: action,
                    callTime: record.callNanoseconds, returnTime: known ? record.returnNanoseconds : nil,
                    callLine: line, returnLine: known ? line : nil))
        }
        return history
    }

    /// Every write, and only the GETs answered by a node while it was cut off (call and return while
    /// every cut was in force); how many such GETs there were, and that history.
    static func cutOffHistory(_ records: [Record], _ faults: [FaultInterval]) -> (Int, History) {
        let reads = records.filter { record in
            record.kind == .get && record.outcome == .ok
                && faults.contains {
                    $0.cutOff.contains(record.node) && $0.cutFromNanoseconds <= record.callNanoseconds
                        && record.returnNanoseconds <= $0.cutUntilNanoseconds
                }
        }
        return (reads.count, history(records.filter(\.isWrite) + reads))
    }

    /// Acknowledged writes whose value is not the key's final value and that no other write (acknowledged
    /// or of unknown outcome) could have followed: a write the cluster lost.
    static func lostWrites(_ records: [Record], finalReads: [Record]) -> [String] {
        var lost: [String] = []
        let finals = Dictionary(finalReads.filter { $0.outcome == .ok }.map { ($0.key, $0.observed) }, uniquingKeysWith: { a, _ in a })
        let writes = Dictionary(grouping: records.filter { $0.isWrite && $0.outcome != .fail }, by: \.key)
        for (key, keyWrites) in writes {
            guard let final = finals[key] else { continue }
            for write in keyWrites where write.outcome == .ok {
                let result: String? =
                    switch write.kind {
                    case .set: write.written;
                    case .incr: write.observed;
                    default: nil
                    }
                if result == final { continue }
                let overwritten = keyWrites.contains {
                    ($0.callNanoseconds != write.callNanoseconds || $0.client != write.client)
                        && ($0.outcome == .unknown || $0.returnNanoseconds > write.callNanoseconds)
                }
                if !overwritten {
                    lost.append(
                        "client \(write.client) \(write.kind.rawValue) \(key) -> \(result ?? "nil"), but \(key) is \(final ?? "nil") and no later write"
                    )
                }
            }
        }
        return lost
    }

    /// Counter keys (only INCR writes them, never DEL or SET): the final value must be at least every
    /// acknowledged INCR's result (else an acknowledged increment was lost) and at most the number of
    /// INCRs that may have happened (acknowledged or unknown; else one was applied twice or invented).
    static func lostIncrements(_ records: [Record], finalReads: [Record]) -> [String] {
        var problems: [String] = []
        let finals = Dictionary(finalReads.filter { $0.outcome == .ok }.map { ($0.key, $0.observed) }, uniquingKeysWith: { a, _ in a })
        let increments = Dictionary(grouping: records.filter { $0.kind == .incr && $0.outcome != .fail }, by: \.key)
        for (key, incrs) in increments.sorted(by: { $0.key < $1.key }) {
            guard let read = finals[key] else { continue }
            guard records.allSatisfy({ $0.key != key || $0.kind == .incr || $0.kind == .get }) else { continue }
            guard let final = read.map({ Int64($0) }) ?? 0 else { problems.append("counter \(key) reads \(read ?? "nil"), not an integer"); continue }
            if let highest = incrs.filter({ $0.outcome == .ok }).compactMap({ Int64($0.observed ?? "") }).max(), highest > final {
                problems.append("INCR \(key) -> \(highest) was acknowledged, but \(key) ends at \(final): an increment was lost")
            }
            if final > Int64(incrs.count) {
                problems.append("\(key) ends at \(final), but only \(incrs.count) INCRs (acknowledged or unknown) were sent")
            }
        }
        return problems
    }

    /// The verdict as `lincheck` words it.
    static func describe(_ verdict: Verdict, _ history: History) -> String {
        switch verdict {
        case .linearizable: return "linearizable"
        case .unknown(let why): return "unknown (\(why))"
        case .notLinearizable(let violation):
            let others = violation.concurrent.prefix(4).map { history.describe($0, model: .kv) }
            return "NOT linearizable (key \"\(violation.key)\": stuck at \(history.describe(violation.stuck, model: .kv))"
                + (violation.prefixOperations.map { " after \($0) operations of the key" } ?? "")
                + (others.isEmpty ? "; it overlaps no other operation)" : "; overlapping: \(others.joined(separator: "; ")))")
        }
    }

    /// For each partition that cut the leader off: milliseconds from the cut to the first write
    /// acknowledged after it (by the new leader on the majority side).
    static func unavailabilityAfterCut(_ records: [Record], _ faults: [FaultInterval]) -> [Double] {
        let acknowledged = records.filter { $0.isWrite && $0.outcome == .ok }.map(\.returnNanoseconds).sorted()
        return faults.filter(\.leaderCutOff).compactMap { fault in
            acknowledged.first { $0 > fault.cutFromNanoseconds }.map { Double($0 - fault.cutFromNanoseconds) / 1e6 }
        }
    }

    /// For each leader kill: milliseconds from the kill to the first write acknowledged after it.
    static func unavailability(_ records: [Record], _ faults: [FaultInterval]) -> [Double] {
        let acknowledged = records.filter { $0.isWrite && $0.outcome == .ok }.map(\.returnNanoseconds).sorted()
        return faults.filter { $0.kind == .killLeader }.compactMap { fault in
            acknowledged.first { $0 > fault.startNanoseconds }.map { Double($0 - fault.startNanoseconds) / 1e6 }
        }
    }

    private func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = monotonicNanoseconds() + Int64(seconds * 1e9)
        while monotonicNanoseconds() < deadline {
            if condition() { return true }
            usleep(100_000)
        }
        return condition()
    }
}

/// A campaign that could not run.
public struct CampaignError: Error, CustomStringConvertible {
    /// Why.
    public var description: String
    init(_ description: String) { self.description = description }
}

/// Runs a tool; its exit status and combined output.
func runTool(_ path: String, _ arguments: [String]) -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    do { try process.run() } catch { return (-1, "cannot run \(path): \(error)") }
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}
