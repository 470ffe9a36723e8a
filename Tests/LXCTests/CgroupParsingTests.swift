@testable import LXC
import Testing

/// The cgroup v1 and v2 parsers on file contents. The v1 samples were recorded on the
/// development host (cgroup v1 with an empty cgroup2 mount); the v2 samples of files that
/// need v2 controllers (`io.stat`, `memory.*`) are written in the format of the kernel's
/// Documentation/admin-guide/cgroup-v2.rst, and `cpu.stat`, which every cgroup2 group has,
/// is also read live from the host's cgroup2 mount when there is one.
struct CgroupParsingTests {
    // MARK: which version

    @Test func hybridHostPutsControllersOnV1() {
        let recorded = """
            9:name=systemd:/lxc.payload.web
            8:pids:/lxc.payload.web
            7:blkio:/lxc.payload.web
            4:memory:/lxc.payload.web
            2:cpuacct:/lxc.payload.web
            1:cpu:/lxc.payload.web
            0::/lxc.payload.web
            """
        for controller in [CgroupController.memory, .cpu, .pids, .blockIO] {
            #expect(CgroupParsing.version(ofController: controller.v1Names, procCgroup: recorded) == .v1)
        }
        // No v1 hierarchy has devices here: the unified one holds it.
        #expect(CgroupParsing.version(ofController: CgroupController.devices.v1Names, procCgroup: recorded) == .v2)
    }

    @Test func unifiedHostPutsEveryControllerOnV2() {
        let recorded = "0::/lxc.payload.web\n"
        for controller in CgroupController.allCases {
            #expect(CgroupParsing.version(ofController: controller.v1Names, procCgroup: recorded) == .v2)
        }
    }

    @Test func combinedV1HierarchiesAreRecognised() {
        let recorded = "3:cpu,cpuacct:/lxc/web\n2:net_cls,net_prio:/lxc/web\n"
        #expect(CgroupParsing.version(ofController: CgroupController.cpu.v1Names, procCgroup: recorded) == .v1)
        #expect(CgroupParsing.version(ofController: CgroupController.memory.v1Names, procCgroup: recorded) == nil)
    }

    // MARK: limits and integers

    @Test(arguments: [
        ("max\n", ResourceLimit<UInt64>.unlimited),
        ("9223372036854771712\n", .unlimited),   // v1 memory.limit_in_bytes with no limit
        ("67108864\n", .limited(67_108_864)),
        ("50", .limited(50)),
    ])
    func limitFiles(text: String, expected: ResourceLimit<UInt64>) {
        #expect(CgroupParsing.limit(text) == expected)
    }

    @Test func garbageIsNotANumber() {
        #expect(CgroupParsing.limit("banana\n") == nil)
        #expect(CgroupParsing.integer("") == nil)
        #expect(CgroupParsing.integer(" 901120\n") == 901_120)
    }

    // MARK: CPU

    @Test func v2CPUStat() throws {
        let recorded = """
            usage_usec 1234567
            user_usec 1000000
            system_usec 234567
            core_sched.force_idle_usec 0
            nr_periods 0
            nr_throttled 0
            throttled_usec 0
            nr_bursts 0
            burst_usec 0

            """
        let usage = try #require(CgroupParsing.cpuUsageV2(stat: recorded))
        #expect(usage.total == .microseconds(1_234_567))
        #expect(usage.user == .seconds(1))
        #expect(usage.system == .microseconds(234_567))
        #expect(usage.perCPU == nil)
        #expect(CgroupParsing.cpuUsageV2(stat: "nr_periods 0\n") == nil)
    }

    /// The cgroup2 mount, if this host has one (`/sys/fs/cgroup` or `/sys/fs/cgroup/unified`).
    static let cgroup2CPUStat: String? = {
        for path in ["/sys/fs/cgroup/unified/cpu.stat", "/sys/fs/cgroup/cpu.stat"] {
            if let text = readWholeFile(path), text.contains("usage_usec") { return text }
        }
        return nil
    }()

    @Test(.enabled(if: cgroup2CPUStat != nil, "skipped: this host has no cgroup2 mount to read cpu.stat from"))
    func liveV2CPUStatOfThisHost() throws {
        let text = try #require(Self.cgroup2CPUStat)
        let usage = try #require(CgroupParsing.cpuUsageV2(stat: text), "cpu.stat: \(text)")
        #expect(usage.user != nil && usage.system != nil)
        #expect(usage.total >= (usage.user ?? .zero))
    }

    @Test func v1CPUAccounting() throws {
        let usage = try #require(CgroupParsing.cpuUsageV1(
            usage: "6307888\n", stat: "user 12\nsystem 3\n", perCPU: "4187914 2119974 \n", ticksPerSecond: 100))
        #expect(usage.total == .nanoseconds(6_307_888))
        #expect(usage.user == .milliseconds(120))
        #expect(usage.system == .milliseconds(30))
        #expect(usage.perCPU == [.nanoseconds(4_187_914), .nanoseconds(2_119_974)])
    }

    // MARK: block I/O

    @Test func v2IOStat() {
        let recorded = """
            254:0 rbytes=1212416 wbytes=4096 rios=38 wios=1 dbytes=0 dios=0
            7:0 rbytes=1024 wbytes=0 rios=1 wios=0 dbytes=0 dios=0

            """
        let io = CgroupParsing.blockIOV2(recorded)
        #expect(io.devices.map(\.device) == [DeviceNumber(major: 7, minor: 0), DeviceNumber(major: 254, minor: 0)])
        #expect(io.readBytes == ByteCount(1_213_440))
        #expect(io.writtenBytes == 4096)
    }

    @Test func v1ServiceBytes() {
        let recorded = """
            8:0 Read 4096
            8:0 Write 8192
            8:0 Sync 0
            8:0 Async 12288
            8:0 Discard 0
            8:0 Total 12288
            Total 12288

            """
        let io = CgroupParsing.blockIOV1(recorded)
        #expect(io.devices == [BlockIOStatistics.Device(device: DeviceNumber(major: 8, minor: 0), readBytes: 4096, writtenBytes: 8192)])
        #expect(CgroupParsing.blockIOV1("Total 0\n").devices.isEmpty)
    }

    // MARK: units, keys, counters, CRIU

    @Test(arguments: ["../memory.max", "memory/../../x", "..", "a b", "", "memory.max\n", "x\0y"])
    func cgroupKeysOutsideTheCgroupAreRefused(key: String) {
        #expect(throws: LXCError.self) { try Validate.cgroupKey(key, operation: "test", container: nil) }
    }

    @Test(arguments: ["memory.max", "pids.max", "cpu.weight", "memory.memsw.limit_in_bytes", "io.stat"])
    func ordinaryCgroupKeysPass(key: String) throws {
        try Validate.cgroupKey(key, operation: "test", container: nil)
    }

    @Test func criuErrorLinesAreKeptWithoutTimestamps() {
        let recorded = """
            (00.000000) Version: 3.17.1 (gitid 0)
            (00.004114) Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds
            (00.004130) Error (criu/kerndat.c:1615): kerndat_vdso_fill_symtable failed when initializing kerndat.
            (00.004140) Warn  (criu/x.c:1): not an error
            """
        #expect(Container.criuErrors(in: recorded) == [
            "Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds",
            "Error (criu/kerndat.c:1615): kerndat_vdso_fill_symtable failed when initializing kerndat.",
        ])
    }

    // MARK: a container's cgroups by name

    @Test(arguments: [
        ("lxc.payload.web", true), ("lxc.monitor.web", true), ("lxc.payload.web-1", true),
        ("lxc.monitor.web-12", true), ("lxc.payload.webserver", false), ("lxc.payload.web-", false),
        ("lxc.payload.web-1a", false), ("lxc.pivot", false), ("lxc.payload.we", false), ("web", false),
    ])
    func containerCgroupsAreMatchedByWholeNameAndNumber(entry: String, matches: Bool) {
        #expect(CgroupParsing.isContainerCgroup(entry, of: "web") == matches)
    }
}
