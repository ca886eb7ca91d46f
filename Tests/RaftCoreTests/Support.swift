@testable import RaftCore
import RaftTesting

/// Small helpers shared by the core's scenario tests.
extension LoopbackCluster {
    /// Elects `id` by making it campaign and delivering everything.
    mutating func elect(_ id: NodeID) {
        campaign(id)
        stabilize()
    }

    /// Ticks every up node (delivering everything after each tick) until one of `candidates`
    /// leads, at most `limit` times; returns that leader.
    @discardableResult
    mutating func tickUntilLeader(among candidates: [NodeID]? = nil, limit: Int = 100) -> NodeID? {
        func current(_ cluster: LoopbackCluster) -> NodeID? {
            let ids = candidates ?? cluster.nodes.indices.map { NodeID($0 + 1) }
            return ids.first { cluster.isUp[Int($0) - 1] && cluster.node($0).role == .leader }
        }
        for _ in 0..<limit where current(self) == nil {
            tickAll()
            stabilize()
        }
        return current(self)
    }

    /// The terms of node `id`'s log, in index order.
    func logTerms(_ id: NodeID) -> [UInt64] { node(id).entries.map(\.term) }

    /// The payloads node `id` applied, as strings (no-ops skipped).
    func appliedTexts(_ id: NodeID) -> [String] {
        applied[Int(id) - 1].filter { $0.kind == .normal }.map { String(decoding: $0.data, as: UTF8.self) }
    }
}

/// A log of entries with the given terms at indexes 1…n (payload "e<index>").
func makeLog(_ terms: [UInt64]) -> [Entry] {
    terms.enumerated().map { Entry(term: $0.element, index: UInt64($0.offset + 1), kind: .normal, data: Array("e\($0.offset + 1)".utf8)) }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

extension Message {
    var isAppend: Bool { if case .append = self { return true } else { return false } }
    var isRejectedAppend: Bool {
        if case .appendResponse(let r) = self { return r.isRejected } else { return false }
    }
}
