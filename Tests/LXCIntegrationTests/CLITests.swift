import Foundation
import LXC
import Testing

@Suite("lxcctl drives real containers", .integration, .timeLimit(.minutes(3)))
struct CLITests {
    func lxcctl(_ sandbox: Sandbox, _ arguments: String...) throws -> LXCCtlRunner.Result {
        try LXCCtlRunner.run(["--lxcpath", sandbox.lxcpath] + arguments)
    }

    @Test func aContainersLifeThroughTheCLI() throws {
        try Sandbox.withBlocking { sandbox in
            let name = sandbox.uniqueName("cli")
            #expect(try lxcctl(sandbox, "create", name, "--template", "busybox", "--quiet").status == 0)
            #expect(try lxcctl(sandbox, "config", "set", name, "lxc.net.0.type", "empty").status == 0)
            #expect(try lxcctl(sandbox, "config", "set", name, "lxc.apparmor.profile", "unconfined").status == 0)
            let type = try lxcctl(sandbox, "config", "get", name, "lxc.net.0.type")
            #expect(type.standardOutput == "empty\n")
            // Persisted: a new handle reads it from the file.
            #expect(try Container(name: name, lxcpath: sandbox.lxcpath).configItem("lxc.net.0.type") == "empty")

            #expect(try lxcctl(sandbox, "start", name).status == 0)
            let listed = try lxcctl(sandbox, "ls", "--format", "json")
            #expect(listed.status == 0)
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(listed.standardOutput.utf8)) as? [[String: Any]])
            #expect(rows.count == 1)
            #expect(rows.first?["name"] as? String == name)
            #expect(rows.first?["state"] as? String == "RUNNING")
            let pid = try #require(rows.first?["pid"] as? Int)
            #expect(try Int32(pid) == Container(name: name, lxcpath: sandbox.lxcpath).initPID)
            #expect(rows.first?["ipv4"] is [Any])

            let table = try lxcctl(sandbox, "ls")
            #expect(table.standardOutput.hasPrefix("NAME"))
            #expect(table.standardOutput.contains(name))

            #expect(try lxcctl(sandbox, "freeze", name).status == 0)
            #expect(try lxcctl(sandbox, "wait", name, "frozen", "--timeout", "5").status == 0)
            #expect(try lxcctl(sandbox, "unfreeze", name).status == 0)
            #expect(try lxcctl(sandbox, "stop", name, "--timeout", "20").status == 0)
            #expect(try lxcctl(sandbox, "ls", "--active", "--format", "json").standardOutput.contains(name) == false)
            let renamed = sandbox.uniqueName("cli")
            #expect(try lxcctl(sandbox, "rename", name, renamed).status == 0)
            #expect(try lxcctl(sandbox, "destroy", renamed).status == 0)
            #expect(try Container.names(.all, in: sandbox.lxcpath).isEmpty)
        }
    }

    @Test func badInputExitsNonZeroWithOneLine() throws {
        try Sandbox.withBlocking { sandbox in
            let unknown = try lxcctl(sandbox, "start", "no-such-container")
            #expect(unknown.status != 0)
            #expect(unknown.standardError.contains("no-such-container"))
            #expect(unknown.standardError.split(separator: "\n").count == 1, "\(unknown.standardError)")

            let container = try sandbox.busybox()
            let badState = try lxcctl(sandbox, "wait", container.name, "sleeping")
            #expect(badState.status != 0)
            #expect(badState.standardError.contains("sleeping"))

            let missingTemplate = try lxcctl(sandbox, "create", sandbox.uniqueName(), "--template", "no-such-template")
            #expect(missingTemplate.status != 0)
            #expect(missingTemplate.standardError.contains("no-such-template"))
            #expect(missingTemplate.standardError.split(separator: "\n").count == 1, "\(missingTemplate.standardError)")

            let injected = try lxcctl(sandbox, "config", "set", container.name, "lxc.uts.name", "x\nlxc.mount.entry = /etc etc none bind 0 0")
            #expect(injected.status != 0)
            #expect(try !String(contentsOfFile: try #require(container.configFileName), encoding: .utf8).contains("lxc.mount.entry = /etc"))

            let stopped = try lxcctl(sandbox, "freeze", container.name)
            #expect(stopped.status != 0)
            #expect(stopped.standardError.contains("not running"))
        }
    }

    @Test func everySubcommandHasHelpWithAnExample() throws {
        for command in [["ls"], ["create"], ["destroy"], ["rename"], ["start"], ["stop"], ["freeze"],
                        ["unfreeze"], ["wait"], ["config", "get"], ["config", "set"], ["config", "clear"],
                        ["config", "keys"], ["version"]] {
            let help = try LXCCtlRunner.run(command + ["--help"])
            #expect(help.status == 0, "\(command)")
            #expect(help.standardOutput.contains("lxcctl \(command.joined(separator: " "))"), "\(command): status \(help.status) out \(help.standardOutput) err \(help.standardError)")
        }
    }
}
