import Glibc

extension Container {
    // MARK: typed network configuration

    /// Gives the container its network: replaces every `lxc.net.*` item on this handle with
    /// a complete set for `network`.
    ///
    /// ```swift
    /// try container.setNetwork(.veth(onBridge: "br0", addresses: ["198.51.100.10/24"],
    ///                                gateway: "198.51.100.1"))
    /// try container.saveConfig()
    /// ```
    ///
    /// Every network item is cleared first (`lxc.net`), and each interface is then written
    /// type first: liblxc resets an index's other items when its type is set, so an
    /// `lxc.net.0.flags = up` written before a later `lxc.net.0.type = veth` would be lost,
    /// and the interface would come up DOWN. For each interface the library writes
    /// `type`, `link`, `macvlan.mode`, `name`, `flags = up`, `hwaddr`, `mtu`,
    /// `ipv4.address`/`ipv6.address` and `ipv4.gateway`/`ipv6.gateway` as given.
    /// ``NetworkConfiguration/loopbackOnly`` writes `lxc.net.0.type = empty`.
    ///
    /// Like ``setConfigItem(_:to:)`` this changes the configuration on this handle; every
    /// start from it uses the new network, and ``saveConfig(to:)-6j074`` keeps it. A running
    /// container keeps its interfaces until it stops. The corresponding liblxc calls are
    /// `c->clear_config_item` and `c->set_config_item`.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/invalidArgument``, before anything changes,
    ///   for an interface name or host device longer than 15 bytes or with `/`, `:` or
    ///   white space, two interfaces with one name, an address that is not an IPv4 or IPv6
    ///   address with an optional prefix length, a gateway of the wrong family, an MTU
    ///   outside 68…65535, or a MAC address that is not six `:`-separated pairs of hex
    ///   digits or `x`; ``LXCError/Kind/invalidArgument`` when liblxc refuses an item (the
    ///   network items are then left cleared).
    public func setNetwork(_ network: NetworkConfiguration) throws {
        let operation = "setNetwork"
        let interfaces: [NetworkInterface]
        switch network {
        case .loopbackOnly: interfaces = []
        case .interfaces(let list): interfaces = list
        }
        var names = Set<String>()
        for interface in interfaces {
            try Validate.networkInterface(interface, operation: operation, container: name)
            if !names.insert(interface.name).inserted {
                throw LXCError.invalid(operation, name, "two interfaces are named \(quoted(interface.name))")
            }
        }
        try renamingErrors(operation) {
            try clearConfigItem("lxc.net")
            if interfaces.isEmpty {
                try setConfigItem("lxc.net.0.type", to: "empty")
                return
            }
            for (index, interface) in interfaces.enumerated() {
                for (key, value) in NetworkItems.items(for: interface, index: index) {
                    try setConfigItem(key, to: value)
                }
            }
        }
    }

    /// Sets one interface, `lxc.net.<index>`, leaving the container's other interfaces as
    /// they are.
    ///
    /// The index's items are cleared first (`lxc.net.<index>`), then written type first as
    /// ``setNetwork(_:)`` does; so turning an `empty` index into a veth keeps `flags = up`
    /// and leaves no line of the old type. The corresponding liblxc calls are
    /// `c->clear_config_item` and `c->set_config_item`.
    ///
    /// - Throws: as ``setNetwork(_:)``; ``LXCError/Kind/invalidArgument`` also for a
    ///   negative index.
    public func setNetworkInterface(_ interface: NetworkInterface, at index: Int) throws {
        let operation = "setNetworkInterface"
        if index < 0 || index > 9999 { throw LXCError.invalid(operation, name, "network index \(index) is outside 0…9999") }
        try Validate.networkInterface(interface, operation: operation, container: name)
        try renamingErrors(operation) {
            // liblxc has nothing to clear at an index that is not configured.
            if try configItem("lxc.net.\(index).type") != nil { try clearConfigItem("lxc.net.\(index)") }
            for (key, value) in NetworkItems.items(for: interface, index: index) {
                try setConfigItem(key, to: value)
            }
        }
    }

    private func renamingErrors(_ operation: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch var error as LXCError {
            error.operation = operation
            throw error
        }
    }

    // MARK: a start that failed on a missing host device

    /// For a failed start: the first network interface whose bridge or host device does
    /// not exist on the host, explained with what to do; nil when every configured link
    /// exists or the log says nothing of the network.
    func missingNetworkLinkProblem(_ log: [String]) -> String? {
        guard let types = try? configItem("lxc.net") else { return nil }
        var remaining = types.split(separator: "\n").count
        var index = 0
        while remaining > 0 && index < 10_000 {
            defer { index += 1 }
            guard let type = try? configItem("lxc.net.\(index).type") else { continue }
            remaining -= 1
            guard ["veth", "macvlan", "ipvlan", "vlan", "phys"].contains(type),
                  let link = try? configItem("lxc.net.\(index).link"), !link.isEmpty,
                  !link.contains("/"), link != ".", link != "..",
                  !fileExists("/sys/class/net/\(link)")
            else { continue }
            let mentioned = log.contains { $0.contains(link) || $0.isAboutNetwork }
            guard mentioned || log.isEmpty else { continue }
            if type == "veth" {
                return "the bridge \(quoted(link)) that lxc.net.\(index).link names does not exist on the host; "
                    + "create it (ip link add \(link) type bridge && ip link set \(link) up), or start the container "
                    + "without a network device: lxc.net.\(index).type = empty, or setNetwork(.loopbackOnly)"
            }
            return "the host device \(quoted(link)) that lxc.net.\(index).link (type \(type)) names does not exist on the host; "
                + "create it or name another, or start the container without a network device: "
                + "lxc.net.\(index).type = empty, or setNetwork(.loopbackOnly)"
        }
        return nil
    }
}

private extension String {
    /// Whether a liblxc log line is about the network setup.
    var isAboutNetwork: Bool { contains("network") || contains("netdev") || contains("lxc-user-nic") }
}

/// The `lxc.net.N.*` items of a typed interface, type first; no liblxc.
enum NetworkItems {
    static func items(for interface: NetworkInterface, index: Int) -> [(String, String)] {
        let prefix = "lxc.net.\(index)."
        var items: [(String, String)] = []
        switch interface.link {
        case .bridge(let bridge):
            items.append((prefix + "type", "veth"))
            items.append((prefix + "link", bridge))
        case .macvlan(let parent, let mode):
            items.append((prefix + "type", "macvlan"))
            items.append((prefix + "link", parent))
            items.append((prefix + "macvlan.mode", mode.rawValue))
        case .physical(let device):
            items.append((prefix + "type", "phys"))
            items.append((prefix + "link", device))
        }
        items.append((prefix + "name", interface.name))
        if interface.isUp { items.append((prefix + "flags", "up")) }
        if let hardwareAddress = interface.hardwareAddress { items.append((prefix + "hwaddr", hardwareAddress)) }
        if let mtu = interface.mtu { items.append((prefix + "mtu", String(mtu))) }
        for address in interface.addresses {
            items.append((prefix + (address.contains(":") ? "ipv6.address" : "ipv4.address"), address))
        }
        if let gateway = interface.gateway { items.append((prefix + "ipv4.gateway", gateway)) }
        if let gateway = interface.ipv6Gateway { items.append((prefix + "ipv6.gateway", gateway)) }
        return items
    }

    /// Whether `text` is an address of `family` (`AF_INET` or `AF_INET6`).
    static func isAddress(_ text: String, family: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        return inet_pton(family, text, &buffer) == 1
    }

    /// Why `address` (`"198.51.100.10/24"`, `"2001:db8::1/64"`) is not a CIDR address, or nil.
    static func addressProblem(_ address: String) -> String? {
        let parts = address.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let family = address.contains(":") ? AF_INET6 : AF_INET
        guard isAddress(String(parts[0]), family: family) else {
            return "\(quoted(address)) is not an IPv4 or IPv6 address (such as \"198.51.100.10/24\")"
        }
        if parts.count == 2 {
            let most = family == AF_INET6 ? 128 : 32
            guard let length = Int(parts[1]), (0...most).contains(length) else {
                return "\(quoted(address)) has a prefix length outside 0…\(most)"
            }
        }
        return nil
    }

    /// Whether `text` is a MAC address of six pairs of hex digits or `x`, `:`-separated.
    static func isHardwareAddress(_ text: String) -> Bool {
        let pairs = text.split(separator: ":", omittingEmptySubsequences: false)
        return pairs.count == 6 && pairs.allSatisfy { pair in
            pair.count == 2 && pair.allSatisfy { $0.isHexDigit || $0 == "x" || $0 == "X" }
        }
    }
}

extension Validate {
    /// A typed interface: names, addresses, gateways, MTU and MAC address.
    static func networkInterface(_ interface: NetworkInterface, operation: String, container: String?) throws {
        try interfaceName(interface.name, operation: operation, container: container)
        switch interface.link {
        case .bridge(let device), .macvlan(let device, _), .physical(let device):
            try interfaceName(device, operation: operation, container: container)
        }
        for address in interface.addresses {
            if let problem = NetworkItems.addressProblem(address) { throw LXCError.invalid(operation, container, problem) }
        }
        if let gateway = interface.gateway, gateway != "auto", gateway != "dev",
           !NetworkItems.isAddress(gateway, family: AF_INET) {
            throw LXCError.invalid(operation, container, "the IPv4 gateway \(quoted(gateway)) is not an IPv4 address, \"auto\" or \"dev\"")
        }
        if let gateway = interface.ipv6Gateway, gateway != "auto", gateway != "dev",
           !NetworkItems.isAddress(gateway, family: AF_INET6) {
            throw LXCError.invalid(operation, container, "the IPv6 gateway \(quoted(gateway)) is not an IPv6 address, \"auto\" or \"dev\"")
        }
        if let mtu = interface.mtu, !(68...65535).contains(mtu) {
            throw LXCError.invalid(operation, container, "the MTU \(mtu) is outside 68…65535")
        }
        if let hardwareAddress = interface.hardwareAddress, !NetworkItems.isHardwareAddress(hardwareAddress) {
            throw LXCError.invalid(operation, container,
                                   "\(quoted(hardwareAddress)) is not a MAC address (six pairs of hex digits or x, such as \"00:16:3e:xx:xx:xx\")")
        }
    }
}
