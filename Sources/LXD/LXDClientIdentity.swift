import Crypto
import FoundationEssentials
import Glibc
import LXCCore
import SwiftASN1
import X509

/// The certificate and private key a client shows an LXD daemon over HTTPS.
///
/// LXD knows its remote clients by certificate: a daemon trusts a client once the client's
/// certificate is in its trust store (see ``LXDClient/requestTrust(password:name:)`` and
/// ``LXDClient/requestTrust(token:)``). Both halves are kept as PEM text, as LXD's own client
/// keeps them in `client.crt` and `client.key`.
///
/// ```swift
/// let identity = try LXDClientIdentity.generate(commonName: "builder")
/// try identity.save(certificateFile: "client.crt", keyFile: "client.key")
/// // later:
/// let again = try LXDClientIdentity(certificateFile: "client.crt", keyFile: "client.key")
/// ```
public struct LXDClientIdentity: Sendable, Hashable {
    /// The client certificate, PEM (`-----BEGIN CERTIFICATE-----`).
    public let certificatePEM: String
    /// The private key of the certificate, PEM (PKCS #8 `PRIVATE KEY`, or `EC PRIVATE KEY` /
    /// `RSA PRIVATE KEY`).
    public let privateKeyPEM: String

    /// An identity from a certificate and its private key, both PEM.
    ///
    /// Throws ``LXCError/Kind/invalidArgument`` when either cannot be read, or when the key is
    /// not the certificate's.
    public init(certificatePEM: String, privateKeyPEM: String) throws {
        let certificate: Certificate
        let key: Certificate.PrivateKey
        do {
            certificate = try Certificate(pemEncoded: certificatePEM)
        } catch {
            throw LXCError(operation: "client identity", message: "the client certificate is not a PEM certificate: \(error)",
                           kind: .invalidArgument)
        }
        do {
            key = try Certificate.PrivateKey(pemEncoded: privateKeyPEM)
        } catch {
            throw LXCError(operation: "client identity", message: "the client key is not a PEM private key: \(error)",
                           kind: .invalidArgument)
        }
        guard key.publicKey == certificate.publicKey else {
            throw LXCError(operation: "client identity",
                           message: "the private key does not belong to the client certificate", kind: .invalidArgument)
        }
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
    }

    /// An identity read from a certificate file and a key file, both PEM (as `lxc` keeps them
    /// in `~/.config/lxc/client.crt` and `client.key`).
    ///
    /// Throws ``LXCError/Kind/notFound`` for a missing file, ``LXCError/Kind/invalidArgument``
    /// for contents that are not a certificate and its key.
    public init(certificateFile: String, keyFile: String) throws {
        try self.init(certificatePEM: try readTextFile(certificateFile), privateKeyPEM: try readTextFile(keyFile))
    }

    /// Writes the certificate to `certificateFile` (mode 0644) and the key to `keyFile`
    /// (mode 0600, also when the file existed with another mode).
    ///
    /// Throws ``LXCError`` with the failing path and `errno`.
    public func save(certificateFile: String, keyFile: String) throws {
        try writeTextFile(keyFile, privateKeyPEM, mode: 0o600)
        try writeTextFile(certificateFile, certificatePEM, mode: 0o644)
    }

    /// A new identity: a P-384 ECDSA key and a self-signed client certificate for it, valid
    /// for ten years, as `lxc` makes on first use.
    ///
    /// The certificate's subject is `O=linuxcontainers.org, CN=commonName`; it is marked as
    /// no certificate authority and for TLS client authentication.
    public static func generate(commonName: String) throws -> LXDClientIdentity {
        let key = P384.Signing.PrivateKey()
        do {
            let name = try DistinguishedName {
                OrganizationName("linuxcontainers.org")
                CommonName(commonName)
            }
            let now = Date()
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: .init(key.publicKey),
                notValidBefore: now - 60,
                notValidAfter: now + 10 * 365 * 86_400,
                issuer: name,
                subject: name,
                signatureAlgorithm: .ecdsaWithSHA384,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                    try ExtendedKeyUsage([.clientAuth])
                },
                issuerPrivateKey: .init(key)
            )
            return try LXDClientIdentity(certificatePEM: certificate.serializeAsPEM().pemString,
                                         privateKeyPEM: key.pemRepresentation)
        } catch let error as LXCError {
            throw error
        } catch {
            throw LXCError(operation: "generate client identity", message: "cannot make the certificate: \(error)")
        }
    }

    /// The SHA-256 fingerprint of the certificate, in lowercase hex, as `lxc config trust list`
    /// and `lxc remote add` show it (the first 12 digits are LXD's short form).
    public var fingerprint: String {
        // The certificate was read in init, so it reads again.
        (try? LXDClient.fingerprint(ofCertificate: certificatePEM)) ?? ""
    }
}

extension LXDClient {
    /// The SHA-256 fingerprint of a PEM certificate, in lowercase hex, as `lxc` shows it
    /// (`lxc remote add` asks the user to compare it before pinning a server's certificate).
    ///
    /// Throws ``LXCError/Kind/invalidArgument`` when `certificatePEM` is not a PEM certificate.
    public static func fingerprint(ofCertificate certificatePEM: String) throws -> String {
        fingerprint(ofDER: try derBytes(ofCertificate: certificatePEM))
    }

    static func fingerprint(ofDER der: [UInt8]) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in SHA256.hash(data: der) { text += [hex[Int(byte >> 4)], hex[Int(byte & 0xf)]] }
        return String(decoding: text, as: UTF8.self)
    }

    static func derBytes(ofCertificate certificatePEM: String) throws -> [UInt8] {
        do {
            let document = try PEMDocument(pemString: certificatePEM)
            guard document.discriminator == "CERTIFICATE" else {
                throw LXCError(operation: "certificate", message: "the PEM text holds a \(document.discriminator), not a CERTIFICATE",
                               kind: .invalidArgument)
            }
            return document.derBytes
        } catch let error as LXCError {
            throw error
        } catch {
            throw LXCError(operation: "certificate", message: "not a PEM certificate: \(error)", kind: .invalidArgument)
        }
    }

    static func pem(ofDER der: [UInt8]) -> String {
        PEMDocument(type: "CERTIFICATE", derBytes: der).pemString + "\n"
    }
}

func readTextFile(_ path: String) throws -> String {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else {
        let code = errno
        throw LXCError(operation: "read \(path)", message: "cannot open \(path): \(String(cString: strerror(code)))",
                       code: code, kind: code == ENOENT ? .notFound : code == EACCES ? .permissionDenied : .failed)
    }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16_384)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count == 0 { break }
        if count < 0 {
            let code = errno
            if code == EINTR { continue }
            throw LXCError(operation: "read \(path)", message: "cannot read \(path): \(String(cString: strerror(code)))", code: code)
        }
        bytes += chunk[..<count]
        if bytes.count > 1 << 20 {
            throw LXCError(operation: "read \(path)", message: "\(path) is larger than 1 MiB: not a PEM file", kind: .invalidArgument)
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Writes `text` to `path` with `mode`, replacing the file whole or not at all: into a
/// temporary file beside it, flushed to disk, then renamed over it. A full disk or a kill
/// half-way leaves the old file (a key the server trusts) as it was.
func writeTextFile(_ path: String, _ text: String, mode: mode_t) throws {
    let temporary = path + ".tmp-\(getpid())"
    func failure(_ verb: String, _ target: String) -> LXCError {
        let code = errno
        return LXCError(operation: "write \(path)", message: "cannot \(verb) \(target): \(String(cString: strerror(code)))",
                        code: code, kind: code == EACCES ? .permissionDenied : code == ENOENT ? .notFound : .failed)
    }
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard descriptor >= 0 else { throw failure("open", temporary) }
    var isOpen = true
    do {
        // A file left by an earlier attempt keeps its mode through O_CREAT: set it.
        guard fchmod(descriptor, mode) == 0 else { throw failure("chmod", temporary) }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure("write", temporary)
            }
            bytes = bytes.dropFirst(count)
        }
        guard fsync(descriptor) == 0 else { throw failure("flush", temporary) }
        close(descriptor)
        isOpen = false
        guard rename(temporary, path) == 0 else { throw failure("replace", path) }
    } catch {
        if isOpen { close(descriptor) }
        unlink(temporary)
        throw error
    }
}
