import Glibc

extension Container {
    // MARK: the container's own log

    /// The file the container's configuration sends liblxc's log to, or nil when it names
    /// none.
    ///
    /// Reads the `lxc.log.file` config item (go-lxc's `LogFile`). The corresponding liblxc
    /// call is `c->get_config_item`.
    ///
    /// - Throws: ``LXCError`` as ``configItem(_:)``.
    public func logFile() throws -> String? {
        guard let value = try configItem("lxc.log.file"), !value.isEmpty else { return nil }
        return value
    }

    /// Sends liblxc's log lines about this container to `path`, or stops doing so (nil).
    ///
    /// Sets the `lxc.log.file` config item (go-lxc's `SetLogFile`): liblxc opens the file at
    /// once, appending and making it when it is missing, and the calls on this handle, and
    /// the container started from it, log there; ``saveConfig(to:)-6j074`` keeps it for later
    /// starts. While a program routes liblxc's log to a file of its own with
    /// ``LXC/startLogging(_:)``, liblxc writes there instead. Errors then quote the lines of
    /// that file that name the container (see ``LXCError/log``). The corresponding liblxc
    /// call is `c->set_config_item`.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/invalidArgument`` for a path with a line break
    ///   or NUL byte; ``LXCError/Kind/failed`` when liblxc cannot open the file.
    public func setLogFile(_ path: String?) throws {
        try setConfigItem("lxc.log.file", to: path ?? "")
    }

    /// The lowest priority of the lines liblxc logs about this container, or nil when the
    /// configuration sets none (liblxc then uses the process's level, see
    /// ``LXC/startLogging(_:)``).
    ///
    /// Reads the `lxc.log.level` config item (go-lxc's `LogLevel`). The corresponding liblxc
    /// call is `c->get_config_item`.
    ///
    /// - Throws: ``LXCError`` as ``configItem(_:)``, and ``LXCError/Kind/failed`` for a level
    ///   this library does not know.
    public func logLevel() throws -> LXC.LogLevel? {
        guard let value = try configItem("lxc.log.level"), !value.isEmpty, value != "NOTSET" else { return nil }
        guard let level = LXC.LogLevel(rawValue: value) else {
            throw LXCError(operation: Operation.logLevel.name, container: name,
                           message: "liblxc reports the log level \(quoted(value)), which this library does not know",
                           kind: .failed)
        }
        return level
    }

    /// Sets the lowest priority of the lines liblxc logs about this container; nil leaves it
    /// to the process's level.
    ///
    /// Sets the `lxc.log.level` config item (go-lxc's `SetLogLevel`) to the level's name
    /// (`"DEBUG"`, …). The corresponding liblxc call is `c->set_config_item`.
    ///
    /// - Throws: ``LXCError`` as ``setConfigItem(_:to:)``.
    public func setLogLevel(_ level: LXC.LogLevel?) throws {
        try setConfigItem("lxc.log.level", to: level?.rawValue ?? "")
    }
}
