import LXC

/// The addresses of a running container, by family.
enum Addresses {
    enum Family { case ipv4, ipv6 }

    /// The container's global addresses of `family` on every interface but loopback; empty
    /// when it has none or stopped meanwhile.
    static func of(_ container: Container, _ family: Family) -> [String] {
        (try? container.ipAddresses(family: family == .ipv4 ? .ipv4 : .ipv6)) ?? []
    }
}
