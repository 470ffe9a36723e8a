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
    /// The addresses of its network interfaces by interface name, in LXD's order
    /// (`"lo": [127.0.0.1/8, ::1/128]`). Empty when it is not running or was listed without
    /// them; an interface without addresses is left out. The interfaces' other values
    /// (counters, MTU, …) are in ``LXDInstance/runtimeState()``.
    public var addresses: [String: [LXDInterfaceAddress]]
    /// Whether it is a container or a virtual machine (`container`, `virtual-machine`).
    public var type: String

    /// A summary with every value given.
    public init(name: String, state: ContainerState, status: String, location: String?,
                addresses: [String: [LXDInterfaceAddress]], type: String) {
        self.name = name
        self.state = state
        self.status = status
        self.location = location
        self.addresses = addresses
        self.type = type
    }

    init(_ body: InstanceListBody) {
        var addresses: [String: [LXDInterfaceAddress]] = [:]
        for (interface, network) in body.state?.network ?? [:] {
            let found = LXDInterfaceState(name: interface, network).addresses
            if !found.isEmpty { addresses[interface] = found }
        }
        self.init(name: body.name, state: ContainerState(liblxcName: body.status ?? ""), status: body.status ?? "",
                  location: normalisedLocation(body.location), addresses: addresses, type: body.type ?? "")
    }
}

/// An instance as `GET /1.0/instances?recursion=1` (or `=2`, with `state`) returns it.
struct InstanceListBody: Decodable {
    /// The part of the state (`recursion=2`) a summary keeps.
    struct State: Decodable {
        var network: [String: InstanceStateBody.Network]?
    }
    var name: String
    var status: String?
    var location: String?
    var type: String?
    var state: State?
}
