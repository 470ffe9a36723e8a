/// The network a container gets: only loopback, or a list of interfaces.
///
/// ```swift
/// try container.setNetwork(.veth(onBridge: "br0", addresses: ["198.51.100.10/24"],
///                                gateway: "198.51.100.1"))
/// try container.setNetwork(.loopbackOnly)
/// ```
///
/// The local backend writes it as a complete set of `lxc.net.N.*` items, replacing every
/// network item the container had.
public enum NetworkConfiguration: Sendable, Hashable {
    /// A network namespace of its own with only the loopback interface
    /// (`lxc.net.0.type = empty`). Not liblxc's `none`, which would share the host's network.
    case loopbackOnly
    /// These interfaces, `lxc.net.0` for the first.
    case interfaces([NetworkInterface])

    /// One veth pair whose host end joins `bridge`; see ``NetworkInterface/veth(onBridge:name:addresses:gateway:)``.
    public static func veth(onBridge bridge: String, name: String = "eth0", addresses: [String] = [],
                            gateway: String? = nil) -> NetworkConfiguration {
        .interfaces([.veth(onBridge: bridge, name: name, addresses: addresses, gateway: gateway)])
    }

    /// One macvlan interface on the host device `parent`; see ``NetworkInterface/macvlan(on:mode:name:addresses:gateway:)``.
    public static func macvlan(on parent: String, mode: MacvlanMode = .bridge, name: String = "eth0",
                               addresses: [String] = [], gateway: String? = nil) -> NetworkConfiguration {
        .interfaces([.macvlan(on: parent, mode: mode, name: name, addresses: addresses, gateway: gateway)])
    }

    /// The host device `device` moved into the container; see ``NetworkInterface/physical(_:name:addresses:gateway:)``.
    public static func physical(_ device: String, name: String = "eth0", addresses: [String] = [],
                                gateway: String? = nil) -> NetworkConfiguration {
        .interfaces([.physical(device, name: name, addresses: addresses, gateway: gateway)])
    }
}
