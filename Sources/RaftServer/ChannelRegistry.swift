import NIOCore
import Synchronization

/// The open channels of a server (its listener's accepted connections), so that shutdown can close
/// them: closing a listening socket leaves the connections it accepted open.
final class ChannelRegistry: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    /// Remembers `channel` until it closes.
    func add(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        channels.withLock { $0[key] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            self?.channels.withLock { _ = $0.removeValue(forKey: key) }
        }
    }

    /// Remembers `channel` unless `limit` channels are already open; false when refused.
    func add(_ channel: any Channel, limit: Int) -> Bool {
        let key = ObjectIdentifier(channel)
        let accepted = channels.withLock { open -> Bool in
            guard open.count < limit else { return false }
            open[key] = channel
            return true
        }
        guard accepted else { return false }
        channel.closeFuture.whenComplete { [weak self] _ in
            self?.channels.withLock { _ = $0.removeValue(forKey: key) }
        }
        return true
    }

    /// How many are open.
    var count: Int { channels.withLock { $0.count } }

    /// Closes every remembered channel; completes when all are closed.
    func closeAll(on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        let open = channels.withLock { Array($0.values) }
        // Wait on `closeFuture`, not on `close()`: a channel already closing fails `close()` at once,
        // before it is closed and before `add`'s callback has forgotten it.
        let closed = open.map { channel in
            channel.close(promise: nil)
            return channel.closeFuture
        }
        return EventLoopFuture.andAllComplete(closed, on: eventLoop)
    }
}
