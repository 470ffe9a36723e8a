/// One network interface of a container: how it reaches the host's network, its name
/// inside the container, and optional static addresses and gateways.
///
/// The interface comes up (`lxc.net.N.flags = up`) unless ``isUp`` is false. Addresses are
/// written in CIDR form, `"198.51.100.10/24"` or `"2001:db8::10/64"`; the family is told by
/// the address. Without addresses the container's own init configures the interface (the
/// busybox template runs `udhcpc`, say).
public struct NetworkInterface: Sendable, Hashable {
    /// How the interface reaches the host's network.
    public enum Link: Sendable, Hashable {
        /// A veth pair whose host end joins this bridge (`lxc.net.N.type = veth`,
        /// `lxc.net.N.link = bridge`). The bridge must exist when the container starts.
        case bridge(String)
        /// A macvlan interface on this host device (`lxc.net.N.type = macvlan`,
        /// `lxc.net.N.macvlan.mode`).
        case macvlan(parent: String, mode: MacvlanMode)
        /// This host device, moved into the container while it runs (`lxc.net.N.type =
        /// phys`); the host loses it until the container stops.
        case physical(String)
    }

    /// How the interface reaches the host's network.
    public var link: Link
    /// Its name inside the container (`lxc.net.N.name`), `eth0` by default.
    public var name: String
    /// Static addresses in CIDR form (`lxc.net.N.ipv4.address`, `lxc.net.N.ipv6.address`).
    public var addresses: [String]
    /// The IPv4 default gateway (`lxc.net.N.ipv4.gateway`), or nil.
    public var gateway: String?
    /// The IPv6 default gateway (`lxc.net.N.ipv6.gateway`), or nil.
    public var ipv6Gateway: String?
    /// The MAC address (`lxc.net.N.hwaddr`, `x` digits are filled in at random), or nil
    /// for one liblxc chooses.
    public var hardwareAddress: String?
    /// The MTU (`lxc.net.N.mtu`), or nil for the default.
    public var mtu: Int?
    /// Whether the interface is brought up at start (`lxc.net.N.flags = up`).
    public var isUp: Bool

    /// An interface with every setting given.
    public init(link: Link, name: String = "eth0", addresses: [String] = [], gateway: String? = nil,
                ipv6Gateway: String? = nil, hardwareAddress: String? = nil, mtu: Int? = nil, isUp: Bool = true) {
        self.link = link
        self.name = name
        self.addresses = addresses
        self.gateway = gateway
        self.ipv6Gateway = ipv6Gateway
        self.hardwareAddress = hardwareAddress
        self.mtu = mtu
        self.isUp = isUp
    }

    /// A veth pair: `name` inside the container, its peer on the host joined to `bridge`.
    public static func veth(onBridge bridge: String, name: String = "eth0", addresses: [String] = [],
                            gateway: String? = nil) -> NetworkInterface {
        NetworkInterface(link: .bridge(bridge), name: name, addresses: addresses, gateway: gateway)
    }

    /// A macvlan interface on the host device `parent`, in `mode` (`.bridge` lets the
    /// macvlan interfaces on one parent reach each other).
    public static func macvlan(on parent: String, mode: MacvlanMode = .bridge, name: String = "eth0",
                               addresses: [String] = [], gateway: String? = nil) -> NetworkInterface {
        NetworkInterface(link: .macvlan(parent: parent, mode: mode), name: name, addresses: addresses, gateway: gateway)
    }

    /// The host device `device`, moved into the container as `name`.
    public static func physical(_ device: String, name: String = "eth0", addresses: [String] = [],
                                gateway: String? = nil) -> NetworkInterface {
        NetworkInterface(link: .physical(device), name: name, addresses: addresses, gateway: gateway)
    }
}
