import NIOCore

/// Where a client reaches its daemon: the local unix socket, or an HTTPS address.
///
/// The HTTP requests go through async-http-client; the websockets (exec, events) open NIO
/// channels of their own to the same place, with ``LXDTLS`` first in the pipeline for HTTPS.
enum LXDEndpoint: Sendable, CustomStringConvertible {
    case unixSocket(path: String)
    case https(host: String, port: Int, tls: LXDTLS)

    var description: String {
        switch self {
        case .unixSocket(let path): return path
        case .https(let host, let port, _): return "https://\(host):\(port)"
        }
    }
}

/// The TLS side of an HTTPS endpoint: the client's certificate and key, and the server's
/// pinned certificate.
struct LXDTLS: Sendable {
    /// The handler that makes a raw channel to the daemon a TLS one, verified against the
    /// pinned certificate.
    func makeClientHandler(serverHostname: String?) throws -> any ChannelHandler {
        throw LXDTLSNotBuilt()
    }
}

struct LXDTLSNotBuilt: Error {}
