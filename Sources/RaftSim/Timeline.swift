import RaftCore

/// One thing that happened in the cluster, as the pictures (`ladder`, the SVG timeline) draw it.
public enum TimelineEvent: Equatable, Sendable {
    /// A message reached its receiver (`lost`: it was lost on the way, with the reason).
    case delivered(id: Int, from: NodeID, to: NodeID, kind: String, term: UInt64, lost: String?)
    /// A message was dropped by the user.
    case dropped(id: Int, from: NodeID, to: NodeID, kind: String, term: UInt64)
    /// Time passed: `count` ticks.
    case ticked(count: Int)
    /// A node's election timeout fired (or it was told to campaign): it asks for votes for `term`.
    case campaigned(node: NodeID, term: UInt64, preVote: Bool)
    /// A node became leader.
    case elected(node: NodeID, term: UInt64)
    /// A leader stepped down (deposed, or check-quorum).
    case steppedDown(node: NodeID, term: UInt64)
    /// A leader advanced its commit index.
    case committed(node: NodeID, index: UInt64, term: UInt64)
    /// A node crashed.
    case crashed(node: NodeID)
    /// A node restarted from its disk.
    case restarted(node: NodeID)
    /// A client proposal reached a leader and was appended at `index`.
    case proposed(node: NodeID, index: UInt64, term: UInt64)

    /// The node the event belongs to, for events drawn on one lane.
    public var node: NodeID? {
        switch self {
        case .campaigned(let n, _, _), .elected(let n, _), .steppedDown(let n, _), .committed(let n, _, _),
            .crashed(let n), .restarted(let n), .proposed(let n, _, _):
            return n
        case .delivered, .dropped, .ticked:
            return nil
        }
    }
}

/// The cluster's recent history for the pictures: the newest `capacity` events (older ones are
/// forgotten, so a long benchmark does not grow it without bound).
public struct Timeline: Sendable {
    /// The events kept, oldest first.
    public private(set) var events: [TimelineEvent] = []
    /// How many events were forgotten before `events[0]`.
    public private(set) var forgottenCount = 0
    /// The most events kept.
    public let capacity: Int

    /// What `observe` last saw of each node: role, term and commit index.
    private var seen: [(role: Role, term: UInt64, commit: UInt64)]

    /// An empty timeline for `nodeCount` nodes keeping at most `capacity` events.
    public init(nodeCount: Int, capacity: Int = 20_000) {
        precondition(capacity >= 1 && nodeCount >= 1, "a timeline keeps at least one event of one node")
        self.capacity = capacity
        seen = Array(repeating: (.follower, 0, 0), count: nodeCount)
    }

    /// Records what changed in a node since it was last observed: a campaign, an election, a
    /// leader stepping down, a leader's commit point.
    mutating func observe(_ node: RaftNode) {
        let i = Int(node.id) - 1
        let old = seen[i]
        seen[i] = (node.role, node.term, node.commitIndex)
        if node.role != old.role || node.term != old.term {
            if old.role == .leader { record(.steppedDown(node: node.id, term: old.term)) }
            switch node.role {
            case .leader: record(.elected(node: node.id, term: node.term))
            case .candidate: record(.campaigned(node: node.id, term: node.term, preVote: false))
            case .preCandidate: record(.campaigned(node: node.id, term: node.term + 1, preVote: true))
            case .follower: break
            }
        }
        if node.role == .leader && node.commitIndex > old.commit {
            record(.committed(node: node.id, index: node.commitIndex, term: node.term))
        }
    }

    /// Records a crash, and forgets the node's role (it restarts a follower).
    mutating func crashed(_ id: NodeID) {
        let i = Int(id) - 1
        if seen[i].role == .leader { record(.steppedDown(node: id, term: seen[i].term)) }
        seen[i].role = .follower
        record(.crashed(node: id))
    }

    /// Records a restart; the node's commit index starts again from what it recovered.
    mutating func restarted(_ node: RaftNode) {
        seen[Int(node.id) - 1] = (node.role, node.term, node.commitIndex)
        record(.restarted(node: node.id))
    }

    /// Records an event; consecutive ticks merge into one.
    mutating func record(_ event: TimelineEvent) {
        if case .ticked(let more) = event, case .ticked(let count)? = events.last {
            events[events.count - 1] = .ticked(count: count + more)
            return
        }
        events.append(event)
        if events.count > capacity + capacity / 4 {
            let excess = events.count - capacity
            events.removeFirst(excess)
            forgottenCount += excess
        }
    }
}
