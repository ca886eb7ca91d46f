import RaftCore
import RaftSim
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func fwriteStderr(_ buffer: UnsafeBufferPointer<UInt8>) -> Int {
    write(2, buffer.baseAddress, buffer.count)
}

extension Session {
    /// Tab completion: commands first, then what fits the command (nodes, message ids, options).
    public func completions(before: String, word: String) -> [String] {
        let words = Session.tokenize(before)
        let nodes = cluster.ids.map { "n\($0)" }
        guard let command = words.first else {
            return CommandTable.all.map(\.name) + ["exit"]
        }
        let ids = cluster.inFlight.map { "\($0.id)" }
        let position = words.count
        switch command {
        case "deliver", "drop", "duplicate":
            if words.last == "to" || words.last == "from" { return nodes }
            var links: [String] = []
            for item in cluster.inFlight {
                let link = "n\(item.message.from)->n\(item.message.to)"
                if !links.contains(link) { links.append(link) }
            }
            return ids + ["all", "to", "from"] + links
        case "tick", "crash", "restart", "campaign", "transfer", "kv", "log", "partition", "read":
            return nodes
        case "propose":
            return position == 1 ? nodes + ["set", "del"] : (words.count == 2 && NodeName.parse(words[1]) != nil ? ["set", "del"] : [])
        case "setlog":
            return position == 1 ? nodes : ["term="]
        case "add":
            return nodes + (position > 1 ? ["learner"] : [])
        case "remove", "promote":
            return position == 1 ? nodes : []
        case "compact":
            return position == 1 ? nodes : []
        case "set":
            if position == 1 { return CommandTable.setOptions }
            switch words[1] {
            case "unsafe": return position == 2 ? UnsafeKnobs.named.map(\.name) : ["on", "off"]
            case "sync": return position == 2 ? nodes : ["on", "off"]
            case "on-violation": return ["stop", "continue"]
            case "election-ticks", "heartbeat-ticks", "compact-threshold": return []
            default: return ["on", "off"]
            }
        case "expect":
            if position == 1 { return CommandTable.expectForms }
            switch words[1] {
            case "leader": return nodes + ["none"]
            case "role": return position == 2 ? nodes + ["all"] : Role.allCases.map(\.rawValue) + ["down"]
            case "invariants": return ["ok"]
            case "voted": return nodes + (position == 2 ? ["all"] : ["none"])
            case "violation": return ["Election", "Leader", "Log", "State", "Term", "Commit", "Vote"]
            case "config": return position == 2 ? nodes + ["all"] : ["voters=", "old=", "learners="]
            default: return position == 2 ? nodes + ["all"] : []
            }
        case "disk":
            if position == 1 { return ["export", "tear", "flip"] }
            return words[1] == "export" && position == 2 ? nodes : []
        case "logdump":
            return position == 1 ? ["dump", "verify", "repair", "stats", "hardstate", "diff"] : []
        case "help":
            return CommandTable.all.map(\.name)
        case "reset":
            return ["nodes=", "voters=", "seed="]
        case "next":
            return position == 1 ? ["all"] : []
        case "load":
            return position == 2 ? ["step"] : []
        default:
            return []
        }
    }
}
