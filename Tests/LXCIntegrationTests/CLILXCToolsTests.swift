import ContainerProtocolChecks
import Foundation
import LXC
import Testing

/// lxcctl as an LXC user uses it beside the lxc-* tools (issue 21): each test runs the built
/// binary against real busybox containers and checks what it prints and how it exits.
@Suite("lxcctl does what the lxc-* tools do", .integration, .timeLimit(.minutes(3)))
struct CLILXCToolsTests {
    func lxcctl(_ sandbox: Sandbox, _ arguments: String...) async throws -> LXCCtlRunner.Result {
        try await LXCCtlRunner.result(of: ["--lxcpath", sandbox.lxcpath] + arguments)
    }

    /// Checks that `result` failed with one line on standard error, and returns that line.
    @discardableResult
    func failedWithOneLine(_ result: LXCCtlRunner.Result, _ comment: Comment? = nil,
                           sourceLocation: SourceLocation = #_sourceLocation) -> String {
        #expect(result.status != 0, comment, sourceLocation: sourceLocation)
        #expect(result.standardError.split(separator: "\n").count == 1, "\(result.standardError)", sourceLocation: sourceLocation)
        return result.standardError
    }

    func json<T>(_ result: LXCCtlRunner.Result, as type: T.Type = [String: Any].self) throws -> T {
        try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? T,
                     "status \(result.status) out \(result.standardOutput) err \(result.standardError)")
    }

    @Test func errorsNameTheSubcommandAndItsFlags() async throws {
        try await Sandbox.with { sandbox in
            let container: Container = try await sandbox.busybox()
            let name = container.name
            #expect(try await lxcctl(sandbox, "snapshot", "create", name).status == 0)
            let destroy = failedWithOneLine(try await lxcctl(sandbox, "destroy", name))
            #expect(destroy.hasPrefix("lxcctl destroy: "), "\(destroy)")
            #expect(destroy.contains("--snapshots"), "\(destroy)")
            #expect(!destroy.contains("includingSnapshots"), "\(destroy)")
            #expect(try Container.names(in: sandbox.lxcpath) == [name], "nothing was destroyed")

            let badName = failedWithOneLine(try await lxcctl(sandbox, "create", "team/a", "--template", "busybox"))
            #expect(badName.hasPrefix("lxcctl create: "), "\(badName)")
            #expect(badName.contains("team/a"), "\(badName)")
            #expect(!badName.contains("init failed"), "\(badName)")

            let noValue = failedWithOneLine(try await lxcctl(sandbox, "config", "get", name, "lxc.net.1.type"))
            #expect(noValue.hasPrefix("lxcctl config get: "), "\(noValue)")
            #expect(!noValue.contains("configItem"), "\(noValue)")

            let stopStopped = failedWithOneLine(try await lxcctl(sandbox, "stop", name))
            #expect(stopStopped.hasPrefix("lxcctl stop: "), "\(stopStopped)")
            #expect(stopStopped.contains("not running"), "\(stopStopped)")
            #expect(!stopStopped.contains("shutdown"), "\(stopStopped)")

            let restoreOver = failedWithOneLine(try await lxcctl(sandbox, "snapshot", "restore", name, "snap0", name))
            #expect(restoreOver.hasPrefix("lxcctl snapshot restore: "), "\(restoreOver)")
            #expect(!restoreOver.contains("restoreSnapshotInPlace"), "\(restoreOver)")
            #expect(restoreOver.contains("lxcctl snapshot restore \(name) SNAPSHOT"), "\(restoreOver)")

            let negative = try await lxcctl(sandbox, "stop", name, "--timeout", "-5")
            #expect(negative.status == 64)
            #expect(negative.standardError.contains("--timeout -5 is negative"), "\(negative.standardError)")
            #expect(!negative.standardError.contains("Missing value"), "\(negative.standardError)")
        }
    }

    @Test func execExitsAsLXCAttachDoes() async throws {
        try await Sandbox.with { sandbox in
            let container: Container = try await sandbox.busybox()
            try await container.start()
            let name = container.name
            let missing = try await lxcctl(sandbox, "exec", name, "--", "no-such-program")
            #expect(missing.status == 127)
            #expect(missing.standardError.contains("no-such-program"))
            #expect(missing.standardError.hasPrefix("lxcctl exec: "), "\(missing.standardError)")
            #expect(try await lxcctl(sandbox, "exec", name, "--", "/etc/passwd").status == 126)
            #expect(try await lxcctl(sandbox, "exec", name, "--", "sh", "-c", "kill -TERM $$").status == 128 + SIGTERM)
            #expect(try await lxcctl(sandbox, "exec", name, "--", "sh", "-c", "exit 7").status == 7)

            // No command: a shell, which reads its commands from standard input here.
            let shell = try await CLIProcess.result(["--lxcpath", sandbox.lxcpath, "exec", name],
                                                    input: "echo from-the-shell; exit 4\n")
            #expect(shell.status == 4, "\(shell.standardError)")
            #expect(shell.standardOutput == "from-the-shell\n")

            let help = try await LXCCtlRunner.result(of: ["exec", "--help"])
            for code in ["126", "127", "128+N"] { #expect(help.standardOutput.contains(code), "\(code)") }
            #expect(try await LXCCtlRunner.result(of: ["--help"]).standardOutput.contains("127"))
        }
    }

    @Test func listingLikeLXCLs() async throws {
        try await Sandbox.with { sandbox in
            let web: Container = try await sandbox.busybox(sandbox.uniqueName("web"))
            let db: Container = try await sandbox.busybox(sandbox.uniqueName("db"))
            try web.setConfigItem("lxc.group", to: "prod")
            try web.setConfigItem("lxc.start.auto", to: "1")
            try await web.saveConfig()
            try await web.start()

            let fancy = try await lxcctl(sandbox, "ls", "-f")
            #expect(fancy.status == 0, "\(fancy.standardError)")
            let lines = fancy.standardOutput.split(separator: "\n")
            #expect(lines.first?.split(separator: " ", omittingEmptySubsequences: true)
                    == ["NAME", "STATE", "AUTOSTART", "GROUPS", "IPV4", "IPV6", "UNPRIVILEGED"])
            let webLine = try #require(lines.first { $0.hasPrefix(web.name) }).split(separator: " ", omittingEmptySubsequences: true)
            // A container of an ordinary user has id maps: it is unprivileged.
            let unprivileged = Integration.unprivileged ? "true" : "false"
            #expect(webLine == [Substring(web.name), "RUNNING", "1", "prod", "-", "-", Substring(unprivileged)])
            #expect(try await lxcctl(sandbox, "ls", "--fancy").standardOutput == fancy.standardOutput)

            func names(_ arguments: String...) async throws -> [String] {
                let rows = try json(try await LXCCtlRunner.result(of: ["--lxcpath", sandbox.lxcpath, "ls", "--format", "json"] + arguments),
                                    as: [[String: Any]].self)
                return rows.compactMap { $0["name"] as? String }
            }
            #expect(try await names("--running") == [web.name])
            #expect(try await names("--active") == [web.name])
            #expect(try await names("--stopped") == [db.name])
            #expect(try await names("--frozen") == [])
            #expect(try await names("^db") == [db.name])
            #expect(try await names("-g", "prod") == [web.name])
            #expect(try await names("--groups", "prod,test") == [])

            let rows = try json(try await lxcctl(sandbox, "ls", "--format", "json"), as: [[String: Any]].self)
            let webRow = try #require(rows.first { $0["name"] as? String == web.name })
            #expect(webRow["groups"] as? [String] == ["prod"])
            #expect(webRow["unprivileged"] as? Bool == Integration.unprivileged)
            #expect(try #require(webRow["memoryBytes"] as? Int) > 0)

            let columns = try await lxcctl(sandbox, "ls", "--running", "--fancy-format", "NAME,PID,MEMORY")
            let columnLines = columns.standardOutput.split(separator: "\n")
            #expect(columnLines.count == 2)
            #expect(columnLines.first?.split(separator: " ", omittingEmptySubsequences: true) == ["NAME", "PID", "MEMORY"])
            #expect(columnLines.last?.contains(String(try #require(web.initPID))) == true)
            let badColumn = try await lxcctl(sandbox, "ls", "-F", "NAME,RAM")
            #expect(badColumn.status == 64)
            #expect(badColumn.standardError.contains("RAM"))

            #expect(try await lxcctl(sandbox, "freeze", web.name).status == 0)
            #expect(try await names("--frozen") == [web.name])
            #expect(try await names("--active") == [web.name], "lxc-ls --active includes frozen containers")
            #expect(try await lxcctl(sandbox, "unfreeze", web.name).status == 0)
        }
    }

    @Test(.privilegedOnly("the container's veth needs lxc-user-nic and an lxc-usernet entry for an ordinary user, and the DHCP client is removed from its rootfs, which the container's mapped root owns"))
    func infoLikeLXCInfo() async throws {
        try await Sandbox.with { sandbox in
            let container: Container = try await sandbox.busybox()
            let name = container.name
            // A veth pair without a bridge: the container's eth0 has traffic counters.
            try container.clearConfigItem("lxc.net")
            try container.setConfigItem("lxc.net.0.type", to: "veth")
            try container.setConfigItem("lxc.net.0.flags", to: "up")
            try container.setConfigItem("lxc.net.0.ipv4.address", to: "198.51.100.\(Int.random(in: 10...250))/24")
            try await container.saveConfig()
            try HostTools.removeDHCPClient(from: container, in: sandbox)
            try await container.start()

            let info = try await lxcctl(sandbox, "info", name)
            #expect(info.status == 0, "\(info.standardError)")
            for label in ["Name:", "State:", "PID:", "IP:", "CPU use:", "BlkIO use:", "Memory use:", "Link:", "TX bytes:", "RX bytes:"] {
                #expect(info.standardOutput.contains(label), "\(label) in \(info.standardOutput)")
            }
            #expect(info.standardOutput.contains("eth0"))

            let state = try await lxcctl(sandbox, "info", name, "-s")
            #expect(state.standardOutput == "State:  RUNNING\n")
            let pid = try await lxcctl(sandbox, "info", name, "-p")
            #expect(pid.standardOutput == "PID:  \(try #require(container.initPID))\n")
            let ips = try await lxcctl(sandbox, "info", name, "-i")
            #expect(ips.standardOutput.hasPrefix("IP:  198.51.100."), "\(ips.standardOutput)")
            let config = try await lxcctl(sandbox, "info", name, "-c", "lxc.uts.name", "-c", "lxc.net.0.type")
            #expect(config.standardOutput == "lxc.uts.name = \(name)\nlxc.net.0.type = veth\n")

            let raw = try await lxcctl(sandbox, "info", name, "-H")
            let memory = try #require(raw.standardOutput.split(separator: "\n").first { $0.hasPrefix("Memory use:") })
            #expect(UInt64(memory.split(separator: " ").last ?? "") != nil, "a raw number: \(memory)")

            let report = try json(try await lxcctl(sandbox, "info", name, "--format", "json"))
            let interfaces = try #require(report["interfaces"] as? [[String: Any]])
            #expect(interfaces.map { $0["name"] as? String } == ["eth0"])
            #expect(interfaces.first?["txBytes"] is Int)
            #expect(report["blockIOReadBytes"] is Int)
            #expect(report.keys.contains("kernelMemoryBytes"))
        }
    }

    @Test func habitsOfTheLXCTools() async throws {
        try await Sandbox.with { sandbox in
            let container: Container = try await sandbox.busybox()
            // A relative -P is resolved against the working directory.
            let parent = URL(fileURLWithPath: sandbox.lxcpath).deletingLastPathComponent().path
            let relative = URL(fileURLWithPath: sandbox.lxcpath).lastPathComponent
            let listed = try await CLIProcess.result(["-P", relative, "ls", "--format", "json"], directory: parent)
            #expect(listed.standardOutput.contains(container.name), "\(listed.standardError)")

            // Arguments after -- reach the template.
            let marker = "\(sandbox.lxcpath)/template-arguments"
            let template = "\(sandbox.lxcpath)/template.sh"
            // Written by a process of its own and copied into place by another: a descriptor
            // open for writing on the script, inherited by a child that another test forks
            // meanwhile, would make liblxc's exec of it fail with ETXTBSY.
            let draft = "\(sandbox.lxcpath)/template.draft"
            try "#!/bin/sh\necho \"$@\" > '\(marker)'\nmkdir -p \"${3#--rootfs=}\"\n".write(toFile: draft, atomically: false, encoding: .utf8)
            #expect(ScriptRunner.run(["/bin/cp", draft, template]).status == 0)
            chmod(template, 0o755)
            let created = try await lxcctl(sandbox, "create", sandbox.uniqueName(), "--template", template, "--", "--marker", "value")
            #expect(created.status == 0, "\(created.standardError)")
            // (For an ordinary user liblxc adds --mapped-uid and --mapped-gid after them.)
            #expect(try String(contentsOfFile: marker, encoding: .utf8).contains(" --marker value"))

            // --logfile and --logpriority on any command.
            let log = "\(sandbox.lxcpath)/lxcctl.log"
            #expect(try await lxcctl(sandbox, "--logfile", log, "--logpriority", "debug", "start", container.name).status == 0)
            #expect(try String(contentsOfFile: log, encoding: .utf8).contains("DEBUG"))
            let badLevel = try await lxcctl(sandbox, "ls", "--logpriority", "LOUD")
            #expect(badLevel.status == 64)
            #expect(badLevel.standardError.contains("LOUD"))

            // destroy -f stops first.
            let refused = try await lxcctl(sandbox, "destroy", container.name)
            #expect(refused.status == 1)
            #expect(try await lxcctl(sandbox, "destroy", "-f", container.name).status == 0)
            #expect(!container.isDefined)

            // Shell completion and the man page's input.
            let completion = try await LXCCtlRunner.result(of: ["--generate-completion-script", "bash"])
            #expect(completion.standardOutput.contains("autostart"))
            let dump = try await LXCCtlRunner.result(of: ["--experimental-dump-help"])
            #expect(dump.status == 0)
            #expect(dump.standardOutput.contains("\"commandName\" : \"monitor\"") || dump.standardOutput.contains("\"commandName\":\"monitor\""))
        }
    }

    @Test func startInTheForegroundWithTheConsole() async throws {
        try await Sandbox.with { sandbox in
            let container: Container = try await sandbox.busybox()
            let session = try TerminalSession(["--lxcpath", sandbox.lxcpath, "start", "-F", container.name, "--",
                                               "/bin/sh", "-c", "echo hello-from-init; exit 3"])
            defer { session.end() }
            #expect(await session.exitStatus() == 3, "\(session.printed)")
            #expect(session.printed.contains("hello-from-init"), "\(session.printed)")
            #expect(container.state == .stopped)
        }
    }

    @Test func progressOnATerminalOnly() async throws {
        try await Sandbox.with { sandbox in
            let name = sandbox.uniqueName()
            let session = try TerminalSession(["--lxcpath", sandbox.lxcpath, "create", name, "--template", "busybox", "--quiet"])
            defer { session.end() }
            #expect(await session.exitStatus() == 0, "\(session.printed)")
            #expect(session.printed.contains("creating \(name)… 0 s"), "\(session.printed)")

            let piped = try await lxcctl(sandbox, "clone", name, sandbox.uniqueName())
            #expect(piped.status == 0)
            #expect(piped.standardError.isEmpty, "no progress on a pipe: \(piped.standardError)")
            let snapshot = try await lxcctl(sandbox, "snapshot", "create", name)
            #expect(snapshot.standardOutput == "snap0\n")
            #expect(snapshot.standardError.isEmpty)
        }
    }

    @Test func autostartHonoursOrderDelayAndGroups() async throws {
        try await Sandbox.with { sandbox in
            let late: Container = try await sandbox.busybox(sandbox.uniqueName("late"))
            let early: Container = try await sandbox.busybox(sandbox.uniqueName("early"))
            let manual: Container = try await sandbox.busybox(sandbox.uniqueName("manual"))
            let boot: Container = try await sandbox.busybox(sandbox.uniqueName("boot"))
            for (container, items) in [(late, [("lxc.start.auto", "1"), ("lxc.start.order", "20")]),
                                       (early, [("lxc.start.auto", "1"), ("lxc.start.order", "10"), ("lxc.start.delay", "1")]),
                                       (manual, [("lxc.start.order", "1")]),
                                       (boot, [("lxc.start.auto", "1"), ("lxc.group", "onboot")])] {
                for (key, value) in items { try container.setConfigItem(key, to: value) }
                try await container.saveConfig()
            }
            let settings = try early.autostartSettings()
            #expect(settings == AutostartSettings(isEnabled: true, order: 10, delay: .seconds(1), groups: []))

            #expect(try await lxcctl(sandbox, "autostart", "--list").standardOutput == "\(early.name) 1\n\(late.name) 0\n")
            #expect(try await lxcctl(sandbox, "autostart", "-g", "onboot,", "--list").standardOutput
                    == "\(boot.name) 0\n\(early.name) 1\n\(late.name) 0\n")
            #expect(try await lxcctl(sandbox, "autostart", "--all", "--list").standardOutput
                    == "\(boot.name) 0\n\(early.name) 1\n\(late.name) 0\n")
            #expect(try await lxcctl(sandbox, "autostart", "--all", "--ignore-auto", "--list").standardOutput.contains(manual.name))

            let started = try await lxcctl(sandbox, "autostart", "--format", "json")
            #expect(started.status == 0, "\(started.standardError)")
            let rows = try json(started, as: [[String: Any]].self)
            #expect(rows.map { $0["name"] as? String } == [early.name, late.name])
            #expect(rows.allSatisfy { $0["acted"] as? Bool == true })
            #expect(early.state == .running && late.state == .running)
            #expect(manual.state == .stopped && boot.state == .stopped)
            // Started in order: the early one's init is the older process.
            #expect(try #require(early.initPID) < (try #require(late.initPID)))

            let stopped = try json(try await lxcctl(sandbox, "autostart", "--kill", "--format", "json"), as: [[String: Any]].self)
            #expect(stopped.map { $0["name"] as? String } == [late.name, early.name], "stopped in reverse order")
            #expect(early.state == .stopped && late.state == .stopped)
        }
    }

    @Test func monitorPrintsStateChangesAsJSONLines() async throws {
        try await Sandbox.with { sandbox in
            let container: Container = try await sandbox.busybox()
            let monitor = try CLIBackground(["--lxcpath", sandbox.lxcpath, "monitor", container.name, "--format", "json"])
            defer { monitor.end() }
            #expect(await monitor.eventuallyPrints("\"state\":\"STOPPED\""), "\(monitor.printed)")
            #expect(try await lxcctl(sandbox, "start", container.name).status == 0)
            #expect(await monitor.eventuallyPrints("\"previous\":\"STOPPED\",\"state\":\"RUNNING\""), "\(monitor.printed)")
            #expect(try await lxcctl(sandbox, "stop", container.name, "--kill").status == 0)
            #expect(await monitor.eventuallyPrints("\"state\":\"STOPPED\"}", after: "RUNNING"), "\(monitor.printed)")
            for line in monitor.printed.split(separator: "\n") {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                #expect(object?["name"] as? String == container.name, "\(line)")
            }
        }
    }

    @Test func executeTopDeviceAndCheckpoint() async throws {
        try await Sandbox.with { sandbox in
            let container: Container = try await sandbox.busybox()
            let name = container.name
            let executed = try await lxcctl(sandbox, "execute", name, "--", "sh", "-c", "echo inside; exit 3")
            #expect(executed.status == 3, "\(executed.standardError)")
            #expect(executed.standardOutput == "inside\n")
            #expect(container.state == .stopped)

            try await container.start()
            let top = try json(try await lxcctl(sandbox, "top", "--once", "--format", "json", "--delay", "0.2"), as: [[String: Any]].self)
            let row = try #require(top.first { $0["name"] as? String == name })
            #expect(try #require(row["memoryBytes"] as? Int) > 0)
            #expect(try #require(row["processes"] as? Int) >= 1)
            #expect(row["cpuPercent"] is Double || row["cpuPercent"] is Int)
            let topTable = try await lxcctl(sandbox, "top", "--once", "--delay", "0.2")
            #expect(topTable.standardOutput.hasPrefix("NAME"))
            #expect(topTable.standardOutput.contains(name))

            if Integration.unprivileged {
                // An ordinary user cannot make device nodes (mknod needs CAP_MKNOD on the host):
                // the command says so in one line.
                let refused = failedWithOneLine(try await lxcctl(sandbox, "device", "add", name, "/dev/null", "/dev/swiftlxc-null"))
                #expect(refused.hasPrefix("lxcctl device add: "), "\(refused)")
            } else {
                #expect(try await lxcctl(sandbox, "device", "add", name, "/dev/null", "/dev/swiftlxc-null").status == 0)
                #expect(try await lxcctl(sandbox, "exec", name, "--", "test", "-c", "/dev/swiftlxc-null").status == 0)
                #expect(try await lxcctl(sandbox, "device", "remove", name, "/dev/null", "/dev/swiftlxc-null").status == 0)
                #expect(try await lxcctl(sandbox, "exec", name, "--", "test", "-e", "/dev/swiftlxc-null").status == 1)
            }
            let noDevice = failedWithOneLine(try await lxcctl(sandbox, "device", "add", name, "/dev/no-such-device"))
            #expect(noDevice.hasPrefix("lxcctl device add: "), "\(noDevice)")

            // CRIU cannot checkpoint on this kernel: the error says so in one line.
            let images = "\(sandbox.lxcpath)/checkpoint"
            let checkpoint = failedWithOneLine(try await lxcctl(sandbox, "checkpoint", name, "-D", images))
            #expect(checkpoint.hasPrefix("lxcctl checkpoint: container \"\(name)\": "), "\(checkpoint)")
            #expect(checkpoint.contains("CRIU") || checkpoint.contains("criu"), "\(checkpoint)")
            #expect(container.state == .running, "a failed checkpoint leaves the container running")
            try await container.stop()
            let restore = failedWithOneLine(try await lxcctl(sandbox, "restore", name, "-D", images))
            #expect(restore.hasPrefix("lxcctl restore: "), "\(restore)")
        }
    }

    /// The README's table maps every lxc-* tool issue 21 names to an lxcctl command.
    @Test func readmeMapsEveryLXCToolToACommand() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let rows = readme.split(separator: "\n").filter { $0.hasPrefix("| `lxc-") }
        for tool in ["lxc-ls", "lxc-info", "lxc-attach", "lxc-top", "lxc-monitor", "lxc-autostart", "lxc-execute",
                     "lxc-start", "lxc-destroy", "lxc-copy", "lxc-device", "lxc-checkpoint", "lxc-create"] {
            #expect(rows.contains { $0.contains("`\(tool) ") || $0.contains("`\(tool)`") }, "\(tool)")
        }
        #expect(readme.contains("swift package generate-manual"))
        #expect(readme.contains("--generate-completion-script bash"))
    }

    @Test func everyNewSubcommandHasHelpWithAnExample() async throws {
        for command in [["autostart"], ["monitor"], ["execute"], ["top"], ["device", "add"], ["device", "remove"],
                        ["checkpoint"], ["restore"]] {
            let help = try await LXCCtlRunner.result(of: command + ["--help"])
            #expect(help.status == 0, "\(command)")
            #expect(help.standardOutput.contains("Example"), "\(command)")
            #expect(help.standardOutput.contains("lxcctl \(command.joined(separator: " "))"), "\(command): \(help.standardOutput)")
        }
    }
}

/// lxcctl run with given standard input and working directory, its output in files.
enum CLIProcess {
    static func result(_ arguments: [String], input: String = "", directory: String? = nil) async throws -> LXCCtlRunner.Result {
        let binary = try #require(LXCCtlRunner.binary)
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("lxcctl-\(UUID().uuidString)")
        let inURL = base.appendingPathExtension("in"), outURL = base.appendingPathExtension("out"), errURL = base.appendingPathExtension("err")
        try input.write(to: inURL, atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { for url in [inURL, outURL, errURL] { try? FileManager.default.removeItem(at: url) } }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let stdin = try FileHandle(forReadingFrom: inURL), out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        process.standardInput = stdin
        process.standardOutput = out
        process.standardError = err
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        for handle in [stdin, out, err] { try handle.close() }
        return LXCCtlRunner.Result(status: process.terminationStatus,
                                   standardOutput: String(decoding: try LXCCtlRunner.bytes(of: outURL.path), as: UTF8.self),
                                   standardError: String(decoding: try LXCCtlRunner.bytes(of: errURL.path), as: UTF8.self))
    }
}

/// A long-running lxcctl (monitor) whose output goes to a file that the test reads as it grows.
final class CLIBackground {
    private let process = Process()
    private let output: URL

    init(_ arguments: [String]) throws {
        let binary = try #require(LXCCtlRunner.binary)
        output = FileManager.default.temporaryDirectory.appendingPathComponent("lxcctl-bg-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = process.standardOutput
        try process.run()
    }

    var printed: String { String(decoding: (try? LXCCtlRunner.bytes(of: output.path)) ?? [], as: UTF8.self) }

    /// Whether the output shows `text` (after the first `after`, when given) within 20 seconds.
    func eventuallyPrints(_ text: String, after: String? = nil) async -> Bool {
        for _ in 0..<200 {
            var shown = Substring(printed)
            if let after, let range = shown.range(of: after) { shown = shown[range.upperBound...] } else if after != nil { shown = "" }
            if shown.contains(text) { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// Ends the process (it runs until interrupted) and removes its output.
    func end() {
        if process.isRunning { process.interrupt() }
        if !HostTools.eventually(seconds: 5, { !process.isRunning }) { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: output)
    }
}
