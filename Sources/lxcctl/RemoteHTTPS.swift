import ArgumentParser
import Foundation
import LXD

// HTTPS: lead merges with lxd-https
//
// The two functions below are the only places where lxcctl needs the HTTPS side of the LXD
// product (`LXDClient.init(url:identity:serverCertificate:httpClient:)`,
// `LXDClientIdentity`, `LXDClient.fetchServerCertificate(url:)`, `requestTrust(password:)`,
// `requestTrust(token:)`), which the lxd-https branch adds. Until it is merged they throw
// `httpsNotMerged`; the code they will run is written out in the comments, to be put in
// place of the `throw`.

/// What an HTTPS remote answers until the lxd-https branch is merged.
let httpsNotMerged = RemoteError("HTTPS remotes need the lxd-https branch (this lxcctl reaches LXD over its unix socket only)")

/// The client for an HTTPS remote: its pinned server certificate, and lxcctl's client
/// certificate and key from the configuration directory.
func httpsClient(for remote: Remote, name: String) throws -> LXDClient {
    // HTTPS: lead merges with lxd-https — replace the throw with:
    //   guard case .https(let url) = try remote.address, let pinned = remote.serverCertificate,
    //         let certificatePath = remote.clientCertificate, let keyPath = remote.clientKey else {
    //       throw RemoteError("remote \"\(name)\" has no pinned certificate or client key: add it again")
    //   }
    //   let identity = try LXDClientIdentity(certificatePEM: try readText(certificatePath),
    //                                        privateKeyPEM: try readText(keyPath))
    //   return try LXDClient(url: url, identity: identity, serverCertificate: pinned)
    throw httpsNotMerged
}

/// Adds an HTTPS remote: fetches the server's certificate, shows its SHA-256 fingerprint
/// and pins it once accepted (`--accept-certificate`, or "y" on a terminal), makes lxcctl's
/// client certificate the first time (client.crt, and client.key with mode 0600, in the
/// configuration directory), and asks the server to trust it with the password or token.
func addHTTPSRemote(name: String, url: String, password: String?, token: String?,
                    acceptCertificate: Bool, store: RemoteStore) async throws -> Remote {
    // HTTPS: lead merges with lxd-https — replace the throw with:
    //   let pinned = try await LXDClient.fetchServerCertificate(url: url)
    //   print("Certificate fingerprint (SHA-256): \(try certificateFingerprint(pem: pinned))")
    //   guard try acceptCertificate || confirm("ok (y/n)? ") else {
    //       throw ValidationError("the certificate was not accepted: give --accept-certificate to pin it")
    //   }
    //   let (certificatePath, keyPath) = try clientIdentityFiles(in: store.directory)
    //   let identity = try LXDClientIdentity(certificatePEM: try readText(certificatePath),
    //                                        privateKeyPEM: try readText(keyPath))
    //   let client = try LXDClient(url: url, identity: identity, serverCertificate: pinned)
    //   if let token { try await client.requestTrust(token: token) }
    //   else if let password { try await client.requestTrust(password: password) }
    //   return Remote(url: url, serverCertificate: pinned, clientCertificate: certificatePath, clientKey: keyPath)
    //
    // and clientIdentityFiles(in:) (below) makes the files with:
    //   let identity = try LXDClientIdentity.generate(commonName: "lxcctl@" + hostName)
    //   and writes identity's certificatePEM and privateKeyPEM with writeText(_:to:mode:).
    throw httpsNotMerged
}

/// The client certificate's and key's files in `directory`, made the first time they are needed.
func clientIdentityFiles(in directory: String) throws -> (certificate: String, key: String) {
    let certificate = directory + "/client.crt", key = directory + "/client.key"
    if FileManager.default.fileExists(atPath: certificate) && FileManager.default.fileExists(atPath: key) {
        return (certificate, key)
    }
    // HTTPS: lead merges with lxd-https — generate with LXDClientIdentity.generate(commonName:),
    // then writeText(identity.certificatePEM, to: certificate, mode: 0o644) and
    // writeText(identity.privateKeyPEM, to: key, mode: 0o600).
    throw httpsNotMerged
}

/// Asks a yes/no question on the terminal; false without one.
func confirm(_ question: String) throws -> Bool {
    guard isatty(STDIN_FILENO) == 1 else { return false }
    print(question, terminator: "")
    fflush(nil)
    guard let answer = readLine() else { return false }
    return ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased())
}

/// A whole text file.
func readText(_ path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw RemoteError("cannot read \(path)")
    }
    return String(decoding: data, as: UTF8.self)
}

/// Writes a text file with `mode`, created with that mode (a key is never readable by others,
/// not even for a moment).
func writeText(_ text: String, to path: String, mode: mode_t) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode)
    guard fd >= 0 else { throw RemoteError("cannot write \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    guard fchmod(fd, mode) == 0 else { throw RemoteError("cannot set the mode of \(path)") }
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { throw RemoteError("cannot write \(path): \(String(cString: strerror(errno)))") }
        offset += written
    }
}

/// The SHA-256 fingerprint of a PEM certificate, as LXD shows it (lower-case hex of the DER).
func certificateFingerprint(pem: String) throws -> String {
    let base64 = pem.split(whereSeparator: \.isNewline)
        .filter { !$0.hasPrefix("-----") }
        .joined()
    guard let der = Data(base64Encoded: base64), !der.isEmpty else {
        throw RemoteError("the server's certificate is not PEM")
    }
    return SHA256.hash(Array(der)).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
