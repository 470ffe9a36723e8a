/// An IP address family, for `Container.ipAddresses(interface:family:scope:)`.
public enum AddressFamily: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// IPv4 (`"inet"` to liblxc).
    case ipv4 = "inet"
    /// IPv6 (`"inet6"` to liblxc).
    case ipv6 = "inet6"

    /// The family name liblxc takes.
    package var liblxcName: String { rawValue }

    /// "IPv4" or "IPv6".
    public var description: String { self == .ipv4 ? "IPv4" : "IPv6" }
}

