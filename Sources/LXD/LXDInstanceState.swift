import LXCCore

/// An instance's runtime state, as LXD reports it.
///
/// ```swift
/// let state = try await web.runtimeState()
/// print(state.pid ?? 0, state.processes ?? 0, state.memoryUsage ?? 0)
/// if let lo = state.network["lo"] {
///     print(lo.statistics.receivedBytes, lo.addresses.map(\.address))
/// }
/// ```
public struct LXDInstanceState: Sendable, Hashable {
    /// The status as a ``ContainerState`` (`Running` is `.running`, and so on).
    public var state: ContainerState
    /// LXD's own name for the status (`Running`, `Stopped`, `Frozen`, `Error`, …).
    public var status: String
    /// The PID of the instance's init on the host, when it runs.
    public var pid: Int?
    /// The number of processes in the instance (nil when LXD does not know).
    public var processes: Int?
    /// The memory the instance uses now.
    public var memoryUsage: ByteCount?
    /// The most memory the instance has used at once since it started (LXD's `usage_peak`).
    public var peakMemoryUsage: ByteCount?
    /// The swap the instance uses now (LXD's `swap_usage`; nil when LXD does not report it).
    public var swapUsage: ByteCount?
    /// The CPU time the instance's processes have used since it started (LXD's `cpu.usage`,
    /// in nanoseconds, user and system together); nil when the instance is stopped or LXD
    /// does not report it. LXD does not split it into user and system time.
    public var cpuUsage: CPUUsage?
    /// The space each of the instance's disk devices uses, by device name (`root`, …), as
    /// far as the storage driver reports it: a `dir` pool without quotas reports none, so
    /// this is empty there.
    public var diskUsage: [String: ByteCount]
    /// The instance's network interfaces as seen inside it, by name (`lo`, `eth0`, …);
    /// empty when the instance is stopped.
    public var network: [String: LXDInterfaceState]

    init(_ body: InstanceStateBody) {
        status = body.status
        state = ContainerState(liblxcName: body.status)
        pid = body.pid.flatMap { $0 > 0 ? $0 : nil }
        processes = body.processes.flatMap { $0 >= 0 ? $0 : nil }
        memoryUsage = body.memory?.usage.map(byteCount)
        peakMemoryUsage = body.memory?.usagePeak.map(byteCount)
        swapUsage = body.memory?.swapUsage.map(byteCount)
        // LXD reports 0 (or -1) for a stopped instance: no usage known.
        cpuUsage = body.cpu?.usage.flatMap { $0 > 0 ? CPUUsage(total: .nanoseconds($0)) : nil }
        var disks: [String: ByteCount] = [:]
        for (device, disk) in body.disk ?? [:] {
            if let usage = disk.usage { disks[device] = byteCount(usage) }
        }
        diskUsage = disks
        var network: [String: LXDInterfaceState] = [:]
        for (name, interface) in body.network ?? [:] {
            network[name] = LXDInterfaceState(name: name, interface)
        }
        self.network = network
    }
}

/// A count LXD gives as a signed number; a negative one (LXD's "unknown") is 0.
func byteCount(_ value: Int64) -> ByteCount {
    ByteCount(UInt64(max(0, value)))
}

// MARK: The body of `GET /1.0/instances/{name}/state`

struct InstanceStateBody: Decodable {
    struct Memory: Decodable {
        var usage: Int64?
        var usagePeak: Int64?
        var swapUsage: Int64?
        enum CodingKeys: String, CodingKey { case usage, usagePeak = "usage_peak", swapUsage = "swap_usage" }
    }
    struct CPU: Decodable { var usage: Int64? }
    struct Disk: Decodable { var usage: Int64? }
    struct Network: Decodable {
        struct Address: Decodable {
            var family: String
            var address: String
            var netmask: String?
            var scope: String?
        }
        struct Counters: Decodable {
            var bytes_received: Int64?
            var bytes_sent: Int64?
            var packets_received: Int64?
            var packets_sent: Int64?
            var errors_received: Int64?
            var errors_sent: Int64?
            var packets_dropped_inbound: Int64?
            var packets_dropped_outbound: Int64?
        }
        var addresses: [Address]?
        var counters: Counters?
        var hwaddr: String?
        var host_name: String?
        var mtu: Int?
        var state: String?
        var type: String?
    }
    var status: String
    var pid: Int?
    var processes: Int?
    var memory: Memory?
    var cpu: CPU?
    var disk: [String: Disk]?
    var network: [String: Network]?
}
