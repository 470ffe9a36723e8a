import ArgumentParser
import LXC

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the versions of lxcctl and liblxc.",
        discussion: "Example:\n  lxcctl version"
    )

    @OptionGroup var global: GlobalOptions

    func run() throws {
        print("lxcctl \(lxcctlVersion), liblxc \(LXC.version)")
    }
}
