import ArgumentParser
import Foundation
import LXD

/// The client for an HTTPS remote: its pinned server certificate, and lxcctl's client
/// certificate and key from the configuration directory.
func httpsClient(for remote: Remote, name: String) throws -> LXDClient {
    guard case .https(let url) = try remote.address, let pinned = remote.serverCertificate,
          let certificatePath = remote.clientCertificate, let keyPath = remote.clientKey
    else {
        throw RemoteError("remote \"\(name)\" has no pinned certificate or client key: remove it and add it again")
    }
    let identity = try LXDClientIdentity(certificateFile: certificatePath, keyFile: keyPath)
    return try LXDClient(url: url, identity: identity, serverCertificate: pinned)
}

/// Adds an HTTPS remote: fetches the server's certificate, shows its SHA-256 fingerprint
/// and pins it once accepted (`--accept-certificate`, or "y" on a terminal), makes lxcctl's
/// client certificate the first time (client.crt, and client.key with mode 0600, in the
/// configuration directory), and asks the server to trust it with the password or token.
func addHTTPSRemote(name: String, url: String, password: String?, token: String?,
                    acceptCertificate: Bool, store: RemoteStore) async throws -> Remote {
    let pinned = try await LXDClient.fetchServerCertificate(url: url)
    print("Certificate fingerprint (SHA-256): \(try LXDClient.fingerprint(ofCertificate: pinned))")
    guard try acceptCertificate || confirm("Pin this certificate for \(name) (y/n)? ") else {
        throw ValidationError("the certificate was not accepted: compare its fingerprint with the server's (lxc info there) and give --accept-certificate to pin it")
    }
    let (certificatePath, keyPath) = try clientIdentityFiles(in: store.directory)
    let identity = try LXDClientIdentity(certificateFile: certificatePath, keyFile: keyPath)
    let client = try LXDClient(url: url, identity: identity, serverCertificate: pinned)
    if let token {
        try await client.requestTrust(token: token)
    } else if let password {
        try await client.requestTrust(password: password)
    }
    guard try await client.isTrusted else {
        throw RemoteError("\(url) does not trust lxcctl's certificate (\(certificatePath)): give --token (lxc config trust add on the server) or --password")
    }
    return Remote(url: url, serverCertificate: pinned, clientCertificate: certificatePath, clientKey: keyPath)
}

/// The client certificate's and key's files in `directory`, made the first time they are
/// needed (the key with mode 0600).
func clientIdentityFiles(in directory: String) throws -> (certificate: String, key: String) {
    let certificate = directory + "/client.crt", key = directory + "/client.key"
    if FileManager.default.fileExists(atPath: certificate) && FileManager.default.fileExists(atPath: key) {
        return (certificate, key)
    }
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                            attributes: [.posixPermissions: 0o700])
    let host = ProcessInfo.processInfo.hostName
    let user = ProcessInfo.processInfo.environment["USER"] ?? "lxcctl"
    try LXDClientIdentity.generate(commonName: "\(user)@\(host)").save(certificateFile: certificate, keyFile: key)
    return (certificate, key)
}

/// Asks a yes/no question on the terminal; false without one.
func confirm(_ question: String) throws -> Bool {
    guard isatty(STDIN_FILENO) == 1 else { return false }
    print(question, terminator: "")
    fflush(nil)
    guard let answer = readLine() else { return false }
    return ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased())
}
