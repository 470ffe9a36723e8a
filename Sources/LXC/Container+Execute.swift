import Glibc

// Running a command as an application container, as `lxc-execute` does.

extension Container {
    /// Runs `command` as the container's only program (an application container) and
    /// returns how it ended, as `lxc-execute` does.
    ///
    /// liblxc starts the container in the foreground with `lxc-init` as its first process,
    /// which runs `command` and reaps what it leaves behind; the container stops when the
    /// command ends. The handle is switched to foreground starts (``setDaemonizes(_:)`` with
    /// false) for the call and back afterwards. The corresponding liblxc call is `c->start`
    /// with `useinit` set, after `c->want_daemonize(c, false)`.
    ///
    /// ```swift
    /// let status = try container.execute(["sh", "-c", "exit 3"])   // .exited(3)
    /// ```
    ///
    /// - Parameter command: the program and its arguments, as seen inside the container.
    /// - Returns: how the command ended.
    /// - Throws: ``LXCError`` as ``start(useInit:arguments:)-6gzbz`` does, for an empty command, a
    ///   container that is running already, or a start liblxc reports as failed.
    public func execute(_ command: [String]) throws -> ExitStatus {
        guard !command.isEmpty else {
            throw LXCError(operation: "execute", container: name, message: "no command to run", code: EINVAL, kind: .invalidArgument)
        }
        let daemonized = daemonizes
        try setDaemonizes(false)
        defer { try? setDaemonizes(daemonized) }
        do {
            try start(useInit: true, arguments: command)
            return .exited(0)
        } catch let error as LXCError where error.kind == .failed && error.message.hasPrefix("the container ran in the foreground") {
            guard let code = error.code else { throw error }
            return ExitStatus(waitStatus: code)
        }
    }

    /// Runs `command` as an application container without blocking the caller's thread;
    /// see ``execute(_:)``.
    public func execute(_ command: [String]) async throws -> ExitStatus {
        try await offload { try self.execute(command) }
    }
}
