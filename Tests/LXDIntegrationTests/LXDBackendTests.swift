import ContainerProtocolChecks
import Foundation
import LXCCore
import LXD
import Testing

@Suite("The LXD backend against a standalone daemon", .lxd, .lxdDaemon, .serialized, .timeLimit(.minutes(5)))
struct LXDBackendTests {
    @Test func aJobWrittenAgainstTheProtocolRunsOnAnLXDInstance() async throws {
        let daemon = try LXDDaemon.required()
        let instance = daemon.client.instance(LXDDaemon.uniqueName("job"))
        let pulled = daemon.directory + "/pulled-\(instance.name)"
        defer { unlink(pulled) }
        let report: JobReport
        do {
            report = try await runJob(on: instance, from: .image("busybox"),
                                      settings: [("user.job", "generic")], pulledPath: pulled)
        } catch {
            await LXDDaemon.remove(instance)
            throw error
        }
        #expect(!report.definedBefore)
        #expect(report.stateAfterStart == .running)
        #expect(report.hostName == instance.name + "\n")
        #expect(report.streamed.contains(.standardOutput(Array("out\n".utf8))))
        #expect(report.streamed.contains(.standardError(Array("err\n".utf8))))
        #expect(report.streamed.last == .finished(.exited(3)))
        #expect(report.falseStatus == .exited(1))
        #expect(report.memoryLimit == .limited(.mebibytes(64)))
        #expect(report.memoryUsage > ByteCount(0))
        #expect(report.processCount >= 1)
        #expect(report.fileRead == Array("written\n".utf8))
        #expect(FileManager.default.contents(atPath: pulled) == Data("written\n".utf8))
        #expect(report.stoppedInTime)
        #expect(report.snapshotNames == ["snap0"])
        #expect(report.snapshotComment == "generic job")
        #expect(report.markerAfterRestore == "before\n")
        #expect(report.snapshotsAfterDestroy.isEmpty)
        #expect(!report.definedAfter)
    }

    @Test func aSocketWithNoDaemonBehindItFailsInsteadOfRetrying() async throws {
        let daemon = try LXDDaemon.required()
        // A socket file nobody listens on (bound, then its socket closed), and no file at all.
        let dead = daemon.directory + "/dead.socket"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in dead.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        close(fd)
        #expect(bound == 0)
        defer { unlink(dead) }
        for path in [dead, daemon.directory + "/no-such.socket"] {
            // The error must come while a generous watchdog still sleeps: the shared HTTP
            // client of async-http-client retried such a connection for about 90 s.
            let outcome = await withTaskGroup(of: String.self) { group in
                group.addTask {
                    do {
                        _ = try await LXDClient(socketPath: path).instanceNames()
                        return "answered"
                    } catch let error as LXCError {
                        return "\(error.kind): \(error.message)"
                    } catch {
                        return "other: \(error)"
                    }
                }
                group.addTask {
                    try? await Task.sleep(for: .seconds(30))
                    return "still waiting"
                }
                let first = await group.next() ?? ""
                group.cancelAll()
                return first
            }
            #expect(outcome.hasPrefix("failed: cannot talk to LXD at \(path)"), "\(path): \(outcome)")
        }
    }

    /// LXD forgets an operation 5 s after it ended. A create, and a program's run, whose
    /// answer arrives while every thread of the cooperative pool is busy for 8 s must still
    /// learn how their operation ended, not fail with "Operation not found". The probe blocks
    /// its own pool, not this process's (Tests/Helpers/BusyPoolProbe).
    @Test func operationsEndWellWhileThePoolIsBusy() async throws {
        let daemon = try LXDDaemon.required()
        let probe = try #require(LXCCtlResult.binary.map {
            URL(fileURLWithPath: $0).deletingLastPathComponent().appendingPathComponent("busy-pool-probe").path
        }, "busy-pool-probe was not found next to the tests (swift build --build-tests builds both)")
        let name = LXDDaemon.uniqueName("busy")
        let result = try await LXCCtlResult.run(probe, [daemon.client.socketPath, name],
                                                environment: ProcessInfo.processInfo.environment)
        await LXDDaemon.remove(daemon.client.instance(name))
        #expect(result.standardOutput == "create: ok\nrun: done\n", "\(result)")
        #expect(result.status == 0)
    }

    @Test func aMissingInstanceIsNotFoundWithLXDsWords() async throws {
        let daemon = try LXDDaemon.required()
        let missing = daemon.client.instance(LXDDaemon.uniqueName("missing"))
        #expect(try await !missing.isDefined)
        let error = await #expect(throws: LXCError.self) { _ = try await missing.state }
        #expect(error?.kind == .notFound)
        #expect(error?.code == 404)
        #expect(error?.message.lowercased().contains("not found") == true)
        #expect(error?.container == missing.name)
        let startError = await #expect(throws: LXCError.self) { try await missing.start() }
        #expect(startError?.kind == .notFound)
    }

    @Test func creatingAnExistingNameIsAlreadyExists() async throws {
        let daemon = try LXDDaemon.required()
        try await daemon.withInstance("twice", started: false) { instance in
            let error = await #expect(throws: LXCError.self) { try await instance.create(from: .image("busybox")) }
            #expect(error?.kind == .alreadyExists)
            #expect(error?.message.contains("already exists") == true)
        }
    }

    @Test func aTemplateSourceIsRefusedWithTheReason() async throws {
        let daemon = try LXDDaemon.required()
        let instance = daemon.client.instance(LXDDaemon.uniqueName("template"))
        let error = await #expect(throws: LXCError.self) { try await instance.create(from: .template("busybox")) }
        #expect(error?.kind == .unsupported)
        #expect(error?.message.contains("image") == true)
        #expect(try await !instance.isDefined)
    }

    @Test func aMissingImageIsNotFound() async throws {
        let daemon = try LXDDaemon.required()
        let instance = daemon.client.instance(LXDDaemon.uniqueName("noimage"))
        let error = await #expect(throws: LXCError.self) { try await instance.create(from: .image("no-such-image")) }
        #expect(error?.kind == .notFound)
        #expect(try await !instance.isDefined)
    }

    @Test func execReturnsOutputAndExitStatus() async throws {
        let daemon = try LXDDaemon.required()
        try await daemon.withInstance("exec") { instance in
            let output = try await instance.output(of: ["sh", "-c", "printf 'a\\nb'; printf oops >&2; exit 7"])
            #expect(output.standardOutputString == "a\nb")
            #expect(output.standardErrorString == "oops")
            #expect(output.status == .exited(7))
            #expect(try await instance.run(["true"]) == .exited(0))
            let silent = try await instance.output(of: ["true"])
            #expect(silent.standardOutput.isEmpty && silent.standardError.isEmpty)
            let killed = try await instance.output(of: ["sh", "-c", "kill -9 $$"])
            #expect(killed.status == .exited(128 + 9))
            let argument = "with spaces and 'quotes' and $HOME"
            #expect(try await instance.output(of: ["echo", argument]).standardOutputString == argument + "\n")
        }
    }

    @Test func stateFreezeAndShutdown() async throws {
        let daemon = try LXDDaemon.required()
        try await daemon.withInstance("states") { instance in
            // The image's init ignores a shutdown request until it has set its trap.
            var ready = false
            for _ in 0..<100 where !ready {
                ready = try await instance.run(["test", "-e", "/run/ready"]) == .exited(0)
                if !ready { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(ready)
            #expect(try await instance.state == .running)
            let runtime = try await instance.runtimeState()
            #expect(runtime.status == "Running")
            #expect((runtime.pid ?? 0) > 0)
            try await instance.freeze()
            #expect(try await instance.state == .frozen)
            try await instance.unfreeze()
            #expect(try await instance.state == .running)
            try await instance.shutdown(timeout: .seconds(10))
            #expect(try await instance.state == .stopped)
            #expect(try await instance.wait(for: .stopped, timeout: .seconds(1)))
            #expect(try await !instance.wait(for: .running, timeout: .milliseconds(200)))
        }
    }

    @Test func aShutdownThatInitIgnoresTimesOut() async throws {
        let daemon = try LXDDaemon.required()
        try await daemon.withInstance("deaf", started: false) { instance in
            // liblxc's halt signal becomes one the image's init has no trap for (and so ignores).
            try await instance.setConfigItem("raw.lxc", to: "lxc.signal.halt = SIGUSR1")
            try await instance.start()
            let error = await #expect(throws: LXCError.self) { try await instance.shutdown(timeout: .seconds(1)) }
            #expect(error?.kind == .timedOut)
            #expect(try await instance.state == .running)
            try await instance.stop()
            #expect(try await instance.state == .stopped)
        }
    }

    @Test func filesKeepModeAndOwner() async throws {
        let daemon = try LXDDaemon.required()
        try await daemon.withInstance("files") { instance in
            try await instance.write(Array("secret\n".utf8), to: "/root/secret", mode: 0o600,
                                     owner: FileOwner(userID: 1000, groupID: 1001))
            let attributes = try await instance.fileAttributes(of: "/root/secret")
            #expect(attributes.owner == FileOwner(userID: 1000, groupID: 1001))
            #expect(attributes.mode == 0o600)
            #expect(try await instance.output(of: ["stat", "-c", "%u:%g %a", "/root/secret"]).standardOutputString
                    == "1000:1001 600\n")
            #expect(try await instance.contents(of: "/root/secret") == Array("secret\n".utf8))

            // A tree from the host, in and out again.
            let host = daemon.directory + "/tree-\(instance.name)"
            defer { try? FileManager.default.removeItem(atPath: host) }
            try FileManager.default.createDirectory(atPath: host + "/in/sub", withIntermediateDirectories: true)
            try Data("one\n".utf8).write(to: URL(fileURLWithPath: host + "/in/one"))
            try Data([0, 1, 2, 255]).write(to: URL(fileURLWithPath: host + "/in/sub/two"))
            chmod(host + "/in/sub/two", 0o751)
            try await instance.push(host + "/in", to: "/root/tree", owner: FileOwner(userID: 5, groupID: 6), mode: nil)
            #expect(try await instance.output(of: ["stat", "-c", "%u:%g %a", "/root/tree/sub/two"]).standardOutputString
                    == "5:6 751\n")
            #expect(try await instance.output(of: ["cat", "/root/tree/one"]).standardOutputString == "one\n")
            try await instance.pull("/root/tree", to: host + "/out")
            #expect(FileManager.default.contents(atPath: host + "/out/one") == Data("one\n".utf8))
            #expect(FileManager.default.contents(atPath: host + "/out/sub/two") == Data([0, 1, 2, 255]))
            let mode = try FileManager.default.attributesOfItem(atPath: host + "/out/sub/two")[.posixPermissions] as? Int
            #expect(mode == 0o751)

            let missing = await #expect(throws: LXCError.self) { _ = try await instance.contents(of: "/no/such/file") }
            #expect(missing?.kind == .notFound)
        }
    }

    @Test func configChangesAreGuardedByTheirETag() async throws {
        let daemon = try LXDDaemon.required()
        try await daemon.withInstance("config", started: false) { instance in
            #expect(try await instance.configItem("user.note") == nil)
            try await instance.setConfigItem("user.note", to: "first")
            #expect(try await instance.configItem("user.note") == "first")

            var stale = try await instance.configuration()
            #expect(stale.etag != nil)
            // Someone else changes the instance after it was read …
            try await instance.setConfigItem("user.note", to: "second")
            // … so writing the stale copy back is refused, not an overwrite.
            stale.config["user.note"] = "stale"
            let error = await #expect(throws: LXCError.self) { try await instance.update(stale) }
            #expect(error?.kind == .wrongState)
            #expect(error?.code == 412)
            #expect(try await instance.configItem("user.note") == "second")

            var fresh = try await instance.configuration()
            fresh.config["user.note"] = "third"
            try await instance.update(fresh)
            #expect(try await instance.configItem("user.note") == "third")
            try await instance.clearConfigItem("user.note")
            #expect(try await instance.configItem("user.note") == nil)

            let invalid = await #expect(throws: LXCError.self) { try await instance.setConfigItem("no.such.key", to: "1") }
            #expect(invalid?.kind == .invalidArgument)
            try await instance.setProcessLimit(.limited(50))
            #expect(try await instance.configItem("limits.processes") == "50")
            try await instance.setProcessLimit(.unlimited)
            #expect(try await instance.configItem("limits.processes") == nil)
            #expect(try await instance.memoryLimit() == .unlimited)
        }
    }

    @Test func snapshotsListWithDatesAndRefuseDestroyWithoutThem() async throws {
        let daemon = try LXDDaemon.required()
        try await daemon.withInstance("snaps", started: false) { instance in
            let first = try await instance.snapshot(comment: nil)
            let second = try await instance.snapshot(comment: "second one")
            #expect([first, second] == ["snap0", "snap1"])
            let snapshots = try await instance.snapshots()
            #expect(snapshots.map(\.name) == ["snap0", "snap1"])
            #expect(snapshots.map(\.comment) == [nil, "second one"])
            #expect(snapshots.allSatisfy { $0.date != nil })
            #expect(try await instance.configItem("user.swift-lxc.comment") == nil)
            let error = await #expect(throws: LXCError.self) { try await instance.destroy(includingSnapshots: false) }
            #expect(error?.kind == .wrongState)
            #expect(try await instance.isDefined)
        }
    }

    @Test func theClientListsInstancesAndItsServer() async throws {
        let daemon = try LXDDaemon.required()
        try await daemon.withInstance("listed", started: false) { (instance: LXDInstance) async throws in
            #expect(try await daemon.client.instanceNames().contains(instance.name))
            #expect(try await !daemon.client.serverVersion().isEmpty)
        }
    }
}
