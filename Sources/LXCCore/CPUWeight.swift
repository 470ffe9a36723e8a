/// A container's share of CPU time when CPUs are contended, in the unit its cgroup version
/// uses.
///
/// v1 counts `cpu.shares` (2…262144, default 1024); v2 counts `cpu.weight` (1…10000, default
/// 100). Both set the same scheduler weight; ``shares`` and ``weight`` convert between them
/// as the kernel does (weight 100 is 1024 shares), so the default maps to the default.
public enum CPUWeight: Sendable, Hashable {
    /// cgroup v1 `cpu.shares`.
    case shares(UInt64)
    /// cgroup v2 `cpu.weight`.
    case weight(UInt64)

    /// The value as v1 shares, clamped to 2…262144.
    public var shares: UInt64 {
        switch self {
        case .shares(let shares): return min(max(shares, 2), 262_144)
        case .weight(let weight): return min(max(weight.multipliedReportingOverflow(by: 1024).partialValue / 100, 2), 262_144)
        }
    }

    /// The value as a v2 weight, clamped to 1…10000.
    public var weight: UInt64 {
        switch self {
        case .shares(let shares): return min(max(shares.multipliedReportingOverflow(by: 100).partialValue / 1024, 1), 10_000)
        case .weight(let weight): return min(max(weight, 1), 10_000)
        }
    }
}
