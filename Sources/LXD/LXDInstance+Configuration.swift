import FoundationEssentials
import LXCCore
import NIOHTTP1

extension LXDInstance {
    /// The instance's writable part and its ETag.
    ///
    /// The corresponding LXD call is `GET /1.0/instances/{name}`.
    public func configuration() async throws -> LXDInstanceConfiguration {
        try await configuration("configuration")
    }

    func configuration(_ what: String) async throws -> LXDInstanceConfiguration {
        let (body, headers): (InstanceBody, HTTPHeaders) = try await client.callWithHeaders(what, name, .GET, path)
        return LXDInstanceConfiguration(
            config: body.config ?? [:], devices: body.devices ?? [:], profiles: body.profiles ?? [],
            ephemeral: body.ephemeral ?? false, description: body.description ?? "",
            architecture: body.architecture ?? "", etag: headers.first(name: "ETag"))
    }

    /// Writes `configuration` back as the instance's writable part; when it carries an ETag,
    /// only if the instance did not change since it was read.
    ///
    /// The corresponding LXD call is `PUT /1.0/instances/{name}` with `If-Match: {etag}`, awaited.
    ///
    /// - Throws: ``LXCError`` with ``LXCError/Kind/wrongState`` (LXD's 412) when the instance
    ///   changed since `configuration` was read; ``LXCError/Kind/invalidArgument`` for a key
    ///   or value LXD refuses.
    public func update(_ configuration: LXDInstanceConfiguration) async throws {
        try await update("update", configuration)
    }

    func update(_ what: String, _ configuration: LXDInstanceConfiguration) async throws {
        let body = InstancePut(architecture: configuration.architecture, config: configuration.config,
                               devices: configuration.devices, ephemeral: configuration.ephemeral,
                               profiles: configuration.profiles, description: configuration.description)
        var headers: [(String, String)] = []
        if let etag = configuration.etag { headers.append(("If-Match", etag)) }
        try await client.perform(what, name, .PUT, path, body: try encodeJSON(body), headers: headers)
    }

    /// Reads the configuration, changes it, and writes it back guarded by its ETag.
    func changeConfig(_ what: String, _ change: (inout [String: String]) throws -> Void) async throws {
        var configuration = try await configuration(what)
        try change(&configuration.config)
        try await update(what, configuration)
    }

    /// One of the instance's own configuration keys (LXD's names: `limits.memory`,
    /// `user.note`, …); nil when it is not set on the instance.
    ///
    /// The corresponding LXD call is `GET /1.0/instances/{name}` (its `config`).
    public func configItem(_ key: String) async throws -> String? {
        try await configuration("configItem").config[key]
    }

    /// Sets one of the instance's configuration keys; on a running instance LXD applies
    /// what it can at once (limits among them).
    ///
    /// The corresponding LXD calls are `GET /1.0/instances/{name}` for its ETag, then
    /// `PUT /1.0/instances/{name}` with `If-Match`, awaited: a concurrent change fails the
    /// call instead of being overwritten.
    ///
    /// - Throws: ``LXCError`` with ``LXCError/Kind/invalidArgument`` for a key or a value
    ///   LXD refuses, with LXD's message.
    public func setConfigItem(_ key: String, to value: String) async throws {
        try await changeConfig("setConfigItem") { $0[key] = value }
    }

    /// Removes one of the instance's configuration keys.
    ///
    /// The corresponding LXD calls are those of ``setConfigItem(_:to:)``.
    public func clearConfigItem(_ key: String) async throws {
        try await changeConfig("clearConfigItem") { $0[key] = nil }
    }
}

// MARK: Limits

extension LXDInstance {
    /// The memory the running instance uses now.
    ///
    /// The corresponding LXD call is `GET /1.0/instances/{name}/state` (`memory.usage`).
    public func memoryUsage() async throws -> ByteCount {
        guard let usage = try await runtimeState("memoryUsage").memoryUsage else {
            throw LXCError(operation: "memoryUsage", container: name, message: "LXD reports no memory usage", kind: .failed)
        }
        return usage
    }

    /// The instance's memory limit, its `limits.memory` key (`.unlimited` when unset).
    ///
    /// The corresponding LXD call is `GET /1.0/instances/{name}` (its `config`).
    ///
    /// - Throws: ``LXCError`` with ``LXCError/Kind/unsupported`` for a limit given as a
    ///   percentage of the host's memory.
    public func memoryLimit() async throws -> ResourceLimit<ByteCount> {
        guard let value = try await configItem("limits.memory"), !value.isEmpty else { return .unlimited }
        guard let bytes = parseByteSize(value) else {
            throw LXCError(operation: "memoryLimit", container: name,
                           message: "limits.memory is \"\(value)\", not a size in bytes", kind: .unsupported)
        }
        return .limited(ByteCount(bytes))
    }

    /// Limits the instance's memory: its `limits.memory` key (removed for `.unlimited`).
    ///
    /// The corresponding LXD calls are those of ``setConfigItem(_:to:)``.
    public func setMemoryLimit(_ limit: ResourceLimit<ByteCount>) async throws {
        try await changeConfig("setMemoryLimit") { config in
            config["limits.memory"] = limit.value.map { formatByteSize($0.bytes) }
        }
    }

    /// The most memory the running instance has used at once since it started.
    ///
    /// The corresponding LXD call is `GET /1.0/instances/{name}/state` (`memory.usage_peak`).
    public func peakMemoryUsage() async throws -> ByteCount {
        guard let peak = try await runtimeState("peakMemoryUsage").peakMemoryUsage else {
            throw LXCError(operation: "peakMemoryUsage", container: name, message: "LXD reports no peak memory usage", kind: .failed)
        }
        return peak
    }

    /// Sets typed limits as the instance's `limits.*` keys, in one configuration change:
    /// memory as `limits.memory`, a CPU quota as `limits.cpu.allowance` (`"50ms/100ms"`),
    /// processes as `limits.processes` (each removed for `.unlimited`).
    ///
    /// LXD keeps an instance's configuration and applies a limit to a running instance at
    /// once, so every ``LimitTiming`` gives the same result: the limit holds now and from
    /// every start. The corresponding LXD calls are those of ``setConfigItem(_:to:)``.
    ///
    /// - Throws: ``LXCError`` with ``LXCError/Kind/unsupported`` for a ``CPUWeight`` (LXD's
    ///   `limits.cpu.priority` is a scale of 0 to 10 that no weight maps onto; set it with
    ///   ``setConfigItem(_:to:)``), and ``LXCError/Kind/invalidArgument`` for a process limit
    ///   below 1.
    public func setLimits(_ limits: ResourceLimits, when timing: LimitTiming) async throws {
        if limits.cpuWeight != nil {
            throw LXCError(operation: "setLimits", container: name,
                           message: "LXD's CPU priority (limits.cpu.priority, 0 to 10) has no CPU weight equivalent; set it with setConfigItem",
                           kind: .unsupported)
        }
        if let processes = limits.processes?.value, processes < 1 {
            throw LXCError(operation: "setLimits", container: name,
                           message: "a process limit must be at least 1", kind: .invalidArgument)
        }
        try await changeConfig("setLimits") { config in
            if let memory = limits.memory {
                config["limits.memory"] = memory.value.map { formatByteSize($0.bytes) }
            }
            if let quota = limits.cpuQuota {
                config["limits.cpu.allowance"] = quota.quota.map {
                    "\(CPUQuota.microseconds($0) / 1000)ms/\(CPUQuota.microseconds(quota.period) / 1000)ms"
                }
            }
            if let processes = limits.processes {
                config["limits.processes"] = processes.value.map(String.init)
            }
        }
    }

    /// The number of processes in the running instance.
    ///
    /// The corresponding LXD call is `GET /1.0/instances/{name}/state` (`processes`).
    public func processCount() async throws -> Int {
        guard let processes = try await runtimeState("processCount").processes else {
            throw LXCError(operation: "processCount", container: name, message: "LXD reports no process count", kind: .failed)
        }
        return processes
    }

    /// Limits the number of processes of the instance: its `limits.processes` key (removed
    /// for `.unlimited`).
    ///
    /// The corresponding LXD calls are those of ``setConfigItem(_:to:)``.
    public func setProcessLimit(_ limit: ResourceLimit<Int>) async throws {
        guard (limit.value ?? 1) > 0 else {
            throw LXCError(operation: "setProcessLimit", container: name,
                           message: "a process limit must be at least 1", kind: .invalidArgument)
        }
        try await changeConfig("setProcessLimit") { config in
            config["limits.processes"] = limit.value.map(String.init)
        }
    }
}

/// LXD's sizes: a number with an optional unit (`B`, `kB` `MB` … decimal, `KiB` `MiB` …
/// binary); nil for anything else (a percentage among them).
func parseByteSize(_ text: String) -> UInt64? {
    let trimmed = String(text.trimmingBlanks())
    let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
    guard !digits.isEmpty, let number = UInt64(digits) else { return nil }
    let unit = trimmed.dropFirst(digits.count).trimmingBlanks()
    let multipliers: [String: UInt64] = [
        "": 1, "B": 1,
        "kB": 1_000, "KB": 1_000, "MB": 1_000_000, "GB": 1_000_000_000, "TB": 1_000_000_000_000,
        "PB": 1_000_000_000_000_000, "EB": 1_000_000_000_000_000_000,
        "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40, "PiB": 1 << 50, "EiB": 1 << 60,
    ]
    guard let multiplier = multipliers[String(unit)] else { return nil }
    let (product, overflow) = number.multipliedReportingOverflow(by: multiplier)
    return overflow ? nil : product
}

/// A size as LXD reads it: in the largest binary unit that divides it.
func formatByteSize(_ bytes: UInt64) -> String {
    for (shift, unit) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] where bytes != 0 && bytes % (1 << UInt64(shift)) == 0 {
        return "\(bytes >> UInt64(shift))\(unit)"
    }
    return "\(bytes)B"
}

struct InstanceBody: Decodable {
    var architecture: String?
    var config: [String: String]?
    var devices: [String: [String: String]]?
    var ephemeral: Bool?
    var profiles: [String]?
    var description: String?
}

struct InstancePut: Encodable {
    var architecture: String
    var config: [String: String]
    var devices: [String: [String: String]]
    var ephemeral: Bool
    var profiles: [String]
    var description: String
}
