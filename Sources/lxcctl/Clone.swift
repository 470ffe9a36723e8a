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

    @ParentCommand var root: LXCCtl
    var global: GlobalOptions { root.global }
    @Argument(help: "The container to clone.") var name: String
    @Argument(help: "The clone's name.") var newName: String
    @Flag(name: [.short, .long], help: "Make a copy-on-write snapshot rather than a copy.") var snapshot = false
    @Flag(name: [.short, .long], help: "Make a throwaway clone, which liblxc destroys when it stops (lxc-copy -e).")
    var ephemeral = false
    @Option(name: [.customShort("B"), .long], help: "The clone's backing store: \(BackingStore.allCases.map(\.liblxcName).joined(separator: ", ")).")
    var backingStore: String?

    func validate() throws {
        if let backingStore, BackingStore(liblxcName: backingStore) == nil {
            throw ValidationError("unknown backing store \"\(backingStore)\"; one of: \(BackingStore.allCases.map(\.liblxcName).joined(separator: ", "))")
        }
    }

    func run() async throws {
        var options: CloneOptions = snapshot ? .snapshot : []
        if ephemeral { options.insert(.ephemeral) }
        _ = try await global.existingContainer(name).clone(
            as: newName, options: options,
            backingStore: backingStore.flatMap(BackingStore.init(liblxcName:)))
    }
}
