import AsyncHTTPClient
import FoundationEssentials
import Glibc
import LXCCore
import NIOCore
import NIOHTTP1

/// A connection to an LXD daemon over its local unix socket, or to a remote one over HTTPS
/// (see ``init(url:identity:serverCertificate:)``).
///
/// One client serves any number of calls, from any task: requests go through one shared
/// `HTTPClient` (the library's own process-wide one unless another is given), which keeps
/// its connections to the socket alive between calls. LXD's asynchronous operations are
/// awaited for the caller, and LXD's error responses become ``LXCError``s of the same kinds as
/// the local backend's (404 ``LXCError/Kind/notFound``, 409 ``LXCError/Kind/alreadyExists``,
/// 400 ``LXCError/Kind/invalidArgument``, 403 ``LXCError/Kind/permissionDenied``), with LXD's
/// own message.
///
/// ```swift
/// let lxd = LXDClient()                      // $LXD_DIR/unix.socket or /var/lib/lxd/unix.socket
/// let web = lxd.instance("web")
/// try await web.create(from: .image("busybox"))
/// try await web.start()
/// print(try await web.output(of: ["uname", "-a"]).standardOutputString)
/// ```
public struct LXDClient: Sendable {
    /// The path of the daemon's unix socket; empty for a client of an HTTPS remote
    /// (see ``init(url:identity:serverCertificate:)``).
    public let socketPath: String
    let http: HTTPClient
    let base: String
    /// Where the daemon is reached; the websocket channels connect to it directly.
    let endpoint: LXDEndpoint
    /// An HTTPS remote's own connections (async-http-client cannot pin a certificate); nil
    /// over the unix socket.
    let https: LXDHTTPSConnectionPool?

    /// The socket of the daemon this process would talk to: `$LXD_DIR/unix.socket` when
    /// `LXD_DIR` is set, else `/var/lib/lxd/unix.socket` (Debian's LXD; as LXD's own client does).
    public static var defaultSocketPath: String {
        if let directory = getenv("LXD_DIR").map({ String(cString: $0) }), !directory.isEmpty {
            return directory + "/unix.socket"
        }
        return "/var/lib/lxd/unix.socket"
    }

    /// A client for the daemon behind `socketPath` (by default ``defaultSocketPath``).
    ///
    /// Nothing is sent until the first call. `httpClient` is the HTTP client to send through;
    /// by default (nil) one process-wide client of the library's, which needs no shutdown and,
    /// unlike async-http-client's `HTTPClient.shared`, does not retry a connection that
    /// cannot be made: a call to a socket with no daemon behind it fails at once instead of
    /// after the request's whole retry time (about 90 s).
    public init(socketPath: String = LXDClient.defaultSocketPath, httpClient: HTTPClient? = nil) {
        self.socketPath = socketPath
        self.http = httpClient ?? unixSocketHTTPClient
        self.base = "http+unix://" + percentEncoded(socketPath, keeping: "")
        self.endpoint = .unixSocket(path: socketPath)
        self.https = nil
    }

    /// A client whose requests go through `pool` (an HTTPS remote).
    init(https pool: LXDHTTPSConnectionPool) {
        self.socketPath = ""
        self.http = unixSocketHTTPClient
        self.base = ""
        self.endpoint = .https(host: pool.host, port: pool.port, tls: pool.tls)
        self.https = pool
    }

    /// The instance called `name` on this daemon (which may not exist yet).
    ///
    /// No call is made; see ``LXDInstance``.
    public func instance(_ name: String) -> LXDInstance {
        LXDInstance(name: name, client: self)
    }

    /// The names of the daemon's instances.
    ///
    /// The corresponding LXD call is `GET /1.0/instances`.
    public func instanceNames() async throws -> [String] {
        let urls: [String] = try await call("list instances", nil, .GET, "/1.0/instances")
        return urls.map { url in
            var name = url
            if let slash = name.lastIndex(of: "/") { name = String(name[name.index(after: slash)...]) }
            return percentDecoded(name)
        }
    }

    /// The daemon's version and API extensions' count, as LXD reports them.
    ///
    /// The corresponding LXD call is `GET /1.0`.
    public func serverVersion() async throws -> String {
        let server: ServerInfo = try await call("server", nil, .GET, "/1.0")
        return server.environment?.server_version ?? server.api_version ?? "unknown"
    }
}

/// The HTTP client of every `LXDClient` made without one: process-wide, never shut down (as
/// `HTTPClient.shared` is not), with connections kept alive between calls. A connection that
/// cannot be made is not tried again: a local socket refuses only when nothing listens.
let unixSocketHTTPClient: HTTPClient = {
    var configuration = HTTPClient.Configuration()
    configuration.connectionPool.retryConnectionEstablishment = false
    return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
}()

// MARK: The one path every request takes

/// A response as it came off the socket.
struct RawResponse: Sendable {
    var status: UInt
    var headers: HTTPHeaders
    var body: [UInt8]
}

/// The envelope of every JSON response of LXD.
struct Envelope<Metadata: Decodable>: Decodable {
    var type: String?
    var error: String?
    var error_code: Int?
    var operation: String?
    var metadata: Metadata?
}

/// Any JSON value, ignored.
struct Ignored: Decodable, Sendable {
    init() {}
    init(from decoder: any Decoder) throws {}
}

/// The metadata of an answer that started an operation.
struct Started: Decodable { var id: String? }

struct ServerInfo: Decodable {
    struct Environment: Decodable { var server_version: String? }
    var api_version: String?
    var environment: Environment?
}

/// An LXD background operation, as `/1.0/operations/{id}/wait` returns it.
struct LXDOperation<Metadata: Decodable>: Decodable {
    var id: String
    var status: String
    var status_code: Int
    var err: String?
    var metadata: Metadata?
}

/// Decodes LXD's JSON (a decoder per call: JSONDecoder keeps no state worth sharing).
func decodeJSON<Value: Decodable>(_ type: Value.Type, from bytes: [UInt8]) throws -> Value {
    try JSONDecoder().decode(type, from: Data(bytes))
}
/// The most a response body may hold (a file pulled out of an instance, an exec log).
let maximumBodySize = 1 << 30

extension LXDClient {
    /// Sends one request and collects the response, whatever its status.
    /// `upload` is a body streamed as it is read (an image's tarball), sent instead of `body`.
    func send(_ what: String, _ instance: String?, _ method: HTTPMethod, _ path: String,
              body: [UInt8]? = nil, headers: [(String, String)] = [],
              upload: HTTPClientRequest.Body? = nil) async throws -> RawResponse {
        var requestHeaders = HTTPHeaders()
        // Over the unix socket LXD refuses a request without one ("missing required Host header").
        requestHeaders.add(name: "Host", value: "lxd")
        for (name, value) in headers { requestHeaders.replaceOrAdd(name: name, value: value) }
        if body != nil, !requestHeaders.contains(name: "Content-Type") {
            requestHeaders.add(name: "Content-Type", value: "application/json")
        }
        do {
            if let https {
                guard upload == nil else {
                    // The HTTPS path sends bodies it holds whole; a streamed one is not read into memory.
                    throw LXCError(operation: what, container: instance,
                                   message: "a streamed upload (an image's tarball) goes through the daemon's unix socket only, not over HTTPS",
                                   kind: .unsupported)
                }
                return try await https.execute(method: method, path: path, headers: requestHeaders, body: body)
            }
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            request.headers = requestHeaders
            if let body {
                request.body = .bytes(ByteBuffer(bytes: body))
            } else if let upload {
                request.body = upload
            }
            let response = try await http.execute(request, deadline: .distantFuture)
            let bytes = try await response.body.collect(upTo: maximumBodySize)
            return RawResponse(status: response.status.code, headers: response.headers,
                               body: Array(bytes.readableBytesView))
        } catch let error as LXCError {
            throw error
        } catch let mismatch as LXDPinMismatch {
            throw LXCError(operation: what, container: instance,
                           message: "the server at \(endpoint) presented a certificate with fingerprint "
                               + "\(mismatch.presented), not the pinned one (\(mismatch.expected)); nothing was sent",
                           kind: .failed)
        } catch {
            // async-http-client drops the request of a cancelled task: that is no failure of LXD's.
            if Task.isCancelled { throw CancellationError() }
            throw LXCError(operation: what, container: instance,
                           message: "cannot talk to LXD at \(endpoint): \(error)", kind: .failed)
        }
    }

    /// Sends a request; a non-2xx answer is thrown as LXD's error.
    func sendChecked(_ what: String, _ instance: String?, _ method: HTTPMethod, _ path: String,
                     body: [UInt8]? = nil, headers: [(String, String)] = []) async throws -> RawResponse {
        let response = try await send(what, instance, method, path, body: body, headers: headers)
        guard (200..<300).contains(response.status) else {
            throw lxdError(what, instance, response)
        }
        return response
    }

    /// A synchronous call whose metadata is decoded as `Metadata`.
    func call<Metadata: Decodable>(_ what: String, _ instance: String?, _ method: HTTPMethod, _ path: String,
                                   body: [UInt8]? = nil, headers: [(String, String)] = []) async throws -> Metadata {
        try await callWithHeaders(what, instance, method, path, body: body, headers: headers).0
    }

    /// A synchronous call whose metadata is decoded as `Metadata`, with the response's headers.
    func callWithHeaders<Metadata: Decodable>(_ what: String, _ instance: String?, _ method: HTTPMethod,
                                              _ path: String, body: [UInt8]? = nil,
                                              headers: [(String, String)] = []) async throws -> (Metadata, HTTPHeaders) {
        let response = try await sendChecked(what, instance, method, path, body: body, headers: headers)
        let envelope: Envelope<Metadata>
        do {
            envelope = try decodeJSON(Envelope<Metadata>.self, from: response.body)
        } catch {
            throw LXCError(operation: what, container: instance,
                           message: "LXD's answer to \(method) \(path) could not be read: \(error)", kind: .failed)
        }
        guard let metadata = envelope.metadata else {
            throw LXCError(operation: what, container: instance,
                           message: "LXD's answer to \(method) \(path) has no metadata", kind: .failed)
        }
        return (metadata, response.headers)
    }

    /// A call that starts a background operation, awaited until it ends; its metadata is
    /// decoded as `Metadata`. A synchronous answer is taken as it is.
    ///
    /// The operation is awaited with `GET /1.0/operations/{id}/wait`; a failed operation is
    /// thrown with LXD's message.
    func perform<Metadata: Decodable>(_ what: String, _ instance: String?, _ method: HTTPMethod, _ path: String,
                                      body: [UInt8]? = nil, headers: [(String, String)] = [],
                                      as: Metadata.Type) async throws -> Metadata? {
        // From the answer to the wait request without waiting for a thread of the pool: LXD
        // forgets an ended operation after 5 s (see OperationExecutor).
        try await withTaskExecutorPreference(OperationExecutor.shared) {
            let response = try await sendChecked(what, instance, method, path, body: body, headers: headers)
            return try await awaitOperation(startedBy: response, what, instance, as: Metadata.self)
        }
    }

    /// Awaits the operation a successful answer started and returns its metadata; nil for
    /// a synchronous answer.
    func awaitOperation<Metadata: Decodable>(startedBy response: RawResponse, _ what: String, _ instance: String?,
                                             as: Metadata.Type) async throws -> Metadata? {
        let envelope = try? decodeJSON(Envelope<Started>.self, from: response.body)
        guard envelope?.type == "async" else { return nil }
        // The id, not the operation URL: in a cluster that URL carries a query, and appending
        // "/wait" to it would become a plain GET.
        guard let id = envelope?.metadata?.id ?? envelope?.operation.map({ operationID(fromURL: $0) }) else {
            throw LXCError(operation: what, container: instance,
                           message: "LXD started an operation without an id", kind: .failed)
        }
        return try await waitForOperation(id, what, instance, as: Metadata.self)
    }

    /// A call that may start a background operation, awaited until it ends; its metadata is ignored.
    func perform(_ what: String, _ instance: String?, _ method: HTTPMethod, _ path: String,
                 body: [UInt8]? = nil, headers: [(String, String)] = []) async throws {
        _ = try await perform(what, instance, method, path, body: body, headers: headers, as: Ignored.self)
    }

    /// Waits until the operation `id` ends and returns its metadata; a failure is thrown.
    ///
    /// When the waiting task is cancelled, the wait is abandoned, LXD is asked to cancel the
    /// operation, and `CancellationError` is thrown. LXD cancels only the operations that
    /// allow it (in LXD 5.0: trust tokens, image downloads, migrations); the others (a start,
    /// a stop, an exec, a create from a local image) answer 400 and run on to their end.
    ///
    /// The corresponding LXD calls are `GET /1.0/operations/{id}/wait`, and
    /// `DELETE /1.0/operations/{id}` when the task is cancelled.
    func waitForOperation<Metadata: Decodable>(_ id: String, _ what: String, _ instance: String?,
                                               as: Metadata.Type) async throws -> Metadata? {
        let operationPath = "/1.0/operations/" + percentEncoded(id, keeping: "")
        let operation: LXDOperation<Metadata>
        do {
            try Task.checkCancellation()
            operation = try await call(what, instance, .GET, operationPath + "/wait?timeout=-1")
        } catch {
            guard Task.isCancelled else { throw error }
            // From a task of its own: this one is cancelled, and its requests would be too.
            let client = self
            await Task { _ = try? await client.send(what, instance, .DELETE, operationPath) }.value
            throw CancellationError()
        }
        if operation.status == "Success" { return operation.metadata }
        let message = operation.err.flatMap { $0.isEmpty ? nil : $0 } ?? "the operation ended as \(operation.status)"
        throw LXCError(operation: what, container: instance, message: message,
                       code: Int32(clamping: operation.status_code), kind: kind(ofOperationError: message))
    }

    func lxdError(_ what: String, _ instance: String?, _ response: RawResponse) -> LXCError {
        let envelope = try? decodeJSON(Envelope<Ignored>.self, from: response.body)
        let code = envelope?.error_code ?? Int(response.status)
        var message = envelope?.error ?? String(String(decoding: response.body, as: UTF8.self).trimmingBlanks())
        if message.isEmpty { message = "LXD answered \(response.status)" }
        return LXCError(operation: what, container: instance, message: message,
                        code: Int32(clamping: code), kind: kind(ofStatus: code))
    }
}

/// The kind of error an LXD status code means.
func kind(ofStatus code: Int) -> LXCError.Kind {
    switch code {
    case 400: return .invalidArgument
    case 403: return .permissionDenied
    case 404: return .notFound
    case 409: return .alreadyExists
    // A precondition (If-Match) failed: the instance changed since its ETag was read.
    case 412: return .wrongState
    default: return .failed
    }
}

/// The kind of error a failed operation's message means (operations carry no HTTP status).
func kind(ofOperationError message: String) -> LXCError.Kind {
    let lower = message.lowercased()
    if lower.contains("already exists") { return .alreadyExists }
    if lower.contains("not found") { return .notFound }
    // Validation: "Invalid config: Unknown configuration key: …", "Invalid devices: …".
    if lower.hasPrefix("invalid") { return .invalidArgument }
    return .failed
}

func operationID(fromURL url: String) -> String {
    var path = url
    if let query = path.firstIndex(of: "?") { path = String(path[..<query]) }
    if let slash = path.lastIndex(of: "/") { path = String(path[path.index(after: slash)...]) }
    return path
}

/// `text` with every byte but the unreserved ones (and those in `keeping`) percent-encoded.
func percentEncoded(_ text: String, keeping: String) -> String {
    let kept = Set(keeping.utf8)
    let hex = Array("0123456789ABCDEF".utf8)
    var bytes: [UInt8] = []
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "_"), UInt8(ascii: "~"):
            bytes.append(byte)
        default:
            if kept.contains(byte) {
                bytes.append(byte)
            } else {
                bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xf)]]
            }
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

func percentDecoded(_ text: String) -> String {
    var bytes: [UInt8] = []
    var input = Array(text.utf8)[...]
    func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
    while let byte = input.popFirst() {
        if byte == UInt8(ascii: "%"), input.count >= 2,
           let high = hexValue(input[input.startIndex]), let low = hexValue(input[input.startIndex + 1]) {
            bytes.append(high << 4 | low)
            input = input.dropFirst(2)
        } else {
            bytes.append(byte)
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

func encodeJSON<Value: Encodable>(_ value: Value) throws -> [UInt8] {
    Array(try JSONEncoder().encode(value))
}
