import Foundation
import LXC
import Testing

@Suite("lxcctl drives real containers", .integration, .timeLimit(.minutes(3)))
struct CLITests {
    // The tests are async and await lxcctl's end: a test blocked in a wait would hold one of
    // the few threads of Swift's cooperative pool (two on a two-core machine), which the other
    // suites' async tests need.

    func lxcctl(_ sandbox: Sandbox, _ arguments: String...) async throws -> LXCCtlRunner.Result {
        try await lxcctl(sandbox, arguments)
    }

    func lxcctl(_ sandbox: Sandbox, _ arguments: [String]) async throws -> LXCCtlRunner.Result {
        try await LXCCtlRunner.result(of: ["--lxcpath", sandbox.lxcpath] + arguments)
    }

    @Test func aContainersLifeThroughTheCLI() async throws {
        try await Sandbox.with { sandbox in
            let name = sandbox.uniqueName("cli")
            #expect(try await lxcctl(sandbox, "create", name, "--template", "busybox", "--quiet").status == 0)
            #expect(try await lxcctl(sandbox, "config", "set", name, "lxc.net.0.type", "empty").status == 0)
            #expect(try await lxcctl(sandbox, "config", "set", name, "lxc.apparmor.profile", "unconfined").status == 0)
            let type = try await lxcctl(sandbox, "config", "get", name, "lxc.net.0.type")
            #expect(type.standardOutput == "empty\n")
            // Persisted: a new handle reads it from the file.
            #expect(try Container(name: name, lxcpath: sandbox.lxcpath).configItem("lxc.net.0.type") == "empty")

            #expect(try await lxcctl(sandbox, "start", name).status == 0)
            let listed = try await lxcctl(sandbox, "ls", "--format", "json")
            #expect(listed.status == 0)
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(listed.standardOutput.utf8)) as? [[String: Any]])
            #expect(rows.count == 1)
            #expect(rows.first?["name"] as? String == name)
            #expect(rows.first?["state"] as? String == "RUNNING")
            let pid = try #require(rows.first?["pid"] as? Int)
            #expect(try Int32(pid) == Container(name: name, lxcpath: sandbox.lxcpath).initPID)
            #expect(rows.first?["ipv4"] is [Any])

            let table = try await lxcctl(sandbox, "ls")
            #expect(table.standardOutput.hasPrefix("NAME"))
            #expect(table.standardOutput.contains(name))

            #expect(try await lxcctl(sandbox, "freeze", name).status == 0)
            #expect(try await lxcctl(sandbox, "wait", name, "frozen", "--timeout", "5").status == 0)
            #expect(try await lxcctl(sandbox, "unfreeze", name).status == 0)
            #expect(try await lxcctl(sandbox, "stop", name, "--timeout", "20").status == 0)
            #expect(try await lxcctl(sandbox, "ls", "--active", "--format", "json").standardOutput.contains(name) == false)
            let renamed = sandbox.uniqueName("cli")
            #expect(try await lxcctl(sandbox, "rename", name, renamed).status == 0)
            #expect(try await lxcctl(sandbox, "destroy", renamed).status == 0)
            #expect(try Container.names(.all, in: sandbox.lxcpath).isEmpty)
        }
    }

    /// Parses a command's standard output as JSON.
    func json<T>(_ result: LXCCtlRunner.Result, as type: T.Type = [String: Any].self) throws -> T {
        try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? T,
                     "status \(result.status) out \(result.standardOutput) err \(result.standardError)")
    }

    @Test(.privilegedOnly("it makes a bridge on the host (ip link add), which needs CAP_NET_ADMIN in the host's network namespace"))
    func infoExecAndCgroupOnARunningContainer() async throws {
        try await Sandbox.with { sandbox in
            let bridge = HostTools.uniqueLinkName("swlxbr")
            try HostTools.require(["ip", "link", "add", bridge, "type", "bridge"])
            defer { _ = try? HostTools.run(["ip", "link", "del", bridge]) }
            try HostTools.require(["ip", "link", "set", bridge, "up"])

            let address = "192.0.2.\(Int.random(in: 10...250))"
            let container: Container = try await sandbox.busybox()
            let name = container.name
            try container.clearConfigItem("lxc.net")
            try container.setConfigItem("lxc.net.0.type", to: "veth")
            try container.setConfigItem("lxc.net.0.link", to: bridge)
            try container.setConfigItem("lxc.net.0.flags", to: "up")
            try container.setConfigItem("lxc.net.0.ipv4.address", to: "\(address)/24")
            try await container.saveConfig()
            try HostTools.removeDHCPClient(from: container, in: sandbox)

            let stopped = try json(try await lxcctl(sandbox, "info", name, "--format", "json"))
            #expect(stopped["state"] as? String == "STOPPED")
            #expect(stopped["pid"] is NSNull)
            #expect(stopped["memoryBytes"] is NSNull)
            #expect(stopped["cpuNanoseconds"] is NSNull)

            #expect(try await lxcctl(sandbox, "start", name).status == 0)
            _ = try await container.waitForIPAddresses(family: .ipv4, timeout: .seconds(20))

            let info = try json(try await lxcctl(sandbox, "info", name, "--format", "json"))
            #expect(info["name"] as? String == name)
            #expect(info["state"] as? String == "RUNNING")
            let pid = try #require(info["pid"] as? Int)
            #expect(pid > 0)
            #expect(Int32(pid) == container.initPID)
            #expect(info["ipv4"] as? [String] == [address])
            #expect(info["ipv6"] is [Any])
            #expect(try #require(info["memoryBytes"] as? Int) > 0)
            #expect(try #require(info["cpuNanoseconds"] as? Int) > 0)
            let configFile = try #require(info["configFile"] as? String)
            #expect(FileManager.default.fileExists(atPath: configFile))
            #expect(configFile == container.configFileName)

            let table = try await lxcctl(sandbox, "info", name)
            #expect(table.status == 0)
            #expect(table.standardOutput.contains("RUNNING"))
            #expect(table.standardOutput.contains(address))

            let rows = try json(try await lxcctl(sandbox, "ls", "--format", "json"), as: [[String: Any]].self)
            #expect(rows.first { $0["name"] as? String == name }?["ipv4"] as? [String] == [address])

            #expect(try await lxcctl(sandbox, "exec", name, "--", "sh", "-c", "exit 5").status == 5)
            let echo = try await lxcctl(sandbox, "exec", name, "--", "echo", "hi")
            #expect(echo.status == 0)
            #expect(echo.standardOutput == "hi\n")
            let stderr = try await lxcctl(sandbox, "exec", name, "--", "sh", "-c", "echo oops >&2")
            #expect(stderr.standardError == "oops\n")
            #expect(stderr.standardOutput == "")
            let env = try await lxcctl(sandbox, "exec", name, "--env", "A=1", "--env", "B=x=y", "--", "sh", "-c", "echo $A $B")
            #expect(env.standardOutput == "1 x=y\n")
            let cwd = try await lxcctl(sandbox, "exec", name, "--cwd", "/tmp", "--user", "1000", "--group", "1001", "--", "sh", "-c", "pwd; id -u; id -g")
            #expect(cwd.standardOutput == "/tmp\n1000\n1001\n", "\(cwd.standardError)")
            #expect(try await lxcctl(sandbox, "exec", name, "--", "sh", "-c", "kill -KILL $$").status == 128 + SIGKILL)
            let missing = try await lxcctl(sandbox, "exec", name, "--", "no-such-program")
            #expect(missing.status != 0)
            #expect(missing.standardError.contains("no-such-program"))

            let limit = try await lxcctl(sandbox, "cgroup", "get", name, "pids.max")
            #expect(limit.standardOutput == "max\n", "\(limit.standardError)")
            #expect(try await lxcctl(sandbox, "cgroup", "set", name, "pids.max", "50").status == 0)
            #expect(try await lxcctl(sandbox, "cgroup", "get", name, "pids.max").standardOutput == "50\n")
            #expect(try container.cgroupItem("pids.max") == "50")
            let refused = try await lxcctl(sandbox, "cgroup", "set", name, "pids.max", "banana")
            #expect(refused.status != 0)
            #expect(refused.standardError.split(separator: "\n").count == 1, "\(refused.standardError)")
            #expect(try container.cgroupItem("pids.max") == "50", "nothing changed")
            let noFile = try await lxcctl(sandbox, "cgroup", "get", name, "pids.no_such_file")
            #expect(noFile.status != 0)
            #expect(noFile.standardError.contains(name))
        }
    }

    @Test func snapshotsAndClonesThroughTheCLI() async throws {
        try await Sandbox.with { sandbox in
            let container: Container = try await sandbox.busybox()
            let name = container.name

            let taken = try await lxcctl(sandbox, "snapshot", "create", name, "--comment", "before the upgrade")
            #expect(taken.status == 0, "\(taken.standardError)")
            let snapshot = taken.standardOutput.trimmingCharacters(in: .newlines)
            #expect(snapshot == "snap0")
            let listed = try json(try await lxcctl(sandbox, "snapshot", "list", name, "--format", "json"), as: [[String: Any]].self)
            #expect(listed.count == 1)
            #expect(listed.first?["name"] as? String == snapshot)
            #expect(listed.first?["comment"] as? String == "before the upgrade")
            #expect((listed.first?["timestamp"] as? String)?.isEmpty == false)
            #expect(try await lxcctl(sandbox, "snapshot", "list", name).standardOutput.contains("before the upgrade"))
            let marker = "\(sandbox.lxcpath)/\(name)/rootfs/after-the-snapshot"
            try RootfsFiles.write("x", to: marker)

            let restored = sandbox.uniqueName("cli-restored")
            #expect(try await lxcctl(sandbox, "snapshot", "restore", name, snapshot, restored).status == 0)
            #expect(try await lxcctl(sandbox, "start", restored).status == 0)
            #expect(try Container(name: restored, lxcpath: sandbox.lxcpath).state == .running)

            let cloned = sandbox.uniqueName("cli-clone")
            let clone = try await lxcctl(sandbox, "clone", name, cloned)
            #expect(clone.status == 0, "\(clone.standardError)")
            let rows = try json(try await lxcctl(sandbox, "ls", "--format", "json"), as: [[String: Any]].self)
            let states = Dictionary(uniqueKeysWithValues: rows.compactMap { row in
                (row["name"] as? String).map { ($0, row["state"] as? String) }
            })
            #expect(states == [name: "STOPPED", restored: "RUNNING", cloned: "STOPPED"])
            #expect(try Container(name: cloned, lxcpath: sandbox.lxcpath).configItem("lxc.uts.name") == cloned)

            #expect(!FileManager.default.fileExists(atPath: "\(sandbox.lxcpath)/\(restored)/rootfs/after-the-snapshot"))
            #expect(FileManager.default.fileExists(atPath: marker))
            let inPlace = try await lxcctl(sandbox, "snapshot", "restore", name, snapshot)
            #expect(inPlace.status == 0, "\(inPlace.standardError)")
            #expect(!FileManager.default.fileExists(atPath: marker), "the container is the snapshot again")

            #expect(try await lxcctl(sandbox, "snapshot", "destroy", name, snapshot).status == 0)
            #expect(try json(try await lxcctl(sandbox, "snapshot", "list", name, "--format", "json"), as: [Any].self).isEmpty)
            let gone = try await lxcctl(sandbox, "snapshot", "destroy", name, snapshot)
            #expect(gone.status != 0)
            #expect(gone.standardError.contains(snapshot))
        }
    }

    @Test func consoleAndExecOnATerminal() async throws {
        try await Sandbox.with { sandbox in
            let container: Container = try await sandbox.busybox()
            try await container.start()

            let console = try TerminalSession(["--lxcpath", sandbox.lxcpath, "console", container.name, "--tty", "1", "--escape", "b"])
            defer { console.end() }
            // Keys typed before the console is in raw mode would be eaten by the line discipline.
            #expect(await console.eventuallyPrints("Connected to tty 1"), "\(console.printed)")
            #expect(console.printed.contains("Ctrl+b q"), "the escape letter is the one asked for")
            console.type([UInt8(ascii: "\r")])
            #expect(await console.eventuallyPrints("login:"), "tty1 printed: \(console.printed)")
            console.type([0x02, UInt8(ascii: "q")])
            #expect(await console.exitStatus() == 0, "Ctrl-b q left the console")
            #expect(container.state == .running, "leaving the console leaves the container running")

            let shell = try TerminalSession(["--lxcpath", sandbox.lxcpath, "exec", container.name, "--terminal", "--",
                                             "sh", "-c", "tty; exit 3"])
            defer { shell.end() }
            #expect(await shell.exitStatus() == 3)
            #expect(shell.printed.contains("/dev/pts/"), "the command has a terminal of its own: \(shell.printed)")
        }
    }

    @Test func badInputExitsNonZeroWithOneLine() async throws {
        try await Sandbox.with { sandbox in
            let unknown = try await lxcctl(sandbox, "start", "no-such-container")
            #expect(unknown.status != 0)
            #expect(unknown.standardError.contains("no-such-container"))
            #expect(unknown.standardError.split(separator: "\n").count == 1, "\(unknown.standardError)")

            for command in [["info", "no-such-container"], ["exec", "no-such-container", "--", "true"],
                            ["snapshot", "create", "no-such-container"], ["snapshot", "list", "no-such-container"],
                            ["clone", "no-such-container", "copy"], ["cgroup", "get", "no-such-container", "pids.max"],
                            ["console", "no-such-container"]] {
                let result = try await lxcctl(sandbox, command)
                #expect(result.status != 0, "\(command)")
                #expect(result.standardError.contains("no-such-container"), "\(command): \(result.standardError)")
                #expect(result.standardError.split(separator: "\n").count == 1, "\(command): \(result.standardError)")
            }

            let container: Container = try await sandbox.busybox()
            for state in ["sleeping", "BOGUS"] {
                let badState = try await lxcctl(sandbox, "wait", container.name, state)
                #expect(badState.status != 0)
                #expect(badState.standardError.contains(state))
            }

            // Without a command exec opens a shell (CLILXCToolsTests); a stopped container refuses it.
            let noCommand = try await lxcctl(sandbox, "exec", container.name)
            #expect(noCommand.status != 0)
            #expect(noCommand.standardError.contains("not running"))
            let badEnv = try await lxcctl(sandbox, "exec", container.name, "--env", "NOEQUALS", "--", "true")
            #expect(badEnv.status != 0)
            #expect(badEnv.standardError.contains("NOEQUALS"))
            let badStore = try await lxcctl(sandbox, "clone", container.name, sandbox.uniqueName(), "--backing-store", "floppy")
            #expect(badStore.status != 0)
            #expect(badStore.standardError.contains("floppy"))
            for command in [["exec", container.name, "--", "true"], ["console", container.name],
                            ["cgroup", "get", container.name, "pids.max"]] {
                let notRunning = try await lxcctl(sandbox, command)
                #expect(notRunning.status != 0, "\(command)")
                #expect(notRunning.standardError.contains("not running"), "\(command): \(notRunning.standardError)")
                #expect(notRunning.standardError.split(separator: "\n").count == 1, "\(command): \(notRunning.standardError)")
            }
            let unknownSnapshot = try await lxcctl(sandbox, "snapshot", "restore", container.name, "snap7", sandbox.uniqueName())
            #expect(unknownSnapshot.status != 0)
            #expect(unknownSnapshot.standardError.contains("snap7"))
            #expect(try Container.names(.all, in: sandbox.lxcpath) == [container.name], "nothing was made")

            let missingTemplate = try await lxcctl(sandbox, "create", sandbox.uniqueName(), "--template", "no-such-template")
            #expect(missingTemplate.status != 0)
            #expect(missingTemplate.standardError.contains("no-such-template"))
            #expect(missingTemplate.standardError.split(separator: "\n").count == 1, "\(missingTemplate.standardError)")

            let injected = try await lxcctl(sandbox, "config", "set", container.name, "lxc.uts.name", "x\nlxc.mount.entry = /etc etc none bind 0 0")
            #expect(injected.status != 0)
            #expect(try !String(contentsOfFile: try #require(container.configFileName), encoding: .utf8).contains("lxc.mount.entry = /etc"))

            let stopped = try await lxcctl(sandbox, "freeze", container.name)
            #expect(stopped.status != 0)
            #expect(stopped.standardError.contains("not running"))
        }
    }

    /// `lxcctl exec` on a frozen container used to wait until someone thawed it; it fails at
    /// once now. `timeout` ends a hanging lxcctl (status 124), and a guard gives up on the
    /// wait for it, so that a hang fails the test.
    @Test func execOnAFrozenContainerFailsAtOnce() async throws {
        try await Sandbox.with { sandbox in
            let container = try await sandbox.busybox()
            try await container.start()
            #expect(try await lxcctl(sandbox, "freeze", container.name).status == 0)
            defer { try? container.unfreeze() }
            let binary = try #require(LXCCtlRunner.binary)
            let arguments = ["60", binary, "--lxcpath", sandbox.lxcpath, "exec", container.name, "--", "/bin/true"]
            let finished = await finishingAsync(within: 90) {
                try await LXCCtlRunner.result(ofProgram: "/usr/bin/timeout", arguments)
            }
            let exec = try #require(try finished?.get(), "lxcctl exec on a frozen container did not end")
            #expect(exec.status != 0)
            #expect(exec.status != 124, "lxcctl exec waited on the frozen container until timeout ended it")
            #expect(exec.standardError.contains("frozen"), "\(exec.standardError)")
            #expect(exec.standardError.contains(container.name), "\(exec.standardError)")
            #expect(try await lxcctl(sandbox, "unfreeze", container.name).status == 0)
            #expect(try await lxcctl(sandbox, "exec", container.name, "--", "/bin/true").status == 0)
        }
    }

    @Test func everySubcommandHasHelpWithAnExample() async throws {
        for command in [["ls"], ["create"], ["destroy"], ["rename"], ["start"], ["stop"], ["freeze"],
                        ["unfreeze"], ["wait"], ["config", "get"], ["config", "set"], ["config", "clear"],
                        ["config", "keys"], ["version"], ["info"], ["exec"], ["console"], ["clone"],
                        ["cgroup", "get"], ["cgroup", "set"], ["snapshot", "create"], ["snapshot", "list"],
                        ["snapshot", "restore"], ["snapshot", "destroy"]] {
            let help = try await LXCCtlRunner.result(of: command + ["--help"])
            #expect(help.status == 0, "\(command)")
            #expect(help.standardOutput.contains("Example"), "\(command)")
            #expect(help.standardOutput.contains("lxcctl \(command.joined(separator: " "))"), "\(command): status \(help.status) out \(help.standardOutput) err \(help.standardError)")
        }
    }

    @Test func rootHelpMentionsShellCompletion() async throws {
        let help = try await LXCCtlRunner.result(of: ["--help"])
        #expect(help.status == 0)
        #expect(help.standardOutput.contains("--generate-completion-script bash"))
        let script = try await LXCCtlRunner.result(of: ["--generate-completion-script", "bash"])
        #expect(script.status == 0)
        #expect(script.standardOutput.contains("snapshot"))
    }
}

/// `lxcctl` run on a pseudo terminal, which util-linux's `script` provides, with keystrokes
/// from a pipe and what the terminal shows collected by a thread of its own.
final class TerminalSession {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let seen = LockedBox("")
    private let drained = LockedBox(false)

    init(_ arguments: [String]) throws {
        let script = "/usr/bin/script"
        try #require(FileManager.default.isExecutableFile(atPath: script), "util-linux's script provides the terminal")
        let binary = try #require(LXCCtlRunner.binary)
        let command = ([binary] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        process.executableURL = URL(fileURLWithPath: script)
        process.arguments = ["--quiet", "--return", "--command", command.joined(separator: " "), "/dev/null"]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let reading = output.fileHandleForReading, seen = seen, drained = drained
        Thread.detachNewThread {
            while case let data = reading.availableData, !data.isEmpty {
                seen.set(seen.get() + String(decoding: data, as: UTF8.self))
            }
            drained.set(true)
        }
    }

    /// What the terminal showed so far.
    var printed: String { seen.get() }

    /// Whether the terminal shows `text` within 20 seconds.
    func eventuallyPrints(_ text: String) async -> Bool {
        await eventually { self.printed.contains(text) }
    }

    func type(_ bytes: [UInt8]) {
        input.fileHandleForWriting.write(Data(bytes))
    }

    /// lxcctl's exit status once it ended and all it printed was read, or nil when it still
    /// runs after 20 seconds.
    func exitStatus() async -> Int32? {
        guard await eventually({ self.drained.get() && !self.process.isRunning }) else { return nil }
        return process.terminationStatus
    }

    private func eventually(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<200 {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return condition()
    }

    /// Ends the session if it still runs (a failed test) and reaps it.
    func end() {
        if process.isRunning {
            process.terminate()
            if !HostTools.eventually(seconds: 5, { !process.isRunning }) { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        try? input.fileHandleForWriting.close()
    }
}
