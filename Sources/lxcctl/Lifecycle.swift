import ArgumentParser
import LXC

struct Create: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a container from a template.",
        discussion: """
            Examples:
              lxcctl create web --template busybox
              lxcctl create deb --template download -- --dist debian --release bookworm --arch amd64
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The new container's name.") var name: String
    @Option(name: [.short, .long], help: "A template name (busybox, download, …) or the absolute path of a template script.")
    var template: String
    @Option(name: [.customShort("B"), .long], help: "Where to keep the root filesystem.")
    var backingStore: BackingStore = .directory
    @Flag(name: [.short, .long], help: "Silence the template.") var quiet = false
    @Argument(parsing: .postTerminator, help: "Arguments for the template, after --.") var templateArguments: [String] = []

    func run() async throws {
        let container = try global.container(name)
        let (template, backingStore, quiet, arguments) = (template, backingStore, quiet, templateArguments)
        try await withProgress("creating \(name)") {
            try await container.create(template: template, backingStore: backingStore,
                                       options: quiet ? .quiet : [], arguments: arguments)
        }
    }
}

struct Destroy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Destroy a stopped container: its root filesystem, configuration and directory.",
        discussion: """
            --force stops a running container first (killed at once, as lxc-destroy -f does).

            Examples:
              lxcctl destroy web
              lxcctl destroy web --snapshots
              lxcctl destroy web --force
              lxcctl destroy lab:web --force    (an instance of the remote lab)
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: targetHelp) var name: String
    @OptionGroup var remoteOptions: RemoteOptions
    @Flag(name: [.short, .long], help: "Also destroy the container's snapshots.") var snapshots = false
    @Flag(name: [.short, .long], help: "Stop the container first if it runs.") var force = false

    func run() async throws {
        let container = try remoteOptions.target(name, global: global).container
        if force, try await container.state != .stopped { try await container.stop() }
        let snapshots = snapshots
        try await withProgress("destroying \(name)") {
            try await container.destroy(includingSnapshots: snapshots)
        }
    }
}

struct Rename: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rename a stopped container.",
        discussion: "Example:\n  lxcctl rename web web-old"
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The container.") var name: String
    @Argument(help: "Its new name.") var newName: String

    func run() async throws {
        try await global.existingContainer(name).rename(to: newName)
    }
}

struct Start: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a container and wait until it runs.",
        discussion: """
            --foreground (-F) runs the container in the foreground with its console on this \
            terminal, as lxc-start -F does; lxcctl returns when the container stops, with its \
            init's exit status (128+N for signal N).

            Examples:
              lxcctl start web
              lxcctl start web -F
              lxcctl start app --use-init -- /usr/bin/my-server --port 80
              lxcctl start lab:web    (an instance of the remote lab; see lxcctl remote)
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: targetHelp) var name: String
    @OptionGroup var remoteOptions: RemoteOptions
    @Flag(help: "Run lxc-init as the first process, running the command after --.") var useInit = false
    @Flag(name: [.customShort("F"), .long], help: "Run in the foreground, with the console on this terminal.") var foreground = false
    @Argument(parsing: .postTerminator, help: "The init command, after --.") var initArguments: [String] = []

    func validate() throws {
        if try remoteOptions.split(name).remote != nil && (useInit || foreground || !initArguments.isEmpty) {
            throw ValidationError("--use-init, --foreground and an init command are for local containers; an LXD instance starts with its own init")
        }
    }

    func run() async throws {
        let target = try remoteOptions.target(name, global: global)
        guard case .local(let container) = target else {
            try await target.container.start()
            return
        }
        guard foreground else {
            try await container.start(useInit: useInit, arguments: initArguments)
            return
        }
        try container.setDaemonizes(false)
        do {
            try await container.start(useInit: useInit, arguments: initArguments)
        } catch let error as LXCError where error.message.hasPrefix("the container ran in the foreground") {
            printError(CLIError.render(error, command: "start"))
            if let code = error.code { try passThrough(ExitStatus(waitStatus: code)) }
            throw ExitCode.failure
        }
    }
}

struct Stop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stop a container: a clean shutdown, killed if it has not stopped in time.",
        discussion: """
            Without --kill, the container's init is asked to shut down and given --timeout seconds; \
            a container still running then is killed, as lxc-stop does.

            Examples:
              lxcctl stop web
              lxcctl stop web --timeout 10
              lxcctl stop web --kill
              lxcctl stop web --remote lab --timeout 10
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: targetHelp) var name: String
    @OptionGroup var remoteOptions: RemoteOptions
    @Flag(name: [.short, .long], help: "Kill the container's processes at once.") var kill = false
    @Option(name: [.short, .long], parsing: .unconditional, help: "Seconds to wait for a clean shutdown.") var timeout: Int = 60

    func validate() throws {
        if timeout < 0 { throw ValidationError("--timeout \(timeout) is negative: give the seconds to wait, 0 or more") }
    }

    func run() async throws {
        let container = try remoteOptions.target(name, global: global).container
        if kill {
            try await container.stop()
            return
        }
        do {
            try await container.shutdown(timeout: .seconds(timeout))
        } catch let error as LXCError where error.kind == .timedOut {
            try await container.stop()
        }
    }
}

struct Freeze: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Freeze every process of a running container.",
        discussion: "Examples:\n  lxcctl freeze web\n  lxcctl freeze lab:web"
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: targetHelp) var name: String
    @OptionGroup var remoteOptions: RemoteOptions

    func run() async throws {
        try await remoteOptions.target(name, global: global).container.freeze()
    }
}

struct Unfreeze: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Thaw a frozen container.",
        discussion: "Examples:\n  lxcctl unfreeze web\n  lxcctl unfreeze lab:web"
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: targetHelp) var name: String
    @OptionGroup var remoteOptions: RemoteOptions

    func run() async throws {
        try await remoteOptions.target(name, global: global).container.unfreeze()
    }
}

struct Wait: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Wait until a container is in a state; exit 1 if the timeout runs out first.",
        discussion: """
            States: \(ContainerState.known.map(\.liblxcName).joined(separator: ", ")) (any case).

            Examples:
              lxcctl wait web RUNNING --timeout 30
              lxcctl wait web stopped
              lxcctl wait lab:web running --timeout 30
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: targetHelp) var name: String
    @OptionGroup var remoteOptions: RemoteOptions
    @Argument(help: "The state to wait for (any case).") var state: ContainerState
    @Option(name: [.short, .long], parsing: .unconditional, help: "Seconds to wait (default: for as long as it takes).") var timeout: Int?

    func validate() throws {
        if let timeout, timeout < 0 { throw ValidationError("--timeout \(timeout) is negative: give the seconds to wait, 0 or more") }
    }

    func run() async throws {
        let target = state
        let container = try remoteOptions.target(name, global: global).container
        if try await !container.wait(for: target, timeout: seconds(timeout)) {
            throw LXCError(operation: "wait", container: container.name,
                           message: "the container did not reach \(target) within \(timeout ?? 0) seconds; it is \(try await container.state)",
                           kind: .timedOut)
        }
    }
}
