import LXCCore

/// One instance as the daemon lists it: name, state, the cluster member it is on and,
/// when it runs, its addresses.
///
/// Get the list from ``LXDClient/instances(includingAddresses:)``.
public struct LXDInstanceSummary: Sendable, Hashable {
    /// The instance's name.
    public var name: String
    /// Its status as a ``ContainerState`` (`Running` is `.running`, and so on).
    public var state: ContainerState
    /// LXD's own name for the status (`Running`, `Stopped`, `Frozen`, `Error`, …).
    public var status: String
    /// The cluster member it is on; nil on a standalone daemon (which reports `none`).
    public var location: String?
    /// The addresses of its network interfaces by interface name, each in CIDR form in LXD's
    /// order: `["lo": ["127.0.0.1/8", "::1/128"], "eth0": ["198.51.100.5/24"]]`. Empty when it
    /// is not running or was listed without them; an interface without addresses is left out.
    public var addresses: [String: [String]]
    /// Whether it is a container or a virtual machine (`container`, `virtual-machine`).
    public var type: String

    /// A summary with every value given.
    public init(name: String, state: ContainerState, status: String, location: String?,
                addresses: [String: [String]], type: String) {
        self.name = name
        self.state = state
        self.status = status
        self.location = location
        self.addresses = addresses
        self.type = type
    }

    init(_ body: InstanceListBody) {
        var addresses: [String: [String]] = [:]
        for (interface, network) in body.state?.network ?? [:] {
            let cidrs = (network.addresses ?? []).map { address in
                address.netmask.map { "\(address.address)/\($0)" } ?? address.address
            }
            if !cidrs.isEmpty { addresses[interface] = cidrs }
        }
        self.init(name: body.name, state: ContainerState(liblxcName: body.status ?? ""), status: body.status ?? "",
                  location: normalisedLocation(body.location), addresses: addresses, type: body.type ?? "")
    }
}

/// An instance as `GET /1.0/instances?recursion=1` (or `=2`, with `state`) returns it.
struct InstanceListBody: Decodable {
    struct State: Decodable {
        struct Network: Decodable {
            struct Address: Decodable {
                var family: String?
                var address: String
                var netmask: String?
            }
            var addresses: [Address]?
        }
        var network: [String: Network]?
    }
    var name: String
    var status: String?
    var location: String?
    var type: String?
    var state: State?
}
