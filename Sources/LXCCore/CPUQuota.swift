/// How much CPU time a container may use, as a number of CPUs: `.cpus(1.5)` lets its
/// processes together run for 150 ms in every 100 ms period, the time of one and a half
/// CPUs, however many CPUs the host has.
///
/// The kernel counts the quota per period (CFS bandwidth control): cgroup v1 writes it as
/// `cpu.cfs_quota_us` and `cpu.cfs_period_us`, cgroup v2 as `cpu.max` (`"150000 100000"`).
/// Unlike ``CPUWeight``, which shares CPUs out only when they are contended, a quota holds
/// even on an idle host.
///
/// ```swift
/// try container.setCPUQuota(.cpus(0.5), when: .fromStart)
/// ```
public struct CPUQuota: Sendable, Hashable, CustomStringConvertible {
    /// The CPU time the container may use in each ``period``; nil for no quota.
    public var quota: Duration?
    /// The period the kernel counts the quota in; 100 ms by default, 1 ms to 1 s.
    public var period: Duration

    /// A quota of `quota` CPU time in every `period`; nil `quota` for none.
    public init(quota: Duration?, period: Duration = .milliseconds(100)) {
        self.quota = quota
        self.period = period
    }

    /// No quota: the container may use every CPU (`-1` in `cpu.cfs_quota_us`, `max` in
    /// `cpu.max`).
    public static let unlimited = CPUQuota(quota: nil)

    /// The time of `count` CPUs in every `period` (100 ms unless given): `.cpus(0.5)` is
    /// half of one CPU, `.cpus(2)` two whole CPUs. The quota is rounded to whole
    /// microseconds, the kernel's unit.
    public static func cpus(_ count: Double, period: Duration = .milliseconds(100)) -> CPUQuota {
        let periodMicroseconds = CPUQuota.microseconds(period)
        let quota = (Double(periodMicroseconds) * count).rounded()
        // A count that is negative or not a number gives a zero quota, and one too large for
        // the kernel the largest duration: the library refuses both when it applies them.
        guard quota.isFinite, quota >= 0 else { return CPUQuota(quota: .zero, period: period) }
        guard quota < Double(Int64.max / 1_000_000) else { return CPUQuota(quota: .seconds(Int64.max / 1_000_000), period: period) }
        return CPUQuota(quota: .microseconds(Int64(quota)), period: period)
    }

    /// The quota as a number of CPUs (quota divided by period), or nil for no quota.
    public var cpus: Double? {
        guard let quota else { return nil }
        let period = CPUQuota.microseconds(self.period)
        guard period > 0 else { return nil }
        return Double(CPUQuota.microseconds(quota)) / Double(period)
    }

    /// "1.5 CPUs (150000 µs per 100000 µs)", or "unlimited".
    public var description: String {
        guard let quota, let cpus else { return "unlimited" }
        let hundredths = Int((cpus * 100).rounded())
        let number = hundredths % 100 == 0 ? "\(hundredths / 100)"
            : hundredths % 10 == 0 ? "\(hundredths / 100).\(hundredths % 100 / 10)"
            : "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
        return "\(number) CPU\(hundredths == 100 ? "" : "s") (\(CPUQuota.microseconds(quota)) µs per \(CPUQuota.microseconds(period)) µs)"
    }

    /// A duration in whole microseconds, rounded toward zero.
    package static func microseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000)
        if overflow { return seconds < 0 ? Int64.min : Int64.max }
        return product &+ attoseconds / 1_000_000_000_000
    }

    /// The range the kernel accepts for a period, in microseconds (1 ms to 1 s).
    package static let periodRange: ClosedRange<Int64> = 1_000...1_000_000
    /// The range the kernel accepts for a quota, in microseconds (1 ms to about 203 days).
    package static let quotaRange: ClosedRange<Int64> = 1_000...((1 << 44) - 1)
}
