import ArgumentParser
import LXC
import LXD

struct Copy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy an instance of a remote LXD daemon, with its snapshots, as a new instance on the same remote.",
        discussion: """
            The copy is made by LXD from the instance (stopped, or running for a stateless \
            copy); --target puts it on another member of a cluster. For a local container, \
            lxcctl clone makes a copy.

            Examples:
              lxcctl copy lab:web web2
              lxcctl copy web web-test --remote lab --instance-only
              lxcctl copy cluster:web web2 --target n2
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The instance, REMOTE:NAME.", valueName: "name")) var name: String
    @Argument(help: ArgumentHelp("The copy's name (on the same remote; REMOTE:NEW is accepted).", valueName: "new-name"))
    var newName: String
    @Option(help: ArgumentHelp("The cluster member to put the copy on (default: LXD's choice).", valueName: "member"))
    var target: String?
    @Flag(help: "Copy the instance without its snapshots.") var instanceOnly = false
    @OptionGroup var remoteOptions: RemoteOptions

    func validate() throws {
        guard try remoteOptions.split(name).remote != nil else {
            throw ValidationError("copy works on instances of remotes (REMOTE:NAME); lxcctl clone \(name) \(newName) copies a local container")
        }
    }

    func run() async throws {
        guard case .remote(let instance, let remote) = try remoteOptions.target(name, global: global) else { return }
        let copyName = try sameRemote(newName, as: remote, options: remoteOptions)
        _ = try await instance.copy(to: copyName, member: target, includingSnapshots: !instanceOnly)
    }
}

struct Move: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "move",
        abstract: "Rename a stopped instance of a remote LXD daemon, or move it to another member of its cluster.",
        discussion: """
            With NEW-NAME the instance is renamed; with --target it moves to that cluster \
            member, keeping its name (LXD migrates a stopped instance). For a local container, \
            lxcctl rename renames it.

            Examples:
              lxcctl move lab:web web-old
              lxcctl move cluster:web --target n2
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The instance, REMOTE:NAME.", valueName: "name")) var name: String
    @Argument(help: ArgumentHelp("Its new name (REMOTE:NEW on the same remote is accepted).", valueName: "new-name"))
    var newName: String?
    @Option(help: ArgumentHelp("The cluster member to move it to.", valueName: "member")) var target: String?
    @OptionGroup var remoteOptions: RemoteOptions

    func validate() throws {
        guard try remoteOptions.split(name).remote != nil else {
            throw ValidationError("move works on instances of remotes (REMOTE:NAME); lxcctl rename \(name) NEW renames a local container")
        }
        if (newName == nil) == (target == nil) {
            throw ValidationError("give either a new name or --target MEMBER")
        }
    }

    func run() async throws {
        guard case .remote(let instance, let remote) = try remoteOptions.target(name, global: global) else { return }
        if let member = target {
            try await instance.move(toMember: member)
        }
        if let newName {
            let renamed = try sameRemote(newName, as: remote, options: remoteOptions)
            _ = try await instance.rename(to: renamed)
        }
    }
}

/// A new name for an instance of `remote`: a bare name, or `REMOTE:NAME` with the same remote.
private func sameRemote(_ argument: String, as remote: String, options: RemoteOptions) throws -> String {
    let (other, name) = try options.split(argument)
    if let other, other != remote {
        throw ValidationError("\"\(argument)\" is on the remote \"\(other)\", the instance on \"\(remote)\": copies between remotes are not made by lxcctl")
    }
    return name
}
