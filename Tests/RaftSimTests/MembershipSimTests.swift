import Foundation
import RaftCore
import RaftSim
@testable import RaftStepCLI
import Testing

/// Runs REPL lines on a fresh session; every line must succeed (expectations included) unless it
/// is listed in `failing`, whose output is returned.
@discardableResult
func runLines(_ lines: [String], seed: UInt64 = 1, sourceLocation: SourceLocation = #_sourceLocation) -> (session: Session, output: [String: String])
{
    let session = Support.session(seed: seed)
    var output: [String: String] = [:]
    for line in lines {
        // A line starting with `!` is expected to fail; its output is kept under the whole line.
        let result = session.execute(line.hasPrefix("!") ? String(line.dropFirst()) : line)
        let text = result.lines.joined(separator: "\n")
        output[line, default: ""] += text
        if line.hasPrefix("!") { continue }
        #expect(result.status == .ok, "'\(line)' → \(result.status): \(text)", sourceLocation: sourceLocation)
    }
    return (session, output)
}

/// The REPL's error for a line expected to be refused.
func refusal(_ session: Session, _ line: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
    let result = session.execute(line)
    #expect(result.status == .error, "'\(line)' should be refused", sourceLocation: sourceLocation)
    return result.lines.joined(separator: "\n")
}

/// Membership changes through the simulator and the REPL (issue 8): joint majorities, one change
/// at a time, no change before a commit in the term, a removed leader steps down, a removed server
/// does not disrupt, learners do not count, promotion.
@Suite struct MembershipSimTests {
    static let start = ["reset nodes=5 voters=3", "set prevote off", "set checkquorum off", "campaign n1", "stabilize", "expect leader n1"]

    @Test func nodesOutsideTheConfigurationRunButAreNotMembers() {
        let (session, _) = runLines(
            Self.start + [
                "expect config all voters=n1,n2,n3", "tick n4 n5 50", "expect leader n1", "expect term n2 1", "expect term n4 0", "expect term n5 0",
            ])
        #expect(session.cluster.node(4)?.role == .follower)
        let status = session.execute("status").lines.joined(separator: "\n")
        #expect(status.contains("configuration voters (n1,n2,n3)"))
        #expect(status.contains("not members (as n1 sees it): n4 n5"))
    }

    @Test func jointConsensusNeedsMajoritiesOfBothConfigurations() {
        let (session, output) = runLines(
            Self.start + [
                "partition n1 n4 n5 | n2 n3",
                "add n4 n5",
                "expect config n1 old=n1,n2,n3 voters=n1,n2,n3,n4,n5",
                "propose set x 1",
                "stabilize",
                // n1, n4 and n5 are a majority of C_new but not of C_old: nothing commits.
                "expect commit n1 1",
                "heal",
                "propose set y 2",
                "drop n1->n3", "drop n1->n5",
                "deliver n1->n4", "deliver n4->n1",
                "expect commit n1 1",
                "deliver n1->n2", "deliver n2->n1", "deliver n1->n2", "deliver n2->n1",
                // n1, n2 and n4: a majority of both halves.
                "expect commit n1 4",
                "stabilize",
                "expect config all voters=n1,n2,n3,n4,n5",
                "expect commit all 5",
                "expect kv all x=1 y=2",
                "expect invariants ok",
            ])
        #expect(output["add n4 n5"]?.contains("n1 appends C_old,new (n1,n2,n3)&(n1,n2,n3,n4,n5) at index 2") == true)
        #expect(output["deliver n2->n1"]?.contains("n1 appends C_new (n1,n2,n3,n4,n5) at index 5") == true)
        let grid = session.execute("log").lines
        #expect(grid.contains("c: configuration entry"))
        #expect(grid.contains { $0.hasPrefix("n1") && $0.contains("1c") })
    }

    @Test func electionsNeedMajoritiesOfBothConfigurationsWhileJoint() {
        // Only n1, n4 and n5 hold C_old,new; n1 crashes. n4 with n5's vote has a majority of
        // neither C_old (n1,n2,n3) nor C_new (3 of 5): no leader.
        runLines(
            Self.start + [
                "partition n1 n4 n5 | n2 n3", "add n4 n5", "propose set x 1", "stabilize",
                "crash n1", "campaign n4", "stabilize",
                "expect leader none", "expect role n4 candidate",
                // n2 and n3 never saw C_old,new: under C_old they are a majority and elect n2; the
                // uncommitted change is abandoned, safely.
                "heal", "campaign n2", "stabilize", "expect leader n2", "expect config n2 voters=n1,n2,n3",
                "expect config n4 old=n1,n2,n3 voters=n1,n2,n3,n4,n5",
                "propose set y 2", "stabilize", "expect commit n3 3", "expect invariants ok",
            ])
    }

    @Test func oneChangeAtATime() {
        let (session, _) = runLines(Self.start + ["add n4"])
        let error = refusal(session, "add n5")
        #expect(error.contains("n1 refuses add n5: a membership change (entry 2) is still in progress"), "\(error)")
        #expect(error.contains("usage: add NODE… [learner]"))
        runLinesOn(
            session,
            [
                "stabilize", "expect config n1 voters=n1,n2,n3,n4", "expect config n4 voters=n1,n2,n3,n4", "expect config n5 voters=n1,n2,n3",
                "add n5", "stabilize", "expect config all voters=n1,n2,n3,n4,n5",
            ])
    }

    @Test func noChangeBeforeTheLeaderCommitsInItsTerm() {
        let (session, _) = runLines([
            "reset nodes=4 voters=3", "set prevote off", "set checkquorum off", "campaign n1",
            "deliver n1->n2", "deliver n2->n1", "expect leader n1", "expect commit n1 0",
        ])
        let error = refusal(session, "add n4")
        #expect(error.contains("has not committed an entry of its term"), "\(error)")
        runLinesOn(session, ["stabilize", "add n4", "stabilize", "expect config all voters=n1,n2,n3,n4"])
    }

    @Test func aLeaderNotInCNewStepsDownOnceItCommits() {
        let (session, output) = runLines([
            "set prevote off", "set checkquorum off", "campaign n1", "stabilize",
            "remove n1", "stabilize", "expect config n2 voters=n2,n3", "expect config n1 voters=n2,n3",
        ])
        #expect(session.cluster.node(1)?.role == .follower)
        #expect(output["stabilize"]?.contains("n1 becomes follower") == true)
        // The two remaining voters elect a leader among themselves.
        runLinesOn(
            session, ["campaign n2", "stabilize", "expect leader n2", "propose set z 9", "stabilize", "expect kv n3 z=9", "expect invariants ok"])
    }

    @Test func aRemovedServerDoesNotDisruptTheCluster() {
        // n3 is cut off while it is removed, so it never learns it was; then it campaigns.
        let (session, _) = runLines([
            "set prevote off", "campaign n1", "stabilize", "partition n1 n2 | n3",
            "remove n3", "stabilize", "tick n1", "stabilize",
            "expect config n1 voters=n1,n2", "expect config n3 voters=n1,n2,n3",
            "heal", "campaign n3", "expect term n3 2", "stabilize",
            // n1 and n2 heard from their leader within the election timeout: they ignore n3.
            "expect leader n1", "expect term n1 1", "expect term n2 1", "expect invariants ok",
        ])
        #expect(session.cluster.node(1)?.role == .leader)
    }

    @Test func learnersReceiveTheLogButDoNotCount() {
        let (session, _) = runLines([
            "reset nodes=4 voters=3", "set prevote off", "set checkquorum off", "campaign n1", "stabilize",
            "add n4 learner", "stabilize", "expect config all voters=n1,n2,n3 learners=n4",
            "partition n1 n4 | n2 n3", "propose set x 1", "stabilize",
            "expect commit n1 2", "expect log n4 1 1 1",
            // A learner never campaigns.
            "tick n4 40", "expect role n4 follower", "expect term n4 1",
        ])
        let status = session.execute("status").lines.joined(separator: "\n")
        #expect(status.contains("learners (n4)"))
        runLinesOn(
            session,
            [
                "heal", "tick n1", "stabilize", "expect commit all 3", "expect kv all x=1",
                "promote n4", "stabilize", "expect config all voters=n1,n2,n3,n4",
                // Now n4 counts: n1 and n4 are not a majority of four.
                "partition n1 n4 | n2 n3", "propose set y 2", "stabilize", "expect commit n1 5", "expect log n4 1 1 1 1 1 1",
            ])
        #expect(refusal(session, "promote n2").contains("n2 is not a learner"))
        #expect(refusal(session, "add n9").contains("no node n9"))
        #expect(refusal(session, "remove").contains("usage: remove NODE"))
    }

    @Test func lessonElevenStartsWithThreeVotersOfFive() throws {
        guard case .success(let catalog) = LessonCatalog.load(directory: LessonTests.lessonsDirectory) else {
            Issue.record("lessons do not load")
            return
        }
        let lesson = try #require(catalog.lesson(named: "11"))
        #expect(lesson.nodes == 5 && lesson.voters == 3)
        #expect(catalog.lesson(named: "12")?.voters == nil)
    }

    @Test func tabCompletionKnowsTheNewCommands() {
        let session = Support.session()
        #expect(session.completions(before: "add n3 ", word: "").contains("learner"))
        #expect(session.completions(before: "promote ", word: "") == ["n1", "n2", "n3"])
        #expect(session.completions(before: "reset ", word: "").contains("voters="))
        #expect(session.completions(before: "expect config n1 ", word: "").contains("old="))
        #expect(session.completions(before: "set ", word: "").contains("compact-threshold"))
    }

    @Test func sessionScriptKeepsTheVoterCount() {
        let (session, _) = runLines(["reset nodes=5 voters=3"])
        #expect(session.banner.contains("voters n1…n3"))
        var options = SessionOptions()
        options.cluster.nodeCount = 4
        options.cluster.voterCount = 2
        let fresh = try! Session(options: options)
        #expect(fresh.script().contains("reset nodes=4 voters=2 seed=1"))
        #expect(refusal(session, "reset nodes=2 voters=3").contains("voters must be between 1 and the node count"))
    }
}

func runLinesOn(_ session: Session, _ lines: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    for line in lines {
        let result = session.execute(line)
        #expect(result.status == .ok, "'\(line)' → \(result.status): \(result.lines.joined(separator: "\n"))", sourceLocation: sourceLocation)
    }
}
