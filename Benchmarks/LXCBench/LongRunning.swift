import Glibc
import LXC

/// RSS before and after 100,000 handle and 100,000 config operations: it must stay flat.
func rssFlat(lxcpath: String) throws {
    let operations = 100_000
    let reader = try Container(name: "bench-base", lxcpath: lxcpath)
    for _ in 0..<2_000 {
        _ = try Container(name: "bench-base", lxcpath: lxcpath).state
        _ = try reader.configItem("lxc.uts.name")
    }
    let before = currentRSSKiB()
    let elapsed = try measure(operations) {
        let container = try Container(name: "bench-base", lxcpath: lxcpath)
        _ = container.isDefined
        _ = try reader.configItem("lxc.uts.name")
    }
    let after = currentRSSKiB()
    print("scenario=rss_flat n=\(operations) per_op_us=\(fixed(Double(elapsed) / Double(operations) / 1000, 3)) "
        + "rss_before_kib=\(before) rss_after_kib=\(after) growth_kib=\(after - before)")
}

/// 1,000 start/stop cycles from one process: the per-cycle cost must stay flat and no
/// `lxc.monitor.<name>` cgroup may be left behind.
func startStopCycles(lxcpath: String) throws {
    let cycles = 1000
    let name = "bench-cycles"
    let container = try makeBusybox(name, in: lxcpath)
    defer { try? container.destroy() }
    var times: [Int64] = []
    times.reserveCapacity(cycles)
    for _ in 0..<cycles {
        let start = nowNanoseconds()
        try container.start()
        try container.stop()
        times.append(nowNanoseconds() - start)
    }
    func meanMilliseconds(_ slice: ArraySlice<Int64>) -> Double {
        Double(slice.reduce(0, +)) / Double(slice.count) / 1_000_000
    }
    func medianMilliseconds(_ slice: ArraySlice<Int64>) -> Double {
        median(slice.map { Double($0) / 1_000_000 })
    }
    // The ratio compares the median cycles: a cost that grows with each start (what liblxc's
    // probing past left-over monitor cgroups does) moves every cycle, while the few cycles
    // of ten times the usual length that the machine's other work makes move a mean of 100
    // by several percent either way (they are in the means, printed too).
    let first = medianMilliseconds(times.prefix(100))
    let last = medianMilliseconds(times.suffix(100))
    usleep(500_000)
    let left = countMonitorCgroups(name)
    print("scenario=start_stop_cycles n=\(cycles) first100_p50_ms=\(fixed(first)) last100_p50_ms=\(fixed(last)) "
        + "last_over_first=\(fixed(last / first)) first100_mean_ms=\(fixed(meanMilliseconds(times.prefix(100)))) "
        + "last100_mean_ms=\(fixed(meanMilliseconds(times.suffix(100)))) monitor_cgroups_left=\(left)")
}

/// The number of `lxc.monitor.<name>*` directories in every cgroup hierarchy.
func countMonitorCgroups(_ name: String) -> Int {
    var count = 0
    let roots = ["/sys/fs/cgroup"] + directoryEntries("/sys/fs/cgroup").map { "/sys/fs/cgroup/" + $0 }
    for root in roots {
        count += directoryEntries(root).filter { $0.hasPrefix("lxc.monitor.\(name)") }.count
    }
    return count
}

func directoryEntries(_ path: String) -> [String] {
    guard let directory = opendir(path) else { return [] }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
        let name = withUnsafePointer(to: entry.pointee.d_name) {
            $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

/// 100 async lifecycles over 10 containers, all at once, against the same work one by one.
func concurrentLifecycles(lxcpath: String) async throws {
    let containers = try (0..<10).map { try makeBusybox("bench-conc-\($0)", in: lxcpath) }
    defer { for container in containers { try? container.destroy() } }
    let rounds = 10

    let serialStart = nowNanoseconds()
    for _ in 0..<rounds {
        for container in containers {
            try await container.start()
            try await container.stop()
        }
    }
    let serial = Double(nowNanoseconds() - serialStart) / 1_000_000

    let concurrentStart = nowNanoseconds()
    try await withThrowingTaskGroup(of: Void.self) { group in
        for container in containers {
            group.addTask {
                for _ in 0..<rounds {
                    try await container.start()
                    try await container.stop()
                }
            }
        }
        try await group.waitForAll()
    }
    let concurrent = Double(nowNanoseconds() - concurrentStart) / 1_000_000
    print("scenario=concurrent_lifecycles n=\(rounds * containers.count) serial_ms=\(fixed(serial, 0)) "
        + "concurrent_ms=\(fixed(concurrent, 0)) speedup=\(fixed(serial / concurrent))")
}
