import ArgumentParser
import Foundation
import LXC

/// An owner given as UID:GID, ids inside the container.
private func parseOwner(_ text: String?) throws -> FileOwner {
    guard let text else { return .root }
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 2, let user = UInt32(parts[0]), let group = UInt32(parts[1]) else {
        throw ValidationError("--owner \"\(text)\" is not UID:GID (ids inside the container, as in 1000:1000)")
    }
    return FileOwner(userID: user, groupID: group)
}

struct Push: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a file or directory from the host into a container, running or stopped.",
        discussion: """
            As cp -r: when the destination is an existing directory, the source goes into it \
            under its own name. Symbolic links inside the container are followed inside it, \
            never out to the host's files. The copies belong to the container's root (or \
            --owner, ids inside the container; an unprivileged container's id maps shift them).

            Examples:
              lxcctl push web ./index.html /var/www/
              lxcctl push web ./scripts /opt --owner 1000:1000
              lxcctl push web ./run.sh /usr/local/bin/run --mode 755
              lxcctl push lab:web ./index.html /var/www/index.html    (an instance of the remote lab)

            On a remote instance the destination is the copy's own path: LXD does not put a \
            source into an existing directory.
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: targetHelp) var name: String
    @Argument(help: "The file or directory on the host.") var source: String
    @Argument(help: "The absolute destination path inside the container.") var destination: String
    @Option(help: ArgumentHelp("The owner inside the container (default: its root, 0:0).", valueName: "uid:gid"))
    var owner: String?
    @Option(help: ArgumentHelp("The permission bits, in octal (default: the host file's).", valueName: "mode"))
    var mode: String?
    @OptionGroup var remoteOptions: RemoteOptions

    func validate() throws {
        _ = try parseOwner(owner)
        if let mode, UInt32(mode, radix: 8).map({ $0 <= 0o7777 }) != true {
            throw ValidationError("--mode \"\(mode)\" is not an octal mode such as 644")
        }
    }

    func run() async throws {
        try await remoteOptions.target(name, global: global).container.push(
            source, to: destination, owner: try parseOwner(owner), mode: mode.flatMap { UInt32($0, radix: 8) })
    }
}

struct Pull: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a file or directory out of a container, running or stopped, to the host.",
        discussion: """
            As cp -r: when the destination is an existing directory, the copy goes into it \
            under its own name. The copies belong to you and keep their permission bits (without \
            set-user-id and set-group-id); symbolic links are copied as links.

            Examples:
              lxcctl pull web /etc/hostname .
              lxcctl pull web /var/log ./web-logs
              lxcctl pull lab:web /etc/hostname .    (an instance of the remote lab)
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: targetHelp) var name: String
    @Argument(help: "The absolute path inside the container.") var source: String
    @Argument(help: "The destination on the host.") var destination: String
    @OptionGroup var remoteOptions: RemoteOptions

    func run() async throws {
        switch try remoteOptions.target(name, global: global) {
        case .local(let container):
            try await container.pull(source, to: destination)
        case .remote(let instance, _):
            // As cp -r, and as the local pull: into an existing directory, under its own name.
            var target = destination
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory), isDirectory.boolValue,
               let leaf = source.split(separator: "/").last {
                target = destination + (destination.hasSuffix("/") ? "" : "/") + leaf
            }
            try await instance.pull(source, to: target)
        }
    }
}
