/// The cgroup version that holds a controller of a container.
///
/// A host can mount both: on a "hybrid" host (this one, say) every controller is on v1 and
/// the cgroup2 mount holds none. The file names differ (`memory.limit_in_bytes` on v1,
/// `memory.max` on v2); the typed methods of ``Container`` pick the right ones.
public enum CgroupVersion: Sendable, Hashable, CustomStringConvertible {
    /// A legacy hierarchy with its own controllers (`/sys/fs/cgroup/memory`, …).
    case v1
    /// The unified hierarchy (`cgroup2`).
    case v2

    /// "cgroup v1" or "cgroup v2".
    public var description: String { self == .v1 ? "cgroup v1" : "cgroup v2" }
}
