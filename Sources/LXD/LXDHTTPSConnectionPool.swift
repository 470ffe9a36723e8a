import LXCCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization

/// The HTTPS connections of one client: HTTP/1.1 over TLS with the pinned server certificate,
/// kept alive and reused across calls.
///
/// async-http-client offers no hook to verify a server by a pinned certificate (its TLS
/// handler takes a `TLSConfiguration` only, and BoringSSL will not take LXD's `CA:FALSE`
/// certificate as a trust root), so HTTPS requests take this small path of their own: a NIO
/// channel per connection with NIOSSL's handler and its custom verification first, NIO's
/// HTTP/1.1 codec, and one request at a time per connection. Idle connections wait here for
/// the next call; they are closed when the pool (the last copy of its ``LXDClient``) goes
/// away, or by the daemon.
final class LXDHTTPSConnectionPool: Sendable {
    let host: String
    let port: Int
    let tls: LXDTLS
    private let idle = Mutex<[any Channel]>([])
    /// The most idle connections kept; more are closed after their request.
    static let maximumIdle = 8

    init(host: String, port: Int, tls: LXDTLS) {
        self.host = host
        self.port = port
        self.tls = tls
    }

    deinit {
        for channel in idle.withLock({ $0 }) { channel.close(promise: nil) }
    }

    /// Sends one request and collects the response, on an idle connection or a new one.
    ///
    /// A reused connection that the daemon closed while it was idle is replaced by a new one,
    /// once: when the request could not be written to it, or, for a `GET` or `HEAD` (which
    /// change nothing), when the connection ended before any answer came.
    func execute(method: HTTPMethod, path: String, headers: HTTPHeaders, body: [UInt8]?) async throws -> RawResponse {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)
        head.headers.replaceOrAdd(name: "Host", value: "\(hostForURL(host)):\(port)")
        if let body {
            head.headers.replaceOrAdd(name: "Content-Length", value: String(body.count))
        } else if method != .GET && method != .HEAD {
            head.headers.replaceOrAdd(name: "Content-Length", value: "0")
        }
        var reusedFailures = 0
        while true {
            let (channel, reused) = try await acquire()
            let promise = channel.eventLoop.makePromise(of: LXDHTTPExchange.Response.self)
            let exchange = LXDHTTPExchange(head: head, body: body.map { ByteBuffer(bytes: $0) }, promise: promise)
            channel.writeAndFlush(exchange).whenFailure { promise.fail($0) }
            do {
                let response = try await promise.futureResult.get()
                if response.keepAlive && channel.isActive {
                    release(channel)
                } else {
                    channel.close(promise: nil)
                }
                return response.raw
            } catch where reused && reusedFailures == 0 && isStaleConnection(error, method: method) {
                reusedFailures += 1
                channel.close(promise: nil)
                continue
            } catch {
                channel.close(promise: nil)
                throw error
            }
        }
    }

    private func acquire() async throws -> (any Channel, reused: Bool) {
        while let channel = idle.withLock({ $0.popLast() }) {
            if channel.isActive { return (channel, true) }
            channel.close(promise: nil)
        }
        return (try await connect(), false)
    }

    private func release(_ channel: any Channel) {
        let kept = idle.withLock { idle in
            guard idle.count < Self.maximumIdle else { return false }
            idle.append(channel)
            return true
        }
        if !kept { channel.close(promise: nil) }
    }

    /// A new connection, its TLS handshake done (so a wrong server is refused here, before
    /// any request is written).
    private func connect() async throws -> any Channel {
        let observer = LXDPinObserver()
        let tls = self.tls
        let host = self.host
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let handshake = loop.makePromise(of: Void.self)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: loop)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connectTimeout(.seconds(30))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        try sync.addHandler(tls.makeClientHandler(serverHostname: host, observer: observer))
                        try sync.addHandler(LXDHandshakeWaiter(promise: handshake))
                        try sync.addHTTPClientHandlers()
                        try sync.addHandler(LXDHTTPExchange.Handler())
                    }
                }
                .connect(host: host, port: port).get()
        } catch {
            handshake.fail(error)
            throw LXDConnectFailed(underlying: error)
        }
        do {
            try await handshake.futureResult.get()
        } catch {
            channel.close(promise: nil)
            if let presented = observer.refusedFingerprint {
                throw LXDPinMismatch(expected: tls.pinnedFingerprint, presented: presented)
            }
            throw LXDConnectFailed(underlying: error)
        }
        return channel
    }
}

/// Whether a request on a reused connection failed because the daemon had closed it while
/// it was idle, so that a new connection may carry it: the request never reached the socket,
/// or it changes nothing (`GET`, `HEAD`) and the connection ended before any answer.
func isStaleConnection(_ error: any Error, method: HTTPMethod) -> Bool {
    if let error = error as? ChannelError {
        switch error {
        case .ioOnClosedChannel, .outputClosed, .alreadyClosed: return true
        default: return false
        }
    }
    if error is LXDHTTPExchange.ClosedBeforeAnswer { return method == .GET || method == .HEAD }
    return false
}

/// The server presented a certificate that is not the pinned one.
struct LXDPinMismatch: Error {
    var expected: String
    var presented: String
}

/// No connection could be made (TCP or TLS).
struct LXDConnectFailed: Error, CustomStringConvertible {
    var underlying: any Error
    var description: String { "\(underlying)" }
}

/// Tells when the TLS handshake of its channel has finished, or failed.
final class LXDHandshakeWaiter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    /// Completed once; later completions are no-ops.
    private let promise: EventLoopPromise<Void>

    init(promise: EventLoopPromise<Void>) { self.promise = promise }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent { promise.succeed(()) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ChannelError.eof)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        promise.fail(ChannelError.eof)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }
}

/// One request and the promise of its response, written to a connection's channel.
struct LXDHTTPExchange: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer?
    var promise: EventLoopPromise<Response>

    struct Response: Sendable {
        var raw: RawResponse
        var keepAlive: Bool
    }

    /// The connection ended (closed, reset, failed) before any of the answer came.
    struct ClosedBeforeAnswer: Error, CustomStringConvertible {
        var reason: (any Error)?
        var description: String {
            "the connection ended before LXD answered" + (reason.map { " (\($0))" } ?? "")
        }
    }

    /// The connection closed in the middle of the answer.
    struct ClosedDuringAnswer: Error, CustomStringConvertible {
        var description: String { "the connection was closed in the middle of LXD's answer" }
    }

    /// The answer's body is larger than ``maximumBodySize``.
    struct TooLarge: Error, CustomStringConvertible {
        var description: String { "LXD's answer is larger than \(maximumBodySize) bytes" }
    }

    /// Writes an exchange's request and collects its response; one exchange at a time.
    final class Handler: ChannelDuplexHandler {
        typealias InboundIn = HTTPClientResponsePart
        typealias OutboundIn = LXDHTTPExchange
        typealias OutboundOut = HTTPClientRequestPart

        private var pending: EventLoopPromise<Response>?
        private var head: HTTPResponseHead?
        private var body = ByteBuffer()

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            let exchange = unwrapOutboundIn(data)
            pending = exchange.promise
            head = nil
            body.clear()
            context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
            if let requestBody = exchange.body, requestBody.readableBytes > 0 {
                context.write(wrapOutboundOut(.body(.byteBuffer(requestBody))), promise: nil)
            }
            context.write(wrapOutboundOut(.end(nil)), promise: promise)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let responseHead):
                head = responseHead
            case .body(var part):
                if body.readableBytes + part.readableBytes > maximumBodySize {
                    fail(TooLarge())
                    context.close(promise: nil)
                    return
                }
                body.writeBuffer(&part)
            case .end:
                guard let head, let pending else { return }
                self.pending = nil
                self.head = nil
                let raw = RawResponse(status: head.status.code, headers: head.headers,
                                      body: Array(body.readableBytesView))
                body.clear()
                pending.succeed(Response(raw: raw, keepAlive: head.isKeepAlive))
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            fail(head == nil ? ClosedBeforeAnswer(reason: error) : error)
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            fail(head == nil ? ClosedBeforeAnswer(reason: nil) : ClosedDuringAnswer())
            context.fireChannelInactive()
        }

        private func fail(_ error: any Error) {
            let pending = self.pending
            self.pending = nil
            pending?.fail(error)
        }
    }
}
