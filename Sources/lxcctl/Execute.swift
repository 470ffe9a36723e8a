import ArgumentParser
import LXC

struct Execute: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a command as an application container, in the foreground, as lxc-execute does.",
        discussion: """
            The container starts with lxc-init as its first process, which runs the command; \
            the container stops when the command ends. The container must be stopped.

            Exit status: the command's exit code, or 128+N when signal N killed it; 1 when the \
            container could not be started (the message says why).

            Examples:
              lxcctl execute app -- /bin/echo hello
              lxcctl execute app -- sh -c 'exit 3'
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The container.") var name: String
    @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.") var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("no command: give it after --, as in: lxcctl execute \(name) -- /bin/echo hello") }
    }

    func run() async throws {
        try passThrough(try await global.existingContainer(name).execute(command))
    }
}
