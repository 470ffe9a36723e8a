import LXCCore

/// One address of an LXD instance's network interface (see ``LXDInterfaceState``).
public struct LXDInterfaceAddress: Sendable, Hashable, CustomStringConvertible {
    /// IPv4 or IPv6 (LXD's `inet`, `inet6`).
    public var family: AddressFamily
    /// The address, `"127.0.0.1"` or `"::1"`.
    public var address: String
    /// The length of the network prefix, 8 for `127.0.0.1/8` (LXD's `netmask`, which holds
    /// the prefix length); nil when LXD gives none.
    public var prefixLength: Int?
    /// The address's scope as LXD names it: `global`, `link`, `local` (host-only, such as
    /// the loopback's).
    public var scope: String

    /// An address with every value given.
    public init(family: AddressFamily, address: String, prefixLength: Int?, scope: String) {
        self.family = family
        self.address = address
        self.prefixLength = prefixLength
        self.scope = scope
    }

    /// The address in CIDR form, `"127.0.0.1/8"` (the bare address without a prefix length).
    public var description: String {
        prefixLength.map { "\(address)/\($0)" } ?? address
    }
}
