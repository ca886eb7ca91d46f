import Testing
@testable import RaftCore

/// "Entries are consecutive, with terms of at least 1 that never decrease" is stated once
/// (`RaftLog.sequenceProblem`): messages are validated with it and the log asserts it, so a message
/// that passes validation can never break the log's invariant.
@Suite("The rule of an entry sequence")
struct EntrySequenceTests {
    @Test("an append carrying an entry of term 0 is dropped as it enters (it used to pass validation and trap in the log)")
    func termZeroEntry() {
        var node = RaftNode(
            config: Config(id: 2), configuration: Configuration(voters: [1, 2, 3]),
            hardState: HardState(term: 1))
        let result = node.step(
            .append(
                Append(
                    from: 1, to: 2, term: 1, prevLogIndex: 0, prevLogTerm: 0,
                    entries: [Entry(term: 0, index: 1)], leaderCommit: 0)))
        #expect(result == .ignored(reason: "entry 1 has term 0"))
        #expect(node.entries.isEmpty)
    }

    @Test(
        "the rule's answers",
        arguments: [
            ([Entry(term: 1, index: 3), Entry(term: 2, index: 4)], nil),
            ([Entry(term: 1, index: 4)], "entry index 4 where 3 was expected"),
            ([Entry(term: 2, index: 3), Entry(term: 1, index: 4)], "entry 4 has term 1 below the previous 2"),
            ([Entry(term: 0, index: 3)], "entry 3 has term 0"),
            ([Entry(term: 1, index: 3), Entry(term: 1, index: 3)], "entry index 3 where 4 was expected"),
        ] as [([Entry], String?)])
    func answers(entries: [Entry], problem: String?) {
        #expect(RaftLog.sequenceProblem(entries, after: 2, term: 1) == problem)
    }
}
