import ArgumentParser
import Foundation
import LXC

@main
struct LXCCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lxcctl",
        abstract: "Create, run, inspect and manage Linux containers through liblxc, and LXD instances through LXD's API.",
        discussion: """
            Each subcommand is one call into the swift-lxc library. Containers live in an lxcpath: \
            liblxc's default (/var/lib/lxc for root) unless --lxcpath says otherwise.

            Examples:
              lxcctl create web --template busybox
              lxcctl config set web lxc.net.0.type empty
              lxcctl start web
              lxcctl ls --fancy
              lxcctl info web
              lxcctl exec web -- ps
              lxcctl stop web --timeout 10
              lxcctl destroy web

            Remote LXD daemons: lxcctl remote add NAME URL names one (its unix socket or \
            https://HOST:PORT); ls, info, start, stop, exec, snapshot, push, pull, copy, move and \
            a few more then take REMOTE:NAME (or --remote REMOTE) for an instance of it:
              lxcctl remote add lab unix:///var/lib/lxd/unix.socket
              lxcctl ls lab:
              lxcctl exec lab:web -- uname -a

            Exit status: 0 on success; 1 when the operation failed (the message names the \
            subcommand and the container); 64 for a usage error. exec and execute exit with the \
            command's status, 126 when it cannot be executed, 127 when it does not exist, and \
            128+N when signal N killed it, as lxc-attach and lxc-execute do.

            Shell completion: lxcctl --generate-completion-script bash (or zsh, fish) prints a \
            script; for bash, save it as /etc/bash_completion.d/lxcctl. A man page: \
            swift package generate-manual writes .build/plugins/GenerateManual/outputs/lxcctl/lxcctl.1 (see the README).
            """,
        version: "lxcctl \(lxcctlVersion)",
        subcommands: [
            Version.self, List.self, Create.self, Destroy.self, Rename.self,
            Start.self, Stop.self, Freeze.self, Unfreeze.self, Wait.self, Info.self, Exec.self,
            Console.self, Push.self, Pull.self, Clone.self, Copy.self, Move.self, Snapshots.self, Config.self, Cgroup.self, Repair.self,
            Autostart.self, Monitor.self, Execute.self, Top.self, Device.self, Checkpoint.self, Restore.self, RemoteCommand.self,
        ]
    )

    @OptionGroup var global: GlobalOptions

    /// Parses, starts liblxc's log when asked, runs the subcommand, and reports a failed
    /// library call in the words of the command line (see ``CLIError``).
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try parseAsRoot(arguments)
            try options(of: command)?.startLogging()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as LXCError {
            FileHandle.standardError.write(Data((CLIError.render(error, command: commandPath(arguments)) + "\n").utf8))
            Foundation.exit(1)
        } catch let error as RemoteError {
            let command = commandPath(arguments)
            FileHandle.standardError.write(Data(("lxcctl" + (command.isEmpty ? "" : " " + command) + ": \(error)\n").utf8))
            Foundation.exit(1)
        } catch {
            exit(withError: error)
        }
    }

    /// The shared options a parsed command holds.
    static func options(of command: any ParsableCommand) -> GlobalOptions? {
        for child in Mirror(reflecting: command).children {
            if let group = child.value as? OptionGroup<GlobalOptions> { return group.wrappedValue }
        }
        return nil
    }

    /// The subcommand words in `arguments` ("snapshot restore"), skipping the shared options.
    static func commandPath(_ arguments: [String]) -> String {
        var words: [String] = []
        var commands: [any ParsableCommand.Type] = configuration.subcommands
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" { break }
            if ["-P", "--lxcpath", "--logfile", "--logpriority", "--remote"].contains(argument) {
                index += 2
                continue
            }
            if argument.hasPrefix("-") { index += 1; continue }
            guard let next = commands.first(where: { $0._commandName == argument }) else { break }
            words.append(argument)
            commands = next.configuration.subcommands
            index += 1
        }
        return words.joined(separator: " ")
    }
}
