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
    /// Tab completion: commands first, then what fits the command (nodes, message ids, options),
    /// as `CommandTable` says, filled in from this cluster.
    public func completions(before: String, word: String) -> [String] {
        CommandTable.completions(after: Command.tokenize(before)).flatMap { item -> [String] in
            switch item {
            case .nodes: return cluster.ids.map { "n\($0)" }
            case .messageIDs: return cluster.inFlight.map { "\($0.id)" }
            case .links:
                var links: [String] = []
                for item in cluster.inFlight {
                    let link = "n\(item.message.from)->n\(item.message.to)"
                    if !links.contains(link) { links.append(link) }
                }
                return links
            case .words(let words): return words
            }
        }
    }
}
