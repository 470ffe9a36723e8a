import ArgumentParser
import Foundation
import LXC
import LXD

/// `--remote NAME`, for the commands that work on a remote LXD instance as well as on a
/// local container.
struct RemoteOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Work on an instance of this remote LXD daemon (lxcctl remote list) rather than on a local container; the same as writing REMOTE:NAME.",
        valueName: "remote"))
    var remote: String?

    /// The local container or the remote instance `argument` names: `NAME` (a local
    /// container, or one of `--remote`'s) or `REMOTE:NAME`.
    ///
    /// Local container names never contain ":" (the library refuses them), so a name with
    /// one always means a remote; an unknown remote is a usage error that lists the known ones.
    func target(_ argument: String, global: GlobalOptions) throws -> Target {
        let (remoteName, name) = try split(argument)
        guard let remoteName else { return .local(try global.existingContainer(name)) }
        if global.lxcpath != nil {
            throw ValidationError("--lxcpath is for local containers; \(remoteName):\(name) is an instance of a remote")
        }
        return .remote(try RemoteConnection.open(remoteName).client.instance(name), remote: remoteName)
    }

    /// The remote an argument names, or --remote's, and the name after it; nil for a local one.
    func split(_ argument: String) throws -> (remote: String?, name: String) {
        guard let colon = argument.firstIndex(of: ":") else { return (remote, argument) }
        let prefix = String(argument[..<colon]), name = String(argument[argument.index(after: colon)...])
        guard !prefix.isEmpty else {
            throw ValidationError("\"\(argument)\": give the remote's name before the \":\" (REMOTE:NAME)")
        }
        guard !name.isEmpty else {
            throw ValidationError("\"\(argument)\": give the instance's name after the \":\" (REMOTE:NAME)")
        }
        if let remote, remote != prefix {
            throw ValidationError("\"\(argument)\" names the remote \"\(prefix)\", --remote names \"\(remote)\"; give one")
        }
        return (prefix, name)
    }
}

/// What a command's container argument resolved to: a local container (with -P's lxcpath)
/// or an instance of a remote LXD daemon. Both conform to ``ContainerProtocol``, so the
/// commands that do the same on both work through ``container``.
enum Target {
    case local(Container)
    case remote(LXDInstance, remote: String)

    /// The container or instance, for what both backends do alike.
    var container: any ContainerProtocol {
        switch self {
        case .local(let container): return container
        case .remote(let instance, _): return instance
        }
    }

    /// The local container; a usage error naming `what` for a remote instance.
    func local(for what: String) throws -> Container {
        switch self {
        case .local(let container): return container
        case .remote(let instance, let remote):
            throw ValidationError("\(what) works on local containers only, not on \(remote):\(instance.name)")
        }
    }
}

/// A connection to a remote named in the store.
struct RemoteConnection {
    let name: String
    let remote: Remote
    let client: LXDClient

    /// Opens the remote `name` of the store (no request is sent yet).
    static func open(_ name: String, store: RemoteStore? = nil) throws -> RemoteConnection {
        let store = try store ?? RemoteStore.load()
        let remote = try store.remote(name)
        switch try remote.address {
        case .unixSocket(let path):
            try requireSocket(path, remote: name)
            return RemoteConnection(name: name, remote: remote, client: LXDClient(socketPath: path))
        case .https:
            return RemoteConnection(name: name, remote: remote, client: try httpsClient(for: remote, name: name))
        }
    }
}

/// The help of a command's container argument, where a remote instance works too.
let targetHelp = ArgumentHelp("The container, or REMOTE:NAME for an instance of a remote LXD daemon.", valueName: "name")

/// Fails at once when `path` is no socket: a client connecting to a missing socket retries
/// for a minute and more before it gives up.
func requireSocket(_ path: String, remote: String) throws {
    var info = stat()
    guard stat(path, &info) == 0 else {
        throw RemoteError("remote \"\(remote)\": no LXD socket at \(path) (\(String(cString: strerror(errno))))")
    }
    guard info.st_mode & S_IFMT == S_IFSOCK else {
        throw RemoteError("remote \"\(remote)\": \(path) is not a socket")
    }
}
