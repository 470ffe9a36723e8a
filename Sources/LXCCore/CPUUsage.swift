/// The CPU time the processes of a container have used since it started.
public struct CPUUsage: Sendable, Hashable {
    /// User and system time together (v1 `cpuacct.usage`, v2 `usage_usec` of `cpu.stat`).
    public var total: Duration
    /// Time in user mode, when the cgroup reports it (v1 `cpuacct.stat` in clock ticks,
    /// v2 `user_usec`).
    public var user: Duration?
    /// Time in the kernel, when the cgroup reports it.
    public var system: Duration?
    /// Time per CPU (v1 `cpuacct.usage_percpu`); nil on v2, which does not count it.
    public var perCPU: [Duration]?

    /// CPU time as the cgroup reports it; `user`, `system` and `perCPU` are nil or empty where the controller does not split it.
    public init(total: Duration, user: Duration? = nil, system: Duration? = nil, perCPU: [Duration]? = nil) {
        self.total = total
        self.user = user
        self.system = system
        self.perCPU = perCPU
    }
}
