/// A set of typed resource limits for a container; nil leaves a limit as it is.
///
/// ```swift
/// let limits = ResourceLimits(memory: .limited(.mebibytes(64)), cpuQuota: .cpus(1.5),
///                             processes: .limited(100))
/// try container.setLimits(limits, when: .fromStart)
/// try container.start()                  // its first process runs under the limits
/// ```
public struct ResourceLimits: Sendable, Hashable, CustomStringConvertible {
    /// The memory limit; past it the kernel reclaims memory and then kills processes of the
    /// container (`memory.limit_in_bytes` on cgroup v1, `memory.max` on v2).
    public var memory: ResourceLimit<ByteCount>?
    /// The CPU time the container may use (`cpu.cfs_quota_us` and `cpu.cfs_period_us` on
    /// v1, `cpu.max` on v2).
    public var cpuQuota: CPUQuota?
    /// The container's share of contended CPUs (`cpu.shares` on v1, `cpu.weight` on v2).
    public var cpuWeight: CPUWeight?
    /// The most processes and threads the container may have (`pids.max`).
    public var processes: ResourceLimit<Int>?

    /// Limits with the given members; the others are left as they are.
    public init(memory: ResourceLimit<ByteCount>? = nil, cpuQuota: CPUQuota? = nil,
                cpuWeight: CPUWeight? = nil, processes: ResourceLimit<Int>? = nil) {
        self.memory = memory
        self.cpuQuota = cpuQuota
        self.cpuWeight = cpuWeight
        self.processes = processes
    }

    /// The limits given, such as "memory 64 MiB, CPU quota 1.5 CPUs (150000 µs per 100000 µs),
    /// processes 100"; "no limits" when none is.
    public var description: String {
        func text<T>(_ limit: ResourceLimit<T>) -> String { limit.value.map { "\($0)" } ?? "unlimited" }
        var parts: [String] = []
        if let memory { parts.append("memory \(text(memory))") }
        if let cpuQuota { parts.append("CPU quota \(cpuQuota)") }
        if let cpuWeight { parts.append("CPU weight \(cpuWeight.weight) (\(cpuWeight.shares) shares)") }
        if let processes { parts.append("processes \(text(processes))") }
        return parts.isEmpty ? "no limits" : parts.joined(separator: ", ")
    }

    /// Whether no limit is given.
    public var isEmpty: Bool { memory == nil && cpuQuota == nil && cpuWeight == nil && processes == nil }
}
