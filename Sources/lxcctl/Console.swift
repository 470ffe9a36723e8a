import ArgumentParser
import LXC

struct Console: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Connect this terminal to a tty of a running container.",
        discussion: """
            Type Ctrl-<escape> then q to leave: Ctrl-a q unless --escape says otherwise. \
            The terminal is in raw mode for the session.

            Examples:
              lxcctl console web
              lxcctl console web --tty 0 --escape b
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The container.") var name: String
    @Option(name: [.short, .long], help: "The tty: 0 for the console, 1… for /dev/tty1… (default: the first free one).")
    var tty: Int?
    @Option(name: [.short, .long], help: ArgumentHelp("The letter that, with Ctrl, starts the escape sequence.", valueName: "letter"))
    var escape: String = "a"

    func validate() throws {
        if escape.count != 1 { throw ValidationError("--escape takes one letter, as in --escape b for Ctrl-b q") }
    }

    func run() async throws {
        let container = try global.existingContainer(name)
        try await container.console(tty: tty, escape: escape.first ?? "a")
    }
}
