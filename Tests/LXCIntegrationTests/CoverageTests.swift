import Foundation
import LXC
import Testing

/// Calls that liblxc and go-lxc have and the library lacked: a shutdown without a time limit,
/// a mount without a source, soft and kernel memory limits, the container's own log file and
/// level.
@Suite("What liblxc and go-lxc offer", .integration, .timeLimit(.minutes(3)))
struct CoverageTests {
    static var hostIsV1: Bool { FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory/memory.limit_in_bytes") }

    /// liblxc's `shutdown` takes -1 to wait for as long as it takes; so does
    /// `shutdown(timeout: nil)`, blocking and async. (A shutdown that never returns fails
    /// through the suite's time limit.)
    @Test func shutdownWithoutATimeLimitWaitsUntilTheContainerStops() async throws {
        try await Sandbox.with { sandbox in
            let container = try await sandbox.busybox()
            try await container.start()
            try await offPool { try container.shutdown(timeout: nil) }
            #expect(container.state == .stopped)

            try await container.start()
            try await container.shutdown(timeout: nil)
            #expect(container.state == .stopped)

            // The timed form is unchanged.
            try await container.start()
            try await container.shutdown(timeout: .seconds(60))
            #expect(container.state == .stopped)
            let error = await #expect(throws: LXCError.self) { try await container.shutdown(timeout: nil) }
            #expect(error?.kind == .wrongState)
        }
    }

    /// liblxc's `mount` takes a NULL source, for a file system that needs none.
    @Test(.privilegedOnly("it makes a shared mount point on the host (mount --bind, --make-shared), which needs root"))
    func aFileSystemWithoutASourceIsMountedIntoARunningContainer() throws {
        guard LXC.hasAPIExtension("mount_injection_file") else { return }
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let shared = "\(sandbox.lxcpath)/shmounts-\(container.name)"
            try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
            try HostTools.require(["mount", "--bind", shared, shared])
            defer { _ = try? HostTools.run(["umount", "-l", shared]) }
            try HostTools.require(["mount", "--make-shared", shared])
            try container.setConfigItem("lxc.mount.auto", to: "shmounts:\(shared):/dev/.lxc-mounts")
            try container.saveConfig()
            try container.start()
            let pid = try #require(container.initPID)

            try container.mount(nil, at: "/mnt/scratch", type: "tmpfs", data: "size=1m")
            let mounts = try String(contentsOfFile: "/proc/\(pid)/mounts", encoding: .utf8)
            #expect(mounts.split(separator: "\n").contains { $0.contains(" /mnt/scratch tmpfs ") }, "\(mounts)")
            try "x".write(toFile: "/proc/\(pid)/root/mnt/scratch/f", atomically: false, encoding: .utf8)

            try container.unmount("/mnt/scratch")
            #expect(!FileManager.default.fileExists(atPath: "/proc/\(pid)/root/mnt/scratch/f"))
        }
    }

    /// go-lxc's `SetSoftMemoryLimit` and `SoftMemoryLimit`: v1 `memory.soft_limit_in_bytes`,
    /// v2 `memory.low`.
    @Test func softMemoryLimitIsSetAndReadBack() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.start()
            let version = try container.cgroupVersion(for: .memory)
            #expect(try container.softMemoryLimit() == (version == .v1 ? .unlimited : .limited(0)))

            try container.setSoftMemoryLimit(.limited(.mebibytes(32)))
            #expect(try container.softMemoryLimit() == .limited(.mebibytes(32)))
            let key = version == .v1 ? "memory.soft_limit_in_bytes" : "memory.low"
            #expect(try container.cgroupItem(key) == String(32 << 20))

            try container.setSoftMemoryLimit(.unlimited)
            #expect(try container.softMemoryLimit() == .unlimited)
            try container.stop()
            let stopped = #expect(throws: LXCError.self) { try container.softMemoryLimit() }
            #expect(stopped?.kind == .wrongState)
        }
    }

    /// go-lxc's `SetKernelMemoryLimit` and `KernelMemoryLimit`: v1 `memory.kmem.limit_in_bytes`.
    /// cgroup v2 has no such file, and a kernel that takes writes to it without effect (Linux
    /// 5.16 and later) does not get a silent success: both are `.unsupported`.
    @Test func kernelMemoryLimitIsSetOrSaidToBeUnsupported() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.start()
            let version = try container.cgroupVersion(for: .memory)
            guard version == .v1 else {
                let read = #expect(throws: LXCError.self) { try container.kernelMemoryLimit() }
                #expect(read?.kind == .unsupported)
                let set = #expect(throws: LXCError.self) { try container.setKernelMemoryLimit(.limited(.mebibytes(64))) }
                #expect(set?.kind == .unsupported)
                #expect(set?.message.contains("cgroup v2") == true)
                return
            }
            #expect(try container.kernelMemoryLimit() == .unlimited)
            do {
                try container.setKernelMemoryLimit(.limited(.mebibytes(64)))
                #expect(try container.kernelMemoryLimit() == .limited(.mebibytes(64)))
            } catch let error as LXCError {
                #expect(error.kind == .unsupported, "\(error)")
                #expect(error.message.contains("memory.kmem.limit_in_bytes"), "\(error)")
                #expect(try container.kernelMemoryLimit() == .unlimited)
            }
            try container.setKernelMemoryLimit(.unlimited)
            #expect(try container.kernelMemoryLimit() == .unlimited)
        }
    }

    /// go-lxc's `SetLogFile`, `LogFile`, `SetLogLevel` and `LogLevel`: the `lxc.log.file`
    /// and `lxc.log.level` config items. With a file and TRACE, a start's lines reach the
    /// file; a failed call's error quotes what liblxc wrote there.
    @Test func logFileAndLevelOfAContainer() async throws {
        try await ProcessLog.inTurn {
            try await Sandbox.with { sandbox in
                let container = try await sandbox.busybox()
                #expect(try container.logFile() == nil)
                #expect(try container.logLevel() == nil)

                let file = "\(sandbox.lxcpath)/\(container.name).own.log"
                try container.setLogFile(file)
                try container.setLogLevel(.trace)
                #expect(try container.logFile() == file)
                #expect(try container.logLevel() == .trace)
                for level in LXC.LogLevel.allCases {
                    try container.setLogLevel(level)
                    #expect(try container.logLevel() == level)
                }
                try container.setLogLevel(.trace)
                try await container.saveConfig()

                try await container.start()
                try await container.stop()
                let text = try String(contentsOfFile: file, encoding: .utf8)
                #expect(text.contains(container.name) && text.contains("TRACE"), "\(text.prefix(500))")

                let missing = "\(sandbox.lxcpath)/missing-rootfs"
                try container.setConfigItem("lxc.rootfs.path", to: "dir:\(missing)")
                let error = await #expect(throws: LXCError.self) { try await container.start() }
                #expect(error?.log.contains { $0.contains(missing) } == true, "\(String(describing: error))")
                #expect(try String(contentsOfFile: file, encoding: .utf8).contains(missing))

                try container.setLogFile(nil)
                try container.setLogLevel(nil)
                #expect(try container.logFile() == nil)
                #expect(try container.logLevel() == nil)
                let bad = #expect(throws: LXCError.self) { try container.setLogFile("\(sandbox.lxcpath)/x\nlxc.arch = x") }
                #expect(bad?.kind == .invalidArgument)
            }
        }
    }
}
