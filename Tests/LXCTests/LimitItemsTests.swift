@testable import LXC
import Testing

/// The cgroup files and configuration items typed limits become, in both cgroup versions,
/// and the `lxc.net.N.*` items of typed interfaces.
@Suite("Typed limit and network items")
struct LimitItemsTests {
    static let all = ResourceLimits(memory: .limited(.mebibytes(64)), cpuQuota: .cpus(1.5),
                                    cpuWeight: .weight(200), processes: .limited(100))

    func files(_ limits: ResourceLimits, _ version: CgroupVersion) -> [String] {
        CgroupLimitItems.files(for: limits) { _ in version }.map { "\($0.0)=\($0.1)" }
    }

    @Test func limitsBecomeV1Files() {
        #expect(files(Self.all, .v1) == ["memory.limit_in_bytes=67108864", "cpu.cfs_period_us=100000",
                                         "cpu.cfs_quota_us=150000", "cpu.shares=2048", "pids.max=100"])
        let none = ResourceLimits(memory: .unlimited, cpuQuota: .unlimited, processes: .unlimited)
        #expect(files(none, .v1) == ["memory.limit_in_bytes=-1", "cpu.cfs_period_us=100000",
                                     "cpu.cfs_quota_us=-1", "pids.max=max"])
    }

    @Test func limitsBecomeV2Files() {
        #expect(files(Self.all, .v2) == ["memory.max=67108864", "cpu.max=150000 100000", "cpu.weight=200", "pids.max=100"])
        let none = ResourceLimits(memory: .unlimited, cpuQuota: .unlimited, processes: .unlimited)
        #expect(files(none, .v2) == ["memory.max=max", "cpu.max=max 100000", "pids.max=max"])
    }

    @Test func configKeysOfBothVersionsAreCleared() {
        #expect(CgroupLimitItems.configKey("memory.max", .v2) == "lxc.cgroup2.memory.max")
        #expect(CgroupLimitItems.configKey("memory.limit_in_bytes", .v1) == "lxc.cgroup.memory.limit_in_bytes")
        #expect(CgroupLimitItems.configKeysToClear(for: ResourceLimits(memory: .unlimited))
                    == ["lxc.cgroup.memory.limit_in_bytes", "lxc.cgroup2.memory.max"])
        #expect(CgroupLimitItems.configKeysToClear(for: ResourceLimits()).isEmpty)
    }

    @Test(arguments: [
        ("67108864", ResourceLimit<ByteCount>.limited(.mebibytes(64))), ("64M", .limited(.mebibytes(64))),
        ("1g", .limited(.gibibytes(1))), ("512k", .limited(.kibibytes(512))), ("-1", .unlimited), ("max", .unlimited),
        ("9223372036854771712", .unlimited),
    ])
    func configuredMemoryLimitsAreRead(text: String, limit: ResourceLimit<ByteCount>) {
        #expect(CgroupLimitItems.memoryLimit(text) == limit)
    }

    @Test(arguments: ["", "lots", "64MB", "-2", "99999999999999999999"])
    func malformedMemoryLimitsAreNotRead(text: String) {
        #expect(CgroupLimitItems.memoryLimit(text) == nil)
    }

    @Test func cpuQuotasAreReadInBothVersions() {
        #expect(CgroupLimitItems.cpuQuotaV1(quota: "150000", period: "100000") == .cpus(1.5))
        #expect(CgroupLimitItems.cpuQuotaV1(quota: "50000", period: nil) == .cpus(0.5))
        #expect(CgroupLimitItems.cpuQuotaV1(quota: "-1", period: "100000") == .unlimited)
        #expect(CgroupLimitItems.cpuQuotaV2("150000 100000\n") == .cpus(1.5))
        #expect(CgroupLimitItems.cpuQuotaV2("max 100000") == .unlimited)
        #expect(CgroupLimitItems.cpuQuotaV2("20000 50000")?.cpus == 0.4)
        #expect(CgroupLimitItems.cpuQuotaV2("banana 1") == nil)
        #expect(CgroupLimitItems.cpuQuotaV2("1 0") == nil)
    }

    @Test func quotasOutOfTheKernelsRangeAreProblems() {
        #expect(CgroupLimitItems.problem(with: Self.all) == nil)
        #expect(CgroupLimitItems.problem(with: ResourceLimits(cpuQuota: .cpus(0.005))) != nil, "500 µs")
        #expect(CgroupLimitItems.problem(with: ResourceLimits(cpuQuota: .cpus(0.01))) == nil, "1000 µs")
        #expect(CgroupLimitItems.problem(with: ResourceLimits(cpuQuota: .cpus(1, period: .microseconds(999)))) != nil)
        #expect(CgroupLimitItems.problem(with: ResourceLimits(cpuQuota: .cpus(1, period: .seconds(1)))) == nil)
        #expect(CgroupLimitItems.problem(with: ResourceLimits(cpuQuota: .cpus(-3))) != nil)
        #expect(CgroupLimitItems.problem(with: ResourceLimits(cpuQuota: .cpus(.infinity))) != nil)
        #expect(CgroupLimitItems.problem(with: ResourceLimits(processes: .limited(-1))) != nil)
        #expect(CgroupLimitItems.problem(with: ResourceLimits(cpuQuota: .unlimited)) == nil)
    }

    @Test func cgroupFileCounterpartsNameTheOtherVersionsFile() {
        #expect(CgroupFileNames.counterpart(of: "memory.max", on: .v1) == "memory.limit_in_bytes")
        #expect(CgroupFileNames.counterpart(of: "memory.peak", on: .v1) == "memory.max_usage_in_bytes")
        #expect(CgroupFileNames.counterpart(of: "memory.limit_in_bytes", on: .v2) == "memory.max")
        #expect(CgroupFileNames.counterpart(of: "cpu.cfs_quota_us", on: .v2) == "cpu.max")
        #expect(CgroupFileNames.counterpart(of: "pids.max", on: .v1) == nil)
        #expect(CgroupFileNames.counterpart(of: "memory.limit_in_bytes", on: .v1) == nil)
    }

    @Test func interfacesAreWrittenTypeFirstWithFlagsUp() {
        let veth = NetworkItems.items(for: .veth(onBridge: "br0", addresses: ["198.51.100.5/24", "2001:db8::5/64"],
                                                 gateway: "198.51.100.1"), index: 2)
        #expect(veth.map { "\($0.0) = \($0.1)" } == [
            "lxc.net.2.type = veth", "lxc.net.2.link = br0", "lxc.net.2.name = eth0", "lxc.net.2.flags = up",
            "lxc.net.2.ipv4.address = 198.51.100.5/24", "lxc.net.2.ipv6.address = 2001:db8::5/64",
            "lxc.net.2.ipv4.gateway = 198.51.100.1",
        ])
        let macvlan = NetworkItems.items(for: NetworkInterface(link: .macvlan(parent: "eno1", mode: .passthrough),
                                                               name: "mv0", isUp: false), index: 0)
        #expect(macvlan.map { "\($0.0) = \($0.1)" } == [
            "lxc.net.0.type = macvlan", "lxc.net.0.link = eno1", "lxc.net.0.macvlan.mode = passthru",
            "lxc.net.0.name = mv0",
        ])
        let physical = NetworkItems.items(for: .physical("dummy0", name: "eth1"), index: 1)
        #expect(physical.first! == ("lxc.net.1.type", "phys"))
    }

    @Test(arguments: ["198.51.100.5", "198.51.100.5/24", "2001:db8::1/64", "::1"])
    func goodAddressesPass(address: String) {
        #expect(NetworkItems.addressProblem(address) == nil)
    }

    @Test(arguments: ["", "198.51.100", "198.51.100.5/", "198.51.100.5/33", "2001:db8::1/129", "x/24", "198.51.100.5 /24"])
    func badAddressesAreProblems(address: String) {
        #expect(NetworkItems.addressProblem(address) != nil)
    }

    @Test func hardwareAddressesArePairsOfHexDigitsOrX() {
        #expect(NetworkItems.isHardwareAddress("00:16:3e:xx:xx:xx"))
        #expect(NetworkItems.isHardwareAddress("00:16:3E:AB:cd:01"))
        #expect(!NetworkItems.isHardwareAddress("00:16:3e:xx:xx"))
        #expect(!NetworkItems.isHardwareAddress("00:16:3e:xx:xx:xg"))
        #expect(!NetworkItems.isHardwareAddress("0016:3e:xx:xx:xx:x"))
    }
}

@Suite("A start that failed in AppArmor's setup")
struct AppArmorStartProblemTests {
    @Test(arguments: [
        "ERROR    apparmor - ../src/lxc/lsm/apparmor.c:apparmor_prepare:1082 - Cannot use generated profile: apparmor_parser not available",
        "ERROR    apparmor - ../src/lxc/lsm/apparmor.c:apparmor_process_label_set_at:1228 - Invalid argument - Failed to change AppArmor profile to lxc-container-default-cgns",
        "ERROR    apparmor - ../src/lxc/lsm/apparmor.c:apparmor_process_label_set:1121 - Already AppArmor confined, but new label requested.",
    ])
    func appArmorFailuresSayToUseUnconfined(line: String) {
        let explanation = AppArmorStartProblem.explanation(["ERROR    start - Failed to spawn container", line])
        #expect(explanation?.contains("lxc.apparmor.profile = unconfined") == true)
    }

    @Test func otherFailuresAreNotBlamedOnAppArmor() {
        #expect(AppArmorStartProblem.explanation(["ERROR    network - Failed to create the network"]) == nil)
        #expect(AppArmorStartProblem.explanation([]) == nil)
    }
}
