import RaftCore
import RaftHost

/// Linearizable reads in the simulator, and the checks that judge their answers from the
/// committed history (not from what the answering node believes).
extension Cluster {
    /// A read waiting for confirmation or for the state machine to catch up.
    struct PendingRead {
        var context: UInt64
        var node: Int
        var key: String
        var index: UInt64?
        /// The highest index committed anywhere when the read was asked: a linearizable read
        /// must reflect at least that much.
        var committedAtStart: UInt64
        /// Already reported as stale (its value is not checked again).
        var reported = false
    }

    /// The contexts of the reads node `id` has started and not yet answered or abandoned.
    public func pendingReads(on id: NodeID) -> [UInt64] {
        pendingReads.filter { $0.node == Int(id) - 1 }.map(\.context)
    }

    /// Asks the leader (or `target`) for a linearizable read of `key` (ReadIndex): the leader
    /// confirms with a heartbeat round that it still leads, then answers once it has applied
    /// through the commit index it had when the read arrived.
    @discardableResult
    public func read(_ key: String, on target: NodeID? = nil) throws(SimError) -> [String] {
        let i = try Int(chooseNode(target, verb: "read NODE KEY")) - 1
        let context = nextReadContext
        if isLocalReadsOn { return readLocally(key, on: i, context: context) }
        do { try hosts[i]!.read([key], context: context) } catch { throw SimError("\(Describe.n(NodeID(i + 1))) refuses: \(error)") }
        nextReadContext += 1
        pendingReads.append(PendingRead(context: context, node: i, key: key, index: nil, committedAtStart: checker.committedIndex))
        begin()
        say("\(Describe.n(NodeID(i + 1))) starts read \(context) of \(key)")
        handleReady(i, before: narratedState(i))
        checkInvariants()
        return finish()
    }

    /// Queues an answer for the read value check as if node `id` had served it now (tests only:
    /// it shows the comparison with the committed history catches a wrong value).
    func recordServedReadForTesting(node id: NodeID, key: String, value: String?) {
        let i = Int(id) - 1
        unverifiedReads.append((i, nextReadContext, key, value, store(id).lastApplied))
        nextReadContext += 1
    }

    /// The unsafe `local-reads` shortcut: the node answers from its own state at once, as if it
    /// were sure to lead and to have applied everything committed (no ReadIndex round).
    private func readLocally(_ key: String, on i: Int, context: UInt64) -> [String] {
        nextReadContext += 1
        let machine = hosts[i]!.machine
        begin()
        say(
            "\(Describe.n(NodeID(i + 1))) answers read \(context) of \(key) from its own state, without confirming that it leads (unsafe local-reads)"
        )
        let read = PendingRead(context: context, node: i, key: key, index: machine.lastApplied, committedAtStart: checker.committedIndex)
        readIndexes[context] = machine.lastApplied
        answer(read, value: machine.values[key], applied: machine.lastApplied)
        checkInvariants()
        return finish()
    }

    /// Switches the unsafe `local-reads` shortcut on or off.
    public func setLocalReads(_ on: Bool) -> [String] {
        begin()
        isLocalReadsOn = on
        say(
            on
                ? "UNSAFE: reads are answered from the asked node's own state, without ReadIndex (a stale leader answers stale values)"
                : "reads go through ReadIndex again")
        return finish()
    }

    /// After a Ready: narrate and check what the host did with node `i`'s reads.
    func checkReads(_ i: Int, _ report: ReadyReport<KeyValueStore>) {
        guard !pendingReads.isEmpty else { return }
        let name = Describe.n(NodeID(i + 1))
        for state in report.confirmedReads {
            guard let position = pendingReads.firstIndex(where: { $0.context == state.context && $0.node == i }) else { continue }
            pendingReads[position].index = state.index
            readIndexes[state.context] = state.index
            say("  \(name) confirms read \(state.context) at read index \(state.index) (a quorum still follows it)")
            let floor = pendingReads[position].committedAtStart
            if state.index < floor {
                pendingReads[position].reported = true
                reportViolation(
                    "Linearizable Reads",
                    "\(name) confirmed read \(state.context) at index \(state.index), but index \(floor) was committed before the read was asked")
            }
        }
        for context in report.abandonedReads {
            // The core forgets unconfirmed reads when it stops leading; the client gets no answer.
            say("  \(name) abandons read \(context): it is no longer leader")
            pendingReads.removeAll { $0.context == context && $0.node == i }
        }
        for answered in report.answeredReads {
            guard let position = pendingReads.firstIndex(where: { $0.context == answered.context && $0.node == i }) else { continue }
            let read = pendingReads.remove(at: position)
            answer(read, value: answered.result.first ?? nil, applied: answered.appliedIndex)
        }
    }

    /// Records, checks and narrates one answered read.
    private func answer(_ read: PendingRead, value: String?, applied: UInt64) {
        let name = Describe.n(NodeID(read.node + 1))
        servedReads.append((read.context, read.key, value))
        if !read.reported && applied < read.committedAtStart {
            // Linearizability, at the answer: it must reflect every write committed before the read was asked.
            reportViolation(
                "Linearizable Reads",
                "\(name) answered read \(read.context) from applied index \(applied), but index \(read.committedAtStart) was committed before the read was asked"
            )
        } else if !read.reported {
            unverifiedReads.append((read.node, read.context, read.key, value, applied))
        }
        say("  \(name) answers read \(read.context): \(read.key)=\(value ?? "(absent)")")
    }

    /// Linearizable Reads, client-visible: an answered value is the value the committed history
    /// holds at the index the answering node had applied (which is at least the read index).
    func verifyReads() -> [InvariantViolation] {
        var found: [InvariantViolation] = []
        var kept: [(node: Int, context: UInt64, key: String, value: String?, applied: UInt64)] = []
        for read in unverifiedReads {
            guard let expected = checker.committedValue(of: read.key, through: read.applied) else { kept.append(read); continue }
            if expected != read.value {
                found.append(
                    InvariantViolation(
                        invariant: "Linearizable Reads",
                        evidence:
                            "\(Describe.n(NodeID(read.node + 1))) answered read \(read.context) with \(read.key)=\(read.value ?? "(absent)"), but the committed history holds \(read.key)=\(expected ?? "(absent)") through index \(read.applied)"
                    ))
            }
        }
        unverifiedReads = kept
        return found
    }
}
