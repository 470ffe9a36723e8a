import LXC

/// The addresses of a running container, by family.
enum Addresses {
    enum Family { case ipv4, ipv6 }

    static func of(_ container: Container, _ family: Family) -> [String] {
        // Filled in once the network API lands.
        []
    }
}
