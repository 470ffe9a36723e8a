import ArgumentParser
import LXC

struct Checkpoint: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Checkpoint a running container into a directory with CRIU, as lxc-checkpoint does.",
        discussion: """
            CRIU must be installed and support this kernel; when it does not, the message says \
            what CRIU reported.

            Examples:
              lxcctl checkpoint web -D /var/tmp/web.ckpt
              lxcctl checkpoint web -D /var/tmp/web.ckpt --stop
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The container.") var name: String
    @Option(name: [.customShort("D"), .long], help: "The directory for the images.") var directory: String
    @Flag(name: [.short, .long], help: "Stop the container after the checkpoint.") var stop = false
    @Flag(name: [.short, .long], help: "CRIU's verbose output.") var verbose = false

    func run() async throws {
        try await global.existingContainer(name).checkpoint(to: directory, stop: stop, verbose: verbose)
    }
}

struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore a container from a checkpoint directory with CRIU, as lxc-checkpoint -r does.",
        discussion: "Example:\n  lxcctl restore web -D /var/tmp/web.ckpt"
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The container.") var name: String
    @Option(name: [.customShort("D"), .long], help: "The directory with the images.") var directory: String
    @Flag(name: [.short, .long], help: "CRIU's verbose output.") var verbose = false

    func run() async throws {
        try await global.existingContainer(name).restore(from: directory, verbose: verbose)
    }
}
