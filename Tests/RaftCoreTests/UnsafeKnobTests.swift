import Testing
@testable import RaftCore
import RaftTesting

/// Each teaching knob breaks exactly the rule it names; these tests show the breakage (and that
/// the same schedule is safe with the knob off).
@Suite("Unsafe teaching knobs")
struct UnsafeKnobTests {
    @Test("knob names round-trip")
    func names() {
        for (name, knob) in UnsafeKnobs.named {
            #expect(UnsafeKnobs(name: name) == knob)
        }
        #expect(UnsafeKnobs(name: "no-such-knob") == nil)
        #expect(UnsafeKnobs([.commitOldTerms, .ignoreStaleTerm]).names == ["commit-old-terms", "ignore-stale-term"])
    }

    @Test("commit-old-terms: Figure 8 (d) overwrites an entry the old leader applied")
    func commitOldTerms() throws {
        for knobOn in [false, true] {
            // Stop the moment n1 commits index 2, before anyone hears of it.
            var cluster = try Figure8(knobs: knobOn ? .commitOldTerms : []) { $0.node(1).commitIndex == 2 }.cluster
            #expect(cluster.node(1).commitIndex == (knobOn ? 2 : 1))
            #expect(cluster.appliedTexts(1) == (knobOn ? ["a", "x"] : ["a"]))
            // (d) n1 crashes before anyone hears of the commit; n5 returns and wins term 5.
            cluster.dropAll()
            cluster.crash(1)
            cluster.restart(5)
            cluster.elect(5)
            if cluster.leader != 5 { cluster.elect(5) }
            #expect(cluster.leader == 5)
            try cluster.propose(5, bytes("w"))
            cluster.stabilize()
            #expect(cluster.appliedTexts(2) == ["a", "y", "w"])
            if knobOn {
                // n1 applied "x" at index 2, everyone else "y": State Machine Safety is broken.
                #expect(cluster.applied[0][1].data != cluster.applied[1][1].data)
            } else {
                #expect(cluster.appliedTexts(1) == ["a"], "n1 never applied the overwritten entry")
            }
        }
    }

    @Test("vote-without-log-check: a candidate missing a committed entry wins")
    func voteWithoutLogCheck() throws {
        for knobOn in [false, true] {
            var cluster = LoopbackCluster(count: 3) {
                $0.preVote = false
                $0.checkQuorum = false
                $0.unsafe = knobOn ? .voteWithoutLogCheck : []
            }
            cluster.elect(1)
            cluster.isolate(3)
            try cluster.propose(1, bytes("committed"))
            cluster.stabilize()
            #expect(cluster.node(1).commitIndex == 2)
            cluster.crash(1)
            cluster.heal()
            cluster.elect(3)
            #expect((cluster.leader == 3) == knobOn)
            if knobOn {
                // Leader Completeness is broken: the new leader lacks committed index 2 (term 1)
                // and has put an entry of its own term there.
                #expect(cluster.node(3).term(at: 2) == cluster.node(3).term)
                #expect(cluster.node(3).commitIndex == 2)
            }
        }
    }

    @Test("ignore-stale-term: a deposed leader's append overwrites an entry of the new term")
    func ignoreStaleTerm() throws {
        for knobOn in [false, true] {
            var cluster = LoopbackCluster(count: 3) {
                $0.preVote = false
                $0.checkQuorum = false
                $0.unsafe = knobOn ? .ignoreStaleTerm : []
            }
            cluster.elect(1)
            try cluster.propose(1, bytes("stale"))
            let staleAppends = cluster.take { $0.isAppend && $0.from == 1 }
            let toN3 = try #require(staleAppends.first { $0.to == 3 })
            // n2 wins term 2; its no-op reaches n3 but the commit notice does not.
            cluster.campaign(2)
            cluster.deliver { $0.node(2).commitIndex == 2 }
            cluster.dropAll()
            #expect(cluster.leader == 2)
            #expect(cluster.node(2).commitIndex == 2)
            #expect(cluster.logTerms(3) == [1, 2])
            cluster.enqueue(toN3)
            cluster.deliverOne()
            if knobOn {
                #expect(cluster.logTerms(3) == [1, 1], "n3 replaced an entry of term 2 that n2 already committed")
            } else {
                #expect(cluster.logTerms(3) == [1, 2])
                #expect(cluster.ignored.contains { $0.reason.hasPrefix("stale term") } || cluster.inFlight.contains { $0.to == 1 })
            }
        }
    }
}
