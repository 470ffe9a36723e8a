import ContainerProtocolChecks
import Foundation
import LXCCore
import LXD
import Synchronization
import Testing

/// The suite's daemon as an HTTPS remote: listening on 127.0.0.1 only, at a free port, with a
/// trust password; set up over the unix socket with `lxc config set`, as an administrator does.
struct HTTPSRemote: Sendable {
    let daemon: LXDDaemon
    let url: String
    let port: Int
    static let password = "swift-lxc-remote-test"

    private static let prepared = Mutex<[String: Int]>([:])

    /// The remote of the suite's daemon, set up on first use.
    static func required() throws -> HTTPSRemote {
        let daemon = try LXDDaemon.required()
        if let port = prepared.withLock({ $0[daemon.directory] }) {
            return HTTPSRemote(daemon: daemon, url: "https://127.0.0.1:\(port)", port: port)
        }
        let port = try freeLoopbackPort()
        try lxc(daemon, ["config", "set", "core.https_address", "127.0.0.1:\(port)"])
        try lxc(daemon, ["config", "set", "core.trust_password", password])
        prepared.withLock { $0[daemon.directory] = port }
        return HTTPSRemote(daemon: daemon, url: "https://127.0.0.1:\(port)", port: port)
    }

    /// Runs Debian's `lxc` against the daemon (`LXD_DIR`), throwing its output when it fails.
    @discardableResult
    static func lxc(_ daemon: LXDDaemon, _ arguments: [String]) throws -> String {
        let (status, output) = ScriptRunner.run(["/usr/bin/env", "LXD_DIR=" + daemon.directory, "/usr/bin/lxc"] + arguments)
        guard status == 0 else {
            throw LXDIntegration.ScriptFailed(arguments: ["lxc"] + arguments, status: status, output: output)
        }
        return output
    }

    /// A port on 127.0.0.1 that nothing listens on now (the kernel's pick for port 0).
    static func freeLoopbackPort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(socket, address, length) == 0 && getsockname(socket, address, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// The fingerprint of the daemon's certificate as `lxc info` shows it on the server.
    func fingerprintShownByLXC() throws -> String? {
        let info = try HTTPSRemote.lxc(daemon, ["info"])
        for line in info.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("certificate_fingerprint:") {
                return trimmed.dropFirst("certificate_fingerprint:".count).trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    /// A client with a new identity, the server's certificate pinned as fetched.
    func newClient(_ name: String) async throws -> (LXDClient, LXDClientIdentity) {
        let identity = try LXDClientIdentity.generate(commonName: name)
        let certificate = try await LXDClient.fetchServerCertificate(url: url)
        return (try LXDClient(url: url, identity: identity, serverCertificate: certificate), identity)
    }

    /// The local ports of this machine's established TCP connections to the daemon's port
    /// (the client side of each), as `ss` lists them.
    func clientPortsConnected() -> Set<Int> {
        let (status, output) = ScriptRunner.run(["/usr/bin/ss", "-Htn", "state", "established", "dst", "127.0.0.1:\(port)"])
        guard status == 0 else { return [] }
        var ports = Set<Int>()
        for line in output.split(separator: "\n") {
            // Recv-Q Send-Q Local:Port Peer:Port
            let fields = line.split(separator: " ")
            guard fields.count >= 4, let colon = fields[2].lastIndex(of: ":"),
                  let localPort = Int(fields[2][fields[2].index(after: colon)...]) else { continue }
            ports.insert(localPort)
        }
        return ports
    }
}

@Suite("An LXD daemon as an HTTPS remote", .lxd, .lxdDaemon, .serialized, .timeLimit(.minutes(5)))
struct LXDRemoteTests {
    @Test func theFetchedCertificateIsTheServersAndAnUntrustedClientIsRefused() async throws {
        let remote = try HTTPSRemote.required()
        let certificate = try await LXDClient.fetchServerCertificate(url: remote.url)
        #expect(certificate.hasPrefix("-----BEGIN CERTIFICATE-----"))
        let fingerprint = try LXDClient.fingerprint(ofCertificate: certificate)
        #expect(fingerprint.count == 64)
        #expect(try remote.fingerprintShownByLXC() == fingerprint)

        let identity = try LXDClientIdentity.generate(commonName: "untrusted")
        let client = try LXDClient(url: remote.url, identity: identity, serverCertificate: certificate)
        #expect(try await !client.isTrusted)
        let error = await #expect(throws: LXCError.self) { _ = try await client.instanceNames() }
        #expect(error?.kind == .permissionDenied)
        #expect(error?.code == 403)
        #expect(error?.message.isEmpty == false)
        // Nothing of it reached the trust store.
        #expect(try !HTTPSRemote.lxc(remote.daemon, ["config", "trust", "list", "--format", "csv"])
            .contains(String(identity.fingerprint.prefix(12))))
    }

    @Test func aWrongPasswordIsRefused() async throws {
        let remote = try HTTPSRemote.required()
        let (client, _) = try await remote.newClient("wrong-password")
        let error = await #expect(throws: LXCError.self) { try await client.requestTrust(password: "not-the-password") }
        #expect(error?.kind == .permissionDenied)
        #expect(try await !client.isTrusted)
    }

    @Test func thePasswordMakesTheClientTrusted() async throws {
        let remote = try HTTPSRemote.required()
        let (client, identity) = try await remote.newClient("by-password")
        try await client.requestTrust(password: HTTPSRemote.password, name: "by-password")
        #expect(try await client.isTrusted)
        #expect(try await client.serverVersion().hasPrefix("5."))
        _ = try await client.instanceNames()
        let trusted = try HTTPSRemote.lxc(remote.daemon, ["config", "trust", "list", "--format", "csv"])
        #expect(trusted.contains(String(identity.fingerprint.prefix(12))))
        #expect(trusted.contains("by-password"))
    }

    @Test func aTokenMadeOverTheUnixSocketTrustsASecondIdentityOnce() async throws {
        let remote = try HTTPSRemote.required()
        let token = try await remote.daemon.client.makeTrustToken(name: "by-token")
        let (client, identity) = try await remote.newClient("by-token")
        #expect(try await !client.isTrusted)
        try await client.requestTrust(token: token)
        #expect(try await client.isTrusted)
        #expect(try HTTPSRemote.lxc(remote.daemon, ["config", "trust", "list", "--format", "csv"])
            .contains(String(identity.fingerprint.prefix(12))))
        // A token is good once.
        let (third, _) = try await remote.newClient("token-again")
        let error = await #expect(throws: LXCError.self) { try await third.requestTrust(token: token) }
        #expect(error?.kind == .permissionDenied)
        #expect(try await !third.isTrusted)
    }

    @Test func aTokenFromLXCsOwnClientIsAccepted() async throws {
        let remote = try HTTPSRemote.required()
        let output = try HTTPSRemote.lxc(remote.daemon, ["config", "trust", "add", "--name", "from-lxc"])
        let token = try #require(output.split(separator: "\n").last.map(String.init))
        let (client, _) = try await remote.newClient("from-lxc")
        try await client.requestTrust(token: token)
        #expect(try await client.isTrusted)
    }

    @Test func aWrongPinFailsWithBothFingerprintsBeforeAnyRequest() async throws {
        let remote = try HTTPSRemote.required()
        let (trustedClient, identity) = try await remote.newClient("pinned-wrong")
        try await trustedClient.requestTrust(password: HTTPSRemote.password)
        let real = try LXDClient.fingerprint(ofCertificate: try await LXDClient.fetchServerCertificate(url: remote.url))
        // The same identity, trusted, but another certificate pinned.
        let impostor = try LXDClientIdentity.generate(commonName: "impostor")
        let client = try LXDClient(url: remote.url, identity: identity, serverCertificate: impostor.certificatePEM)
        let instance = client.instance(LXDDaemon.uniqueName("pin"))
        let error = await #expect(throws: LXCError.self) { try await instance.create(from: .image("busybox")) }
        #expect(error?.message.contains(impostor.fingerprint) == true)
        #expect(error?.message.contains(real) == true)
        #expect(error?.kind == .failed)
        // The request was not sent: the daemon has no such instance.
        #expect(try await !remote.daemon.client.instance(instance.name).isDefined)
        if try await remote.daemon.client.instance(instance.name).isDefined {
            await LXDDaemon.remove(remote.daemon.client.instance(instance.name))
        }
    }

    @Test func aJobWrittenAgainstTheProtocolRunsOverHTTPS() async throws {
        let remote = try HTTPSRemote.required()
        let (client, _) = try await remote.newClient("job")
        try await client.requestTrust(password: HTTPSRemote.password)
        let instance = client.instance(LXDDaemon.uniqueName("job-https"))
        let pulled = remote.daemon.directory + "/pulled-\(instance.name)"
        defer { unlink(pulled) }
        let report: JobReport
        do {
            report = try await runJob(on: instance, from: .image("busybox"),
                                      settings: [("user.job", "https")], pulledPath: pulled)
        } catch {
            await LXDDaemon.remove(remote.daemon.client.instance(instance.name))
            throw error
        }
        #expect(!report.definedBefore)
        #expect(report.stateAfterStart == .running)
        #expect(report.hostName == instance.name + "\n")
        #expect(report.streamed.last == .finished(.exited(3)))
        #expect(report.falseStatus == .exited(1))
        #expect(report.memoryLimit == .limited(.mebibytes(64)))
        #expect(report.fileRead == Array("written\n".utf8))
        #expect(FileManager.default.contents(atPath: pulled) == Data("written\n".utf8))
        #expect(report.snapshotNames == ["snap0"])
        #expect(report.markerAfterRestore == "before\n")
        #expect(!report.definedAfter)
    }

    @Test func manyCallsOnOneClientReuseOneConnection() async throws {
        let remote = try HTTPSRemote.required()
        let (client, _) = try await remote.newClient("reuse")
        let before = remote.clientPortsConnected()
        try await client.requestTrust(password: HTTPSRemote.password)
        let afterFirst = remote.clientPortsConnected().subtracting(before)
        #expect(afterFirst.count == 1, "before: \(before), after: \(remote.clientPortsConnected())")
        for _ in 0..<50 {
            _ = try await client.instanceNames()
            #expect(try await client.isTrusted)
        }
        let afterMany = remote.clientPortsConnected().subtracting(before)
        #expect(afterMany == afterFirst)
        // Calls at once each take a connection of their own, kept for the calls after them.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<6 { group.addTask { _ = try await client.instanceNames() } }
            try await group.waitForAll()
        }
        let afterConcurrent = remote.clientPortsConnected().subtracting(before)
        #expect((1...6).contains(afterConcurrent.count))
        for _ in 0..<20 { _ = try await client.instanceNames() }
        #expect(remote.clientPortsConnected().subtracting(before) == afterConcurrent)
    }

    @Test func aConnectionTheDaemonDroppedIsReplacedWithoutAnError() async throws {
        let remote = try HTTPSRemote.required()
        let (client, _) = try await remote.newClient("reconnect")
        let before = remote.clientPortsConnected()
        try await client.requestTrust(password: HTTPSRemote.password)
        let first = remote.clientPortsConnected().subtracting(before)
        #expect(first.count == 1)
        // The daemon's end of the idle connection is destroyed (the kernel resets it), as when
        // a daemon goes away; the next calls find a new connection.
        for port in first {
            let (status, output) = ScriptRunner.run(["/usr/bin/ss", "-K", "-tn", "src", "127.0.0.1:\(remote.port)",
                                                     "dst", "127.0.0.1:\(port)"])
            #expect(status == 0, "\(output)")
        }
        #expect(try await client.isTrusted)
        _ = try await client.instanceNames()
        let second = remote.clientPortsConnected().subtracting(before)
        #expect(second.count == 1)
        #expect(second.isDisjoint(with: first))
    }

    /// Identities made elsewhere, as `lxc` (EC, SEC 1 key) and older clients (RSA, PKCS #1 key)
    /// keep them: read from their files, they are trusted and used.
    @Test(arguments: [
        ["sh", "-c", "openssl ecparam -name secp384r1 -genkey -noout -out key.pem"],
        ["sh", "-c", "openssl genrsa -traditional -out key.pem 2048"],
    ])
    func anIdentityMadeByOpenSSLIsUsable(_ makeKey: [String]) async throws {
        let remote = try HTTPSRemote.required()
        let directory = "/tmp/swift-lxd-test-openssl-\(getpid())-\(UInt32.random(in: 0...0xFFFFFF))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let script = "cd \(directory) && \(makeKey[2]) && openssl req -new -x509 -key key.pem -out cert.pem -days 30 -subj /CN=openssl"
        let (status, output) = ScriptRunner.run(["/bin/sh", "-c", script])
        #expect(status == 0, "\(output)")
        let key = try String(contentsOfFile: directory + "/key.pem", encoding: .utf8)
        #expect(key.contains("BEGIN EC PRIVATE KEY") || key.contains("BEGIN RSA PRIVATE KEY"))
        let identity = try LXDClientIdentity(certificateFile: directory + "/cert.pem", keyFile: directory + "/key.pem")
        let certificate = try await LXDClient.fetchServerCertificate(url: remote.url)
        let client = try LXDClient(url: remote.url, identity: identity, serverCertificate: certificate)
        try await client.requestTrust(password: HTTPSRemote.password)
        #expect(try await client.isTrusted)
        #expect(try HTTPSRemote.lxc(remote.daemon, ["config", "trust", "list", "--format", "csv"])
            .contains(String(identity.fingerprint.prefix(12))))
    }

    @Test func badRemoteURLsAreInvalidArguments() async throws {
        let identity = try LXDClientIdentity.generate(commonName: "urls")
        for url in ["http://127.0.0.1:8443", "https://127.0.0.1:99999", "https://127.0.0.1:8443/1.0", "https://"] {
            let error = #expect(throws: LXCError.self) {
                _ = try LXDClient(url: url, identity: identity, serverCertificate: identity.certificatePEM)
            }
            #expect(error?.kind == .invalidArgument, "\(url)")
        }
    }

    @Test func anIdentitySavesAndLoadsWithAPrivateKeyFile() async throws {
        let directory = "/tmp/swift-lxd-test-identity-\(getpid())-\(UInt32.random(in: 0...0xFFFFFF))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let identity = try LXDClientIdentity.generate(commonName: "saved")
        try identity.save(certificateFile: directory + "/client.crt", keyFile: directory + "/client.key")
        let keyMode = try FileManager.default.attributesOfItem(atPath: directory + "/client.key")[.posixPermissions] as? Int
        #expect(keyMode == 0o600)
        let loaded = try LXDClientIdentity(certificateFile: directory + "/client.crt", keyFile: directory + "/client.key")
        #expect(loaded == identity)
        #expect(loaded.fingerprint == identity.fingerprint)
        // openssl reads the certificate: P-384, a client certificate.
        let (status, text) = ScriptRunner.run(["/usr/bin/openssl", "x509", "-in", directory + "/client.crt", "-noout", "-text"])
        #expect(status == 0)
        #expect(text.contains("P-384") || text.contains("secp384r1"))
        #expect(text.contains("TLS Web Client Authentication"))
        let other = try LXDClientIdentity.generate(commonName: "other")
        let mismatch = #expect(throws: LXCError.self) {
            _ = try LXDClientIdentity(certificatePEM: identity.certificatePEM, privateKeyPEM: other.privateKeyPEM)
        }
        #expect(mismatch?.kind == .invalidArgument)
    }
}
