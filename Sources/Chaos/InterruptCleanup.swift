import Dispatch
import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// Cleanup that must run even when raftchaos is interrupted: killing the nodes by PID, removing the
/// namespaces, veths and bridge, unmounting the small disk. A campaign registers each step while it
/// holds the resource; on SIGINT, SIGTERM or SIGHUP the steps run newest first, then the process exits
/// 128 + the signal. Returns from the campaign run the same steps through their own `defer`s.
public enum InterruptCleanup {
    nonisolated(unsafe) private static var steps: [(id: Int, run: () -> Void)] = []
    nonisolated(unsafe) private static var nextID = 0
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
    private static let lock = NSLock()
    private static let queue = DispatchQueue(label: "raftchaos.interrupt")

    /// Adds a step; its id unregisters it.
    @discardableResult
    public static func register(_ step: @escaping () -> Void) -> Int {
        lock.withLock {
            nextID += 1
            steps.append((nextID, step))
            return nextID
        }
    }

    /// Removes a step (its resource was released the ordinary way).
    public static func unregister(_ id: Int) {
        lock.withLock { steps.removeAll { $0.id == id } }
    }

    /// Catches SIGINT, SIGTERM and SIGHUP: run the registered steps, print `message`, exit 128 + signal.
    public static func install(message: @escaping @Sendable (Int32) -> String) {
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler {
                let pending = lock.withLock { () -> [(id: Int, run: () -> Void)] in
                    defer { steps.removeAll() }
                    return steps
                }
                for step in pending.reversed() { step.run() }
                FileHandle.standardError.write(Data((message(signalNumber) + "\n").utf8))
                exit(128 + signalNumber)
            }
            source.resume()
            lock.withLock { sources.append(source) }
        }
    }
}
