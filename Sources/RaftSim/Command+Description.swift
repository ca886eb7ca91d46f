import RaftCore

extension Command: CustomStringConvertible {
    /// The canonical spelling: `Command.parse(c.description) == c`.
    public var description: String { ([name] + arguments).joined(separator: " ") }

    /// The words after the command word, canonically spelled.
    var arguments: [String] {
        func n(_ id: NodeID) -> String { NodeName.of(id) }
        func onOff(_ on: Bool) -> String { on ? "on" : "off" }
        switch self {
        case .deliver(let s), .drop(let s), .duplicate(let s): return Command.words(of: s)
        case .tick(let nodes, let count): return nodes.map(n) + (count.map { [String($0)] } ?? [])
        case .crash(let id), .restart(let id), .campaign(let id), .transfer(let id), .remove(let id), .promote(let id),
            .backup(let id), .restore(let id):
            return [n(id)]
        case .crashAfter(let id, let operations): return [n(id), "after", String(operations)]
        case .crashAll, .restartAll: return ["all"]
        case .removeNodes(let ids): return ids.map(n)
        case .propose(let node, let text): return (node.map { [n($0)] } ?? []) + [text]
        case .read(let node, let key): return (node.map { [n($0)] } ?? []) + [key]
        case .add(let ids, let learner): return ids.map(n) + (learner ? ["learner"] : [])
        case .compact(let id, let index): return [n(id)] + (index.map { [String($0)] } ?? [])
        case .stabilize(let limit): return limit.map { [String($0)] } ?? []
        case .partition(let groups):
            return groups.enumerated().flatMap { ($0.offset == 0 ? [] : ["|"]) + $0.element.map(n) }
        case .cut(let from, let to), .healLink(let from, let to): return ["\(n(from))->\(n(to))"]
        case .replay(let id): return [String(id)]
        case .delay(let id, let deliveries): return [String(id), String(deliveries)]
        case .heal, .status, .msgs, .violations, .undo, .quit: return []
        case .log(let node, let from): return (node.map { [n($0)] } ?? []) + (from.map { [String($0)] } ?? [])
        case .ladder(let count): return count.map { [String($0)] } ?? []
        case .svg(let path), .save(let path): return [path]
        case .kv(let node): return node.map { [n($0)] } ?? []
        case .setlog(let id, let terms, let hardTerm):
            return [n(id)] + terms.map(String.init) + (hardTerm.map { ["term=\($0)"] } ?? [])
        case .expect(let expectation): return expectation.words
        case .logdump(let words): return words
        case .set(let setting):
            switch setting {
            case .protocol(let which, let on): return [which.rawValue, onOff(on)]
            case .unsafe(let knob, let on): return ["unsafe", knob, onOff(on)]
            case .sync(let id, let on): return ["sync", n(id), onOff(on)]
            case .localReads(let on): return ["local-reads", onOff(on)]
            case .crashModel(let pages): return ["crash-model", pages ? "pages" : "last-write"]
            case .compactThreshold(let count): return ["compact-threshold", String(count)]
            case .electionTicks(let ticks): return ["election-ticks", String(ticks)]
            case .heartbeatTicks(let ticks): return ["heartbeat-ticks", String(ticks)]
            case .nodeElectionTicks(let id, let ticks): return ["election-ticks", n(id), String(ticks)]
            case .nodeHeartbeatTicks(let id, let ticks): return ["heartbeat-ticks", n(id), String(ticks)]
            case .onViolation(let stop): return ["on-violation", stop ? "stop" : "continue"]
            case .color(let on): return ["color", onOff(on)]
            }
        case .disk(let disk):
            switch disk {
            case .export(let id, let directory): return ["export", n(id), directory]
            case .tear(let directory, let bytes): return ["tear", directory, String(bytes)]
            case .flip(let directory, let file, let offset, let bit):
                return ["flip", directory, file, String(offset)] + (bit.map { [String($0)] } ?? [])
            }
        case .load(let path, let step): return [path] + (step ? ["step"] : [])
        case .next(let count):
            switch count {
            case nil: return []
            case .all: return ["all"]
            case .count(let value): return [String(value)]
            }
        case .run(let ticks): return ticks.map { [String($0)] } ?? []
        case .reset(let nodes, let voters, let seed):
            return (nodes.map { ["nodes=\($0)"] } ?? []) + (voters.map { ["voters=\($0)"] } ?? []) + (seed.map { ["seed=\($0)"] } ?? [])
        case .help(let word): return word.map { [$0] } ?? []
        }
    }

    /// A selector as `deliver` spells it.
    static func words(of selector: Cluster.Selector) -> [String] {
        switch selector {
        case .oldest: []
        case .all: ["all"]
        case .ids(let ids): ids.map(String.init)
        case .link(let from, let to): ["\(NodeName.of(from))->\(NodeName.of(to))"]
        case .to(let id): ["to", NodeName.of(id)]
        case .from(let id): ["from", NodeName.of(id)]
        }
    }
}
