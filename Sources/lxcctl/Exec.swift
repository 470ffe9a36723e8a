import ArgumentParser
import Foundation
import LXC
import LXD

struct Exec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a command inside a running container, with this terminal's input and output.",
        discussion: """
            The command gets lxcctl's standard input, output and error and, unless --clear-env, \
            its environment. Without a command, exec opens a shell (/bin/sh), on a terminal of \
            its own when standard input is one, as lxc-attach does.

            Exit status, as lxc-attach's: the command's exit code; 126 when the program cannot \
            be executed; 127 when it does not exist; 128+N when signal N killed it; 1 when \
            lxcctl could not attach (the message says why).

            Examples:
              lxcctl exec web
              lxcctl exec web -- ps
              lxcctl exec web --terminal -- sh
              lxcctl exec web --env LANG=C.UTF-8 --cwd /tmp -- sh -c 'echo $LANG; pwd'
              lxcctl exec web --user 1000 --group 1000 --clear-env -- id
              lxcctl exec lab:web -- uname -a    (an instance of the remote lab)

            On a remote instance the command runs with LXD's environment and its output is \
            written when it has ended; a command is needed (no shell without one), and the exit \
            status follows the same rules.
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: targetHelp) var name: String
    @OptionGroup var remoteOptions: RemoteOptions
    @Option(name: [.short, .long], help: ArgumentHelp("A variable to set, NAME=VALUE; repeat for more.", valueName: "name=value"))
    var env: [String] = []
    @Flag(help: "Start from an empty environment (liblxc sets PATH) rather than lxcctl's.") var clearEnv = false
    @Flag(name: [.short, .long], help: "Give the command a pseudo terminal of its own, relayed to this one (for a shell with job control, or an editor).")
    var terminal = false
    @Option(help: "The directory to start in (default: lxcctl's current one if it exists inside, else /).")
    var cwd: String?
    @Option(name: [.short, .long], help: ArgumentHelp("The user id to run as (default: the container's root).", valueName: "uid"))
    var user: UInt32?
    @Option(name: [.short, .long], help: ArgumentHelp("The group id to run as (default: the container's root group).", valueName: "gid"))
    var group: UInt32?
    @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.") var command: [String] = []

    func validate() throws {
        for variable in env where !variable.contains("=") || variable.hasPrefix("=") {
            throw ValidationError("--env \"\(variable)\" is not NAME=VALUE")
        }
    }

    func run() async throws {
        let target = try remoteOptions.target(name, global: global)
        if case .remote(let instance, _) = target {
            try await run(on: instance)
            return
        }
        var options = AttachOptions()
        for variable in env {
            let parts = variable.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            options.environment[String(parts[0])] = String(parts[1])
        }
        if clearEnv { options.environmentPolicy = .clear }
        if terminal || (command.isEmpty && isatty(STDIN_FILENO) == 1) { options.flags.insert(.terminal) }
        options.workingDirectory = cwd
        options.userID = user
        options.groupID = group
        let container = try target.local(for: "exec")
        let status: ExitStatus
        do {
            status = try await container.run(command.isEmpty ? ["/bin/sh"] : command, options: options)
        } catch let error as LXCError where error.kind == .notFound || error.kind == .permissionDenied {
            // The program is missing or not executable (the container exists: checked above).
            printError(CLIError.render(error, command: "exec"))
            throw ExitCode(error.kind == .notFound ? 127 : 126)
        }
        try passThrough(status)
    }

    /// Runs the command in an LXD instance, with the same exit status rules (LXD itself
    /// reports 126, 127 and 128+N).
    func run(on instance: LXDInstance) async throws {
        if command.isEmpty {
            throw ValidationError("give the command after -- (lxcctl exec \(name) -- sh -c '…'): a shell without one needs a terminal over LXD's exec websockets")
        }
        if terminal || clearEnv {
            throw ValidationError("--terminal and --clear-env are for local containers: LXD's exec here runs without a terminal, and LXD always sets PATH (and HOME, USER, LANG for root)")
        }
        var options = LXDExecOptions()
        for variable in env {
            let parts = variable.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            options.environment[String(parts[0])] = String(parts[1])
        }
        options.workingDirectory = cwd
        options.user = user
        options.group = group
        let status: ExitStatus
        do {
            status = try await instance.run(command, options: options)
        } catch let error as LXCError where error.message.lowercased().hasPrefix("command not") {
            // LXD fails the exec operation with "Command not found" or "Command not executable"
            // rather than reporting 127 or 126 (as `lxc exec` then exits).
            printError(CLIError.render(error, command: "exec"))
            throw ExitCode(error.message.lowercased().hasPrefix("command not found") ? 127 : 126)
        }
        try passThrough(status)
    }
}

/// Ends lxcctl with a command's status as a shell reports it: its exit code, or 128+N for
/// signal N.
func passThrough(_ status: ExitStatus) throws {
    switch status {
    case .exited(let code):
        if code != 0 { throw ExitCode(code) }
    case .signaled(let signal):
        throw ExitCode(128 + signal)
    }
}

/// Writes one line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
