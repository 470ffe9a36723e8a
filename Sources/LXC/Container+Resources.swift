import CLXC
import Glibc

extension Container {
    // MARK: raw cgroup items

    /// The contents of one of the running container's cgroup files, such as
    /// `"memory.limit_in_bytes"` (cgroup v1) or `"memory.max"` (cgroup v2), without the
    /// trailing line break.
    ///
    /// liblxc finds the controller from the part of `key` before the first dot and reads the
    /// file in the container's cgroup of that controller. The corresponding liblxc call is
    /// `c->get_cgroup_item`.
    ///
    /// ```swift
    /// let limit = try container.cgroupItem("pids.max")     // "max"
    /// ```
    ///
    /// - Returns: the value, or nil when the container's cgroup has no such file (a v2 name
    ///   on a v1 host, say).
    /// - Throws: ``LXCError``: ``LXCError/Kind/invalidArgument`` for a key with `/` or `..`
    ///   (it could name a file outside the container's cgroup), white space or a NUL byte;
    ///   ``LXCError/Kind/wrongState`` when the container is not running.
    public func cgroupItem(_ key: String) throws -> String? {
        let operation = Operation.cgroupItem.name
        try Validate.cgroupKey(key, operation: operation, container: name)
        let value = try query(.cgroupItem, \.get_cgroup_item) { get, pointer in
            readSizedCString { buffer, length in get(pointer, key, buffer, length) }
        }
        if let value {
            return value.hasSuffix("\n") ? String(value.dropLast()) : value
        }
        try requireRunning(operation)
        return nil
    }

    /// Writes `value` into one of the running container's cgroup files, such as
    /// `setCgroupItem("pids.max", to: "100")`.
    ///
    /// The change applies at once and lasts until the container stops; to keep it across
    /// restarts set `lxc.cgroup.<key>` (v1) or `lxc.cgroup2.<key>` (v2) with
    /// ``setConfigItem(_:to:)``. The corresponding liblxc call is `c->set_cgroup_item`.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/invalidArgument`` for a key with `/` or `..`
    ///   or a value with a line break or NUL byte; ``LXCError/Kind/wrongState`` when the
    ///   container is not running; ``LXCError/Kind/notFound`` when its cgroup has no such
    ///   file; ``LXCError/Kind/failed`` when the kernel refuses the value.
    public func setCgroupItem(_ key: String, to value: String) throws {
        let operation = Operation.setCgroupItem.name
        try Validate.cgroupKey(key, operation: operation, container: name)
        try Validate.noBreaks(value, what: "the value for \(key)", operation: operation, container: name)
        if value.contains("\r") {
            throw LXCError.invalid(operation, name, "the value for \(key) contains a line break")
        }
        try liblxc(.setCgroupItem, \.set_cgroup_item) { set, pointer in
            set(pointer, key, value)
        } then: { done, call in
            if done { return }
            try requireRunning(operation)
            if try cgroupItem(key) == nil {
                throw call.failure(kind: .notFound, "the container's cgroup has no \(key)\(versionHint(key))")
            }
            throw call.failure(
                          "the kernel refused the value \(quoted(value)) for \(key)")
        }
    }

    /// " (its cgroups are v1: …)" for a key of the other version, "" otherwise.
    private func versionHint(_ key: String) -> String {
        let controller = key.split(separator: ".").first.map(String.init) ?? key
        guard let pid = initPID, let text = readWholeFile("/proc/\(pid)/cgroup"),
              let version = CgroupParsing.version(ofController: [controller], procCgroup: text)
        else { return "" }
        let file = CgroupFileNames.counterpart(of: key, on: version).map { ", where the file is \($0)" } ?? ""
        return "; the container's \(controller) controller is on \(version)\(file)"
    }

    // MARK: cgroup version

    /// Which cgroup version holds `controller` for the running container.
    ///
    /// Read from `/proc/<init pid>/cgroup`: v1 when a v1 hierarchy has the controller, v2
    /// when the container is in the unified hierarchy and no v1 hierarchy has it.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/wrongState`` when the container is not
    ///   running; ``LXCError/Kind/unsupported`` when neither hierarchy has the controller.
    public func cgroupVersion(for controller: CgroupController) throws -> CgroupVersion {
        try cgroupVersion(for: controller, operation: Operation.cgroupVersion.name)
    }

    func cgroupVersion(for controller: CgroupController, operation: String) throws -> CgroupVersion {
        guard let pid = initPID, let text = readWholeFile("/proc/\(pid)/cgroup") else {
            try requireRunning(operation)
            throw LXCError(operation: operation, container: name,
                           message: "the container's init process went away while its cgroups were looked up",
                           kind: .wrongState)
        }
        guard let version = CgroupParsing.version(ofController: controller.v1Names, procCgroup: text) else {
            throw LXCError(operation: operation, container: name,
                           message: "the container is in no cgroup hierarchy with the \(controller.rawValue) controller",
                           code: ENOTSUP, kind: .unsupported)
        }
        return version
    }

    /// A cgroup file the typed methods need; its absence is an error that names it.
    private func requiredItem(_ key: String, _ version: CgroupVersion, _ operation: String) throws -> String {
        if let value = try cgroupItem(key) { return value }
        throw LXCError(operation: operation, container: name,
                       message: "the container's cgroup (\(version)) has no \(key); is the controller enabled?",
                       code: ENOENT, kind: .notFound)
    }

    private func parsed<T>(_ value: T?, _ key: String, _ text: String, _ operation: String) throws -> T {
        if let value { return value }
        throw LXCError(operation: operation, container: name,
                       message: "\(key) holds \(quoted(text)), which is not what the kernel writes there", kind: .failed)
    }

    // MARK: memory

    /// The memory the container's processes use now, page cache included.
    ///
    /// Reads `memory.usage_in_bytes` (v1) or `memory.current` (v2) through `c->get_cgroup_item`.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/wrongState`` when the container is not running;
    ///   ``LXCError/Kind/notFound`` when its memory controller is not enabled.
    public func memoryUsage() throws -> ByteCount {
        let operation = Operation.memoryUsage.name
        let version = try cgroupVersion(for: .memory, operation: operation)
        let key = version == .v1 ? "memory.usage_in_bytes" : "memory.current"
        let text = try requiredItem(key, version, operation)
        return ByteCount(try parsed(CgroupParsing.integer(text), key, text, operation))
    }

    /// The container's memory limit; past it the kernel reclaims memory and then kills
    /// processes of the container.
    ///
    /// Reads `memory.limit_in_bytes` (v1) or `memory.max` (v2) through `c->get_cgroup_item`.
    ///
    /// - Throws: as ``memoryUsage()``.
    public func memoryLimit() throws -> ResourceLimit<ByteCount> {
        let operation = Operation.memoryLimit.name
        let version = try cgroupVersion(for: .memory, operation: operation)
        let key = version == .v1 ? "memory.limit_in_bytes" : "memory.max"
        let text = try requiredItem(key, version, operation)
        return try parsed(CgroupParsing.limit(text), key, text, operation).map { ByteCount($0) }
    }

    /// Sets the running container's memory limit.
    ///
    /// Writes `memory.limit_in_bytes` (v1, `-1` for no limit) or `memory.max` (v2, `max`)
    /// through `c->set_cgroup_item`. On v1 the kernel refuses a limit above the
    /// memory+swap limit (``memoryAndSwapLimit()``); raise that first.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/wrongState`` when the container is not
    ///   running; ``LXCError/Kind/failed`` when the kernel refuses the limit (one below what
    ///   the container uses and cannot give back, say).
    public func setMemoryLimit(_ limit: ResourceLimit<ByteCount>) throws {
        let version = try cgroupVersion(for: .memory, operation: Operation.setMemoryLimit.name)
        switch version {
        case .v1: try setCgroupItem("memory.limit_in_bytes", to: limit.value.map { String($0.bytes) } ?? "-1")
        case .v2: try setCgroupItem("memory.max", to: limit.value.map { String($0.bytes) } ?? "max")
        }
    }

    /// The memory and swap the container uses together, or nil when the kernel does not
    /// account swap (v1 without `swapaccount=1`, v2 without `memory.swap.current`).
    ///
    /// Reads `memory.memsw.usage_in_bytes` (v1), or `memory.current` plus
    /// `memory.swap.current` (v2), through `c->get_cgroup_item`.
    ///
    /// - Throws: as ``memoryUsage()``.
    public func memoryAndSwapUsage() throws -> ByteCount? {
        let operation = Operation.memoryAndSwapUsage.name
        let version = try cgroupVersion(for: .memory, operation: operation)
        switch version {
        case .v1:
            guard let text = try cgroupItem("memory.memsw.usage_in_bytes") else { return nil }
            return ByteCount(try parsed(CgroupParsing.integer(text), "memory.memsw.usage_in_bytes", text, operation))
        case .v2:
            guard let swapText = try cgroupItem("memory.swap.current") else { return nil }
            let memoryText = try requiredItem("memory.current", version, operation)
            let memory = try parsed(CgroupParsing.integer(memoryText), "memory.current", memoryText, operation)
            let swap = try parsed(CgroupParsing.integer(swapText), "memory.swap.current", swapText, operation)
            return ByteCount(memory &+ swap)
        }
    }

    /// The limit on memory and swap together, or nil when the kernel does not account swap.
    ///
    /// Reads `memory.memsw.limit_in_bytes` (v1), or `memory.max` plus `memory.swap.max`
    /// (v2, which limits swap on its own), through `c->get_cgroup_item`.
    ///
    /// - Throws: as ``memoryUsage()``.
    public func memoryAndSwapLimit() throws -> ResourceLimit<ByteCount>? {
        let operation = Operation.memoryAndSwapLimit.name
        let version = try cgroupVersion(for: .memory, operation: operation)
        switch version {
        case .v1:
            guard let text = try cgroupItem("memory.memsw.limit_in_bytes") else { return nil }
            return try parsed(CgroupParsing.limit(text), "memory.memsw.limit_in_bytes", text, operation).map { ByteCount($0) }
        case .v2:
            guard let swapText = try cgroupItem("memory.swap.max") else { return nil }
            let memoryText = try requiredItem("memory.max", version, operation)
            let memory = try parsed(CgroupParsing.limit(memoryText), "memory.max", memoryText, operation)
            let swap = try parsed(CgroupParsing.limit(swapText), "memory.swap.max", swapText, operation)
            guard case .limited(let m) = memory, case .limited(let s) = swap else { return .unlimited }
            return .limited(ByteCount(m &+ s))
        }
    }

    /// Sets the limit on memory and swap together.
    ///
    /// Writes `memory.memsw.limit_in_bytes` (v1; it must not be below the memory limit) or,
    /// on v2, `memory.swap.max` to the part of `limit` above `memory.max` (which must be
    /// set), through `c->set_cgroup_item`.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/unsupported`` when the kernel does not account
    ///   swap; ``LXCError/Kind/invalidArgument`` on v2 when `limit` is below the memory limit
    ///   or no memory limit is set; otherwise as ``setMemoryLimit(_:)``.
    public func setMemoryAndSwapLimit(_ limit: ResourceLimit<ByteCount>) throws {
        let operation = Operation.setMemoryAndSwapLimit.name
        let version = try cgroupVersion(for: .memory, operation: operation)
        let swapKey = version == .v1 ? "memory.memsw.limit_in_bytes" : "memory.swap.max"
        if try cgroupItem(swapKey) == nil {
            throw LXCError(operation: operation, container: name,
                           message: "the kernel does not account swap for this container (there is no \(swapKey))",
                           code: ENOTSUP, kind: .unsupported)
        }
        switch version {
        case .v1:
            try setCgroupItem(swapKey, to: limit.value.map { String($0.bytes) } ?? "-1")
        case .v2:
            guard let total = limit.value else { return try setCgroupItem(swapKey, to: "max") }
            guard case .limited(let memory) = try memoryLimit() else {
                throw LXCError.invalid(operation, name, "cgroup v2 limits swap on its own: set a memory limit first")
            }
            guard total >= memory else {
                throw LXCError.invalid(operation, name, "\(total) is below the memory limit of \(memory)")
            }
            try setCgroupItem(swapKey, to: String(total.bytes - memory.bytes))
        }
    }

    /// The container's soft memory limit: how much memory the kernel leaves it when memory
    /// runs short on the host (v1), or protects from reclaim (v2).
    ///
    /// Reads `memory.soft_limit_in_bytes` (v1; `.unlimited` when none is set) or
    /// `memory.low` (v2; `.limited(0)` when none is set, `.unlimited` for `max`) through
    /// `c->get_cgroup_item`; go-lxc's `SoftMemoryLimit`. To keep it across restarts set
    /// `lxc.cgroup.memory.soft_limit_in_bytes` or `lxc.cgroup2.memory.low`.
    ///
    /// - Throws: as ``memoryUsage()``.
    public func softMemoryLimit() throws -> ResourceLimit<ByteCount> {
        let operation = Operation.softMemoryLimit.name
        let version = try cgroupVersion(for: .memory, operation: operation)
        let key = version == .v1 ? "memory.soft_limit_in_bytes" : "memory.low"
        let text = try requiredItem(key, version, operation)
        return try parsed(CgroupParsing.limit(text), key, text, operation).map { ByteCount($0) }
    }

    /// Sets the running container's soft memory limit.
    ///
    /// Writes `memory.soft_limit_in_bytes` (v1, `-1` for none) or `memory.low` (v2, `max`
    /// for `.unlimited`) through `c->set_cgroup_item`; go-lxc's `SetSoftMemoryLimit`. The
    /// kernel rounds the value down to whole pages.
    ///
    /// - Throws: as ``setMemoryLimit(_:)``.
    public func setSoftMemoryLimit(_ limit: ResourceLimit<ByteCount>) throws {
        let version = try cgroupVersion(for: .memory, operation: Operation.setSoftMemoryLimit.name)
        switch version {
        case .v1: try setCgroupItem("memory.soft_limit_in_bytes", to: limit.value.map { String($0.bytes) } ?? "-1")
        case .v2: try setCgroupItem("memory.low", to: limit.value.map { String($0.bytes) } ?? "max")
        }
    }

    /// The container's kernel memory limit (cgroup v1 only).
    ///
    /// Reads `memory.kmem.limit_in_bytes` through `c->get_cgroup_item`; go-lxc's
    /// `KernelMemoryLimit`. cgroup v2 has no such file: kernel memory counts toward
    /// `memory.max` there.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/unsupported`` on cgroup v2, or on a v1 kernel
    ///   without the file; otherwise as ``memoryUsage()``.
    public func kernelMemoryLimit() throws -> ResourceLimit<ByteCount> {
        let operation = Operation.kernelMemoryLimit.name
        let key = try kernelMemoryKey(operation)
        guard let text = try cgroupItem(key) else { throw kernelMemoryUnsupported(operation, "this kernel has no \(key)") }
        return try parsed(CgroupParsing.limit(text), key, text, operation).map { ByteCount($0) }
    }

    /// Sets the running container's kernel memory limit (cgroup v1 only).
    ///
    /// Writes `memory.kmem.limit_in_bytes` (`-1` for none) through `c->set_cgroup_item`;
    /// go-lxc's `SetKernelMemoryLimit`. Linux deprecated the file and, from 5.16 on, accepts
    /// writes to it without effect; the library reads the limit back, and a limit the kernel
    /// did not take is an error rather than a silent no-op.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/unsupported`` on cgroup v2 (no such file;
    ///   kernel memory counts toward ``setMemoryLimit(_:)``'s limit there), on a v1 kernel
    ///   without the file, or when the kernel ignored the limit; otherwise as
    ///   ``setMemoryLimit(_:)``.
    public func setKernelMemoryLimit(_ limit: ResourceLimit<ByteCount>) throws {
        let operation = Operation.setKernelMemoryLimit.name
        let key = try kernelMemoryKey(operation)
        guard try cgroupItem(key) != nil else { throw kernelMemoryUnsupported(operation, "this kernel has no \(key)") }
        try setCgroupItem(key, to: limit.value.map { String($0.bytes) } ?? "-1")
        guard let wanted = limit.value else { return }
        let text = try requiredItem(key, .v1, operation)
        let now = try parsed(CgroupParsing.limit(text), key, text, operation)
        // The kernel rounds a limit down to whole pages.
        guard case .limited(let bytes) = now, bytes <= wanted.bytes, wanted.bytes - bytes < 1 << 16 else {
            throw kernelMemoryUnsupported(operation,
                "the kernel accepted \(wanted.bytes) for \(key) but reads back \(quoted(text)): it ignores kernel memory limits (Linux deprecated them, and from 5.16 on writes have no effect)")
        }
    }

    /// `memory.kmem.limit_in_bytes`, or the error for cgroup v2, which has no such file.
    private func kernelMemoryKey(_ operation: String) throws -> String {
        if try cgroupVersion(for: .memory, operation: operation) == .v2 {
            throw kernelMemoryUnsupported(operation, "cgroup v2 has no kernel memory limit (kernel memory counts toward memory.max)")
        }
        return "memory.kmem.limit_in_bytes"
    }

    private func kernelMemoryUnsupported(_ operation: String, _ why: String) -> LXCError {
        LXCError(operation: operation, container: name, message: why, code: EOPNOTSUPP, kind: .unsupported)
    }

    // MARK: CPU

    /// The CPU time the container's processes have used since it started: in total, in user
    /// and kernel mode, and per CPU where the cgroup counts it (v1 only).
    ///
    /// Reads `cpuacct.usage`, `cpuacct.stat` and `cpuacct.usage_percpu` (v1) or `cpu.stat`
    /// (v2) through `c->get_cgroup_item`.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/wrongState`` when the container is not running;
    ///   ``LXCError/Kind/notFound`` when its CPU accounting controller is not enabled.
    public func cpuUsage() throws -> CPUUsage {
        let operation = Operation.cpuUsage.name
        let version = try cgroupVersion(for: .cpu, operation: operation)
        switch version {
        case .v1:
            let usage = try requiredItem("cpuacct.usage", version, operation)
            let ticks = sysconf(Int32(_SC_CLK_TCK))
            let result = CgroupParsing.cpuUsageV1(usage: usage, stat: try cgroupItem("cpuacct.stat"),
                                                  perCPU: try cgroupItem("cpuacct.usage_percpu"),
                                                  ticksPerSecond: ticks > 0 ? ticks : 100)
            return try parsed(result, "cpuacct.usage", usage, operation)
        case .v2:
            let stat = try requiredItem("cpu.stat", version, operation)
            return try parsed(CgroupParsing.cpuUsageV2(stat: stat), "cpu.stat", stat, operation)
        }
    }

    /// The container's CPU weight: `.shares` (v1 `cpu.shares`) or `.weight` (v2 `cpu.weight`).
    ///
    /// Read through `c->get_cgroup_item`.
    ///
    /// - Throws: as ``cpuUsage()``.
    public func cpuWeight() throws -> CPUWeight {
        let operation = Operation.cpuWeight.name
        let version = try cgroupVersion(for: .cpu, operation: operation)
        let key = version == .v1 ? "cpu.shares" : "cpu.weight"
        let text = try requiredItem(key, version, operation)
        let value = try parsed(CgroupParsing.integer(text), key, text, operation)
        return version == .v1 ? .shares(value) : .weight(value)
    }

    /// Sets the container's CPU weight, converted to the unit of its cgroup version (see
    /// ``CPUWeight``).
    ///
    /// Writes `cpu.shares` (v1) or `cpu.weight` (v2) through `c->set_cgroup_item`.
    ///
    /// - Throws: as ``setMemoryLimit(_:)``.
    public func setCPUWeight(_ weight: CPUWeight) throws {
        switch try cgroupVersion(for: .cpu, operation: Operation.setCPUWeight.name) {
        case .v1: try setCgroupItem("cpu.shares", to: String(weight.shares))
        case .v2: try setCgroupItem("cpu.weight", to: String(weight.weight))
        }
    }

    // MARK: pids

    /// How many processes and threads the container has now (`pids.current`).
    ///
    /// Read through `c->get_cgroup_item`; the file has the same name on v1 and v2.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/wrongState`` when the container is not running;
    ///   ``LXCError/Kind/notFound`` when its pids controller is not enabled.
    public func processCount() throws -> Int {
        let operation = Operation.processCount.name
        let version = try cgroupVersion(for: .pids, operation: operation)
        let text = try requiredItem("pids.current", version, operation)
        return Int(clamping: try parsed(CgroupParsing.integer(text), "pids.current", text, operation))
    }

    /// The most processes and threads the container may have (`pids.max`).
    ///
    /// Read through `c->get_cgroup_item`.
    ///
    /// - Throws: as ``processCount()``.
    public func processLimit() throws -> ResourceLimit<Int> {
        let operation = Operation.processLimit.name
        let version = try cgroupVersion(for: .pids, operation: operation)
        let text = try requiredItem("pids.max", version, operation)
        return try parsed(CgroupParsing.limit(text), "pids.max", text, operation).map { Int(clamping: $0) }
    }

    /// Sets the most processes and threads the container may have; `fork` fails in the
    /// container past it.
    ///
    /// Writes `pids.max` through `c->set_cgroup_item`.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/invalidArgument`` for a negative limit;
    ///   otherwise as ``setMemoryLimit(_:)``.
    public func setProcessLimit(_ limit: ResourceLimit<Int>) throws {
        let operation = Operation.setProcessLimit.name
        if let value = limit.value, value < 0 {
            throw LXCError.invalid(operation, name, "the process limit \(value) is negative")
        }
        _ = try cgroupVersion(for: .pids, operation: operation)
        try setCgroupItem("pids.max", to: limit.value.map { String($0) } ?? "max")
    }

    // MARK: block I/O

    /// The bytes the container's processes read from and wrote to block devices.
    ///
    /// Reads `blkio.throttle.io_service_bytes` (v1; it counts every I/O, where
    /// `blkio.io_service_bytes` counts only what the CFQ/BFQ schedulers see) or `io.stat`
    /// (v2) through `c->get_cgroup_item`. I/O that went no further than the page cache is not
    /// counted.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/wrongState`` when the container is not running;
    ///   ``LXCError/Kind/notFound`` when its block I/O controller is not enabled.
    public func blockIOStatistics() throws -> BlockIOStatistics {
        let operation = Operation.blockIOStatistics.name
        let version = try cgroupVersion(for: .blockIO, operation: operation)
        switch version {
        case .v1:
            if let text = try cgroupItem("blkio.throttle.io_service_bytes") { return CgroupParsing.blockIOV1(text) }
            return CgroupParsing.blockIOV1(try requiredItem("blkio.io_service_bytes", version, operation))
        case .v2:
            return CgroupParsing.blockIOV2(try requiredItem("io.stat", version, operation))
        }
    }
}

extension Validate {
    /// A cgroup file name such as `memory.max`: not empty, no `/` or `..` (liblxc joins it
    /// to the container's cgroup directory, so either could reach files outside it), no
    /// white space, line break or NUL byte.
    static func cgroupKey(_ key: String, operation: String, container: String?) throws {
        if key.isEmpty { throw LXCError.invalid(operation, container, "cgroup key is empty") }
        if key.utf8.contains(UInt8(ascii: "/")) || key.contains("..") {
            throw LXCError.invalid(operation, container,
                                   "cgroup key \(quoted(key)) contains \"/\" or \"..\"; it must name a file in the container's own cgroup, such as \(quoted(CgroupFileNames.exampleFile))")
        }
        for byte in key.utf8 where byte <= 0x20 || byte == 0x7F {
            throw LXCError.invalid(operation, container, "cgroup key \(quoted(key)) contains white space, a control character or a NUL byte")
        }
    }
}

extension Container {
    // MARK: C names

    @available(*, unavailable, renamed: "cgroupItem(_:)")
    public func get_cgroup_item(_ key: String) throws -> String? { try cgroupItem(key) }

    @available(*, unavailable, renamed: "setCgroupItem(_:to:)")
    public func set_cgroup_item(_ key: String, _ value: String) throws { try setCgroupItem(key, to: value) }
}
