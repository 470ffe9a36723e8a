// Parsing the contents of cgroup v1 and cgroup v2 files into the typed values of
// Resources.swift. Pure functions over text, so that the v2 path can be tested on recorded
// file contents on a host that runs containers on v1.

enum CgroupParsing {
    /// v1 reports "no memory limit" as PAGE_COUNTER_MAX pages (9223372036854771712 with 4 KiB
    /// pages); any value this large is no limit on any page size.
    static let v1UnlimitedThreshold: UInt64 = 1 << 62

    /// `text` without leading and trailing blanks and line breaks.
    static func trimmed(_ text: String) -> String {
        String(text.trimmingBlanks())
    }

    /// The value of a file holding one unsigned integer ("901120\n").
    static func integer(_ text: String) -> UInt64? {
        UInt64(trimmed(text))
    }

    /// A limit file: "max" (v2, and v1 `pids.max`) or an integer; v1 memory limits report
    /// "unlimited" as a huge number, which becomes `.unlimited`.
    static func limit(_ text: String) -> ResourceLimit<UInt64>? {
        let value = trimmed(text)
        if value == "max" { return .unlimited }
        guard let number = UInt64(value) else { return nil }
        return number >= v1UnlimitedThreshold ? .unlimited : .limited(number)
    }

    /// A flat keyed file ("usage_usec 123\nuser_usec 45\n", v1 `cpuacct.stat`,
    /// v2 `cpu.stat`, `memory.stat`): key to integer; lines that are not "key integer" are
    /// left out.
    static func keyedValues(_ text: String) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 2, let value = UInt64(fields[1]) else { continue }
            result[String(fields[0])] = value
        }
        return result
    }

    /// v1 `cpuacct.usage_percpu`: nanoseconds per CPU separated by blanks.
    static func perCPU(_ text: String) -> [UInt64]? {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
        var result: [UInt64] = []
        for field in fields {
            guard let value = UInt64(field) else { return nil }
            result.append(value)
        }
        return result
    }

    /// v1 CPU usage: `cpuacct.usage` (ns), `cpuacct.stat` (user and system in clock ticks)
    /// and `cpuacct.usage_percpu` (ns per CPU).
    static func cpuUsageV1(usage: String, stat: String?, perCPU perCPUText: String?, ticksPerSecond: Int) -> CPUUsage? {
        guard let total = integer(usage) else { return nil }
        var result = CPUUsage(total: .nanoseconds(Int64(clamping: total)))
        if let stat, ticksPerSecond > 0 {
            let values = keyedValues(stat)
            let tick = Duration.seconds(1) / ticksPerSecond
            if let user = values["user"] { result.user = tick * Int(clamping: user) }
            if let system = values["system"] { result.system = tick * Int(clamping: system) }
        }
        if let perCPUText, let values = perCPU(perCPUText) {
            result.perCPU = values.map { .nanoseconds(Int64(clamping: $0)) }
        }
        return result
    }

    /// v2 CPU usage from `cpu.stat` (`usage_usec`, `user_usec`, `system_usec`); v2 has no
    /// per-CPU figures.
    static func cpuUsageV2(stat: String) -> CPUUsage? {
        let values = keyedValues(stat)
        guard let usage = values["usage_usec"] else { return nil }
        var result = CPUUsage(total: .microseconds(Int64(clamping: usage)))
        result.user = values["user_usec"].map { .microseconds(Int64(clamping: $0)) }
        result.system = values["system_usec"].map { .microseconds(Int64(clamping: $0)) }
        return result
    }

    /// v1 `blkio.throttle.io_service_bytes` (or `blkio.io_service_bytes`):
    /// "8:0 Read 4096\n8:0 Write 0\n…\nTotal 4096".
    static func blockIOV1(_ text: String) -> BlockIOStatistics {
        var devices: [DeviceNumber: BlockIOStatistics.Device] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 3, let device = DeviceNumber(fields[0]), let value = UInt64(fields[2]) else { continue }
            var entry = devices[device] ?? BlockIOStatistics.Device(device: device)
            switch fields[1] {
            case "Read": entry.readBytes = ByteCount(value)
            case "Write": entry.writtenBytes = ByteCount(value)
            default: continue
            }
            devices[device] = entry
        }
        return BlockIOStatistics(devices: devices.values.sorted { $0.device < $1.device })
    }

    /// v2 `io.stat`: "8:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0" per device.
    static func blockIOV2(_ text: String) -> BlockIOStatistics {
        var result: [BlockIOStatistics.Device] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = fields.first, let device = DeviceNumber(first) else { continue }
            var entry = BlockIOStatistics.Device(device: device)
            for field in fields.dropFirst() {
                let pair = field.split(separator: "=", maxSplits: 1)
                guard pair.count == 2, let value = UInt64(pair[1]) else { continue }
                switch pair[0] {
                case "rbytes": entry.readBytes = ByteCount(value)
                case "wbytes": entry.writtenBytes = ByteCount(value)
                default: continue
                }
            }
            result.append(entry)
        }
        return BlockIOStatistics(devices: result.sorted { $0.device < $1.device })
    }

    /// Which cgroup version holds `controller` for a process, from its `/proc/PID/cgroup`:
    /// v1 when a hierarchy with a non-zero id lists one of `v1Names`, v2 when the process is
    /// in the unified hierarchy ("0::/path") and no v1 hierarchy has the controller.
    static func version(ofController v1Names: [String], procCgroup text: String) -> CgroupVersion? {
        var unified = false
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            if fields[0] == "0" && fields[1].isEmpty {
                unified = true
                continue
            }
            let controllers = fields[1].split(separator: ",")
            if controllers.contains(where: { v1Names.contains(String($0)) }) { return .v1 }
        }
        return unified ? .v2 : nil
    }

    /// Whether `entry` (a cgroup directory's name) is one liblxc makes for container `name`:
    /// `lxc.monitor.<name>` or `lxc.payload.<name>` (the default `lxc.cgroup.pattern` and
    /// monitor name), or either with the `-<number>` liblxc appends when the name is taken.
    static func isContainerCgroup(_ entry: String, of name: String) -> Bool {
        for prefix in ["lxc.monitor.", "lxc.payload."] where entry.hasPrefix(prefix) {
            let rest = entry.dropFirst(prefix.count)
            guard rest.hasPrefix(name) else { continue }
            let suffix = rest.dropFirst(name.count)
            if suffix.isEmpty { return true }
            guard suffix.first == "-" else { continue }
            let digits = suffix.dropFirst()
            if !digits.isEmpty && digits.allSatisfy({ $0 >= "0" && $0 <= "9" }) { return true }
        }
        return false
    }
}
