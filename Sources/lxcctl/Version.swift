import ArgumentParser
import LXC

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the versions of lxcctl and liblxc.",
        discussion: "Example:\n  lxcctl version"
    )

    func run() throws {
        print("lxcctl 0.1.0, liblxc \(LXC.version)")
    }
}
