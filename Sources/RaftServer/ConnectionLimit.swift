import NIOCore

/// Answers a connection accepted above its port's limit, then closes it.
///
/// A client port (`message` set) sends one RESP error first, so `redis-cli` prints why; a peer port
/// has no way to say anything in its frame format, so it just closes (the dialling peer redials
/// with backoff). Either way the listener logs the refusal.
final class RefuseConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private let message: String?

    init(message: String?) { self.message = message }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        guard let message else { return channel.close(promise: nil) }
        var buffer = channel.allocator.buffer(capacity: message.utf8.count)
        buffer.writeString(message)
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }

    /// Whatever the refused side sends is not read.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}
