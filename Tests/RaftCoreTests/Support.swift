@testable import RaftCore

/// Small helpers shared by the core's scenario tests.
extension LoopbackCluster {
    /// Elects `id` by making it campaign and delivering everything.
    mutating func elect(_ id: NodeID) {
        campaign(id)
        stabilize()
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
