// Automatic start and stop, as `lxc-autostart` does it: liblxc stores `lxc.start.auto`,
// `lxc.start.order`, `lxc.start.delay` and `lxc.group`; the order and the waiting are the
// tool's. The selection rules follow lxc-autostart(1): without groups only containers that
// belong to no group (the "NULL group") are processed; given groups are processed in the
// order given, a container once (in the first group that names it), and within a group in
// ascending `lxc.start.order`, then by name. A stop goes through the same sequence backwards.

extension Container {
    /// The container's autostart settings, read from its configuration.
    ///
    /// The corresponding liblxc calls are `c->get_config_item` for `lxc.start.auto`,
    /// `lxc.start.order`, `lxc.start.delay` and `lxc.group`.
    /// - Throws: ``LXCError`` when the configuration cannot be read; a value that is not a
    ///   number counts as 0, as liblxc's tools read it.
    public func autostartSettings() throws -> AutostartSettings {
        func number(_ key: String) throws -> Int {
            Int(CgroupParsing.trimmed(try configItem(key) ?? "")) ?? 0
        }
        let groups = (try configItem("lxc.group") ?? "")
            .split(whereSeparator: { $0 == "\n" || $0 == "," })
            .map { CgroupParsing.trimmed(String($0)) }
            .filter { !$0.isEmpty }
        return AutostartSettings(isEnabled: try number("lxc.start.auto") == 1, order: try number("lxc.start.order"),
                                 delay: .seconds(max(0, try number("lxc.start.delay"))), groups: groups)
    }

    /// The containers an automatic start processes, in the order it starts them.
    ///
    /// - Parameters:
    ///   - groups: the groups to process, in order; `nil` in the array stands for the
    ///     containers without a group. `nil` (the default is `[nil]`, as `lxc-autostart`
    ///     without `-g`) for every container whatever its groups (`lxc-autostart -a`).
    ///   - includingDisabled: also containers without `lxc.start.auto = 1` (`lxc-autostart -A`).
    ///   - lxcpath: where the containers are; liblxc's default when nil.
    /// - Returns: each container's name and settings, in start order.
    /// - Throws: ``LXCError`` when the lxcpath cannot be listed. A container whose
    ///   configuration cannot be read is left out.
    public static func autostartSequence(groups: [String?]? = [nil], includingDisabled: Bool = false,
                                         in lxcpath: String? = nil) throws -> [(name: String, settings: AutostartSettings)] {
        var candidates: [(name: String, settings: AutostartSettings)] = []
        for container in try list(.defined, in: lxcpath) {
            guard let settings = try? container.autostartSettings() else { continue }
            if settings.isEnabled || includingDisabled { candidates.append((container.name, settings)) }
        }
        func ordered(_ selected: [(name: String, settings: AutostartSettings)]) -> [(name: String, settings: AutostartSettings)] {
            selected.sorted { a, b in
                a.settings.order != b.settings.order ? a.settings.order < b.settings.order
                    : Array(a.name.utf8).lexicographicallyPrecedes(Array(b.name.utf8))
            }
        }
        guard let groups else { return ordered(candidates) }
        var result: [(name: String, settings: AutostartSettings)] = []
        var taken: Set<String> = []
        for group in groups {
            let members = candidates.filter { candidate in
                !taken.contains(candidate.name)
                    && (group.map { candidate.settings.groups.contains($0) } ?? candidate.settings.groups.isEmpty)
            }
            for member in ordered(members) {
                taken.insert(member.name)
                result.append(member)
            }
        }
        return result
    }

    /// Starts the containers with `lxc.start.auto = 1`, in the order of
    /// ``autostartSequence(groups:includingDisabled:in:)``, waiting each one's
    /// `lxc.start.delay` after starting it, as `lxc-autostart` does.
    ///
    /// A running container is left alone (and its delay is not waited). A failed start is
    /// reported in the result and the sequence goes on. The corresponding liblxc call is
    /// `c->start` for each container. There is no blocking form: the delays are waited with
    /// `Task.sleep`.
    /// - Returns: what happened to each container, in start order.
    /// - Throws: ``LXCError`` when the lxcpath cannot be listed; `CancellationError` when the
    ///   task is cancelled during a delay.
    public static func autostart(groups: [String?]? = [nil], includingDisabled: Bool = false,
                                 in lxcpath: String? = nil) async throws -> [AutostartResult] {
        let sequence = try autostartSequence(groups: groups, includingDisabled: includingDisabled, in: lxcpath)
        var results: [AutostartResult] = []
        for (index, entry) in sequence.enumerated() {
            do {
                let container = try Container(name: entry.name, lxcpath: lxcpath)
                if container.isRunning {
                    results.append(AutostartResult(name: entry.name, settings: entry.settings, acted: false))
                    continue
                }
                try await container.start()
                results.append(AutostartResult(name: entry.name, settings: entry.settings, acted: true))
            } catch let error as LXCError {
                results.append(AutostartResult(name: entry.name, settings: entry.settings, acted: false, error: error))
                continue
            }
            if index < sequence.count - 1 && entry.settings.delay > .zero {
                try await Task.sleep(for: entry.settings.delay)
            }
        }
        return results
    }

    /// Stops the containers an automatic start would start, in the reverse order, as
    /// `lxc-autostart -s` (clean shutdown, then killed after `timeout`) and `-k` (`timeout`
    /// nil: killed at once) do.
    ///
    /// A stopped container is left alone; a failed stop is reported and the sequence goes
    /// on. The corresponding liblxc calls are `c->shutdown` and `c->stop`.
    /// - Returns: what happened to each container, in stop order.
    /// - Throws: ``LXCError`` when the lxcpath cannot be listed.
    public static func autostop(groups: [String?]? = [nil], includingDisabled: Bool = false, timeout: Duration?,
                                in lxcpath: String? = nil) async throws -> [AutostartResult] {
        let sequence = try autostartSequence(groups: groups, includingDisabled: includingDisabled, in: lxcpath)
        var results: [AutostartResult] = []
        for entry in sequence.reversed() {
            do {
                let container = try Container(name: entry.name, lxcpath: lxcpath)
                if container.state == .stopped {
                    results.append(AutostartResult(name: entry.name, settings: entry.settings, acted: false))
                    continue
                }
                if let timeout {
                    do {
                        try await container.shutdown(timeout: timeout)
                    } catch let error as LXCError where error.kind == .timedOut {
                        try await container.stop()
                    }
                } else {
                    try await container.stop()
                }
                results.append(AutostartResult(name: entry.name, settings: entry.settings, acted: true))
            } catch let error as LXCError {
                results.append(AutostartResult(name: entry.name, settings: entry.settings, acted: false, error: error))
            }
        }
        return results
    }
}
