/// When typed resource limits given to a container (`setLimits(_:when:)` of the local
/// backend's `Container`) take effect.
public enum LimitTiming: Sendable, Hashable {
    /// From the container's next start: the limit is written into its configuration
    /// (`lxc.cgroup.*` on cgroup v1, `lxc.cgroup2.*` on v2), and liblxc applies it to the
    /// container's cgroup before its first process runs.
    case fromStart
    /// At once, in the running container's cgroup, until it stops.
    case now
    /// Both: at once, and from every later start.
    case nowAndFromStart

    /// Whether the running container's cgroup is changed.
    public var appliesNow: Bool { self != .fromStart }
    /// Whether the configuration is changed.
    public var appliesFromStart: Bool { self != .now }
}
