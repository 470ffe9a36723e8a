import ArgumentParser
import Foundation

/// One LXD daemon lxcctl knows by name: where it is, and for HTTPS the server certificate
/// pinned when it was added and the client certificate lxcctl presents.
struct Remote: Codable, Hashable {
    /// `unix:///path/to/unix.socket` or `https://host:port`.
    var url: String
    /// The server's certificate (PEM), pinned by `lxcctl remote add`; nil for a unix socket.
    var serverCertificate: String?
    /// The client certificate's file (PEM), for HTTPS; in the configuration directory.
    var clientCertificate: String?
    /// The client key's file (PEM, mode 0600), for HTTPS; in the configuration directory.
    var clientKey: String?

    enum CodingKeys: String, CodingKey { case url, serverCertificate, clientCertificate, clientKey }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(url, forKey: .url)
        try container.encode(serverCertificate, forKey: .serverCertificate)
        try container.encode(clientCertificate, forKey: .clientCertificate)
        try container.encode(clientKey, forKey: .clientKey)
    }

    /// What the URL names.
    enum Address: Equatable {
        case unixSocket(path: String)
        case https(url: String)
    }

    /// The URL taken apart; a usage error for one lxcctl cannot reach.
    static func address(of url: String) throws -> Address {
        if url.hasPrefix("unix://") {
            let path = String(url.dropFirst("unix://".count))
            guard path.hasPrefix("/") else {
                throw ValidationError("\"\(url)\": a unix socket's URL is unix:// and the socket's absolute path, as in unix:///var/lib/lxd/unix.socket")
            }
            return .unixSocket(path: path)
        }
        if url.hasPrefix("https://") {
            let rest = url.dropFirst("https://".count)
            guard !rest.isEmpty, !rest.hasPrefix("/") else {
                throw ValidationError("\"\(url)\": an HTTPS remote's URL is https://HOST or https://HOST:PORT")
            }
            return .https(url: url.hasSuffix("/") ? String(url.dropLast()) : url)
        }
        throw ValidationError("\"\(url)\" is neither unix:///PATH/unix.socket nor https://HOST[:PORT]")
    }

    var address: Address { get throws { try Remote.address(of: url) } }
}

/// The remotes lxcctl knows, kept in `remotes.json` in lxcctl's configuration directory.
///
/// The directory is `$LXCCTL_CONFIG_DIR` when set, else `$XDG_CONFIG_HOME/lxcctl`, else
/// `~/.config/lxcctl`. The HTTPS client certificate and key live beside the file.
struct RemoteStore {
    /// The configuration directory.
    let directory: String
    /// The remotes by name.
    var remotes: [String: Remote]

    /// The file's shape: `{"remotes": {"NAME": {"url": …, …}}}`.
    private struct File: Codable {
        var remotes: [String: Remote]
    }

    /// lxcctl's configuration directory (it need not exist yet).
    static var defaultDirectory: String {
        let environment = ProcessInfo.processInfo.environment
        if let directory = environment["LXCCTL_CONFIG_DIR"], !directory.isEmpty { return directory }
        if let base = environment["XDG_CONFIG_HOME"], base.hasPrefix("/") { return base + "/lxcctl" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.config/lxcctl"
    }

    var file: String { directory + "/remotes.json" }

    /// The store in `directory`; empty when it has no remotes.json yet.
    static func load(from directory: String = RemoteStore.defaultDirectory) throws -> RemoteStore {
        let path = directory + "/remotes.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            if FileManager.default.fileExists(atPath: path) {
                throw RemoteError("cannot read \(path)")
            }
            return RemoteStore(directory: directory, remotes: [:])
        }
        do {
            return RemoteStore(directory: directory, remotes: try JSONDecoder().decode(File.self, from: data).remotes)
        } catch {
            throw RemoteError("\(path) is not a remotes file lxcctl wrote: \(error)")
        }
    }

    /// Writes remotes.json (through a temporary file and a rename, so a reader never sees
    /// half of it), making the directory (mode 0700) when needed.
    func save() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(File(remotes: remotes))
        let temporary = file + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw RemoteError("cannot write \(temporary)")
        }
        guard rename(temporary, file) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw RemoteError("cannot write \(file): \(reason)")
        }
    }

    /// The remote called `name`; a usage error naming the remotes there are when there is none.
    func remote(_ name: String) throws -> Remote {
        guard let remote = remotes[name] else {
            let known = remotes.keys.sorted()
            throw ValidationError("no remote called \"\(name)\"; "
                + (known.isEmpty ? "there are none yet: add one with lxcctl remote add NAME URL"
                    : "the remotes are: \(known.joined(separator: ", ")) (lxcctl remote list)"))
        }
        return remote
    }

    /// Whether `name` may name a remote: letters, digits, "-", "_" and ".", not starting
    /// with "-" (it is written before a ":" in front of an instance's name).
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first != UInt8(ascii: "-") else { return false }
        return name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                return true
            default:
                return false
            }
        }
    }
}

/// A failure about remotes (a remotes file that cannot be read or written, a remote this
/// build cannot reach); lxcctl exits 1 with the message.
struct RemoteError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
