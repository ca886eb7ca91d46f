import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// Each raftd node in a network namespace of its own, joined by veth pairs to a bridge in the root
/// namespace, so that partitions are real: a node's packets to a peer can be dropped while clients
/// (in the root namespace, through the bridge) still reach it. Built with iproute2 alone, because this
/// machine and CI have no iptables, nftables or tc netem.
///
/// Layout for run tag T (raftchaos's PID) and subnet 10.77.S.0/24 (S: the first free one):
///
/// ```
/// root namespace:  bridge rcbT 10.77.S.254/24 ── veth rcTn1 ─┬─ namespace rcTn1: eth0 10.77.S.1/24, lo
///                                             ── veth rcTn2 ─┼─ namespace rcTn2: eth0 10.77.S.2/24, lo
///                                             ── …           ┘
/// ```
///
/// A cut between nodes a and b is a `blackhole` route to b's /32 inside a's namespace and one to a's
/// inside b's: each side's own sends fail at once and the other side's handshakes and data get no
/// answer, so no TCP connection survives in either direction. Clients in the root namespace are not cut.
/// `linkDown` takes a node's root-side veth down: the node is cut from everything, clients included.
///
/// Everything created is recorded and `tearDown()` removes exactly that, whatever happened before; it
/// is idempotent and safe to call from a signal handler's cleanup.
public final class NamespaceNetwork: @unchecked Sendable {
    /// The run tag in every name (the creating process's PID, so parallel runs never collide).
    public let tag: String
    /// The third octet of the run's 10.77.S.0/24.
    public let subnet: Int
    /// Node ids, 1…count.
    public let count: Int
    /// The `ip` binary.
    public let ip: String
    private let lock = NSLock()
    private var namespaces: [String] = []
    private var links: [String] = []
    private var blackholes = Set<Pair>()
    private var downLinks = Set<Int>()

    /// An ordered pair of node ids: a route in `from`'s namespace drops packets to `to`.
    private struct Pair: Hashable { let from: Int, to: Int }

    /// Why namespaces cannot be used here (nil: they can): not root, no `ip` binary, or the kernel
    /// or container refuses to make one (a probe namespace is added and deleted: root inside a
    /// container without CAP_SYS_ADMIN passes the first two checks and still cannot).
    public static func unavailableReason() -> String? {
        guard getuid() == 0 else { return "not root (uid \(getuid()))" }
        guard let ip = ipPath() else { return "no `ip` (iproute2) in /usr/sbin, /sbin or /usr/bin" }
        let probe = "rcprobe\(getpid())"
        let (status, output) = runTool(ip, ["netns", "add", probe])
        guard status == 0 else {
            return "`ip netns add` refused: \(output.trimmingCharacters(in: .whitespacesAndNewlines))"
        }
        _ = runTool(ip, ["netns", "delete", probe])
        return nil
    }

    static func ipPath() -> String? {
        ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Builds the bridge, the namespaces and the veth pairs for `count` nodes; on any failure removes
    /// what it made and throws.
    public init(count: Int, tag: String = "\(getpid())") throws {
        precondition(count >= 1 && count <= 200, "1…200 nodes")
        guard let ip = Self.ipPath() else { throw CampaignError("no `ip` binary") }
        self.ip = ip
        self.tag = tag
        self.count = count
        let lockFD = open("/tmp/raftchaos-netns.lock", O_CREAT | O_RDWR, 0o600)
        if lockFD >= 0 { flock(lockFD, LOCK_EX) }  // two runs must not pick the same free subnet
        defer { if lockFD >= 0 { flock(lockFD, LOCK_UN); close(lockFD) } }
        guard let subnet = Self.freeSubnet(ip: ip) else { throw CampaignError("no free 10.77.S.0/24 (S in 1…250)") }
        self.subnet = subnet
        do { try build() } catch {
            tearDown()
            throw error
        }
    }

    deinit { tearDown() }

    /// The bridge's name.
    public var bridge: String { "rcb\(tag)" }
    /// Node `id`'s namespace (also the name of its veth's root end).
    public func namespace(_ id: Int) -> String { "rc\(tag)n\(id)" }
    /// Node `id`'s address.
    public func address(_ id: Int) -> String { "10.77.\(subnet).\(id)" }

    private func build() throws {
        try run(["link", "add", bridge, "type", "bridge"]); record(link: bridge)
        try run(["addr", "add", "10.77.\(subnet).254/24", "dev", bridge])
        try run(["link", "set", bridge, "up"])
        for id in 1...count {
            let name = namespace(id)
            try run(["netns", "add", name]); record(namespace: name)
            try run(["link", "add", name, "type", "veth", "peer", "name", "eth0", "netns", name]); record(link: name)
            try run(["link", "set", name, "master", bridge, "up"])
            try run(["-n", name, "addr", "add", "\(address(id))/24", "dev", "eth0"])
            try run(["-n", name, "link", "set", "eth0", "up"])
            try run(["-n", name, "link", "set", "lo", "up"])
        }
    }

    private func record(link: String) { lock.withLock { links.append(link) } }
    private func record(namespace: String) { lock.withLock { namespaces.append(namespace) } }

    /// The command line that runs `executable` inside node `id`'s namespace (`ip netns exec` execs it,
    /// so the PID it gets is the program's own).
    public func wrap(_ id: Int, _ executable: String, _ arguments: [String]) -> (String, [String]) {
        (ip, ["netns", "exec", namespace(id), executable] + arguments)
    }

    /// Cuts a from b both ways (no packet between them); nothing when already cut.
    public func cut(_ a: Int, _ b: Int) throws {
        precondition(a != b, "a node is not cut from itself")
        for pair in [Pair(from: a, to: b), Pair(from: b, to: a)] {
            guard lock.withLock({ blackholes.insert(pair).inserted }) else { continue }
            try run(["-n", namespace(pair.from), "route", "add", "blackhole", "\(address(pair.to))/32"])
        }
    }

    /// Takes node `id`'s link down (`up: false`) or up again.
    public func setLink(_ id: Int, up: Bool) throws {
        let changed = lock.withLock { up ? downLinks.remove(id) != nil : downLinks.insert(id).inserted }
        guard changed else { return }
        try run(["link", "set", namespace(id), up ? "up" : "down"])
    }

    /// Removes every cut and brings every link up; the problems met (none: an empty list).
    @discardableResult
    public func healAll() -> [String] {
        var problems: [String] = []
        let (routes, down) = lock.withLock { () -> (Set<Pair>, Set<Int>) in
            defer { blackholes.removeAll(); downLinks.removeAll() }
            return (blackholes, downLinks)
        }
        for pair in routes {
            do { try run(["-n", namespace(pair.from), "route", "del", "blackhole", "\(address(pair.to))/32"]) } catch { problems.append("\(error)") }
        }
        for id in down {
            do { try run(["link", "set", namespace(id), "up"]) } catch { problems.append("\(error)") }
        }
        return problems
    }

    /// The cuts in force, as `a-b` pairs (a < b) and `nN down`, for reports.
    public var describeCuts: String {
        lock.withLock {
            let pairs = Set(blackholes.map { "\(min($0.from, $0.to))-\(max($0.from, $0.to))" }).sorted()
            return (pairs + downLinks.sorted().map { "n\($0) down" }).joined(separator: ", ")
        }
    }

    /// Removes every veth, namespace and the bridge this object created (the nodes should be stopped
    /// first; a namespace still holding a process disappears when it exits). Idempotent.
    public func tearDown() {
        let (madeLinks, madeNamespaces) = lock.withLock { () -> ([String], [String]) in
            defer { links.removeAll(); namespaces.removeAll(); blackholes.removeAll(); downLinks.removeAll() }
            return (links, namespaces)
        }
        // veths first (deleting one end deletes both), then the bridge, then the namespaces.
        for link in madeLinks.reversed() { _ = runTool(ip, ["link", "del", link]) }
        for name in madeNamespaces.reversed() { _ = runTool(ip, ["netns", "del", name]) }
    }

    /// What this run left in the system: namespaces and links whose name carries its tag (a test checks
    /// that nothing is left after a run).
    public static func leftovers(tag: String) -> [String] {
        guard let ip = ipPath() else { return [] }
        let namespaces = runTool(ip, ["netns", "list"]).1.split(separator: "\n").map { String($0.split(separator: " ").first ?? "") }
        let links = runTool(ip, ["-o", "link", "show"]).1.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: ":", maxSplits: 2)
            return fields.count > 1 ? String(fields[1].trimmingCharacters(in: .whitespaces).split(separator: "@").first ?? "") : nil
        }
        let mine = { (name: String) in name == "rcb\(tag)" || name.hasPrefix("rc\(tag)n") }
        return namespaces.filter(mine).map { "namespace \($0)" } + links.filter(mine).map { "link \($0)" }
    }

    /// The first S in 1…250 such that no interface has an address in 10.77.S.0/24.
    private static func freeSubnet(ip: String) -> Int? {
        let used = runTool(ip, ["-o", "-4", "addr", "show"]).1
        return (1...250).first { !used.contains(" 10.77.\($0).") }
    }

    private func run(_ arguments: [String]) throws {
        let (status, output) = runTool(ip, arguments)
        guard status == 0 else {
            throw CampaignError("ip \(arguments.joined(separator: " ")) exited \(status): \(output.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
}
