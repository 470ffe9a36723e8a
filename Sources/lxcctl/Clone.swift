import ArgumentParser
import LXC

struct Clone: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a stopped container, or make a copy-on-write snapshot of it, as a new container.",
        discussion: """
            Without --backing-store the clone keeps the original's backing store; --snapshot of a \
            directory-backed container makes an overlay over the original's root filesystem, which \
            then cannot be destroyed while the clone exists.

            Examples:
              lxcctl clone web web2
              lxcctl clone web web-thin --snapshot
              lxcctl clone web web-loop --backing-store loop
              lxcctl clone web job-1 --snapshot --ephemeral    (gone once it stops)
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The container to clone.") var name: String
    @Argument(help: "The clone's name.") var newName: String
    @Flag(name: [.short, .long], help: "Make a copy-on-write snapshot rather than a copy.") var snapshot = false
    @Flag(name: [.short, .long], help: "Make a throwaway clone, which liblxc destroys when it stops (lxc-copy -e).")
    var ephemeral = false
    @Option(name: [.customShort("B"), .long], help: "The clone's backing store (default: the original's).")
    var backingStore: BackingStore?

    func run() async throws {
        let container = try global.existingContainer(name)
        let asked: [CloneOptions] = [snapshot ? .snapshot : [], ephemeral ? .ephemeral : []]
        let options = asked.reduce(CloneOptions()) { $0.union($1) }
        let (newName, backingStore) = (newName, backingStore)
        _ = try await withProgress("cloning \(name) as \(newName)") {
            try await container.clone(as: newName, options: options, backingStore: backingStore)
        }
    }
}
