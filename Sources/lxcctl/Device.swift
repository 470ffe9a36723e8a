import ArgumentParser
import LXC

struct Device: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add a host device node to a running container, or remove it, as lxc-device does.",
        discussion: """
            Examples:
              lxcctl device add web /dev/ttyUSB0
              lxcctl device add web /dev/null /dev/mynull
              lxcctl device remove web /dev/ttyUSB0
            """,
        subcommands: [Add.self, Remove.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a host device node available inside a running container.",
            discussion: "Example:\n  lxcctl device add web /dev/null /dev/mynull"
        )

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The container.") var name: String
        @Argument(help: "The device node on the host, such as /dev/ttyUSB0.") var device: String
        @Argument(help: "Its path inside (default: the same path).") var destination: String?

        func run() async throws {
            try await global.existingContainer(name).addDeviceNode(device, at: destination)
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a device node from a running container.",
            discussion: "Example:\n  lxcctl device remove web /dev/null /dev/mynull"
        )

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The container.") var name: String
        @Argument(help: "The device node on the host.") var device: String
        @Argument(help: "Its path inside (default: the same path).") var destination: String?

        func run() async throws {
            try await global.existingContainer(name).removeDeviceNode(device, at: destination)
        }
    }
}
