import Foundation
import LXC
import Testing

@Suite("Typed limits set before start and on a running container", .integration, .timeLimit(.minutes(5)))
struct LimitsTests {
    static var hostIsV1: Bool { LXC.cgroupVersion(for: .memory) == .v1 }

    /// An init that at once reads 150 MB into a shell variable in a child shell, records how
    /// the child ended and how long the value it held was, then idles.
    static let allocatingInit = """
        sh -c 'x=$(head -c 150000000 /dev/zero | tr "\\0" a); echo "held=${#x}" > /held'
        echo "exit=$?" > /result
        exec sleep 1000
        """

    /// Starts `container` with ``allocatingInit`` and returns what it wrote to /result and /held.
    func runAllocation(_ container: Container, in sandbox: Sandbox) throws -> (result: String, held: String?) {
        let rootfs = "\(sandbox.lxcpath)/\(container.name)/rootfs"
        try container.start(arguments: ["/bin/sh", "-c", Self.allocatingInit])
        let finished = HostTools.eventually(seconds: 60) { FileManager.default.fileExists(atPath: "\(rootfs)/result") }
        try #require(finished, "the allocating shell did not end within 60 seconds")
        let result = try String(contentsOfFile: "\(rootfs)/result", encoding: .utf8)
        let held = try? String(contentsOfFile: "\(rootfs)/held", encoding: .utf8)
        return (result, held)
    }

    @Test func memoryLimitSetBeforeStartKillsTheFirstProcessesThatAllocatePastIt() throws {
        try Sandbox.withBlocking { sandbox in
            let limited = try sandbox.busybox()
            try limited.setLimits(ResourceLimits(memory: .limited(.mebibytes(64))), when: .fromStart)
            try limited.saveConfig()
            let key = Self.hostIsV1 ? "lxc.cgroup.memory.limit_in_bytes" : "lxc.cgroup2.memory.max"
            #expect(try limited.configItem(key) == "67108864\n")

            // The allocation starts with the container: no setter could have run before it.
            let (result, held) = try runAllocation(limited, in: sandbox)
            #expect(result == "exit=137\n", "the child shell should have been SIGKILLed by the OOM killer")
            #expect(held == nil, "the 150 MB value was never complete")
            #expect(limited.isRunning, "only the allocating process is killed")
            #expect(try limited.memoryLimit() == .limited(.mebibytes(64)))
            let peak = try limited.peakMemoryUsage()
            #expect(peak <= .mebibytes(64) && peak > .mebibytes(32), "the peak is at the limit; got \(peak)")
            if Self.hostIsV1 {
                let oom = try #require(try limited.cgroupItem("memory.oom_control"))
                #expect(oom.split(separator: "\n").contains { $0.hasPrefix("oom_kill ") && $0 != "oom_kill 0" })
            }

            // The same init without the limit holds the whole value.
            let free = try sandbox.busybox()
            let (freeResult, freeHeld) = try runAllocation(free, in: sandbox)
            #expect(freeResult == "exit=0\n")
            #expect(freeHeld == "held=150000000\n")
            #expect(try free.memoryLimit() == .unlimited)
            #expect(try free.peakMemoryUsage() >= .bytes(150_000_000), "the shell held 150 MB at its peak")
        }
    }

    @Test func limitsSetBeforeStartAreReadBackAndHoldInTheRunningContainer() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            #expect(try container.configuredLimits() == ResourceLimits(), "a fresh container has no limit items")
            let limits = ResourceLimits(memory: .limited(.mebibytes(256)), cpuQuota: .cpus(1.5),
                                        cpuWeight: .weight(50), processes: .limited(64))
            try container.setLimits(limits, when: .fromStart)
            // Set twice: one line per item, the last value.
            try container.setLimits(ResourceLimits(processes: .limited(80)), when: .fromStart)
            try container.saveConfig()
            let text = try String(contentsOfFile: "\(sandbox.lxcpath)/\(container.name)/config", encoding: .utf8)
            let lines = text.split(separator: "\n").filter { $0.hasPrefix("lxc.cgroup") }
            if Self.hostIsV1 {
                #expect(lines.sorted() == [
                    "lxc.cgroup.cpu.cfs_period_us = 100000", "lxc.cgroup.cpu.cfs_quota_us = 150000",
                    "lxc.cgroup.cpu.shares = 512", "lxc.cgroup.memory.limit_in_bytes = 268435456",
                    "lxc.cgroup.pids.max = 80",
                ])
            } else {
                #expect(lines.sorted() == [
                    "lxc.cgroup2.cpu.max = 150000 100000", "lxc.cgroup2.cpu.weight = 50",
                    "lxc.cgroup2.memory.max = 268435456", "lxc.cgroup2.pids.max = 80",
                ])
            }
            // Read back through a new handle, from the saved file.
            let reopened = try Container(name: container.name, lxcpath: sandbox.lxcpath)
            let configured = try reopened.configuredLimits()
            #expect(configured.memory == .limited(.mebibytes(256)))
            #expect(configured.cpuQuota == .cpus(1.5))
            #expect(configured.cpuQuota?.cpus == 1.5)
            #expect(configured.cpuWeight?.weight == 50)
            #expect(configured.processes == .limited(80))

            try reopened.start()
            #expect(try reopened.memoryLimit() == .limited(.mebibytes(256)))
            #expect(try reopened.cpuQuota() == .cpus(1.5))
            #expect(try reopened.cpuWeight().weight == 50)
            #expect(try reopened.processLimit() == .limited(80))

            // Changed at once, without touching the configuration.
            try reopened.setLimits(ResourceLimits(cpuQuota: .cpus(0.25), processes: .unlimited), when: .now)
            #expect(try reopened.cpuQuota() == .cpus(0.25))
            #expect(try reopened.cpuQuota().description == "0.25 CPUs (25000 µs per 100000 µs)")
            #expect(try reopened.processLimit() == .unlimited)
            #expect(try reopened.configuredLimits().processes == .limited(80))
            try reopened.setCPUQuota(.unlimited)
            #expect(try reopened.cpuQuota() == .unlimited)

            // Both at once.
            try reopened.setMemoryLimit(.limited(.mebibytes(128)), when: .nowAndFromStart)
            #expect(try reopened.memoryLimit() == .limited(.mebibytes(128)))
            #expect(try reopened.configuredLimits().memory == .limited(.mebibytes(128)))
        }
    }

    @Test func badLimitsAreRefusedBeforeAnythingChanges() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let bad: [ResourceLimits] = [
                ResourceLimits(memory: .limited(.mebibytes(64)), processes: .limited(-1)),
                ResourceLimits(memory: .limited(.mebibytes(64)), cpuQuota: .cpus(0.001)),
                ResourceLimits(cpuQuota: .cpus(1, period: .seconds(2))),
                ResourceLimits(cpuQuota: .cpus(-1)),
                ResourceLimits(cpuQuota: .cpus(.nan)),
            ]
            for limits in bad {
                let error = #expect(throws: LXCError.self) { try container.setLimits(limits, when: .fromStart) }
                #expect(error?.kind == .invalidArgument, "\(limits)")
                #expect(error?.operation == "setLimits")
            }
            #expect(try container.configuredLimits() == ResourceLimits(), "nothing was written")

            let stopped = #expect(throws: LXCError.self) { try container.setLimits(ResourceLimits(processes: .limited(5)), when: .now) }
            #expect(stopped?.kind == .wrongState)
            let stoppedBoth = #expect(throws: LXCError.self) {
                try container.setProcessLimit(.limited(5), when: .nowAndFromStart)
            }
            #expect(stoppedBoth?.kind == .wrongState)
            #expect(try container.configuredLimits() == ResourceLimits(), "a refused .nowAndFromStart writes no item")
            let peak = #expect(throws: LXCError.self) { try container.peakMemoryUsage() }
            #expect(peak?.kind == .wrongState)

            // A value written by hand that is not a limit is named.
            try container.setConfigItem(Self.hostIsV1 ? "lxc.cgroup.pids.max" : "lxc.cgroup2.pids.max", to: "lots")
            let unreadable = #expect(throws: LXCError.self) { try container.configuredLimits() }
            #expect(unreadable?.message.contains("pids.max") == true)
        }
    }

    @Test func aCgroupHintOnThisHostNamesThisHostsFile() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let bad = #expect(throws: LXCError.self) { try container.setCgroupItem("../memory.limit_in_bytes", to: "1") }
            let example = Self.hostIsV1 ? "memory.limit_in_bytes" : "memory.max"
            #expect(bad?.message.contains("such as \"\(example)\"") == true, "\(bad?.message ?? "")")

            try container.start()
            let otherVersion = Self.hostIsV1 ? "memory.max" : "memory.limit_in_bytes"
            let missing = #expect(throws: LXCError.self) { try container.setCgroupItem(otherVersion, to: "100000000") }
            #expect(missing?.kind == .notFound)
            let counterpart = Self.hostIsV1 ? "where the file is memory.limit_in_bytes" : "where the file is memory.max"
            #expect(missing?.message.contains(counterpart) == true, "\(missing?.message ?? "")")
        }
    }

    @Test func limitsBeforeStartWorkFromAsyncCode() async throws {
        try await Sandbox.with { sandbox in
            let container: Container = try await sandbox.busybox()
            try container.setProcessLimit(.limited(40), when: .fromStart)
            try await container.start()
            #expect(try container.processLimit() == .limited(40))
        }
    }
}
