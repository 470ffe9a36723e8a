import FoundationEssentials
import LXCCore
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

// MARK: HTTPS remotes: connecting, pinning, trust

extension LXDClient {
    /// The port LXD listens on for HTTPS when an address names none.
    public static let defaultHTTPSPort = 8443

    /// A client for the LXD daemon at `url` (`https://host:port`, the port 8443 when left out),
    /// which shows `identity` and accepts only a server that presents `serverCertificate`.
    ///
    /// LXD's server certificate is self-signed, so it is pinned, as LXD's own client pins it
    /// per remote: the certificate the server presents must be `serverCertificate` byte for
    /// byte, or every call fails with an ``LXCError`` that gives both fingerprints, before any
    /// request is sent. Get the certificate the first time with ``fetchServerCertificate(url:)``
    /// and let the user compare its ``fingerprint(ofCertificate:)`` with the one
    /// `lxc info` shows on the server.
    ///
    /// Nothing is sent until the first call. The client keeps its own connections to the
    /// daemon (HTTP/1.1 over TLS, one request at a time on each), reuses them across calls
    /// and from any task, and closes them when the last copy of the client goes away; there
    /// is nothing to shut down. Until the daemon trusts `identity` (see
    /// ``requestTrust(password:name:)`` and ``requestTrust(token:)``), it answers most calls
    /// with ``LXCError/Kind/permissionDenied``.
    ///
    /// ```swift
    /// let identity = try LXDClientIdentity.generate(commonName: "builder")
    /// let certificate = try await LXDClient.fetchServerCertificate(url: "https://10.0.0.5:8443")
    /// print(try LXDClient.fingerprint(ofCertificate: certificate))   // compare, then pin it
    /// let remote = try LXDClient(url: "https://10.0.0.5:8443", identity: identity,
    ///                            serverCertificate: certificate)
    /// try await remote.requestTrust(token: token)
    /// ```
    ///
    /// Throws ``LXCError/Kind/invalidArgument`` for a URL that is not `https://host[:port]`, or
    /// a certificate or identity that TLS cannot use.
    public init(url: String, identity: LXDClientIdentity, serverCertificate: String) throws {
        let (host, port) = try parseRemoteURL(url)
        let tls = try LXDTLS(identity: identity, serverCertificate: serverCertificate)
        self.init(https: LXDHTTPSConnectionPool(host: host, port: port, tls: tls))
    }

    /// The certificate that the LXD daemon at `url` presents, PEM, for pinning on first use.
    ///
    /// The certificate is read from the TLS handshake, which is then abandoned: it is not
    /// trusted, nothing is sent, and no client certificate is shown. Show the user its
    /// ``fingerprint(ofCertificate:)`` to compare before passing it to
    /// ``init(url:identity:serverCertificate:)``, as `lxc remote add` does.
    ///
    /// Throws ``LXCError/Kind/invalidArgument`` for a malformed URL, and ``LXCError/Kind/failed``
    /// when no TLS server answers there.
    public static func fetchServerCertificate(url: String) async throws -> String {
        let (host, port) = try parseRemoteURL(url)
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        let presented = Mutex<[UInt8]?>(nil)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let handshake = loop.makePromise(of: Void.self)
        do {
            let context = try NIOSSLContext(configuration: configuration)
            let channel = try await ClientBootstrap(group: loop)
                .connectTimeout(.seconds(30))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        try sync.addHandler(NIOSSLClientHandler(
                            context: context, serverHostname: serverNameIndication(host),
                            customVerificationCallback: { certificates, promise in
                                if let leaf = try? certificates.first?.toDERBytes() {
                                    presented.withLock { $0 = leaf }
                                }
                                // Read, not trusted: the handshake ends here.
                                promise.succeed(.failed)
                            }))
                        try sync.addHandler(LXDHandshakeWaiter(promise: handshake))
                    }
                }
                .connect(host: host, port: port).get()
            _ = try? await handshake.futureResult.get()
            try? await channel.close()
        } catch {
            handshake.fail(error)
            throw LXCError(operation: "fetch server certificate",
                           message: "cannot reach \(url): \(error)", kind: .failed)
        }
        guard let der = presented.withLock({ $0 }) else {
            throw LXCError(operation: "fetch server certificate",
                           message: "the server at \(url) presented no certificate", kind: .failed)
        }
        return pem(ofDER: der)
    }

    /// Whether the daemon trusts this client's certificate.
    ///
    /// Over the unix socket a client is always trusted. The corresponding LXD call is
    /// `GET /1.0` (its `auth` is `trusted` or `untrusted`).
    public var isTrusted: Bool {
        get async throws {
            let server: ServerAuth = try await call("trust", nil, .GET, "/1.0")
            return server.auth == "trusted"
        }
    }

    /// Asks the daemon to trust this client's certificate, with the daemon's trust password
    /// (its `core.trust_password`).
    ///
    /// `name` is the name the certificate gets in the daemon's trust store (by default the
    /// daemon picks one). A wrong password is ``LXCError/Kind/permissionDenied``. The
    /// corresponding LXD call is `POST /1.0/certificates` with
    /// `{"type": "client", "password": …}`.
    public func requestTrust(password: String, name: String? = nil) async throws {
        try await addOwnCertificate(TrustRequest(type: "client", password: password, name: name))
    }

    /// Asks the daemon to trust this client's certificate, with a trust token made on a
    /// trusted connection (`lxc config trust add`, or ``makeTrustToken(name:)``).
    ///
    /// The whole base64 token is sent, as LXD's own client sends it; the certificate gets
    /// the name the token was made for. A token is good once: a used or unknown one is
    /// ``LXCError/Kind/permissionDenied``. The corresponding LXD call is
    /// `POST /1.0/certificates` with `{"type": "client", "password": TOKEN}`.
    public func requestTrust(token: String) async throws {
        try await addOwnCertificate(TrustRequest(type: "client", password: token, name: nil))
    }

    private func addOwnCertificate(_ request: TrustRequest) async throws {
        try await perform("request trust", nil, .POST, "/1.0/certificates", body: try encodeJSON(request))
    }

    /// A trust token for a new client called `name`, as `lxc config trust add --name` makes
    /// one: the client passes it to ``requestTrust(token:)`` once to be trusted.
    ///
    /// Needs a trusted connection (the unix socket, or a trusted HTTPS client). The token
    /// carries the daemon's addresses, its certificate's fingerprint and a secret; it is good
    /// until used (or until the daemon's `core.remote_token_expiry`). The corresponding LXD
    /// call is `POST /1.0/certificates` with `{"type": "client", "name": …, "token": true}`;
    /// the token is made from the metadata of the operation it starts.
    public func makeTrustToken(name: String) async throws -> String {
        let request = TokenRequest(type: "client", name: name, token: true)
        let response = try await sendChecked("make trust token", nil, .POST, "/1.0/certificates",
                                             body: try encodeJSON(request))
        let envelope: Envelope<TokenOperation>
        do {
            envelope = try decodeJSON(Envelope<TokenOperation>.self, from: response.body)
        } catch {
            throw LXCError(operation: "make trust token",
                           message: "LXD's answer to POST /1.0/certificates could not be read: \(error)")
        }
        guard let token = envelope.metadata?.metadata, let secret = token.secret, let fingerprint = token.fingerprint else {
            throw LXCError(operation: "make trust token", message: "LXD's answer holds no token")
        }
        let body = TrustToken(client_name: token.request?.name ?? name, fingerprint: fingerprint,
                              addresses: token.addresses ?? [], secret: secret,
                              expires_at: token.expires_at ?? "0001-01-01T00:00:00Z")
        return Data(try encodeJSON(body)).base64EncodedString()
    }
}

struct ServerAuth: Decodable { var auth: String? }

struct TrustRequest: Encodable {
    var type: String
    var password: String
    var name: String?
}

struct TokenRequest: Encodable {
    var type: String
    var name: String
    var token: Bool
}

/// The operation a token request starts (it stays running until the token is used).
struct TokenOperation: Decodable {
    struct Metadata: Decodable {
        struct Request: Decodable { var name: String? }
        var addresses: [String]?
        var fingerprint: String?
        var secret: String?
        var expires_at: String?
        var request: Request?
    }
    var id: String?
    var metadata: Metadata?
}

/// A trust token as LXD's client encodes it (base64 of this JSON).
struct TrustToken: Encodable {
    var client_name: String
    var fingerprint: String
    var addresses: [String]
    var secret: String
    var expires_at: String
}

/// The host and port of `https://host[:port][/]`; the port is ``LXDClient/defaultHTTPSPort``
/// when left out.
func parseRemoteURL(_ url: String) throws -> (host: String, port: Int) {
    func invalid(_ why: String) -> LXCError {
        LXCError(operation: "remote URL", message: "\"\(url)\" is not an LXD remote URL (https://host:port): \(why)",
                 kind: .invalidArgument)
    }
    var rest = Substring(url)
    if rest.lowercased().hasPrefix("https://") {
        rest = rest.dropFirst("https://".count)
    } else if rest.contains("://") {
        throw invalid("the scheme must be https")
    }
    while rest.hasSuffix("/") { rest = rest.dropLast() }
    guard !rest.contains("/"), !rest.contains("?"), !rest.contains("@") else { throw invalid("only a host and a port") }
    var host: Substring
    var portText: Substring?
    if rest.hasPrefix("[") {
        guard let close = rest.firstIndex(of: "]") else { throw invalid("an unclosed [") }
        host = rest[rest.index(after: rest.startIndex)..<close]
        let after = rest[rest.index(after: close)...]
        if !after.isEmpty {
            guard after.hasPrefix(":") else { throw invalid("text after ]") }
            portText = after.dropFirst()
        }
    } else if rest.filter({ $0 == ":" }).count == 1, let colon = rest.firstIndex(of: ":") {
        host = rest[..<colon]
        portText = rest[rest.index(after: colon)...]
    } else {
        host = rest  // a name, an IPv4 address or a bare IPv6 address
    }
    guard !host.isEmpty else { throw invalid("no host") }
    var port = LXDClient.defaultHTTPSPort
    if let portText {
        guard let value = Int(portText), (1...65_535).contains(value) else { throw invalid("a bad port") }
        port = value
    }
    return (String(host), port)
}
