import RaftCore

/// Runs a host's storage writes on another thread, one at a time, in the order they were
/// submitted (`raftd`'s disk thread). A host without one writes inline (the simulator).
public protocol StorageWriter: AnyObject {
    /// Runs `write` after every write submitted before it, off the caller's thread; then calls
    /// `done` on the host's thread with the error `write` threw, if any.
    func submit(_ write: @escaping () throws -> Void, done: @escaping ((any Error)?) -> Void)
}

/// The bookkeeping of a host whose writes run on a `StorageWriter` (see `NodeHost.writer`).
///
/// Write requests are numbered. While one write runs, later requests wait and then go to the
/// writer together, one merged save and so one fsync for all of them (group commit on the
/// follower as on the leader). Work that must not happen before a write is durable waits in
/// `work`, tagged with the number of the last write requested when it was queued, and runs in
/// order once that write has finished.
@usableFromInline
struct DeferredWrites {
    /// What may wait for a write.
    @usableFromInline
    enum Work {
        /// Messages of a Ready that must not leave before its write (a follower's answers, a vote).
        case send([Message])
        /// A received snapshot, restored into the machine once it is on disk.
        case restore(Snapshot)
        /// Committed entries not yet durable here (a cluster of one commits on its own write).
        case apply([Entry])
        /// A message from a peer that arrived while a write ran (see `NodeHost.step`).
        case step(Message)
        /// A tick that came while a write ran: time is held with the messages.
        case tick
    }

    /// One write the host asked for.
    @usableFromInline
    enum Write {
        case save(HardState?, [Entry], mustSync: Bool)
        case snapshot(Snapshot, HardState?, received: Bool)
    }

    /// Write requests made so far; the number of the latest.
    var requested: UInt64 = 0
    /// Every request through this number has finished.
    var finished: UInt64 = 0
    /// Whether a write is on the writer now.
    var isWriting = false
    /// Requests not yet handed to the writer, oldest first.
    var waiting: [(number: UInt64, write: Write)] = []
    /// Index ranges of requests not yet finished: an entry is durable only when no unfinished
    /// request rewrites it.
    var ranges: [(number: UInt64, first: UInt64, last: UInt64)] = []
    /// The term and vote of requests, by number, applied to `persistedTermVote` when they finish.
    var termVotes: [(number: UInt64, term: UInt64, vote: NodeID)] = []
    /// Entries through this index are on disk and no unfinished request rewrites them.
    @usableFromInline var durableIndex: UInt64
    /// Work waiting for the write numbered `ticket`, oldest first (from `head` on).
    var work: [(ticket: UInt64, work: Work)] = []
    var head = 0
    /// Queued `.apply` and `.restore` items: while there are any, later entries wait behind them.
    var queuedApplies = 0
    /// A leader's acknowledgements of entries not yet durable here, in arrival order: each is
    /// stepped once its index is durable, ahead of the other work that waits (see `NodeHost.step`).
    var acks: [(index: UInt64, message: Message)] = []

    /// The term and vote of the latest request that wrote a hard state (or of the recovered node).
    var requestedTermVote: (term: UInt64, vote: NodeID)

    init(durableIndex: UInt64, term: UInt64, vote: NodeID) {
        self.durableIndex = durableIndex
        requestedTermVote = (term, vote)
    }

    /// Whether a request already asked for this term and vote to be written.
    @usableFromInline
    func hasRequested(term: UInt64, vote: NodeID) -> Bool { requestedTermVote == (term, vote) }

    /// Whether inputs and work must wait: a write is unfinished or work is queued.
    @usableFromInline var isHolding: Bool { requested > finished || head < work.count }

    /// Queues `item` behind the latest write request.
    mutating func hold(_ item: Work) {
        switch item {
        case .apply, .restore: queuedApplies += 1
        default: break
        }
        work.append((requested, item))
    }

    /// Records a write the host did inline, with nothing unfinished: the log is durable through
    /// `lastIndex` (when entries were written), and the hard state is on disk.
    @usableFromInline
    mutating func wroteInline(hardState: HardState?, lastIndex: UInt64?) {
        precondition(requested == finished && head == work.count, "an inline write never overtakes a deferred one")
        if let lastIndex { durableIndex = lastIndex }
        if let hardState { requestedTermVote = (hardState.term, hardState.vote) }
    }

    /// Records a write request; returns its number.
    mutating func request(_ write: Write) -> UInt64 {
        requested += 1
        switch write {
        case .save(let hardState, let entries, _):
            if let first = entries.first?.index, let last = entries.last?.index {
                durableIndex = min(durableIndex, first - 1)
                ranges.append((requested, first, last))
            }
            if let hardState {
                termVotes.append((requested, hardState.term, hardState.vote))
                requestedTermVote = (hardState.term, hardState.vote)
            }
        case .snapshot(let snapshot, let hardState, let received):
            if received {
                durableIndex = 0
                ranges.append((requested, 1, snapshot.metadata.index))
            }
            if let hardState {
                termVotes.append((requested, hardState.term, hardState.vote))
                requestedTermVote = (hardState.term, hardState.vote)
            }
        }
        waiting.append((requested, write))
        return requested
    }

    /// Records that every request through `number` finished; returns the term and vote now on disk, if one was written.
    mutating func finish(through number: UInt64) -> (term: UInt64, vote: NodeID)? {
        precondition(number > finished && number <= requested, "writes finish in order, once")
        finished = number
        var written: UInt64 = 0
        ranges.removeAll { range in
            guard range.number <= number else { return false }
            written = max(written, range.last)
            return true
        }
        let rewritten = ranges.map(\.first).min().map { $0 - 1 } ?? .max
        durableIndex = max(durableIndex, min(written, rewritten))
        var termVote: (term: UInt64, vote: NodeID)?
        while let first = termVotes.first, first.number <= number {
            termVote = (first.term, first.vote)
            termVotes.removeFirst()
        }
        return termVote
    }

    /// The next work item whose write has finished, if any.
    mutating func nextReady() -> Work? {
        guard head < work.count, work[head].ticket <= finished else {
            if head == work.count && head > 0 { work.removeAll(keepingCapacity: true); head = 0 }
            return nil
        }
        let item = work[head].work
        head += 1
        switch item {
        case .apply, .restore: queuedApplies -= 1
        default: break
        }
        return item
    }

    /// The waiting requests as one batch: consecutive saves merged into one (one sync).
    mutating func takeBatch() -> (through: UInt64, writes: [Write])? {
        guard let last = waiting.last?.number else { return nil }
        var writes: [Write] = []
        for (_, write) in waiting {
            if case .save(let hard, let entries, let sync) = write, case .save(let earlierHard, let earlier, let earlierSync)? = writes.last {
                // A later entry at or below an earlier one's index supersedes it (conflict truncation).
                let kept = entries.first.map { first in earlier.filter { $0.index < first.index } } ?? earlier
                writes[writes.count - 1] = .save(hard ?? earlierHard, kept + entries, mustSync: sync || earlierSync)
            } else {
                writes.append(write)
            }
        }
        waiting.removeAll(keepingCapacity: true)
        return (last, writes)
    }
}

extension NodeHost {
    /// Whether work or inputs must wait for a write (always false when writing inline).
    @usableFromInline var isHoldingForWrite: Bool { writer != nil && deferred.isHolding }

    /// Asks for a write on the writer (deferred mode).
    @usableFromInline
    func requestWrite(_ write: DeferredWrites.Write) {
        _ = deferred.request(write)
        submitWaitingWrites()
    }

    /// Queues work behind the latest write request (deferred mode).
    @usableFromInline
    func hold(_ work: DeferredWrites.Work) { deferred.hold(work) }

    /// Whether `entries` may be applied now: nothing applies ahead of them and they are durable
    /// here (in deferred mode; inline, always). With `commitsWithoutOwnWrite` committed means
    /// durable on a majority, which is enough: a crash here loses only this node's copy, and its
    /// snapshots are written after those entries (the writer keeps request order).
    @usableFromInline
    func mayApplyNow(_ entries: [Entry]) -> Bool {
        guard writer != nil, let last = entries.last else { return true }
        return deferred.queuedApplies == 0 && (commitsWithoutOwnWrite || last.index <= deferred.durableIndex)
    }

    /// Steps the held acknowledgements whose index is now durable here, in arrival order.
    private func stepDurableAcks() {
        guard !deferred.acks.isEmpty else { return }
        let durable = deferred.durableIndex
        var kept: [(index: UInt64, message: Message)] = []
        for ack in deferred.acks {
            if ack.index <= durable { storedNode.step(ack.message) } else { kept.append(ack) }
        }
        deferred.acks = kept
    }

    private func submitWaitingWrites() {
        guard let writer, !deferred.isWriting, let batch = deferred.takeBatch() else { return }
        deferred.isWriting = true
        let storage = self.storage
        writer.submit(
            {
                for write in batch.writes {
                    switch write {
                    case .save(let hardState, let entries, let mustSync):
                        try storage.save(hardState: hardState, entries: entries, mustSync: mustSync)
                    case .snapshot(let snapshot, let hardState, let received):
                        try storage.saveSnapshot(snapshot, hardState: hardState, received: received)
                    }
                }
            },
            done: { [self] error in writeFinished(through: batch.through, error: error) })
    }

    /// A batch of writes finished: runs the work that waited for it and hands the report to `onWriteFinished`.
    private func writeFinished(through number: UInt64, error: (any Error)?) {
        deferred.isWriting = false
        var report = ReadyReport<Machine>()
        if let error {
            report.failure = HostFailure(stage: .save, message: "\(error)")
            onWriteFinished?(report)
            return
        }
        if let written = deferred.finish(through: number) { persistedTermVote = written }
        if commitsWithoutOwnWrite { storedNode.persisted(through: deferred.durableIndex) }
        stepDurableAcks()
        while let work = deferred.nextReady() {
            switch work {
            case .send(let messages):
                if !messages.isEmpty { transport.send(messages) }
                report.messages.append(contentsOf: messages)
            case .restore(let snapshot):
                do { try storedMachine.restore(snapshot.data) } catch {
                    report.failure = HostFailure(stage: .restore, message: "\(error)")
                    onWriteFinished?(report)
                    return
                }
                storedAppliedIndex = snapshot.metadata.index
                report.installedSnapshot = snapshot
            case .apply(let entries):
                // A snapshot restored meanwhile may already cover some of them.
                let fresh = entries.filter { $0.index > storedAppliedIndex }
                apply(fresh, into: &report)
            case .step(let message):
                storedNode.step(message)
            case .tick:
                storedNode.tick()
            }
        }
        answerReads(into: &report)
        submitWaitingWrites()
        onWriteFinished?(report)
    }
}
