import Foundation
import LXCCore
import LXD
import Testing

/// `lxcctl` against the suite's standalone LXD daemon, as a user types it: the daemon is
/// added as a remote (its unix socket), and its instances are named `REMOTE:NAME` or with
/// `--remote`. Each test keeps its remotes in a configuration directory of its own.
@Suite("lxcctl drives a remote LXD daemon", .lxd, .lxdDaemon, .serialized, .timeLimit(.minutes(5)))
struct LXDCLITests {
    static let remote = "local-test"

    @Test func remotesAreAddedListedAndRemoved() async throws {
        let daemon = try LXDDaemon.required()
        try await CLIConfig.with { config in
            let empty = try await config.lxcctl("remote", "list", "--format", "json")
            #expect(empty.status == 0)
            #expect(try empty.json(as: [Any].self).isEmpty)

            let url = "unix://\(daemon.directory)/unix.socket"
            let added = try await config.lxcctl("remote", "add", Self.remote, url)
            #expect(added.status == 0, "\(added)")
            #expect(added.standardOutput.contains("Remote \(Self.remote) added: LXD 5."))

            let rows = try await config.lxcctl("remote", "list", "--format", "json").json(as: [[String: Any]].self)
            #expect(rows.count == 1)
            #expect(rows.first?["name"] as? String == Self.remote)
            #expect(rows.first?["url"] as? String == url)
            #expect(rows.first?["protocol"] as? String == "unix")
            #expect(rows.first?["certificateFingerprint"] is NSNull)
            let table = try await config.lxcctl("remote", "list")
            #expect(table.standardOutput.hasPrefix("NAME"))
            #expect(table.standardOutput.contains(url))

            // Kept in the configuration directory, readable by its owner only.
            var info = stat()
            #expect(stat(config.directory + "/remotes.json", &info) == 0)
            #expect(info.st_mode & 0o777 == 0o600)

            let again = try await config.lxcctl("remote", "add", Self.remote, url)
            #expect(again.status == 64)
            #expect(again.standardError.contains("exists already"))

            #expect(try await config.lxcctl("remote", "remove", Self.remote).status == 0)
            #expect(try await config.lxcctl("remote", "list", "--format", "json").json(as: [Any].self).isEmpty)
            let gone = try await config.lxcctl("remote", "remove", Self.remote)
            #expect(gone.status == 64)
            #expect(gone.standardError.contains("no remote called \"\(Self.remote)\""))
        }
    }

    @Test func aRemoteThatDoesNotAnswerOrMakesNoSenseIsRefused() async throws {
        try await CLIConfig.with { config in
            let dead = try await config.lxcctl("remote", "add", "dead", "unix://\(config.directory)/no.socket")
            #expect(dead.status == 1)
            #expect(dead.standardError.hasPrefix("lxcctl remote add: "))
            #expect(dead.standardError.contains("no LXD socket at \(config.directory)/no.socket"))
            #expect(!FileManager.default.fileExists(atPath: config.directory + "/remotes.json"))

            for (arguments, words) in [
                (["remote", "add", "x", "ftp://host"], "neither unix"),
                (["remote", "add", "x", "unix://relative/socket"], "absolute path"),
                (["remote", "add", "bad:name", "unix:///run/lxd.socket"], "cannot name a remote"),
                (["remote", "add", "x", "unix:///run/lxd.socket", "--password", "p"], "HTTPS remotes"),
            ] {
                let result = try await config.lxcctl(arguments)
                #expect(result.status == 64, "\(arguments): \(result)")
                #expect(result.standardError.contains(words), "\(arguments): \(result)")
            }
        }
    }

    @Test func anUnknownRemoteIsAUsageErrorThatNamesTheKnownOnes() async throws {
        let daemon = try LXDDaemon.required()
        try await CLIConfig.with { config in
            let none = try await config.lxcctl("info", "nowhere:web")
            #expect(none.status == 64)
            #expect(none.standardError.contains("no remote called \"nowhere\""))
            #expect(none.standardError.contains("lxcctl remote add"))

            try await config.add(daemon)
            for arguments in [["info", "nowhere:web"], ["start", "web", "--remote", "nowhere"], ["ls", "nowhere:"],
                              ["exec", "nowhere:web", "--", "true"], ["push", "nowhere:web", "/etc/hostname", "/tmp/x"]] {
                let result = try await config.lxcctl(arguments)
                #expect(result.status == 64, "\(arguments): \(result)")
                #expect(result.standardError.contains("no remote called \"nowhere\""), "\(arguments): \(result)")
                #expect(result.standardError.contains("the remotes are: \(Self.remote)"), "\(arguments): \(result)")
            }
            let both = try await config.lxcctl("info", "\(Self.remote):web", "--remote", "other")
            #expect(both.status == 64)
            let empty = try await config.lxcctl("info", "\(Self.remote):")
            #expect(empty.status == 64)
            #expect(empty.standardError.contains("instance's name"))
            let useInit = try await config.lxcctl("start", "\(Self.remote):web", "--use-init")
            #expect(useInit.status == 64)
            #expect(useInit.standardError.contains("local containers"))
            let localCopy = try await config.lxcctl("copy", "web", "web2")
            #expect(localCopy.status == 64)
            #expect(localCopy.standardError.contains("lxcctl clone"))
            let groups = try await config.lxcctl("ls", "\(Self.remote):", "--groups", "prod")
            #expect(groups.status == 64)
        }
    }

    @Test func aMissingInstanceIsOneLineWithLXDsWords() async throws {
        let daemon = try LXDDaemon.required()
        try await CLIConfig.with { config in
            try await config.add(daemon)
            let name = LXDDaemon.uniqueName("missing")
            let result = try await config.lxcctl("start", "\(Self.remote):\(name)")
            #expect(result.status == 1)
            #expect(result.standardError.hasPrefix("lxcctl start: "))
            #expect(result.standardError.contains(name))
            #expect(result.standardError.lowercased().contains("not found"))
            #expect(result.standardError.split(separator: "\n").count == 1)
        }
    }

    @Test func anInstancesLifeThroughTheCLI() async throws {
        let daemon = try LXDDaemon.required()
        try await CLIConfig.with { config in
            try await config.add(daemon)
            try await daemon.withInstance("cli", started: false) { instance in
                let target = "\(Self.remote):\(instance.name)"
                #expect(try await config.lxcctl("start", target).status == 0)
                #expect(try await instance.state == .running)

                let table = try await config.lxcctl("ls", "\(Self.remote):")
                #expect(table.status == 0)
                let lines = table.standardOutput.split(separator: "\n")
                #expect(lines.first?.split(separator: " ", omittingEmptySubsequences: true)
                        == ["NAME", "STATE", "PID", "IPV4", "IPV6", "LOCATION"])
                #expect(lines.contains { $0.hasPrefix(instance.name + " ") && $0.contains("RUNNING") })

                let rows = try await config.lxcctl("ls", "--remote", Self.remote, "--format", "json")
                    .json(as: [[String: Any]].self)
                let row = try #require(rows.first { $0["name"] as? String == instance.name })
                #expect(row["state"] as? String == "RUNNING")
                let runtime = try await instance.runtimeState()
                #expect(row["pid"] as? Int == runtime.pid)
                #expect(row["location"] is NSNull)
                #expect(row["ipv4"] is [Any])
                let filtered = try await config.lxcctl("ls", "\(Self.remote):^no-such", "--format", "json")
                #expect(try filtered.json(as: [Any].self).isEmpty)
                let stoppedOnly = try await config.lxcctl("ls", "\(Self.remote):", "--stopped", "--format", "json")
                #expect(try !stoppedOnly.json(as: [[String: Any]].self).contains { $0["name"] as? String == instance.name })

                let info = try await config.lxcctl("info", target, "--format", "json").json()
                #expect(info["name"] as? String == instance.name)
                #expect(info["remote"] as? String == Self.remote)
                #expect(info["state"] as? String == "RUNNING")
                #expect(info["pid"] as? Int == runtime.pid)
                #expect(try #require(info["processes"] as? Int) >= 1)
                #expect(try #require(info["memoryBytes"] as? Int) > 0)
                #expect(info["location"] is NSNull)
                let infoTable = try await config.lxcctl("info", instance.name, "--remote", Self.remote)
                #expect(infoTable.standardOutput.contains("State:"))
                #expect(infoTable.standardOutput.contains("RUNNING"))
                #expect(infoTable.standardOutput.contains("Location:"))
                let stateOnly = try await config.lxcctl("info", target, "-s")
                #expect(stateOnly.standardOutput == "State:  RUNNING\n")

                // exec: the command's status, and the shell's rules for the rest.
                let echo = try await config.lxcctl("exec", target, "--", "echo", "hi")
                #expect(echo.status == 0)
                #expect(echo.standardOutput == "hi\n")
                let stderr = try await config.lxcctl("exec", target, "--", "sh", "-c", "echo oops >&2")
                #expect(stderr.standardError == "oops\n")
                #expect(stderr.standardOutput == "")
                #expect(try await config.lxcctl("exec", target, "--", "sh", "-c", "exit 5").status == 5)
                #expect(try await config.lxcctl("exec", target, "--", "sh", "-c", "kill -9 $$").status == 128 + 9)
                let missing = try await config.lxcctl("exec", target, "--", "/no/such/program")
                #expect(missing.status == 127)
                #expect(missing.standardError.contains("not found"))
                let notExecutable = try await config.lxcctl("exec", target, "--", "/etc/hostname")
                #expect(notExecutable.status == 126)
                #expect(notExecutable.standardError.contains("not executable"))
                #expect(try await config.lxcctl("exec", "--remote", Self.remote, instance.name, "--", "true").status == 0)
                let noCommand = try await config.lxcctl("exec", target)
                #expect(noCommand.status == 64)
                // The program's environment, working directory and ids, as locally.
                let shaped = try await config.lxcctl("exec", target, "--env", "GREETING=hello there", "--cwd", "/tmp",
                                                     "--user", "1000", "--group", "1000", "--",
                                                     "sh", "-c", "echo \"$GREETING\"; pwd; id -u; id -g")
                #expect(shaped.status == 0)
                #expect(shaped.standardOutput == "hello there\n/tmp\n1000\n1000\n")
                let cleared = try await config.lxcctl("exec", target, "--clear-env", "--", "true")
                #expect(cleared.status == 64)
                #expect(cleared.standardError.contains("local containers"))

                // push and pull, as cp does.
                let host = daemon.directory + "/cli-\(instance.name)"
                try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(atPath: host) }
                try Data("pushed\n".utf8).write(to: URL(fileURLWithPath: host + "/in.txt"))
                let pushed = try await config.lxcctl("push", target, host + "/in.txt", "/root/in.txt",
                                                     "--mode", "640", "--owner", "1000:1000")
                #expect(pushed.status == 0, "\(pushed)")
                #expect(try await instance.contents(of: "/root/in.txt") == Array("pushed\n".utf8))
                let attributes = try await instance.fileAttributes(of: "/root/in.txt")
                #expect(attributes.mode & 0o7777 == 0o640)
                #expect(attributes.owner == FileOwner(userID: 1000, groupID: 1000))
                #expect(try await config.lxcctl("pull", target, "/root/in.txt", host + "/out.txt").status == 0)
                #expect(FileManager.default.contents(atPath: host + "/out.txt") == Data("pushed\n".utf8))
                // Into an existing directory, under its own name.
                #expect(try await config.lxcctl("pull", "--remote", Self.remote, instance.name, "/etc/hostname", host).status == 0)
                #expect(FileManager.default.contents(atPath: host + "/hostname") == Data(try await instance.contents(of: "/etc/hostname")))

                #expect(try await config.lxcctl("freeze", target).status == 0)
                #expect(try await instance.state == .frozen)
                #expect(try await config.lxcctl("unfreeze", target).status == 0)
                #expect(try await config.lxcctl("stop", target, "--kill").status == 0)
                #expect(try await instance.state == .stopped)
                #expect(try await config.lxcctl("wait", target, "stopped", "--timeout", "5").status == 0)
                let stopped = try await config.lxcctl("info", target, "--format", "json").json()
                #expect(stopped["state"] as? String == "STOPPED")
                #expect(stopped["pid"] is NSNull)

                // Snapshots of the stopped instance.
                let snapshot = try await config.lxcctl("snapshot", "create", target, "--comment", "before")
                #expect(snapshot.status == 0, "\(snapshot)")
                #expect(snapshot.standardOutput == "snap0\n")
                let snapshots = try await config.lxcctl("snapshot", "list", instance.name, "--remote", Self.remote,
                                                        "--format", "json").json(as: [[String: Any]].self)
                #expect(snapshots.map { $0["name"] as? String } == ["snap0"])
                #expect(snapshots.first?["comment"] as? String == "before")
                #expect((snapshots.first?["timestamp"] as? String)?.isEmpty == false)
                try await instance.setConfigItem("user.marker", to: "after")
                #expect(try await config.lxcctl("snapshot", "restore", target, "snap0").status == 0)
                #expect(try await instance.configItem("user.marker") == nil)
                #expect(try await config.lxcctl("snapshot", "destroy", target, "snap0").status == 0)
                #expect(try await instance.snapshots().isEmpty)

                // A shutdown through the protocol's path, with the fallback to a kill.
                #expect(try await config.lxcctl("start", target).status == 0)
                #expect(try await config.lxcctl("stop", "--remote", Self.remote, instance.name, "--timeout", "5").status == 0)
                #expect(try await instance.state == .stopped)
            }
        }
    }

    @Test func destroyRemovesTheInstance() async throws {
        let daemon = try LXDDaemon.required()
        try await CLIConfig.with { config in
            try await config.add(daemon)
            let instance = daemon.client.instance(LXDDaemon.uniqueName("gone"))
            try await instance.create(from: .image("busybox"))
            do {
                try await instance.start()
                let refused = try await config.lxcctl("destroy", "\(Self.remote):\(instance.name)")
                #expect(refused.status == 1)
                #expect(try await config.lxcctl("destroy", "\(Self.remote):\(instance.name)", "--force").status == 0)
                #expect(try await !instance.isDefined)
            } catch {
                await LXDDaemon.remove(instance)
                throw error
            }
            await LXDDaemon.remove(instance)
        }
    }

    @Test func copyMoveAndRestoreAsNewOnARemote() async throws {
        let daemon = try LXDDaemon.required()
        try await CLIConfig.with { config in
            try await config.add(daemon)
            let names = ["copy", "copy-bare", "renamed", "restored"].map(LXDDaemon.uniqueName)
            // The copies are deleted also when the test fails.
            func removeCopies() async { for name in names { await LXDDaemon.remove(daemon.client.instance(name)) } }
            do {
            try await daemon.withInstance("original", started: false) { original in
                let source = "\(Self.remote):\(original.name)"
                try await original.write(Array("mark\n".utf8), to: "/root/mark", mode: 0o644, owner: .root)
                #expect(try await config.lxcctl("snapshot", "create", source).standardOutput == "snap0\n")

                #expect(try await config.lxcctl("copy", source, names[0]).status == 0)
                let copy = daemon.client.instance(names[0])
                #expect(try await copy.snapshots().map(\.name) == ["snap0"])
                #expect(try await copy.contents(of: "/root/mark") == Array("mark\n".utf8))
                #expect(try await config.lxcctl("copy", original.name, "\(Self.remote):\(names[1])", "--remote", Self.remote,
                                                "--instance-only").status == 0)
                #expect(try await daemon.client.instance(names[1]).snapshots().isEmpty)
                let elsewhere = try await config.lxcctl("copy", source, "other:\(names[1])")
                #expect(elsewhere.status == 64)

                #expect(try await config.lxcctl("move", "\(Self.remote):\(names[0])", names[2]).status == 0)
                #expect(try await !copy.isDefined)
                #expect(try await daemon.client.instance(names[2]).isDefined)
                // A standalone daemon has no members to move to.
                let member = try await config.lxcctl("move", "\(Self.remote):\(names[2])", "--target", "n2")
                #expect(member.status == 1)
                #expect(member.standardError.hasPrefix("lxcctl move: "))
                #expect(try await config.lxcctl("move", "\(Self.remote):\(names[2])").status == 64)

                #expect(try await config.lxcctl("snapshot", "restore", source, "snap0", names[3]).status == 0)
                #expect(try await daemon.client.instance(names[3]).contents(of: "/root/mark") == Array("mark\n".utf8))
            }
            } catch {
                await removeCopies()
                throw error
            }
            await removeCopies()
        }
    }

    @Test func anHTTPSRemoteIsPinnedOnceAcceptedAndTrustedByToken() async throws {
        let https = try HTTPSRemote.required()
        try await CLIConfig.with { config in
            // Without --accept-certificate (and no terminal to ask on) nothing is kept.
            let refused = try await config.lxcctl("remote", "add", "tls", https.url)
            #expect(refused.status == 64, "\(refused)")
            #expect(refused.standardError.contains("--accept-certificate"))
            let shown = try #require(try https.fingerprintShownByLXC())
            #expect(refused.standardOutput.contains(shown))
            #expect(try await config.lxcctl("remote", "list", "--format", "json").json(as: [Any].self).isEmpty)

            // Without trust the daemon is not added.
            let untrusted = try await config.lxcctl("remote", "add", "tls", https.url, "--accept-certificate")
            #expect(untrusted.status == 1, "\(untrusted)")
            #expect(untrusted.standardError.contains("does not trust"))
            let wrong = try await config.lxcctl("remote", "add", "tls", https.url, "--accept-certificate", "--password", "wrong")
            #expect(wrong.status == 1, "\(wrong)")

            let token = try await https.daemon.client.makeTrustToken(name: "lxcctl-\(UInt32.random(in: 0...0xFFFF))")
            let added = try await config.lxcctl("remote", "add", "tls", https.url, "--token", token, "--accept-certificate")
            #expect(added.status == 0, "\(added)")
            var info = stat()
            #expect(stat(config.directory + "/client.key", &info) == 0)
            #expect(info.st_mode & 0o777 == 0o600)
            let rows = try await config.lxcctl("remote", "list", "--format", "json").json(as: [[String: Any]].self)
            #expect(rows.first?["protocol"] as? String == "https")
            #expect(rows.first?["certificateFingerprint"] as? String == shown)

            try await https.daemon.withInstance("tls") { instance in
                let listed = try await config.lxcctl("ls", "tls:", "--format", "json").json(as: [[String: Any]].self)
                #expect(listed.contains { $0["name"] as? String == instance.name && $0["state"] as? String == "RUNNING" })
                let echo = try await config.lxcctl("exec", "tls:\(instance.name)", "--", "echo", "over-tls")
                #expect(echo.standardOutput == "over-tls\n", "\(echo)")
                #expect(try await config.lxcctl("exec", "tls:\(instance.name)", "--", "sh", "-c", "exit 4").status == 4)
                #expect(try await config.lxcctl("stop", "tls:\(instance.name)", "--kill").status == 0)
            }
        }
    }

    @Test func everyRemoteCommandsHelpHasAnExample() async throws {
        try await CLIConfig.with { config in
            let top = try await config.lxcctl("--help")
            #expect(top.standardOutput.contains("lxcctl remote add"))
            for command in [["ls"], ["info"], ["start"], ["stop"], ["exec"], ["snapshot"], ["snapshot", "create"],
                            ["snapshot", "list"], ["push"], ["pull"], ["copy"], ["move"], ["remote"], ["remote", "add"]] {
                let help = try await config.lxcctl(command + ["--help"])
                #expect(help.status == 0)
                let hasExample = help.standardOutput.split(separator: "\n").contains { line in
                    line.contains("lxcctl ") && (line.contains(" lab:") || line.contains("--remote lab") || line.contains("remote add lab"))
                }
                #expect(hasExample, "\(command): \(help.standardOutput)")
            }
        }
    }
}

/// A configuration directory of lxcctl's for one test (`LXCCTL_CONFIG_DIR`), and lxcctl run
/// with it.
struct CLIConfig {
    let directory: String

    static func with(_ body: (CLIConfig) async throws -> Void) async throws {
        let directory = "/tmp/swift-lxd-cli-\(getpid())-\(String(UInt32.random(in: 0...0xFFFFFF), radix: 16))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await body(CLIConfig(directory: directory))
    }

    /// Adds the suite's daemon as the remote `local-test`.
    func add(_ daemon: LXDDaemon) async throws {
        let added = try await lxcctl("remote", "add", LXDCLITests.remote, "unix://\(daemon.directory)/unix.socket")
        try #require(added.status == 0, "\(added)")
    }

    func lxcctl(_ arguments: String...) async throws -> LXCCtlResult {
        try await lxcctl(arguments)
    }

    func lxcctl(_ arguments: [String]) async throws -> LXCCtlResult {
        let path = try #require(LXCCtlResult.binary, "lxcctl was not built next to the tests (run `swift build --build-tests`)")
        var environment = ProcessInfo.processInfo.environment
        environment["LXCCTL_CONFIG_DIR"] = directory
        return try await LXCCtlResult.run(path, arguments, environment: environment)
    }
}

/// What one run of lxcctl did.
struct LXCCtlResult: CustomStringConvertible {
    var status: Int32
    var standardOutput: String
    var standardError: String

    var description: String { "status \(status), out: \(standardOutput), err: \(standardError)" }

    /// Standard output parsed as JSON.
    func json<T>(as type: T.Type = [String: Any].self) throws -> T {
        try #require(try JSONSerialization.jsonObject(with: Data(standardOutput.utf8)) as? T, "\(self)")
    }

    /// The `lxcctl` next to the test binary (`swift build --build-tests` builds both).
    static let binary: String? = {
        var candidates: [String] = []
        if let first = CommandLine.arguments.first {
            var directory = URL(fileURLWithPath: first).deletingLastPathComponent()
            // The test bundle may be a directory (`*.xctest`) inside the products directory.
            for _ in 0..<4 {
                candidates.append(directory.appendingPathComponent("lxcctl").path)
                directory.deleteLastPathComponent()
            }
        }
        candidates.append(FileManager.default.currentDirectoryPath + "/.build/debug/lxcctl")
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Runs lxcctl with standard input from /dev/null and its output going to files (a chatty
    /// command never blocks on a full pipe), awaiting its end without holding a thread of the
    /// cooperative pool.
    static func run(_ path: String, _ arguments: [String], environment: [String: String]) async throws -> LXCCtlResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = environment
        let stem = "/tmp/swift-lxd-cli-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let outPath = stem + ".out", errPath = stem + ".err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        defer {
            unlink(outPath)
            unlink(errPath)
        }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do {
                try process.run()
            } catch {
                continuation.resume(throwing: error)
            }
        }
        try out.close()
        try err.close()
        return LXCCtlResult(status: process.terminationStatus,
                            standardOutput: String(decoding: try contents(outPath), as: UTF8.self),
                            standardError: String(decoding: try contents(errPath), as: UTF8.self))
    }

    /// A whole file, read with plain `read(2)`.
    private static func contents(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CocoaError(.fileReadNoSuchFile) }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw CocoaError(.fileReadUnknown) }
            if count == 0 { return result }
            result.append(contentsOf: chunk[0..<count])
        }
    }
}

/// `lxcctl` against a 3-member cluster, added as a remote through member n1's unix socket:
/// where each instance is, and moves and copies between members.
@Suite("lxcctl drives a remote LXD cluster", .lxd, .lxdCluster, .serialized, .timeLimit(.minutes(5)))
struct LXDClusterCLITests {
    @Test func lsShowsTheMemberAndMoveAndCopyPlaceOnOne() async throws {
        let cluster = try LXDCluster.required()
        try await CLIConfig.with { config in
            let added = try await config.lxcctl("remote", "add", "lab", "unix://\(cluster.directory)/n1/unix.socket")
            try #require(added.status == 0, "\(added)")
            let copyName = LXDDaemon.uniqueName("copy")
            let copy = try cluster.client(for: "n1").instance(copyName)
            do {
                try await cluster.withInstance("placed", options: LXDCreateOptions(target: "n2"), started: false) { instance in
                    let target = "lab:\(instance.name)"
                    let rows = try await config.lxcctl("ls", "lab:", "--format", "json").json(as: [[String: Any]].self)
                    #expect(rows.first { $0["name"] as? String == instance.name }?["location"] as? String == "n2")
                    let table = try await config.lxcctl("ls", "lab:^\(instance.name)$")
                    #expect(table.standardOutput.split(separator: "\n").last?.hasSuffix("n2") == true, "\(table)")
                    #expect(try await config.lxcctl("info", target, "--format", "json").json()["location"] as? String == "n2")

                    let moved = try await config.lxcctl("move", target, "--target", "n3")
                    #expect(moved.status == 0, "\(moved)")
                    #expect(try await instance.location == "n3")

                    let copied = try await config.lxcctl("copy", target, copyName, "--target", "n1")
                    #expect(copied.status == 0, "\(copied)")
                    #expect(try await copy.location == "n1")

                    // Through the other members' daemons, the instance runs where it is.
                    #expect(try await config.lxcctl("start", target).status == 0)
                    let echo = try await config.lxcctl("exec", target, "--", "hostname")
                    #expect(echo.standardOutput == instance.name + "\n", "\(echo)")
                    #expect(try await config.lxcctl("stop", target, "--kill").status == 0)
                }
            } catch {
                await LXDDaemon.remove(copy)
                throw error
            }
            await LXDDaemon.remove(copy)
        }
    }
}
