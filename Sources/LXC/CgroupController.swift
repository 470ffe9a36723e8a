/// The cgroup controllers the typed resource methods read.
public enum CgroupController: String, Sendable, Hashable, CaseIterable {
    /// Memory (`memory`).
    case memory
    /// CPU time and weight (`cpu`, and `cpuacct` on v1).
    case cpu
    /// Process count (`pids`).
    case pids
    /// Block I/O (`blkio` on v1, `io` on v2).
    case blockIO
    /// Device access (`devices` on v1; a BPF program on v2).
    case devices

    /// The controller names that stand for this one in `/proc/PID/cgroup` on v1.
    var v1Names: [String] {
        switch self {
        case .memory: return ["memory"]
        case .cpu: return ["cpuacct", "cpu"]
        case .pids: return ["pids"]
        case .blockIO: return ["blkio"]
        case .devices: return ["devices"]
        }
    }
}
