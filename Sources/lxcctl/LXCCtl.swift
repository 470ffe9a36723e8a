import ArgumentParser
import LXC

@main
struct LXCCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lxcctl",
        abstract: "Create, run, inspect and manage Linux containers through liblxc.",
        version: "swift-lxc 0.1.0",
        subcommands: [Version.self]
    )
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the versions of lxcctl and liblxc.",
        discussion: "Example:\n  lxcctl version"
    )

    func run() throws {
        print("lxcctl 0.1.0, liblxc \(LXC.version)")
    }
}
