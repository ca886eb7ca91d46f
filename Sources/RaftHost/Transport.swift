import RaftCore

/// Where a host's messages go: the simulator's in-flight queue, or TCP connections to peers.
///
/// `send` must not block on the network: a transport queues what it cannot send at once and
/// may drop messages (Raft retries: a lost append is re-sent after the next heartbeat, a lost
/// vote request after the next election timeout).
public protocol Transport: AnyObject {
    /// Hands messages over for delivery, in order.
    func send(_ messages: [Message])
}
