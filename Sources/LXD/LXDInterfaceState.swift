import LXCCore

/// One network interface of a running LXD instance, as LXD reports it in the instance's
/// state (``LXDInstanceState/network``).
public struct LXDInterfaceState: Sendable, Hashable {
    /// The interface's name inside the instance (`lo`, `eth0`, …).
    public var name: String
    /// LXD's kind of interface (`loopback`, `broadcast`, `point-to-point`, …).
    public var type: String
    /// Whether the interface is up (LXD's `state` is `up`).
    public var isUp: Bool
    /// Its addresses, IPv4 and IPv6, in LXD's order.
    public var addresses: [LXDInterfaceAddress]
    /// Its traffic counters: bytes and packets received and sent.
    public var statistics: InterfaceStatistics
    /// Receive errors the kernel counted (LXD's `errors_received`).
    public var receiveErrors: UInt64
    /// Send errors the kernel counted (LXD's `errors_sent`).
    public var transmitErrors: UInt64
    /// Inbound packets dropped (LXD's `packets_dropped_inbound`).
    public var droppedInbound: UInt64
    /// Outbound packets dropped (LXD's `packets_dropped_outbound`).
    public var droppedOutbound: UInt64
    /// The MAC address, or nil when it has none (the loopback).
    public var hardwareAddress: String?
    /// The MTU.
    public var mtu: Int?
    /// The name of the host's end of the interface (a veth's), or nil when there is none.
    public var hostName: String?

    /// An interface's state with every value given.
    public init(name: String, type: String, isUp: Bool, addresses: [LXDInterfaceAddress],
                statistics: InterfaceStatistics, receiveErrors: UInt64 = 0, transmitErrors: UInt64 = 0,
                droppedInbound: UInt64 = 0, droppedOutbound: UInt64 = 0,
                hardwareAddress: String? = nil, mtu: Int? = nil, hostName: String? = nil) {
        self.name = name
        self.type = type
        self.isUp = isUp
        self.addresses = addresses
        self.statistics = statistics
        self.receiveErrors = receiveErrors
        self.transmitErrors = transmitErrors
        self.droppedInbound = droppedInbound
        self.droppedOutbound = droppedOutbound
        self.hardwareAddress = hardwareAddress
        self.mtu = mtu
        self.hostName = hostName
    }

    init(name: String, _ body: InstanceStateBody.Network) {
        func count(_ value: Int64?) -> UInt64 { UInt64(max(0, value ?? 0)) }
        let counters = body.counters
        self.init(
            name: name, type: body.type ?? "", isUp: body.state == "up",
            // LXD reports `inet` and `inet6` only; anything else is left out.
            addresses: (body.addresses ?? []).compactMap { address in
                AddressFamily(rawValue: address.family).map {
                    LXDInterfaceAddress(family: $0, address: address.address,
                                        prefixLength: address.netmask.flatMap { Int($0) }, scope: address.scope ?? "")
                }
            },
            statistics: InterfaceStatistics(
                interface: name, receivedBytes: ByteCount(count(counters?.bytes_received)),
                receivedPackets: count(counters?.packets_received),
                transmittedBytes: ByteCount(count(counters?.bytes_sent)),
                transmittedPackets: count(counters?.packets_sent)),
            receiveErrors: count(counters?.errors_received), transmitErrors: count(counters?.errors_sent),
            droppedInbound: count(counters?.packets_dropped_inbound),
            droppedOutbound: count(counters?.packets_dropped_outbound),
            hardwareAddress: body.hwaddr.flatMap { $0.isEmpty ? nil : $0 }, mtu: body.mtu,
            hostName: body.host_name.flatMap { $0.isEmpty ? nil : $0 })
    }
}
