/// What to do after a verdict. A torn tail is repaired in place (or cut by recovery itself); after
/// corruption or an inconsistency the node has lost, or cannot prove it still has, data it
/// acknowledged, so it counts as one of the failures the cluster tolerates and is rebuilt from its
/// peers through a membership change rather than patched (see docs/logdump.md, "After a bad verdict").
public enum NextStep: String, Sendable, CaseIterable {
    /// Nothing to do.
    case none
    /// Only a torn tail: `logdump repair --apply`, or start the node (recovery cuts it).
    case repair
    /// Corruption or inconsistency: take the node out of the cluster and add it back empty.
    case rebuildFromPeers = "rebuild-from-peers"

    /// The step a verdict calls for.
    public init(_ status: LogdumpExit) {
        switch status {
        case .clean, .usageOrIO, .differ: self = .none
        case .tornTail: self = .repair
        case .corruption, .inconsistency: self = .rebuildFromPeers
        }
    }
}

/// The runbook printed under a `corrupt` or `inconsistent` verdict, in plain text.
public enum Runbook {
    /// One line for commands that only warn (dump, stats, diff): where the steps are.
    public static func pointer(for status: LogdumpExit) -> String? {
        NextStep(status) == .rebuildFromPeers
            ? "  count this node as failed and rebuild it from its peers: `logdump verify` prints the steps" : nil
    }

    /// The lines printed after the verdict line (none unless the node must be rebuilt).
    /// `directory` is the node's data directory when logdump was given one.
    public static func lines(for status: LogdumpExit, directory: String?) -> [String] {
        guard NextStep(status) == .rebuildFromPeers else { return [] }
        let dir = directory ?? "DIR"
        var out: [String] = []
        if status == .corruption {
            out.append("what now: this node lost data it had acknowledged (corruption). Count it as")
            out.append("  failed: unless another node lost data too, the others together hold every")
            out.append("  committed entry. Rebuild the node from them; do not patch it.")
        } else {
            out.append("what now: this node's files do not fit together (inconsistency). If you know")
            out.append("  why (a file copied from another node, a segment restored from a backup),")
            out.append("  put the right file back and verify again. Otherwise count the node as")
            out.append("  failed and rebuild it from the others; do not patch it.")
        }
        out.append("  safe:     logdump commands without --apply; copying the directory away.")
        out.append("            The node refuses to start on this directory, as it should.")
        out.append("  not safe: restarting it as the same member after `repair --accept-data-loss`")
        out.append("            (it would vote and acknowledge as if its log were whole).")
        out.append("  rebuild a raftd node (PORT: a live member's client port; ID: this node's):")
        out.append("    1. stop it; check with RAFT STATUS that a majority of the others is up")
        out.append("    2. mv \(dir) \(dir).damaged")
        out.append("    3. redis-cli -c -p PORT RAFT REMOVE ID")
        out.append("    4. raftd --id NEW --join --peers MEMBERS,NEW=HOST:PPORT --listen HOST:CPORT")
        out.append("         --data-dir \(dir)")
        out.append("    5. redis-cli -c -p PORT RAFT ADD NEW HOST:PPORT")
        out.append("    NEW: an id never used before; a reused one could vote twice in one term.")
        out.append("  in the raftstep REPL, with a spare node (reset nodes=4 voters=3):")
        out.append("    crash n1 · remove n1 · stabilize · add n4 · stabilize")
        return out
    }
}
