import ArgumentParser
import LXC

@main
struct LXCCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lxcctl",
        abstract: "Create, run, inspect and manage Linux containers through liblxc.",
        discussion: """
            Each subcommand is one call into the swift-lxc library. Containers live in an lxcpath: \
            liblxc's default (/var/lib/lxc for root) unless --lxcpath says otherwise.

            Examples:
              lxcctl create web --template busybox
              lxcctl config set web lxc.net.0.type empty
              lxcctl start web
              lxcctl ls --format json
              lxcctl info web
              lxcctl exec web -- ps
              lxcctl stop web --timeout 10
              lxcctl destroy web

            Shell completion: lxcctl --generate-completion-script bash (or zsh, fish) prints a \
            script; for bash, save it as /etc/bash_completion.d/lxcctl.
            """,
        version: "lxcctl 0.1.0",
        subcommands: [
            Version.self, List.self, Create.self, Destroy.self, Rename.self,
            Start.self, Stop.self, Freeze.self, Unfreeze.self, Wait.self, Info.self, Exec.self,
            Console.self, Push.self, Pull.self, Clone.self, Snapshots.self, Config.self, Cgroup.self, Repair.self,
        ]
    )

    @OptionGroup var global: GlobalOptions
}
