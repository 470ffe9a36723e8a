/// The cgroup version that holds a controller of a container.
///
/// A host can mount both: on a "hybrid" host (this one, say) every controller is on v1 and
/// the cgroup2 mount holds none. The file names differ (`memory.limit_in_bytes` on v1,
/// `memory.max` on v2); the typed methods of ``Container`` pick the right ones.
public enum CgroupVersion: Sendable, Hashable, CustomStringConvertible {
    /// A legacy hierarchy with its own controllers (`/sys/fs/cgroup/memory`, …).
    case v1
    /// The unified hierarchy (`cgroup2`).
    case v2

    /// "cgroup v1" or "cgroup v2".
    public var description: String { self == .v1 ? "cgroup v1" : "cgroup v2" }
}

/// The cgroup controllers the typed resource methods read.
public enum CgroupController: String, Sendable, Hashable, CaseIterable {
    /// Memory (`memory`).
    case memory
    /// CPU time and weight (`cpu`, and `cpuacct` on v1).
    case cpu
    /// Process count (`pids`).
    case pids
    /// Block I/O (`blkio` on v1, `io` on v2).
    case blockIO
    /// Device access (`devices` on v1; a BPF program on v2).
    case devices

    /// The controller names that stand for this one in `/proc/PID/cgroup` on v1.
    var v1Names: [String] {
        switch self {
        case .memory: return ["memory"]
        case .cpu: return ["cpuacct", "cpu"]
        case .pids: return ["pids"]
        case .blockIO: return ["blkio"]
        case .devices: return ["devices"]
        }
    }
}

/// A number of bytes.
///
/// ```swift
/// try container.setMemoryLimit(.limited(.mebibytes(256)))
/// print(try container.memoryUsage())        // "12.3 MiB"
/// ```
public struct ByteCount: Sendable, Hashable, Comparable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    /// The count.
    public var bytes: UInt64

    /// `bytes` bytes.
    public init(_ bytes: UInt64) { self.bytes = bytes }

    /// A byte count written as a number: `let limit: ByteCount = 4096`.
    public init(integerLiteral value: UInt64) { self.bytes = value }

    /// `count` bytes.
    public static func bytes(_ count: UInt64) -> ByteCount { ByteCount(count) }
    /// `count` KiB (1024 bytes each).
    public static func kibibytes(_ count: UInt64) -> ByteCount { ByteCount(count << 10) }
    /// `count` MiB (1024 KiB each).
    public static func mebibytes(_ count: UInt64) -> ByteCount { ByteCount(count << 20) }
    /// `count` GiB (1024 MiB each).
    public static func gibibytes(_ count: UInt64) -> ByteCount { ByteCount(count << 30) }

    /// Orders byte counts by their number of bytes.
    public static func < (lhs: ByteCount, rhs: ByteCount) -> Bool { lhs.bytes < rhs.bytes }

    /// The count in the largest binary unit that keeps it at least 1 ("880 KiB", "1.5 GiB").
    public var description: String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var unit = 0
        var scaled = Double(bytes)
        while scaled >= 1024 && unit < units.count - 1 {
            scaled /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) bytes" }
        let tenths = Int((scaled * 10).rounded())
        return tenths % 10 == 0 ? "\(tenths / 10) \(units[unit])" : "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}

/// A resource limit: a value, or none.
public enum ResourceLimit<Value: Sendable & Hashable>: Sendable, Hashable {
    /// No limit (`max` in cgroup files, a huge number in v1 memory files).
    case unlimited
    /// At most this much.
    case limited(Value)

    /// The limit's value, or nil when there is none.
    public var value: Value? {
        if case .limited(let value) = self { return value }
        return nil
    }

    func map<T>(_ transform: (Value) -> T) -> ResourceLimit<T> {
        switch self {
        case .unlimited: return .unlimited
        case .limited(let value): return .limited(transform(value))
        }
    }
}

/// The CPU time the processes of a container have used since it started.
public struct CPUUsage: Sendable, Hashable {
    /// User and system time together (v1 `cpuacct.usage`, v2 `usage_usec` of `cpu.stat`).
    public var total: Duration
    /// Time in user mode, when the cgroup reports it (v1 `cpuacct.stat` in clock ticks,
    /// v2 `user_usec`).
    public var user: Duration?
    /// Time in the kernel, when the cgroup reports it.
    public var system: Duration?
    /// Time per CPU (v1 `cpuacct.usage_percpu`); nil on v2, which does not count it.
    public var perCPU: [Duration]?

    /// CPU time as the cgroup reports it; `user`, `system` and `perCPU` are nil or empty where the controller does not split it.
    public init(total: Duration, user: Duration? = nil, system: Duration? = nil, perCPU: [Duration]? = nil) {
        self.total = total
        self.user = user
        self.system = system
        self.perCPU = perCPU
    }
}

/// A container's share of CPU time when CPUs are contended, in the unit its cgroup version
/// uses.
///
/// v1 counts `cpu.shares` (2…262144, default 1024); v2 counts `cpu.weight` (1…10000, default
/// 100). Both set the same scheduler weight; ``shares`` and ``weight`` convert between them
/// as the kernel does (weight 100 is 1024 shares), so the default maps to the default.
public enum CPUWeight: Sendable, Hashable {
    /// cgroup v1 `cpu.shares`.
    case shares(UInt64)
    /// cgroup v2 `cpu.weight`.
    case weight(UInt64)

    /// The value as v1 shares, clamped to 2…262144.
    public var shares: UInt64 {
        switch self {
        case .shares(let shares): return min(max(shares, 2), 262_144)
        case .weight(let weight): return min(max(weight.multipliedReportingOverflow(by: 1024).partialValue / 100, 2), 262_144)
        }
    }

    /// The value as a v2 weight, clamped to 1…10000.
    public var weight: UInt64 {
        switch self {
        case .shares(let shares): return min(max(shares.multipliedReportingOverflow(by: 100).partialValue / 1024, 1), 10_000)
        case .weight(let weight): return min(max(weight, 1), 10_000)
        }
    }
}

/// A block device number (`major:minor`).
public struct DeviceNumber: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The device's major number (its driver).
    public var major: UInt32
    /// The device's minor number (which device of that driver).
    public var minor: UInt32

    /// A device number from its major and minor parts.
    public init(major: UInt32, minor: UInt32) {
        self.major = major
        self.minor = minor
    }

    init?(_ text: Substring) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let major = UInt32(parts[0]), let minor = UInt32(parts[1]) else { return nil }
        self.init(major: major, minor: minor)
    }

    /// Orders device numbers by major, then minor number.
    public static func < (lhs: DeviceNumber, rhs: DeviceNumber) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }

    /// `major:minor`.
    public var description: String { "\(major):\(minor)" }
}

/// Bytes a container read from and wrote to block devices.
public struct BlockIOStatistics: Sendable, Hashable {
    /// The counters of one device.
    public struct Device: Sendable, Hashable {
        /// The device.
        public var device: DeviceNumber
        /// Bytes read from it.
        public var readBytes: ByteCount = 0
        /// Bytes written to it.
        public var writtenBytes: ByteCount = 0

        /// The block I/O of one device.
        public init(device: DeviceNumber, readBytes: ByteCount = 0, writtenBytes: ByteCount = 0) {
            self.device = device
            self.readBytes = readBytes
            self.writtenBytes = writtenBytes
        }
    }

    /// The devices the container did I/O on, by device number.
    public var devices: [Device]

    /// Statistics made of per-device counts.
    public init(devices: [Device]) { self.devices = devices }

    /// Bytes read from all devices.
    public var readBytes: ByteCount { ByteCount(devices.reduce(0) { $0 &+ $1.readBytes.bytes }) }
    /// Bytes written to all devices.
    public var writtenBytes: ByteCount { ByteCount(devices.reduce(0) { $0 &+ $1.writtenBytes.bytes }) }
}
