import Glibc
import LXCCore
import NIOCore
import NIOSSL
import Synchronization

/// Where a client reaches its daemon: the local unix socket, or an HTTPS address.
///
/// The HTTP requests go through async-http-client (unix socket) or the client's own pool of
/// TLS connections (HTTPS, see ``LXDHTTPSConnectionPool``); the websockets (exec, events) open
/// NIO channels of their own to the same place, with ``LXDTLS`` first in the pipeline for HTTPS.
enum LXDEndpoint: Sendable, CustomStringConvertible {
    case unixSocket(path: String)
    case https(host: String, port: Int, tls: LXDTLS)

    var description: String {
        switch self {
        case .unixSocket(let path): return path
        case .https(let host, let port, _): return "https://\(hostForURL(host)):\(port)"
        }
    }
}

/// The TLS side of an HTTPS endpoint: the client's certificate and key, and the server's
/// pinned certificate.
///
/// LXD's certificate is self-signed with `CA:FALSE`, which BoringSSL will not take as a trust
/// root; so, as LXD's own client does, the server is verified by pinning: the certificate the
/// server presents must be the pinned one, byte for byte. Nothing else is trusted, and
/// verification is never turned off.
struct LXDTLS: Sendable {
    /// The client's certificate and key; the verification is the callback's.
    let context: NIOSSLContext
    /// The pinned certificate, DER.
    let pinned: [UInt8]
    /// Its SHA-256 fingerprint, for messages.
    let pinnedFingerprint: String

    init(identity: LXDClientIdentity, serverCertificate: String) throws {
        pinned = try LXDClient.derBytes(ofCertificate: serverCertificate)
        pinnedFingerprint = LXDClient.fingerprint(ofDER: pinned)
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        do {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(identity.certificatePEM.utf8))
                .map { .certificate($0) }
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(identity.privateKeyPEM.utf8), format: .pem))
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw LXCError(operation: "client identity", message: "TLS cannot use the client identity: \(error)",
                           kind: .invalidArgument)
        }
    }

    /// The handler that makes a raw channel to the daemon a TLS one, verified against the
    /// pinned certificate.
    ///
    /// A server that presents another certificate fails the handshake (NIOSSL's
    /// `handshakeFailed`), before anything is sent; ``makeClientHandler(serverHostname:observer:)``
    /// also tells which certificate it was.
    func makeClientHandler(serverHostname: String?) throws -> any ChannelHandler {
        try makeClientHandler(serverHostname: serverHostname, observer: nil)
    }

    /// The handler, with an observer that learns the fingerprint of a certificate that is not
    /// the pinned one.
    func makeClientHandler(serverHostname: String?, observer: LXDPinObserver?) throws -> NIOSSLClientHandler {
        let pinned = self.pinned
        return try NIOSSLClientHandler(
            context: context, serverHostname: serverNameIndication(serverHostname),
            customVerificationCallback: { certificates, promise in
                // The leaf (the peer's own certificate) comes first.
                let presented = (try? certificates.first?.toDERBytes()) ?? []
                if !presented.isEmpty, presented == pinned {
                    promise.succeed(.certificateVerified)
                } else {
                    observer?.record(presented.isEmpty ? "none" : LXDClient.fingerprint(ofDER: presented))
                    promise.succeed(.failed)
                }
            })
    }
}

/// Learns which certificate a server presented when it was not the pinned one.
final class LXDPinObserver: Sendable {
    private let presented = Mutex<String?>(nil)

    func record(_ fingerprint: String) { presented.withLock { $0 = fingerprint } }

    /// The fingerprint of the refused certificate, if one was refused.
    var refusedFingerprint: String? { presented.withLock { $0 } }
}

/// The name to send as SNI: none for an IP address (TLS allows host names only), else the host.
func serverNameIndication(_ host: String?) -> String? {
    guard let host, !host.isEmpty, !isIPAddress(host) else { return nil }
    return host
}

func isIPAddress(_ host: String) -> Bool {
    var v4 = in_addr()
    var v6 = in6_addr()
    return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
}

/// `host` as it stands in a URL or a Host header: an IPv6 address in brackets.
func hostForURL(_ host: String) -> String {
    host.contains(":") ? "[" + host + "]" : host
}
