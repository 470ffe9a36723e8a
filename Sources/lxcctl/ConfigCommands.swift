import ArgumentParser
import LXC

struct Config: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read and change a container's configuration.",
        discussion: """
            Examples:
              lxcctl config get web lxc.rootfs.path
              lxcctl config set web lxc.net.0.type empty
              lxcctl config clear web lxc.uts.name
              lxcctl config keys web lxc.net.0
            """,
        subcommands: [Get.self, Set.self, Clear.self, Keys.self]
    )

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a configuration item's value.",
            discussion: "Example:\n  lxcctl config get web lxc.uts.name"
        )

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The container.") var name: String
        @Argument(help: "The configuration key.") var key: String

        func run() async throws {
            guard let value = try global.existingContainer(name).configItem(key) else {
                throw LXCError(operation: "configItem", container: name, message: "no value for \(key)", kind: .notFound)
            }
            print(value)
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a configuration item and save it to the container's configuration file.",
            discussion: "Example:\n  lxcctl config set web lxc.start.auto 1"
        )

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The container.") var name: String
        @Argument(help: "The configuration key.") var key: String
        @Argument(help: "The value.") var value: String

        func run() async throws {
            let container = try global.existingContainer(name)
            try container.setConfigItem(key, to: value)
            try await container.saveConfig()
        }
    }

    struct Clear: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a configuration item and save the container's configuration file.",
            discussion: "Example:\n  lxcctl config clear web lxc.mount.entry"
        )

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The container.") var name: String
        @Argument(help: "The configuration key.") var key: String

        func run() async throws {
            let container = try global.existingContainer(name)
            try container.clearConfigItem(key)
            try await container.saveConfig()
        }
    }

    struct Keys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the configuration keys liblxc offers, under a prefix.",
            discussion: "Examples:\n  lxcctl config keys web\n  lxcctl config keys web lxc.net.0"
        )

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The container.") var name: String
        @Argument(help: "A key prefix such as lxc.net.0.") var prefix: String = ""

        func run() async throws {
            for key in try global.existingContainer(name).configKeys(prefix: prefix) {
                print(key)
            }
        }
    }
}
