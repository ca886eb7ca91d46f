import Testing
@testable import RaftStepCLI

/// Issue 14 §3: at a terminal, a narration line longer than the width is cut between words, with
/// a hanging indent, instead of by the terminal mid-word.
@Suite struct WrapTests {
    static let narration =
        "  n2 ignores it: it heard from leader n3 0 ticks ago (less than an election timeout, 10), so it will not help unseat it (check-quorum's leader lease, dissertation §4.2.3); the pre-vote for term 2 gets no answer"

    @Test func longNarrationIsCutBetweenWordsWithAHangingIndent() {
        let lines = Wrap.lines(Self.narration, widthColumns: 80)
        #expect(lines.count == 3, "\(lines)")
        #expect(lines.allSatisfy { $0.count <= 80 }, "\(lines)")
        #expect(lines[0].hasPrefix("  n2 ignores it:"))
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("      ") && !$0.hasPrefix("       ") }, "continuation lines hang 4 deeper: \(lines)")
        // Nothing is lost or split: the words are the line's words.
        let words = lines.flatMap { $0.split(separator: " ") }
        #expect(words == Self.narration.split(separator: " "))
    }

    @Test func aLineThatFitsIsLeftAsItIs() {
        let table = "n1    follower     0  -          0        0  0@0   -       0/16   sync"
        #expect(Wrap.lines(table, widthColumns: 80) == [table])
        #expect(Wrap.lines(Self.narration, widthColumns: 300) == [Self.narration])
    }

    @Test func colourEscapesTakeNoColumns() {
        let red = "\u{1B}[31m!! " + String(repeating: "x", count: 70) + "\u{1B}[0m"
        #expect(Wrap.columns(red) == 73)
        #expect(Wrap.lines(red, widthColumns: 80) == [red])
    }

    @Test func aTableRowContinuesUnderItsTextAndKeepsItsColumns() {
        let row = "  deliver    deliver the oldest message / these ids / all from FROM to TO / all to or from NODE / everything now in flight"
        let lines = Wrap.lines(row, widthColumns: 80)
        #expect(lines.count == 2, "\(lines)")
        #expect(lines[0].hasPrefix("  deliver    deliver the oldest"), "the gap after the name stays: \(lines)")
        #expect(lines[1].hasPrefix(String(repeating: " ", count: 13)) && lines[1].dropFirst(13).first != " ", "continues under the summary: \(lines)")
        #expect(lines.allSatisfy { $0.count <= 80 })
    }

    @Test func aWordLongerThanTheWidthStaysWhole() {
        let long = String(repeating: "y", count: 50)
        let lines = Wrap.lines("a b " + long + " c", widthColumns: 20)
        #expect(lines == ["a b", "    " + long, "    c"])
    }
}
