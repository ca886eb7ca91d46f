import Dispatch
import NIOCore
import RaftHost

/// `raftd`'s disk thread: runs the host's storage writes (and their fsyncs) one at a time, in
/// order, so the node's event loop keeps reading, proposing and answering meanwhile; each write's
/// outcome goes back to the node's loop.
/// `@unchecked Sendable`: its one mutable field is touched only on `queue`.
final class DiskWriter: StorageWriter, @unchecked Sendable {
    private let queue = DispatchQueue(label: "raftd.disk")
    private let loop: any EventLoop
    /// Set (on the queue) once the storage is closed: later writes are not run, nor answered.
    private var isStopped = false

    /// A writer whose completions run on `loop` (the node's).
    init(loop: any EventLoop) { self.loop = loop }

    func submit(_ write: @escaping () throws -> Void, done: @escaping ((any Error)?) -> Void) {
        // The closures and the storage they touch are used by one thread at a time: the write on
        // the queue, then `done` on the loop (handed over through the queue and the loop's task list).
        let work = LoopBound(value: (write: write, done: done))
        let loop = self.loop
        queue.async { [self] in
            guard !isStopped else { return }
            var failure: (any Error)?
            do { try work.value.write() } catch { failure = error }
            let outcome = LoopBound(value: failure)
            loop.execute { work.value.done(outcome.value) }
        }
    }

    /// Waits until every write submitted so far has run, then runs `body` (closing the storage)
    /// on the disk thread; later writes are dropped (the node is stopping).
    func drain(then body: () -> Void) {
        queue.sync {
            body()
            isStopped = true
        }
    }
}
