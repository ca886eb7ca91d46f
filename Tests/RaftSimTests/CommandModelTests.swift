import Foundation
import RaftCore
import RaftSim
import Testing
@testable import RaftStepCLI

/// `expect`'s assertions (Swift Testing has an `Expectation` too).
typealias ReplExpectation = RaftSim.Expectation

/// Issue 16 §1: one command model. Every command spells itself canonically and parses back to
/// itself; the table behind help and completion names exactly the commands the parser knows.
@Suite struct CommandModelTests {
    /// A random command of every kind, with arguments the language can spell.
    struct Generator {
        var rng: SeededGenerator
        static let words = ["set", "del", "x", "k1", "42", "hello", "a=1", "v-2", "é"]
        static let paths = ["out.svg", "/tmp/x", "a/b.txt", "dir"]

        mutating func below(_ n: Int) -> Int { Int(rng.next(below: UInt64(n))) }
        mutating func bool() -> Bool { below(2) == 0 }
        mutating func node() -> NodeID { NodeID(1 + below(bool() ? 5 : 9999)) }
        mutating func nodes(_ range: ClosedRange<Int>) -> [NodeID] { (0..<(range.lowerBound + below(range.count))).map { _ in node() } }
        mutating func distinctNodes() -> [NodeID] { Array(Set(nodes(1...4))).sorted() }
        mutating func count(_ range: ClosedRange<Int>) -> Int { range.lowerBound + below(min(range.count, 1_000_000_000)) }
        mutating func maybe<T>(_ make: (inout Generator) -> T) -> T? { bool() ? make(&self) : nil }
        mutating func word() -> String { Self.words[below(Self.words.count)] }
        mutating func text() -> String { (0..<(1 + below(4))).map { _ in word() }.joined(separator: " ") }
        mutating func path() -> String { Self.paths[below(Self.paths.count)] }
        mutating func pair() -> (NodeID, NodeID) {
            let from = node()
            var to = node()
            while to == from { to = node() }
            return (from, to)
        }

        mutating func selector() -> Cluster.Selector {
            switch below(6) {
            case 0: return .oldest
            case 1: return .all
            case 2: return .ids((0..<(1 + below(4))).map { _ in count(0...999_999) })
            case 3: let (a, b) = pair(); return .link(from: a, to: b)
            case 4: return .to(node())
            default: return .from(node())
            }
        }

        mutating func setting() -> Command.Setting {
            switch below(12) {
            case 10: return .nodeElectionTicks(node(), count(0...999_999))
            case 11: return .nodeHeartbeatTicks(node(), count(0...999_999))
            case 0: return .protocol(Cluster.Setting.allCases[below(Cluster.Setting.allCases.count)], bool())
            case 1: return .unsafe(knob: UnsafeKnobs.named[below(UnsafeKnobs.named.count)].name, bool())
            case 2: return .sync(node(), bool())
            case 3: return .localReads(bool())
            case 4: return .crashModel(pages: bool())
            case 5: return .compactThreshold(count(0...99_999_999))
            case 6: return .electionTicks(count(0...999_999))
            case 7: return .heartbeatTicks(count(0...999_999))
            case 8: return .onViolation(stop: bool())
            default: return .color(bool())
            }
        }

        mutating func disk() -> Command.Disk {
            switch below(3) {
            case 0: return .export(node(), directory: path())
            case 1: return .tear(directory: path(), bytes: Int64(count(1...1_000_000)))
            default: return .flip(directory: path(), file: word(), offset: Int64(count(0...1_000_000)), bit: maybe { $0.count(0...7) })
            }
        }

        mutating func partition() -> [[NodeID]] {
            let groups = 1 + below(3)
            var result = (0..<groups).map { _ in nodes(0...3) }
            if groups == 1 && result[0].isEmpty { result[0] = [node()] }
            return result
        }

        mutating func nodesOrAll() -> ReplExpectation.Nodes { bool() ? .all : .node(node()) }
        mutating func target() -> ReplExpectation.Target { below(3) == 0 ? .none : .nodes(nodesOrAll()) }
        mutating func pairs() -> [ReplExpectation.KeyValue] {
            (0..<(1 + below(3))).map { _ in
                ReplExpectation.KeyValue(key: "k\(below(9))", value: maybe { $0.word() }.flatMap { $0.contains("=") ? nil : $0 })
            }
        }

        mutating func expectation() -> ReplExpectation {
            switch below(20) {
            case 0: return .leader(target())
            case 1: return .role(nodesOrAll(), ["follower", "pre-candidate", "candidate", "leader", "down"][below(5)])
            case 2: return .counter(ReplExpectation.Counter.allCases[below(3)], nodesOrAll(), UInt64(count(0...999)))
            case 3: return .log(nodesOrAll(), (0..<below(5)).map { _ in UInt64(count(0...9)) })
            case 4: return .kv(nodesOrAll(), pairs())
            case 5: return .msgs(UInt64(count(0...99)))
            case 6: return .voted(nodesOrAll(), target())
            case 7: return .reads(nodesOrAll(), UInt64(count(0...9)))
            case 8: return .up(nodesOrAll(), bool())
            case 9: return .refused(command: ["crash", NodeName.of(node())], because: bool() ? [] : [word()])
            case 10: return .knownLeader(nodesOrAll(), target())
            case 11: return .transfer(nodesOrAll(), target())
            case 12:
                return .progress(
                    leader: node(), follower: node(), state: ["probe", "replicate", "snapshot"][below(3)],
                    match: maybe { UInt64($0.count(0...99)) }, next: maybe { UInt64($0.count(0...99)) })
            case 13: return .read(context: UInt64(count(0...99)), pairs()[0], index: maybe { UInt64($0.count(0...99)) })
            case 14:
                let voters = distinctNodes()
                let old = bool() ? [] : distinctNodes()
                // A learner is not also a voter, old or new.
                let learners = bool() ? [] : nodes(1...2).filter { !voters.contains($0) && !old.contains($0) }
                return .config(nodesOrAll(), voters: voters, old: old, learners: learners)
            case 15: return .snapshot(nodesOrAll(), index: nil, term: nil)
            case 16: return .snapshot(nodesOrAll(), index: UInt64(count(1...999)), term: maybe { UInt64($0.count(0...99)) })
            case 17: return .exit(Int32(count(0...3)))
            case 18: return .invariantsHold
            default: return .violation(["Leader", "Completeness"])
            }
        }

        /// One command; `kind` picks the case, so a loop over kinds reaches every one.
        mutating func command(kind: Int) -> Command {
            switch kind {
            case 0: return .deliver(selector())
            case 1: return .drop(selector())
            case 2: return .duplicate(selector())
            case 3: return .tick(nodes: nodes(0...3), count: maybe { $0.count(0...999_999) })
            case 4: return .crash(node())
            case 5: return .restart(node())
            case 6: return .campaign(node())
            case 7: return .transfer(node())
            // Without a node, the text must not begin with a node name (that would name the node).
            case 8: return .propose(node: maybe { $0.node() }, text: text())
            case 9: return .read(node: maybe { $0.node() }, key: word())
            case 10: return .add(distinctNodes(), learner: bool())
            case 11: return .remove(node())
            case 12: return .promote(node())
            case 13: return .compact(node(), through: maybe { UInt64($0.count(1...999_999)) })
            case 14: return .stabilize(limit: maybe { $0.count(1...10_000_000) })
            case 15: return .partition(partition())
            case 16: let (a, b) = pair(); return .cut(from: a, to: b)
            case 17: return .heal
            case 18: let (a, b) = pair(); return .healLink(from: a, to: b)
            case 19: return .status
            case 20: return .log(node: maybe { $0.node() }, from: maybe { UInt64($0.count(1...999_999)) })
            case 21: return .msgs
            case 22: return .ladder(count: maybe { $0.count(1...10_000) })
            case 23: return .svg(path: path())
            case 24: return .kv(maybe { $0.node() })
            case 25: return .setlog(node(), terms: (0..<below(5)).map { _ in UInt64(count(0...99)) }, hardTerm: maybe { UInt64($0.count(0...99)) })
            case 26: return .expect(expectation())
            case 27: return .violations
            case 28: return .set(setting())
            case 29: return .disk(disk())
            case 30: return .logdump(["verify", path()])
            case 31: return .undo
            case 32: return .save(path: path())
            case 33: return .load(path: path(), step: bool())
            case 34: return .next([nil, .all, .count(count(1...100_000))][below(3)])
            case 35: return .run(ticks: maybe { $0.count(0...999_999) })
            case 36: return .reset(nodes: maybe { $0.count(1...9) }, voters: maybe { $0.count(1...9) }, seed: maybe { $0.rng.next() })
            case 37: return .help(maybe { $0.bool() ? "exit" : CommandTable.all[$0.below(CommandTable.all.count)].name })
            case 38: return .crashAfter(node(), operations: count(0...1000))
            case 39: return bool() ? .crashAll : .restartAll
            case 40: return .backup(node())
            case 41: return .restore(node())
            case 42:
                // Two or more nodes: one node is spelled `remove NODE` (.remove).
                var ids = distinctNodes()
                while ids.count < 2 { let extra = node(); if !ids.contains(extra) { ids.append(extra) } }
                return .removeNodes(ids)
            case 43: return .replay(count(1...999_999))
            case 44: return .delay(count(1...999_999), deliveries: count(1...Cluster.maxDelayDeliveries))
            default: return .quit
            }
        }
        static let kinds = 46
    }

    @Test("every command parses back from its canonical spelling", arguments: [1, 2, 3] as [UInt64])
    func roundTrip(seed: UInt64) throws {
        var generator = Generator(rng: SeededGenerator(seed: seed))
        var names: Set<String> = []
        for step in 0..<4000 {
            let command = generator.command(kind: step % Generator.kinds)
            names.insert(command.name)
            let parsed = try Command.parse(command.description)
            #expect(parsed == command, "'\(command.description)' parses to \(parsed), not \(command)")
        }
        #expect(names == Set(CommandTable.all.map(\.name)), "the generator reaches every command of the table")
    }

    @Test("the table and the parser know the same command words")
    func tableMatchesParser() {
        for info in CommandTable.all {
            do {
                _ = try Command.parse(info.name)
            } catch {
                // A word the parser knows is refused for its arguments, never as unknown.
                #expect(error.reason.isUnknownCommand == false, "\(info.name) is in the table but not in the parser")
            }
        }
        #expect(throws: CommandError(.unknownCommand("frobnicate", suggestion: nil), command: "help")) { try Command.parse("frobnicate n1") }
    }

    @Test("every command line of the sample and golden scripts parses back from its canonical spelling")
    func scriptsRoundTrip() throws {
        var checked = 0
        for name in GoldenTranscriptTests.scripts {
            let lines = try Support.lines(ofScript: Support.scriptsDirectory.appendingPathComponent(name))
            for line in lines {
                let words = Command.tokenize(line)
                guard !words.isEmpty, let command = try? Command.parse(words: words) else { continue }
                #expect(try Command.parse(command.description) == command, "\(name): '\(line)' → '\(command.description)'")
                checked += 1
            }
        }
        #expect(checked > 200, "the scripts should hold many commands (checked \(checked))")
    }

    @Test("node names are checked against the cluster only when its size is given")
    func nodeRange() throws {
        #expect(try Command.parse("crash n7") == .crash(7))
        #expect(throws: CommandError(.noSuchNode(7), command: "crash")) { try Command.parse("crash n7", nodeCount: 3) }
        let error = CommandError(.noSuchNode(7), command: "crash")
        #expect(error.message(nodeCount: 3) == "no node n7: this cluster has n1…n3")
    }
}

extension CommandError.Reason {
    var isUnknownCommand: Bool {
        if case .unknownCommand = self { return true }
        return false
    }
}
