import Foundation
import LXC
import Testing

@Suite("Cgroup items and typed resource limits of real containers", .integration, .timeLimit(.minutes(3)))
struct ResourceTests {
    /// This host runs containers on cgroup v1 (with an empty cgroup2 mount); the v2 parsers
    /// are tested on recorded files in CgroupParsingTests.
    static var hostIsV1: Bool { FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory/memory.limit_in_bytes") }

    @Test func processLimitIsSetAndReadBack() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.start()
            let pid = try #require(container.initPID)

            #expect(try container.processLimit() == .unlimited)
            #expect(try container.cgroupItem("pids.max") == "max")

            try container.setProcessLimit(.limited(50))
            #expect(try container.processLimit() == .limited(50))
            #expect(try container.cgroupItem("pids.max") == "50")
            if Self.hostIsV1 {
                // What the kernel has, read from the host's side.
                let directory = try #require(HostTools.v1Cgroup(of: pid, controller: "pids"))
                let onHost = try String(contentsOfFile: "\(directory)/pids.max", encoding: .utf8)
                #expect(onHost == "50\n")
            }
            let count = try container.processCount()
            #expect(count >= 1 && count <= 50, "busybox runs init, syslogd, getty and a shell; got \(count)")

            try container.setCgroupItem("pids.max", to: "max")
            #expect(try container.processLimit() == .unlimited)
        }
    }

    @Test func usageOfARunningContainerIsPlausible() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.start()
            #expect(try container.cgroupVersion(for: .memory) == (Self.hostIsV1 ? .v1 : .v2))

            let memory = try container.memoryUsage()
            #expect(memory > .kibibytes(64) && memory < .gibibytes(1), "busybox uses a few hundred KiB; got \(memory)")
            #expect(try container.memoryLimit() == .unlimited)
            if let both = try container.memoryAndSwapUsage() {
                // Read one after the other, so allow for a little growth in between.
                #expect(both.bytes + 1_048_576 >= memory.bytes, "memory+swap \(both) is at least memory \(memory)")
            }

            let cpu = try container.cpuUsage()
            #expect(cpu.total > .zero)
            if Self.hostIsV1 {
                let perCPU = try #require(cpu.perCPU, "v1 counts time per CPU")
                #expect(perCPU.count == ProcessInfo.processInfo.processorCount)
                let sum = perCPU.reduce(Duration.zero, +)
                // Read one after the other: the sum may have grown a little past the total.
                #expect(sum >= cpu.total / 2)
            }

            #expect(try container.cpuWeight().weight == 100, "the default weight is 1024 shares, or weight 100")
            try container.setCPUWeight(.weight(200))
            #expect(try container.cpuWeight() == (Self.hostIsV1 ? .shares(2048) : .weight(200)))

            let io = try container.blockIOStatistics()
            #expect(io.readBytes.bytes < 1 << 40)
        }
    }

    @Test func memoryLimitKillsAProcessThatAllocatesPastIt() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            let rootfs = "\(sandbox.lxcpath)/\(container.name)/rootfs"
            // Init waits for /go, then a child shell reads 300 MiB into a variable; init
            // records how the child ended.
            let script = """
                while [ ! -e /go ]; do sleep 1; done
                sh -c 'x=$(head -c 300m /dev/zero | tr "\\0" a); echo survived'
                echo "exit=$?" > /result
                exec sleep 1000
                """
            try container.start(arguments: ["/bin/sh", "-c", script])
            try container.setMemoryLimit(.limited(.mebibytes(64)))
            #expect(try container.memoryLimit() == .limited(.mebibytes(64)))

            try RootfsFiles.write("", to: "\(rootfs)/go")
            let finished = HostTools.eventually(seconds: 60) { FileManager.default.fileExists(atPath: "\(rootfs)/result") }
            try #require(finished, "the allocating shell did not end within 60 seconds")
            let result = try String(contentsOfFile: "\(rootfs)/result", encoding: .utf8)
            #expect(result == "exit=137\n", "the shell should have been SIGKILLed by the OOM killer")
            #expect(container.isRunning, "only the allocating process is killed")
            #expect(try container.memoryUsage() <= .mebibytes(64))
            if Self.hostIsV1 {
                let oom = try #require(try container.cgroupItem("memory.oom_control"))
                #expect(oom.contains("oom_kill 1") || oom.split(separator: "\n").contains { $0.hasPrefix("oom_kill ") && $0 != "oom_kill 0" })
            } else {
                let events = try #require(try container.cgroupItem("memory.events"))
                #expect(!events.contains("oom_kill 0"))
            }
        }
    }

    @Test(arguments: ["../memory.limit_in_bytes", "memory/x", "..", "memory.max\nx", "", "pids max"])
    func cgroupKeysThatLeaveTheCgroupAreRefused(key: String) throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()
            try container.start()
            let read = #expect(throws: LXCError.self) { try container.cgroupItem(key) }
            #expect(read?.kind == .invalidArgument)
            let write = #expect(throws: LXCError.self) { try container.setCgroupItem(key, to: "1") }
            #expect(write?.kind == .invalidArgument)
            #expect(try container.cgroupItem("pids.max") == "max", "nothing changed")
        }
    }

    @Test func badValuesAndMissingFilesAreReportedClearly() throws {
        try Sandbox.withBlocking { sandbox in
            let container = try sandbox.busybox()

            let stopped = #expect(throws: LXCError.self) { try container.cgroupItem("pids.max") }
            #expect(stopped?.kind == .wrongState)
            let stoppedLimit = #expect(throws: LXCError.self) { try container.memoryLimit() }
            #expect(stoppedLimit?.kind == .wrongState)

            try container.start()
            #expect(try container.cgroupItem("pids.no_such_file") == nil)

            let missing = #expect(throws: LXCError.self) { try container.setCgroupItem("pids.no_such_file", to: "1") }
            #expect(missing?.kind == .notFound)

            let refused = #expect(throws: LXCError.self) { try container.setCgroupItem("pids.max", to: "banana") }
            #expect(refused?.kind == .failed)
            #expect(refused?.message.contains("banana") == true)

            let injected = #expect(throws: LXCError.self) { try container.setCgroupItem("pids.max", to: "10\n20") }
            #expect(injected?.kind == .invalidArgument)

            let negative = #expect(throws: LXCError.self) { try container.setProcessLimit(.limited(-1)) }
            #expect(negative?.kind == .invalidArgument)
            #expect(try container.processLimit() == .unlimited, "nothing changed")
        }
    }
}
