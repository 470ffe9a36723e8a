import ArgumentParser
import LXC

struct Cgroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read and change a running container's cgroup files.",
        discussion: """
            KEY names a file in the container's cgroup, controller first: memory.limit_in_bytes \
            or pids.max on cgroup v1, memory.max on cgroup v2. A change lasts until the container \
            stops; to keep it, set lxc.cgroup.KEY (v1) or lxc.cgroup2.KEY (v2) with `lxcctl config set`.

            Examples:
              lxcctl cgroup get web pids.max
              lxcctl cgroup set web pids.max 100
            """,
        subcommands: [Get.self, Set.self]
    )

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the contents of one of the container's cgroup files.",
            discussion: "Example:\n  lxcctl cgroup get web memory.usage_in_bytes"
        )

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The container.") var name: String
        @Argument(help: "The cgroup file, such as pids.max.") var key: String

        func run() async throws {
            guard let value = try global.existingContainer(name).cgroupItem(key) else {
                throw LXCError(operation: "cgroupItem", container: name,
                               message: "the container's cgroup has no \(key); is the controller enabled?", kind: .notFound)
            }
            print(value)
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a value into one of the container's cgroup files.",
            discussion: "Example:\n  lxcctl cgroup set web memory.limit_in_bytes 268435456"
        )

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The container.") var name: String
        @Argument(help: "The cgroup file, such as pids.max.") var key: String
        @Argument(help: "The value.") var value: String

        func run() async throws {
            try global.existingContainer(name).setCgroupItem(key, to: value)
        }
    }
}
