import Testing
@testable import RaftCore

/// A follower never gives up a committed entry, whatever a leader sends (issue 16 §3). The core
/// refuses such an append itself: an append whose previous index is below the commit index is
/// answered with the commit index and changes nothing, and every entry of any other append lies
/// after the commit index. (The simulator used to check this before stepping, in the belief that
/// the core would trap; that check could never fire, and is gone.)
@Suite("An append that would overwrite a committed entry")
struct CommittedOverwriteTests {
    static let committedLog = [Entry(term: 1, index: 1), Entry(term: 1, index: 2)]

    /// n2 holds entries 1 and 2 of term 1 and has committed both.
    func follower(term: UInt64 = 1, unsafe: UnsafeKnobs = []) -> RaftNode {
        var config = Config(id: 2)
        config.unsafe = unsafe
        return RaftNode(
            config: config, configuration: Configuration(voters: [1, 2, 3]),
            hardState: HardState(term: term, vote: 1, commit: 2), entries: Self.committedLog)
    }

    /// From n3 in `term`: entry 2 of term 2 (which conflicts with the committed entry 2) and entry 3.
    func conflictingAppend(term: UInt64) -> Message {
        .append(
            Append(
                from: 3, to: 2, term: term, prevLogIndex: 1, prevLogTerm: 1,
                entries: [Entry(term: 2, index: 2), Entry(term: 2, index: 3)], leaderCommit: 3))
    }

    @Test("from a leader of a newer term: the log and commit stay, the answer names the commit index")
    func newerTerm() {
        var node = follower()
        #expect(node.step(conflictingAppend(term: 2)) == .handled)
        #expect(node.entries == Self.committedLog)
        #expect(node.commitIndex == 2)
        #expect(node.ready().messages == [.appendResponse(AppendResponse(from: 2, to: 3, term: 2, index: 2))])
    }

    @Test("from a deposed leader under ignore-stale-term: the same")
    func staleTermKnob() {
        var node = follower(term: 3, unsafe: .ignoreStaleTerm)
        #expect(node.step(conflictingAppend(term: 2)) == .handled)
        #expect(node.entries == Self.committedLog)
        #expect(node.ready().messages == [.appendResponse(AppendResponse(from: 2, to: 3, term: 3, index: 2))])
    }

    @Test("at the commit index, a previous entry of another term is rejected, not replaced")
    func mismatchAtCommit() {
        var node = follower()
        let append = Append(
            from: 3, to: 2, term: 2, prevLogIndex: 2, prevLogTerm: 2,
            entries: [Entry(term: 2, index: 3)], leaderCommit: 3)
        #expect(node.step(.append(append)) == .handled)
        #expect(node.entries == Self.committedLog)
        let answer = node.ready().messages
        #expect(answer.count == 1)
        if case .appendResponse(let response)? = answer.first { #expect(response.isRejected) } else { Issue.record("no append answer: \(answer)") }
    }

    @Test("a conflict just above the commit index still replaces the suffix")
    func uncommittedConflict() {
        var node = RaftNode(
            config: Config(id: 2), configuration: Configuration(voters: [1, 2, 3]),
            hardState: HardState(term: 1, vote: 1, commit: 1), entries: Self.committedLog)
        #expect(node.step(conflictingAppend(term: 2)) == .handled)
        #expect(node.entries == [Entry(term: 1, index: 1), Entry(term: 2, index: 2), Entry(term: 2, index: 3)])
        #expect(node.commitIndex == 3)
    }
}
