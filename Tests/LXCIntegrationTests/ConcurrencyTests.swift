import Foundation
import LXC
import Testing

@Suite("Many tasks, many containers", .integration, .timeLimit(.minutes(5)))
struct ConcurrencyTests {
    @Test func twentyConcurrentAsyncLifecycles() async throws {
        try await Sandbox.with { sandbox in
            let containers = try await withThrowingTaskGroup(of: Container.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await sandbox.busybox() }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(containers.count == 20)

            let states = try await withThrowingTaskGroup(of: [ContainerState].self) { group in
                for container in containers {
                    group.addTask {
                        try await container.start()
                        let running = container.state
                        try await container.freeze()
                        let frozen = container.state
                        try await container.unfreeze()
                        try await container.stop()
                        let stopped = container.state
                        try await container.destroy()
                        return [running, frozen, stopped]
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(states.count == 20)
            #expect(states.allSatisfy { $0 == [.running, .frozen, .stopped] })
            #expect(try Container.names(.all, in: sandbox.lxcpath).isEmpty)
        }
    }

    /// More blocking waits than Swift's cooperative pool has threads: if they ran on the
    /// pool, the freeze below could not run until they timed out, and they would report false.
    @Test func blockingWaitsDoNotStarveOtherTasks() async throws {
        try await Sandbox.with { sandbox in
            let container = try await sandbox.busybox()
            try await container.start()
            let waiters = ProcessInfo.processInfo.activeProcessorCount * 4
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<waiters {
                    group.addTask { try await container.wait(for: .frozen, timeout: .seconds(60)) }
                }
                try await Task.sleep(for: .milliseconds(200))
                try await container.freeze()
                var reached = 0
                for try await result in group where result { reached += 1 }
                #expect(reached == waiters)
            }
            try await container.unfreeze()
            try await container.stop()
        }
    }

    @Test func manyTasksShareOneContainer() async throws {
        try await Sandbox.with { sandbox in
            let container = try await sandbox.busybox()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for _ in 0..<3 {
                        try await container.start()
                        try await container.stop()
                    }
                }
                for index in 0..<20 {
                    group.addTask {
                        for _ in 0..<50 {
                            _ = container.state
                            _ = container.isDefined
                            #expect(try container.configItem("lxc.uts.name") == container.name)
                            if index.isMultiple(of: 4) {
                                try container.setConfigItem("lxc.init.cwd", to: "/tmp")
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(container.state == .stopped)
        }
    }
}

@Suite("Deadlines on real containers", .integration, .timeLimit(.minutes(2)))
struct RealDeadlineTests {
    @Test func aWaitThatWouldBlockForEverEndsAtTheDeadline() async throws {
        try await Sandbox.with { sandbox in
            let container = try await sandbox.busybox()
            try await container.start()
            let error = await #expect(throws: LXCError.self) {
                try await LXC.withTimeout(.seconds(1)) {
                    _ = try await container.wait(for: .frozen, timeout: nil)
                }
            }
            #expect(error?.kind == .timedOut)
            #expect(error?.operation == "wait")
            // The state can still be read and changed while liblxc's wait goes on.
            #expect(container.state == .running)
            try await container.freeze()
            try await container.unfreeze()
            try await container.stop()
        }
    }
}

@Suite("One container, many handles in one process", .integration, .timeLimit(.minutes(3)))
struct SameNameTests {
    @Test func concurrentCreatesOfOneNameMakeOneContainer() async throws {
        try await Sandbox.with { sandbox in
            let name = sandbox.uniqueName("same")
            let handles = try (0..<4).map { _ in try Container(name: name, lxcpath: sandbox.lxcpath) }
            let outcomes = await withTaskGroup(of: LXCError.Kind?.self) { group in
                for handle in handles {
                    group.addTask {
                        do {
                            try await handle.create(template: "busybox", options: .quiet)
                            return nil
                        } catch let error as LXCError {
                            return error.kind
                        } catch {
                            return .failed
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == nil }.count == 1, "\(outcomes)")
            #expect(outcomes.filter { $0 == .alreadyExists }.count == 3, "\(outcomes)")
            let container = try Container(name: name, lxcpath: sandbox.lxcpath)
            #expect(container.isDefined)
            #expect(FileManager.default.isExecutableFile(atPath: "\(sandbox.lxcpath)/\(name)/rootfs/bin/busybox"))
        }
    }

    @Test func concurrentDestroysOfOneNameDestroyItOnce() async throws {
        try await Sandbox.with { sandbox in
            let container = try await sandbox.busybox()
            let handles = try (0..<4).map { _ in try Container(name: container.name, lxcpath: sandbox.lxcpath) }
            let outcomes = await withTaskGroup(of: LXCError.Kind?.self) { group in
                for handle in handles {
                    group.addTask {
                        do {
                            try await handle.destroy()
                            return nil
                        } catch let error as LXCError {
                            return error.kind
                        } catch {
                            return .failed
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == nil }.count == 1, "\(outcomes)")
            #expect(outcomes.filter { $0 == .notFound }.count == 3, "\(outcomes)")
            #expect(!container.isDefined)
        }
    }

    /// The async forms of the calls that fork or write to disk outside the lifecycle: each
    /// does what its blocking form does.
    @Test func asyncFormsOfNetworkSpawnAndSaveCalls() async throws {
        try await Sandbox.with { sandbox in
            let container = try await sandbox.busybox()
            try await container.start()
            #expect(try await container.interfaces().contains("lo"))
            #expect(try await container.ipAddresses(family: .ipv4).isEmpty, "no interface but lo")
            let process = try await container.spawn(["/bin/sh", "-c", "exit 3"])
            #expect(try await process.wait() == .exited(3))

            try container.setConfigItem("lxc.init.cwd", to: "/tmp")
            try await container.saveConfig()
            let fresh = try Container(name: container.name, lxcpath: sandbox.lxcpath)
            #expect(try fresh.configItem("lxc.init.cwd") == "/tmp", "the saved file has the item")
            try await container.stop()
            #expect(try await container.repairIncomplete() == nil, "nothing was interrupted")
        }
    }

    @Test(.privilegedOnly("it makes device nodes (CAP_MKNOD) and a shared mount point on the host (mount --make-shared)"))
    func asyncFormsOfDeviceAndMountCalls() async throws {
        try await Sandbox.with { sandbox in
            let source = "\(sandbox.lxcpath)/mount-source"
            try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
            try "from the host\n".write(toFile: "\(source)/hello", atomically: true, encoding: .utf8)
            let container = try await sandbox.busybox()
            let shared = "\(sandbox.lxcpath)/shmounts-\(container.name)"
            try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
            try HostTools.require(["mount", "--bind", shared, shared])
            defer { _ = try? HostTools.run(["umount", "-l", shared]) }
            try HostTools.require(["mount", "--make-shared", shared])
            try container.setConfigItem("lxc.mount.auto", to: "shmounts:\(shared):/dev/.lxc-mounts")
            try await container.saveConfig()
            try await container.start()
            let pid = try #require(container.initPID)

            let node = "/proc/\(pid)/root/dev/swlx-null"
            try await container.addDeviceNode("/dev/null", at: "/dev/swlx-null")
            var info = stat()
            #expect(stat(node, &info) == 0 && info.st_mode & S_IFMT == S_IFCHR, "the node exists in the container")
            try await container.removeDeviceNode("/dev/null", at: "/dev/swlx-null")
            #expect(stat(node, &info) != 0, "the node is gone")

            if LXC.hasAPIExtension("mount_injection_file") {
                try await container.mount(source, at: "/mnt/swlx", flags: .bind)
                let seen = try? String(contentsOfFile: "/proc/\(pid)/root/mnt/swlx/hello", encoding: .utf8)
                #expect(seen == "from the host\n")
                try await container.unmount("/mnt/swlx")
                #expect(!FileManager.default.fileExists(atPath: "/proc/\(pid)/root/mnt/swlx/hello"))
            }
            try await container.stop()
        }
    }
}
