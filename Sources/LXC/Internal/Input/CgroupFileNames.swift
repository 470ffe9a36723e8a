/// The files of one cgroup version that stand for a file of the other, for messages that
/// name the right file on this host ("memory.max" on a v1 host is `memory.limit_in_bytes`).
enum CgroupFileNames {
    /// v2 file → the v1 file(s) with the same meaning.
    static let v2ToV1: [String: String] = [
        "memory.max": "memory.limit_in_bytes",
        "memory.current": "memory.usage_in_bytes",
        "memory.peak": "memory.max_usage_in_bytes",
        "memory.low": "memory.soft_limit_in_bytes",
        "memory.swap.max": "memory.memsw.limit_in_bytes (memory and swap together)",
        "memory.swap.current": "memory.memsw.usage_in_bytes (memory and swap together)",
        "memory.events": "memory.oom_control and memory.failcnt",
        "memory.stat": "memory.stat",
        "cpu.max": "cpu.cfs_quota_us with cpu.cfs_period_us",
        "cpu.weight": "cpu.shares",
        "cpu.stat": "cpuacct.usage and cpuacct.stat",
        "io.stat": "blkio.throttle.io_service_bytes",
        "io.max": "blkio.throttle.read_bps_device and its kin",
        "io.weight": "blkio.weight",
        "pids.max": "pids.max",
        "pids.current": "pids.current",
    ]

    /// The name(s) of the file that stands for `file` on `version`, or nil when `file`
    /// already is of that version or has no counterpart.
    static func counterpart(of file: String, on version: CgroupVersion) -> String? {
        switch version {
        case .v1:
            guard let v1 = v2ToV1[file], v1 != file else { return nil }
            return v1
        case .v2:
            for (v2, v1) in v2ToV1 where v1 == file && v2 != file { return v2 }
            if file == "cpu.cfs_quota_us" || file == "cpu.cfs_period_us" { return "cpu.max" }
            if file == "memory.memsw.limit_in_bytes" { return "memory.swap.max (swap alone)" }
            if file == "memory.kmem.limit_in_bytes" { return nil }
            return nil
        }
    }

    /// An example file name for messages: the memory limit of the host's cgroup version.
    static var exampleFile: String {
        LXC.cgroupVersion(for: .memory) == .v1 ? "memory.limit_in_bytes" : "memory.max"
    }
}
