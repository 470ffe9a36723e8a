import Glibc

extension Container {
    // MARK: limits from the first process, or at once

    /// Sets typed resource limits: in the configuration, so that they hold from the
    /// container's first process on (`when: .fromStart`), in the running container's cgroup
    /// (`.now`), or both.
    ///
    /// ```swift
    /// let job = try base.clone(as: "job-1", options: .ephemeral, backingStore: .overlay)
    /// try job.setLimits(ResourceLimits(memory: .limited(.mebibytes(64)), cpuQuota: .cpus(1.5),
    ///                                  processes: .limited(100)), when: .fromStart)
    /// try job.start()                        // init already runs under the limits
    /// ```
    ///
    /// For `.fromStart` each limit becomes configuration items of the cgroup version that
    /// holds its controller on this host (see ``LXC/cgroupVersion(for:)``):
    /// `lxc.cgroup.memory.limit_in_bytes`, `lxc.cgroup.cpu.cfs_period_us` and
    /// `lxc.cgroup.cpu.cfs_quota_us`, `lxc.cgroup.cpu.shares`, `lxc.cgroup.pids.max` on v1;
    /// `lxc.cgroup2.memory.max`, `lxc.cgroup2.cpu.max`, `lxc.cgroup2.cpu.weight`,
    /// `lxc.cgroup2.pids.max` on v2. The items of both versions for that limit are cleared
    /// first, so a limit set twice leaves one line. liblxc writes them into the container's
    /// cgroup before it runs the container's init. Like ``setConfigItem(_:to:)`` this sets
    /// them on this handle: every start from this handle applies them, and
    /// ``saveConfig(to:)-6j074`` keeps them for other handles and later runs. A limit given as
    /// `.unlimited` is written as such (`-1` or `max`), so ``configuredLimits()`` reads back
    /// what was set.
    ///
    /// For `.now` the files are written through `c->set_cgroup_item`, as
    /// ``setMemoryLimit(_:)``, ``setCPUQuota(_:)``, ``setCPUWeight(_:)`` and
    /// ``setProcessLimit(_:)`` do; the change lasts until the container stops.
    ///
    /// Neither blocks on the container (no wait for a state, no lock), so there is no
    /// `async` form. The corresponding liblxc calls are `c->clear_config_item` and
    /// `c->set_config_item` (from start), `c->set_cgroup_item` (now).
    ///
    /// - Parameters:
    ///   - limits: the limits to set; members that are nil stay as they are.
    ///   - timing: when they take effect.
    /// - Throws: ``LXCError``: ``LXCError/Kind/invalidArgument`` for a negative process
    ///   limit or a CPU quota or period out of the kernel's range (quota and period from
    ///   1 ms, a period up to 1 s), before anything changes; ``LXCError/Kind/unsupported``
    ///   when no cgroup hierarchy has a limit's controller; for `.now` and
    ///   `.nowAndFromStart`, ``LXCError/Kind/wrongState`` when the container is not running
    ///   and ``LXCError/Kind/failed`` when the kernel refuses a value (limits are applied in
    ///   the order memory, CPU quota, CPU weight, processes; those before the refused one
    ///   stay, and the configuration is not changed).
    public func setLimits(_ limits: ResourceLimits, when timing: LimitTiming) throws {
        try applyLimits(limits, timing, operation: "setLimits")
    }

    /// The limits this handle's configuration applies from the next start: what
    /// ``setLimits(_:when:)`` with `.fromStart` wrote, or the same `lxc.cgroup.*` /
    /// `lxc.cgroup2.*` items written by hand or read from the configuration file (in the
    /// version this host uses for each controller). A member is nil when no item sets it.
    ///
    /// The corresponding liblxc call is `c->get_config_item`.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/invalidArgument`` when an item holds a value
    ///   that is not a limit (the message names the item).
    public func configuredLimits() throws -> ResourceLimits {
        let operation = "configuredLimits"
        var limits = ResourceLimits()
        func item(_ file: String, _ version: CgroupVersion) throws -> String? {
            let key = CgroupLimitItems.configKey(file, version)
            guard let text = try configItem(key) else { return nil }
            // liblxc lists every value given for the key; the last is what the kernel ends with.
            return text.split(separator: "\n").last.map { CgroupParsing.trimmed(String($0)) }
        }
        func bad(_ file: String, _ version: CgroupVersion, _ text: String) -> LXCError {
            LXCError.invalid(operation, name,
                             "\(CgroupLimitItems.configKey(file, version)) holds \(quoted(text)), which is not a limit")
        }
        if let version = LXC.cgroupVersion(for: .memory) {
            let file = version == .v1 ? "memory.limit_in_bytes" : "memory.max"
            if let text = try item(file, version) {
                guard let value = CgroupLimitItems.memoryLimit(text) else { throw bad(file, version, text) }
                limits.memory = value
            }
        }
        if let version = LXC.cgroupVersion(for: .cpu) {
            switch version {
            case .v1:
                let period = try item("cpu.cfs_period_us", .v1)
                if let text = try item("cpu.cfs_quota_us", .v1) {
                    guard let quota = CgroupLimitItems.cpuQuotaV1(quota: text, period: period) else {
                        throw bad("cpu.cfs_quota_us", .v1, text)
                    }
                    limits.cpuQuota = quota
                }
                if let text = try item("cpu.shares", .v1) {
                    guard let shares = CgroupParsing.integer(text) else { throw bad("cpu.shares", .v1, text) }
                    limits.cpuWeight = .shares(shares)
                }
            case .v2:
                if let text = try item("cpu.max", .v2) {
                    guard let quota = CgroupLimitItems.cpuQuotaV2(text) else { throw bad("cpu.max", .v2, text) }
                    limits.cpuQuota = quota
                }
                if let text = try item("cpu.weight", .v2) {
                    guard let weight = CgroupParsing.integer(text) else { throw bad("cpu.weight", .v2, text) }
                    limits.cpuWeight = .weight(weight)
                }
            }
        }
        if let version = LXC.cgroupVersion(for: .pids), let text = try item("pids.max", version) {
            guard let value = CgroupParsing.limit(text) else { throw bad("pids.max", version, text) }
            limits.processes = value.map { Int(clamping: $0) }
        }
        return limits
    }

    /// Sets the memory limit from the next start, at once, or both; see
    /// ``setLimits(_:when:)``. `setMemoryLimit(limit)` without `when:` is `.now`.
    ///
    /// The corresponding liblxc calls are `c->set_config_item` (from start) and
    /// `c->set_cgroup_item` (now).
    ///
    /// - Throws: as ``setLimits(_:when:)``.
    public func setMemoryLimit(_ limit: ResourceLimit<ByteCount>, when timing: LimitTiming) throws {
        try applyLimits(ResourceLimits(memory: limit), timing, operation: "setMemoryLimit")
    }

    /// Sets the CPU weight from the next start, at once, or both; see
    /// ``setLimits(_:when:)``. `setCPUWeight(weight)` without `when:` is `.now`.
    ///
    /// The corresponding liblxc calls are `c->set_config_item` (from start) and
    /// `c->set_cgroup_item` (now).
    ///
    /// - Throws: as ``setLimits(_:when:)``.
    public func setCPUWeight(_ weight: CPUWeight, when timing: LimitTiming) throws {
        try applyLimits(ResourceLimits(cpuWeight: weight), timing, operation: "setCPUWeight")
    }

    /// Sets the process limit from the next start, at once, or both; see
    /// ``setLimits(_:when:)``. `setProcessLimit(limit)` without `when:` is `.now`.
    ///
    /// The corresponding liblxc calls are `c->set_config_item` (from start) and
    /// `c->set_cgroup_item` (now).
    ///
    /// - Throws: as ``setLimits(_:when:)``.
    public func setProcessLimit(_ limit: ResourceLimit<Int>, when timing: LimitTiming) throws {
        try applyLimits(ResourceLimits(processes: limit), timing, operation: "setProcessLimit")
    }

    // MARK: CPU quota

    /// Sets the running container's CPU quota, such as `.cpus(1.5)`; see ``CPUQuota``.
    ///
    /// Writes `cpu.cfs_period_us` and then `cpu.cfs_quota_us` (v1, `-1` for none) or
    /// `cpu.max` (v2, `"150000 100000"`, `"max 100000"` for none) through
    /// `c->set_cgroup_item`; the change lasts until the container stops.
    ///
    /// - Throws: as ``setLimits(_:when:)`` with `.now`.
    public func setCPUQuota(_ quota: CPUQuota) throws {
        try applyLimits(ResourceLimits(cpuQuota: quota), .now, operation: "setCPUQuota")
    }

    /// Sets the CPU quota from the next start, at once, or both; see ``setLimits(_:when:)``.
    ///
    /// The corresponding liblxc calls are `c->set_config_item` (from start) and
    /// `c->set_cgroup_item` (now).
    ///
    /// - Throws: as ``setLimits(_:when:)``.
    public func setCPUQuota(_ quota: CPUQuota, when timing: LimitTiming) throws {
        try applyLimits(ResourceLimits(cpuQuota: quota), timing, operation: "setCPUQuota")
    }

    /// The running container's CPU quota: how much CPU time its processes may use per
    /// period, as ``CPUQuota/cpus`` CPUs; ``CPUQuota/unlimited`` when none is set.
    ///
    /// Reads `cpu.cfs_quota_us` and `cpu.cfs_period_us` (v1) or `cpu.max` (v2) through
    /// `c->get_cgroup_item`.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/wrongState`` when the container is not
    ///   running; ``LXCError/Kind/notFound`` when its CPU controller has no bandwidth control
    ///   (a kernel without `CONFIG_CFS_BANDWIDTH`).
    public func cpuQuota() throws -> CPUQuota {
        let operation = "cpuQuota"
        switch try cgroupVersion(for: .cpu, operation: operation) {
        case .v1:
            let quota = try limitFile("cpu.cfs_quota_us", .v1, operation)
            let period = try limitFile("cpu.cfs_period_us", .v1, operation)
            if let value = CgroupLimitItems.cpuQuotaV1(quota: quota, period: period) { return value }
            throw LXCError(operation: operation, container: name,
                           message: "cpu.cfs_quota_us holds \(quoted(quota)) and cpu.cfs_period_us \(quoted(period)), which is not what the kernel writes there")
        case .v2:
            let text = try limitFile("cpu.max", .v2, operation)
            if let value = CgroupLimitItems.cpuQuotaV2(text) { return value }
            throw LXCError(operation: operation, container: name,
                           message: "cpu.max holds \(quoted(text)), which is not what the kernel writes there")
        }
    }

    // MARK: peak memory

    /// The most memory the container's processes have used at once since it started (page
    /// cache included): what a job needed at its peak.
    ///
    /// Reads `memory.max_usage_in_bytes` (v1) or `memory.peak` (v2, Linux 5.19 and later)
    /// through `c->get_cgroup_item`. A process the kernel killed for going past the memory
    /// limit leaves a peak at about the limit.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/wrongState`` when the container is not
    ///   running; ``LXCError/Kind/unsupported`` on a v2 kernel without `memory.peak`;
    ///   ``LXCError/Kind/notFound`` when its memory controller is not enabled.
    public func peakMemoryUsage() throws -> ByteCount {
        let operation = "peakMemoryUsage"
        let version = try cgroupVersion(for: .memory, operation: operation)
        let file = version == .v1 ? "memory.max_usage_in_bytes" : "memory.peak"
        guard let text = try cgroupItem(file) else {
            if version == .v2, try cgroupItem("memory.current") != nil {
                throw LXCError(operation: operation, container: name,
                               message: "this kernel has no memory.peak (cgroup v2 has it from Linux 5.19 on)",
                               code: EOPNOTSUPP, kind: .unsupported)
            }
            throw LXCError(operation: operation, container: name,
                           message: "the container's cgroup (\(version)) has no \(file); is the memory controller enabled?",
                           code: ENOENT, kind: .notFound)
        }
        guard let bytes = CgroupParsing.integer(text) else {
            throw LXCError(operation: operation, container: name,
                           message: "\(file) holds \(quoted(text)), which is not what the kernel writes there")
        }
        return ByteCount(bytes)
    }

    // MARK: the one path for typed limits

    private func limitFile(_ file: String, _ version: CgroupVersion, _ operation: String) throws -> String {
        if let value = try cgroupItem(file) { return value }
        throw LXCError(operation: operation, container: name,
                       message: "the container's cgroup (\(version)) has no \(file); is the controller enabled?",
                       code: ENOENT, kind: .notFound)
    }

    /// Validates `limits`, then applies them now and/or writes them into the configuration.
    func applyLimits(_ limits: ResourceLimits, _ timing: LimitTiming, operation: String) throws {
        if let message = CgroupLimitItems.problem(with: limits) { throw LXCError.invalid(operation, name, message) }
        if timing.appliesNow {
            let running = try CgroupLimitItems.files(for: limits) { controller in
                try cgroupVersion(for: controller, operation: operation)
            }
            for (file, value, _) in running {
                do {
                    try setCgroupItem(file, to: value)
                } catch var error as LXCError {
                    error.operation = operation
                    throw error
                }
            }
        }
        if timing.appliesFromStart {
            let configured = try CgroupLimitItems.files(for: limits) { controller in
                guard let version = LXC.cgroupVersion(for: controller) else {
                    throw LXCError(operation: operation, container: name,
                                   message: "this process is in no cgroup hierarchy with the \(controller.rawValue) controller, so liblxc could not apply a limit on it",
                                   code: ENOTSUP, kind: .unsupported)
                }
                return version
            }
            do {
                for key in CgroupLimitItems.configKeysToClear(for: limits) { try clearConfigItem(key) }
                for (file, value, version) in configured {
                    try setConfigItem(CgroupLimitItems.configKey(file, version), to: value)
                }
            } catch var error as LXCError {
                error.operation = operation
                throw error
            }
        }
    }
}

/// The cgroup files and configuration items of typed limits, in both versions; no liblxc.
enum CgroupLimitItems {
    /// Why `limits` cannot be applied, or nil.
    static func problem(with limits: ResourceLimits) -> String? {
        if let processes = limits.processes?.value, processes < 0 {
            return "the process limit \(processes) is negative"
        }
        if let quota = limits.cpuQuota {
            let period = CPUQuota.microseconds(quota.period)
            if !CPUQuota.periodRange.contains(period) {
                return "the CPU quota's period of \(period) µs is outside the kernel's range of 1000 µs (1 ms) to 1000000 µs (1 s)"
            }
            if let time = quota.quota.map(CPUQuota.microseconds), !CPUQuota.quotaRange.contains(time) {
                return time < CPUQuota.quotaRange.lowerBound
                    ? "the CPU quota of \(time) µs per \(period) µs is below the kernel's smallest quota of 1000 µs (1 ms); for \(period) µs that is \(Double(1000) / Double(period)) CPUs"
                    : "the CPU quota of \(time) µs per \(period) µs is above the kernel's largest quota"
            }
        }
        return nil
    }

    /// The cgroup files and values for `limits`, in the order they are written, each with
    /// the version its controller is on (`version` answers per controller).
    static func files(for limits: ResourceLimits,
                      version: (CgroupController) throws -> CgroupVersion) rethrows -> [(String, String, CgroupVersion)] {
        var result: [(String, String, CgroupVersion)] = []
        if let memory = limits.memory {
            let v = try version(.memory)
            let bytes = memory.value.map { String($0.bytes) }
            result.append(v == .v1 ? ("memory.limit_in_bytes", bytes ?? "-1", v) : ("memory.max", bytes ?? "max", v))
        }
        if let quota = limits.cpuQuota {
            let v = try version(.cpu)
            let period = String(CPUQuota.microseconds(quota.period))
            let time = quota.quota.map { String(CPUQuota.microseconds($0)) }
            if v == .v1 {
                result.append(("cpu.cfs_period_us", period, v))
                result.append(("cpu.cfs_quota_us", time ?? "-1", v))
            } else {
                result.append(("cpu.max", "\(time ?? "max") \(period)", v))
            }
        }
        if let weight = limits.cpuWeight {
            let v = try version(.cpu)
            result.append(v == .v1 ? ("cpu.shares", String(weight.shares), v) : ("cpu.weight", String(weight.weight), v))
        }
        if let processes = limits.processes {
            let v = try version(.pids)
            result.append(("pids.max", processes.value.map { String($0) } ?? "max", v))
        }
        return result
    }

    /// `lxc.cgroup.<file>` (v1) or `lxc.cgroup2.<file>` (v2).
    static func configKey(_ file: String, _ version: CgroupVersion) -> String {
        (version == .v1 ? "lxc.cgroup." : "lxc.cgroup2.") + file
    }

    /// The items of both versions that set the limits given in `limits`.
    static func configKeysToClear(for limits: ResourceLimits) -> [String] {
        var keys: [String] = []
        if limits.memory != nil { keys += ["lxc.cgroup.memory.limit_in_bytes", "lxc.cgroup2.memory.max"] }
        if limits.cpuQuota != nil { keys += ["lxc.cgroup.cpu.cfs_quota_us", "lxc.cgroup.cpu.cfs_period_us", "lxc.cgroup2.cpu.max"] }
        if limits.cpuWeight != nil { keys += ["lxc.cgroup.cpu.shares", "lxc.cgroup2.cpu.weight"] }
        if limits.processes != nil { keys += ["lxc.cgroup.pids.max", "lxc.cgroup2.pids.max"] }
        return keys
    }

    /// A memory limit as written in a configuration: bytes, with the kernel's suffixes
    /// (`64M`, `1g`), `-1` or `max` for none.
    static func memoryLimit(_ text: String) -> ResourceLimit<ByteCount>? {
        let text = CgroupParsing.trimmed(text)
        if text == "-1" || text == "max" { return .unlimited }
        var digits = Substring(text)
        var shift: UInt64 = 0
        if let last = digits.last, let index = "kmgtpe".firstIndex(of: Character(last.lowercased())) {
            shift = UInt64("kmgtpe".distance(from: "kmgtpe".startIndex, to: index) + 1) * 10
            digits = digits.dropLast()
        }
        guard let number = UInt64(digits) else { return nil }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: 1 << shift)
        if overflow { return nil }
        return bytes >= CgroupParsing.v1UnlimitedThreshold ? .unlimited : .limited(ByteCount(bytes))
    }

    /// v1 `cpu.cfs_quota_us` (`-1` for none) with `cpu.cfs_period_us` (100000 when absent).
    static func cpuQuotaV1(quota: String, period: String?) -> CPUQuota? {
        let periodMicroseconds: Int64
        if let period {
            guard let value = Int64(CgroupParsing.trimmed(period)), value > 0 else { return nil }
            periodMicroseconds = value
        } else {
            periodMicroseconds = 100_000
        }
        guard let time = Int64(CgroupParsing.trimmed(quota)) else { return nil }
        if time < 0 { return CPUQuota(quota: nil, period: .microseconds(periodMicroseconds)) }
        return CPUQuota(quota: .microseconds(time), period: .microseconds(periodMicroseconds))
    }

    /// v2 `cpu.max`: `"<quota> <period>"` or `"max <period>"` (the period may be left out).
    static func cpuQuotaV2(_ text: String) -> CPUQuota? {
        let fields = CgroupParsing.trimmed(text).split(separator: " ")
        guard fields.count == 1 || fields.count == 2 else { return nil }
        var period: Int64 = 100_000
        if fields.count == 2 {
            guard let value = Int64(fields[1]), value > 0 else { return nil }
            period = value
        }
        if fields[0] == "max" { return CPUQuota(quota: nil, period: .microseconds(period)) }
        guard let time = Int64(fields[0]), time >= 0 else { return nil }
        return CPUQuota(quota: .microseconds(time), period: .microseconds(period))
    }
}
