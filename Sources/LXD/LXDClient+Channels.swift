import LXCCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A websocket to the daemon (an exec stream, the event feed), on a NIO channel of its own.
///
/// Messages arrive whole (fragments joined) on ``messages``; pings are answered, and a close
/// from the daemon is answered and ends ``messages``. The socket is closed by ``close()``, or
/// when ``messages`` is no longer iterated (its iteration ended or its task was cancelled).
final class LXDWebSocket: Sendable {
    enum Message: Sendable {
        case binary([UInt8])
        case text([UInt8])
    }

    let channel: any Channel
    let messages: AsyncThrowingStream<Message, any Error>

    init(channel: any Channel, messages: AsyncThrowingStream<Message, any Error>) {
        self.channel = channel
        self.messages = messages
    }

    /// Sends one message as a single masked frame (clients mask every frame: RFC 6455 5.3).
    func send(_ opcode: WebSocketOpcode, _ bytes: [UInt8]) async throws {
        let frame = WebSocketFrame(fin: true, opcode: opcode, maskKey: .random(),
                                   data: channel.allocator.buffer(bytes: bytes))
        try await channel.writeAndFlush(frame)
    }

    /// Sends a close frame and closes the channel; nothing happens when it is closed already.
    func close() {
        let channel = self.channel
        var data = channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: .normalClosure)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data)
        channel.writeAndFlush(frame).whenComplete { _ in channel.close(promise: nil) }
    }

    deinit {
        channel.close(promise: nil)
    }
}

/// Turns the frames of an upgraded channel into whole messages on a stream.
private final class WebSocketMessageHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let continuation: AsyncThrowingStream<LXDWebSocket.Message, any Error>.Continuation
    private var pending: [UInt8] = []
    private var pendingOpcode: WebSocketOpcode?
    private var closeSent = false

    init(_ continuation: AsyncThrowingStream<LXDWebSocket.Message, any Error>.Continuation) {
        self.continuation = continuation
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // The daemon may have closed the connection before the upgrade finished (it ends a
        // short exec that fast): no channelInactive comes then. The frames read before are
        // delivered in this tick, so the stream ends on the next.
        if !context.channel.isActive {
            let continuation = self.continuation
            context.eventLoop.execute { continuation.finish() }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .binary, .text, .continuation:
            if frame.opcode != .continuation { pendingOpcode = frame.opcode; pending = [] }
            pending += frame.unmaskedData.readableBytesView
            if frame.fin {
                let bytes = pending
                pending = []
                continuation.yield(pendingOpcode == .text ? .text(bytes) : .binary(bytes))
            }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            continuation.finish()
            if !closeSent {
                closeSent = true
                var data = context.channel.allocator.buffer(capacity: 2)
                data.write(webSocketErrorCode: .normalClosure)
                let reply = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data)
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(reply)).whenComplete { _ in channel.close(promise: nil) }
            } else {
                context.close(promise: nil)
            }
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        continuation.finish(throwing: error)
        context.close(promise: nil)
    }
}

private enum UpgradeOutcome: Sendable {
    case upgraded(any Channel)
    case refused(any Channel)
}

extension LXDClient {
    /// Opens a websocket to `path` (with its query) on the daemon, over the client's endpoint:
    /// the unix socket, or TCP with the endpoint's TLS handler first in the pipeline.
    func openWebSocket(_ what: String, _ instance: String?, path: String) async throws -> LXDWebSocket {
        let (messages, continuation) = AsyncThrowingStream<LXDWebSocket.Message, any Error>.makeStream()
        let endpoint = self.endpoint
        let initializer: @Sendable (any Channel) -> EventLoopFuture<EventLoopFuture<UpgradeOutcome>> = { channel in
            channel.eventLoop.makeCompletedFuture {
                if case .https(let host, _, let tls) = endpoint {
                    // SNI takes names only; an address literal is verified without it.
                    let isAddress = host.contains(":") || host.utf8.allSatisfy { $0 == UInt8(ascii: ".") || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) }
                    try channel.pipeline.syncOperations.addHandler(tls.makeClientHandler(serverHostname: isAddress ? nil : host))
                }
                let upgrader = NIOTypedWebSocketClientUpgrader<UpgradeOutcome>(
                    maxFrameSize: 1 << 24,
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(WebSocketMessageHandler(continuation))
                            return UpgradeOutcome.upgraded(channel)
                        }
                    })
                var headers = HTTPHeaders()
                // LXD refuses a request without one ("missing required Host header").
                headers.add(name: "Host", value: "lxd")
                headers.add(name: "Content-Length", value: "0")
                let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
                let configuration = NIOTypedHTTPClientUpgradeConfiguration<UpgradeOutcome>(
                    upgradeRequestHead: head, upgraders: [upgrader],
                    notUpgradingCompletionHandler: { channel in
                        channel.eventLoop.makeSucceededFuture(UpgradeOutcome.refused(channel))
                    })
                var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: configuration)
                // LXD may send its first frames (a short program's whole output) in the same
                // read as its 101 answer: they go on to the websocket decoder, not dropped
                // (NIO's default for clients).
                pipeline.leftOverBytesStrategy = .forwardBytes
                return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                    configuration: pipeline)
            }
        }
        let bootstrap = ClientBootstrap(group: http.eventLoopGroup)
        let outcome: UpgradeOutcome
        do {
            let upgrade: EventLoopFuture<UpgradeOutcome>
            switch endpoint {
            case .unixSocket(let socketPath):
                upgrade = try await bootstrap.connect(unixDomainSocketPath: socketPath, channelInitializer: initializer)
            case .https(let host, let port, _):
                upgrade = try await bootstrap.connect(host: host, port: port, channelInitializer: initializer)
            }
            outcome = try await upgrade.get()
        } catch {
            continuation.finish()
            throw LXCError(operation: what, container: instance,
                           message: "cannot open LXD's websocket \(path) at \(endpoint): \(error)", kind: .failed)
        }
        switch outcome {
        case .upgraded(let channel):
            let socket = LXDWebSocket(channel: channel, messages: messages)
            continuation.onTermination = { _ in channel.close(promise: nil) }
            return socket
        case .refused(let channel):
            continuation.finish()
            try? await channel.close()
            throw LXCError(operation: what, container: instance,
                           message: "LXD refused the websocket \(path) (a wrong or used secret, or the operation ended)",
                           kind: .failed)
        }
    }
}
