import CLXC
import Glibc

// The one path from a public method to liblxc.
//
// A public method checks its input, makes one call through `liblxc(_:_:_:…)` (or `query` for
// a call whose failure has nothing to explain), and converts the result or throws. The helper
// takes the container's current handle (a call keeps the handle it started with, even across
// a rename), checks that this liblxc fills in the member (else `LXCError.Kind.unsupported`
// naming `c->member`), opens the diagnostics cursor that turns liblxc's log lines into the
// error's message (`diagnosed`, Container+Failures.swift), and applies the process-safety
// rules of the call's kind. No call site picks a lock or gate itself.
//
// Kinds (`CallKind`), and what each holds across the liblxc call (and only across it: the
// conversion and the explanation of a failure run after the gates are left):
// - `plain`: nothing.
// - `configWrite` (`set_config_item`, `clear_config_item`): the handle's `configWrites`, so
//   a start's fork never copies a configuration in the middle of a write.
// - `forks` (liblxc forks in this process: `get_interfaces`, `get_ips`, `add_device_node`,
//   `mount`, …; and the library's own forks into a container's root, `libraryFork`):
//   `ForkGate.asFork`, so no child is born while a start has moved this process into a
//   monitor cgroup.
// - `inChildProcess` (clone, snapshots, a foreground start: made in a child of ours by
//   `Isolated`): nothing here; `Isolated` holds `ForkGate.asFork` across its own fork only,
//   so a long copy does not hold starts back.
// - `userNamespaceHelpers` (create, destroy, save_config: for an unprivileged caller liblxc
//   forks helpers into a user namespace, and changes the umask for a moment):
//   `UnprivilegedCalls.oneAtATime` (a no-op for root), which unprivileged starts take too;
//   made through `Isolated`, the fork is gated there as well.
// - `startsContainer` (a daemonized `start`, a CRIU `restore`, `migrate(.restore)`: liblxc
//   moves this process into the container's monitor cgroup and forks the monitor from a copy
//   of the configuration): `UnprivilegedCalls.oneAtATime`, then
//   `CallerCgroups.preservingMembership` (which is `ForkGate.asStart` and puts the process back
//   into its own cgroups after the call), then `configWrites`. Around the call, the container's
//   cgroups are noted, and those a failed start (or a start whose init already stopped) left
//   are removed; a start that failed only because its command socket was still bound (see
//   `commandSocketRetries`) is tried again.
// - `attach` (`c->attach`, Internal/Attach): `ForkGate.asAttach`, held only until liblxc's
//   fork has happened, because the call then waits on the attached process.
// Held across the liblxc call: `configWrites` (short, or a start, which never waits on a
// container: a daemonized start returns once the container runs), `UnprivilegedCalls`'s lock
// (unprivileged callers only) and the fork gate's counts; none is held across a wait on a
// container's state (`wait`, `shutdown`, `stop`'s wait are `plain`).

/// The names of the library's operations, as ``LXCError/operation`` gives them.
enum Operation: String, Sendable {
    case create, start, stop, shutdown, reboot, freeze, unfreeze, wait, destroy, rename
    case configItem, setConfigItem, clearConfigItem, configKeys, runningConfigItem, loadConfig, saveConfig
    case clearConfig, setLXCPath, setDaemonizes, setClosesAllFileDescriptors
    case snapshot, snapshots, restoreSnapshot, restoreSnapshotInPlace, destroySnapshot, destroyAllSnapshots
    case clone, checkpoint, restore, migrate
    case addDeviceNode, removeDeviceNode, mount, unmount
    case interfaces, ipAddresses, attachInterface, detachInterface
    case consoleFileDescriptor, console, consoleLog, clearConsoleLog
    case initPIDFileDescriptor, devptsFileDescriptor, seccompNotifyFileDescriptor, localSeccompNotifyFileDescriptor
    case cgroupItem, setCgroupItem, idMaps, setIDMaps, repairIncomplete
    case run, output, streamOutput, spawn, attach, runShell
    case memoryUsage, memoryLimit, setMemoryLimit, memoryAndSwapUsage, memoryAndSwapLimit, setMemoryAndSwapLimit
    case softMemoryLimit, setSoftMemoryLimit, kernelMemoryLimit, setKernelMemoryLimit
    case cpuUsage, cpuWeight, setCPUWeight, processCount, processLimit, setProcessLimit, blockIOStatistics, cgroupVersion
    case waitForIPAddresses, interfaceStatistics, supportedMigrationFeatures
    case list, names, incompleteNames, rootMappings, logLevel, startLogging
    /// `Container.init(name:lxcpath:)`.
    case initializer = "init"

    var name: String { rawValue }

    /// The operation whose name a caller passed on as a string (helpers shared by several
    /// operations take it so), or `fallback`.
    init(named name: String, or fallback: Operation) {
        self = Operation(rawValue: name) ?? fallback
    }
}

/// How a liblxc call affects the process, and so which locks and gates it passes through;
/// see the top of LiblxcCall.swift.
enum CallKind: Sendable {
    case plain
    case configWrite
    case forks
    case inChildProcess
    case userNamespaceHelpers
    case startsContainer
    case attach

    /// Runs `body` (the liblxc call itself) behind this kind's locks and gates. A
    /// `startsContainer` call's success is read from its result (`Bool`, or `0` from
    /// `migrate`), which tells the cgroup return what to expect.
    func apply<T>(_ handle: Handle, _ body: () throws -> T) throws -> T {
        try applyNoThrow(handle) { Result { try body() } }.get()
    }

    /// `apply` for a call that cannot throw.
    func applyNoThrow<T>(_ handle: Handle, _ body: () -> T) -> T {
        switch self {
        case .plain, .inChildProcess:
            return body()
        case .configWrite:
            return Self.holdingConfigWrites(handle, body)
        case .forks:
            return ForkGate.asFork(body)
        case .attach:
            return ForkGate.asAttach(body)
        case .userNamespaceHelpers:
            return UnprivilegedCalls.oneAtATime(body)
        case .startsContainer:
            var result: T?
            _ = UnprivilegedCalls.oneAtATime {
                CallerCgroups.preservingMembership(removingAbandonedMonitors: false) {
                    let value = Self.holdingConfigWrites(handle, body)
                    result = value
                    return Self.reportsSuccess(value)
                }
            }
            guard let result else { preconditionFailure("preservingMembership runs its body once") }
            return result
        }
    }

    private static func holdingConfigWrites<T>(_ handle: Handle, _ body: () -> T) -> T {
        var result: T?
        handle.configWrites.withLock { _ in result = body() }
        guard let result else { preconditionFailure("withLock runs its body once") }
        return result
    }

    /// Whether a start's result says it started: `true`, or `0` (migrate's success); a
    /// call that threw did not.
    static func reportsSuccess<T>(_ value: T) -> Bool {
        if let started = value as? Bool { return started }
        if let code = value as? Int32 { return code == 0 }
        if let outcome = value as? Result<Bool, any Error> { return (try? outcome.get()) ?? false }
        if let outcome = value as? Result<Int32, any Error> { return (try? outcome.get()) == 0 }
        return true
    }
}
/// One liblxc call in progress: what a conversion needs to explain a failure.
struct LiblxcCall {
    let container: Container
    let operation: Operation
    let handle: Handle
    let cursor: DiagnosticCursor

    var pointer: UnsafeMutablePointer<lxc_container> { handle.pointer }

    /// The ERROR lines liblxc logged during the call so far.
    var errorLines: [String] { cursor.errorLines(for: container.name) }

    /// The error for a call that liblxc reported failed (see `Container.failure`).
    func failure(kind: LXCError.Kind = .failed, _ explanation: String? = nil,
                 outcome: Isolated.Outcome? = nil) -> LXCError {
        container.failure(operation.name, handle, cursor, kind: kind, explanation, outcome: outcome)
    }
}

extension Container {
    /// Makes one liblxc call: takes the current handle (or `handle`), checks that liblxc has
    /// `member`, opens the diagnostics cursor, runs `invoke` behind the gates of `kind`, then
    /// `convert` (after the gates) with the result.
    ///
    /// - Parameters:
    ///   - operation: the operation named in any error.
    ///   - member: the member of `struct lxc_container` called (its C name, for the error when
    ///     liblxc lacks it, comes from `LiblxcMember`).
    ///   - kind: the process-safety rules of the call.
    ///   - invoke: the call itself, given the function and the container's pointer; it may be
    ///     run more than once (a start whose command socket was still bound is tried again).
    ///   - convert: the result into the method's answer, or the error.
    func liblxc<F, T, R>(
        _ operation: Operation,
        _ member: KeyPath<lxc_container, F?>,
        _ kind: CallKind = .plain,
        on handle: Handle? = nil,
        _ invoke: (F, UnsafeMutablePointer<lxc_container>) throws -> T,
        then convert: (T, LiblxcCall) throws -> R
    ) throws -> R {
        let handle = handle ?? self.handle
        let pointer = handle.pointer
        guard let function = pointer.pointee[keyPath: member] else {
            throw missingFunction(operation.name, LiblxcMember.cName(member))
        }
        return try diagnosed(handle) { cursor in
            let call = LiblxcCall(container: self, operation: operation, handle: handle, cursor: cursor)
            let result = if kind == .startsContainer {
                try starting(call) { try kind.apply(handle) { try invoke(function, pointer) } }
            } else {
                try kind.apply(handle) { try invoke(function, pointer) }
            }
            return try convert(result, call)
        }
    }

    /// A liblxc call whose failure has nothing in liblxc's log to explain (a value read, a
    /// wait): the member is checked and the gates of `kind` applied, without a diagnostics
    /// cursor.
    func query<F, R>(
        _ operation: Operation,
        _ member: KeyPath<lxc_container, F?>,
        _ kind: CallKind = .plain,
        on handle: Handle? = nil,
        _ invoke: (F, UnsafeMutablePointer<lxc_container>) throws -> R
    ) throws -> R {
        let handle = handle ?? self.handle
        let pointer = handle.pointer
        guard let function = pointer.pointee[keyPath: member] else {
            throw missingFunction(operation.name, LiblxcMember.cName(member))
        }
        return try kind.apply(handle) { try invoke(function, pointer) }
    }

    /// A query for a property that cannot throw: nil when liblxc lacks `member`.
    func queryIfPresent<F, R>(
        _ member: KeyPath<lxc_container, F?>,
        on handle: Handle? = nil,
        _ invoke: (F, UnsafeMutablePointer<lxc_container>) -> R
    ) -> R? {
        let handle = handle ?? self.handle
        guard let function = handle.pointer.pointee[keyPath: member] else { return nil }
        return invoke(function, handle.pointer)
    }

    /// Throws the missing-function error when this liblxc lacks `member`, for an operation
    /// the library makes of several calls (rename: `c->clone`, then `c->destroy`).
    func requireMember<F>(_ operation: Operation, _ member: KeyPath<lxc_container, F?>) throws {
        if handle.pointer.pointee[keyPath: member] == nil {
            throw missingFunction(operation.name, LiblxcMember.cName(member))
        }
    }

    /// Runs one of the library's own forks (a child chrooted into the container's root) as a
    /// forking call.
    func libraryFork<R>(_ body: () throws -> R) throws -> R {
        try CallKind.forks.apply(handle, body)
    }

    /// A `startsContainer` call: notes the container's cgroups, retries a start whose command
    /// socket was still bound, and removes the cgroups a failed start left behind.
    private func starting<T>(_ call: LiblxcCall, _ attempt: () throws -> T) throws -> T {
        let cgroups = ContainerCgroups.note(name)
        var result = try attempt()
        var started = CallKind.reportsSuccess(result)
        // liblxc makes the container's command socket in this process before it forks the
        // monitor, and keeps it open for the whole start; a monitor of another container
        // started from this process at that moment inherits it until it closes inherited
        // descriptors. A container that stopped at once (a short-lived init) and is started
        // again in that window finds its socket name still bound, and liblxc fails before it
        // has done anything. Only then, try again for a moment. This is a matter of this
        // process's concurrent starts, so it lives here, for every call that starts one.
        var socketClashes = Self.commandSocketClashes(call.errorLines)
        var retries = 0
        while !started && socketClashes > 0 && retries < Self.commandSocketRetries && state == .stopped {
            usleep(20_000)
            retries += 1
            result = try attempt()
            started = CallKind.reportsSuccess(result)
            let clashes = Self.commandSocketClashes(call.errorLines)
            if clashes == socketClashes { break }  // failed for another reason
            socketClashes = clashes
        }
        // Housekeeping only, never the answer: an init that stopped before this process left
        // the monitor cgroup kept its monitor from removing it.
        if !started || state == .stopped { removeCgroups(cgroups) }
        return result
    }

    /// How many times a start whose command socket was still bound is tried again (20 ms
    /// apart).
    static let commandSocketRetries = 50

    /// How many of liblxc's log lines say that the container's command socket could not be
    /// made (its name was still bound).
    static func commandSocketClashes(_ lines: [String]) -> Int {
        lines.filter { $0.contains("Failed to create command socket") }.count
    }

    /// After a failed start: removes the empty `lxc.monitor.<name>` and `lxc.payload.<name>`
    /// cgroups it made that liblxc could not remove (see ``ContainerCgroups``), unless a
    /// start of the container that succeeded meanwhile may own them.
    func removeCgroups(_ cgroups: ContainerCgroups) {
        cgroups.removeAbandoned { [self] in state }
    }
}

/// The C names of `struct lxc_container`'s members, for messages ("this liblxc has no
/// c->mount").
enum LiblxcMember {
    static func cName(_ member: PartialKeyPath<lxc_container>) -> String {
        "c->" + name(member)
    }

    private static func name(_ member: PartialKeyPath<lxc_container>) -> String {
        switch member {
        case \lxc_container.create: "create"
        case \lxc_container.load_config: "load_config"
        case \lxc_container.save_config: "save_config"
        case \lxc_container.clear_config: "clear_config"
        case \lxc_container.start: "start"
        case \lxc_container.stop: "stop"
        case \lxc_container.wait: "wait"
        case \lxc_container.shutdown: "shutdown"
        case \lxc_container.reboot: "reboot"
        case \lxc_container.reboot2: "reboot2"
        case \lxc_container.freeze: "freeze"
        case \lxc_container.unfreeze: "unfreeze"
        case \lxc_container.destroy: "destroy"
        case \lxc_container.destroy_with_snapshots: "destroy_with_snapshots"
        case \lxc_container.clone: "clone"
        case \lxc_container.rename: "rename"
        case \lxc_container.is_defined: "is_defined"
        case \lxc_container.state: "state"
        case \lxc_container.is_running: "is_running"
        case \lxc_container.init_pid: "init_pid"
        case \lxc_container.config_file_name: "config_file_name"
        case \lxc_container.may_control: "may_control"
        case \lxc_container.want_daemonize: "want_daemonize"
        case \lxc_container.want_close_all_fds: "want_close_all_fds"
        case \lxc_container.set_config_path: "set_config_path"
        case \lxc_container.get_config_item: "get_config_item"
        case \lxc_container.set_config_item: "set_config_item"
        case \lxc_container.clear_config_item: "clear_config_item"
        case \lxc_container.get_keys: "get_keys"
        case \lxc_container.get_running_config_item: "get_running_config_item"
        case \lxc_container.snapshot: "snapshot"
        case \lxc_container.snapshot_list: "snapshot_list"
        case \lxc_container.snapshot_restore: "snapshot_restore"
        case \lxc_container.snapshot_destroy: "snapshot_destroy"
        case \lxc_container.snapshot_destroy_all: "snapshot_destroy_all"
        case \lxc_container.checkpoint: "checkpoint"
        case \lxc_container.restore: "restore"
        case \lxc_container.migrate: "migrate"
        case \lxc_container.add_device_node: "add_device_node"
        case \lxc_container.remove_device_node: "remove_device_node"
        case \lxc_container.mount: "mount"
        case \lxc_container.umount: "umount"
        case \lxc_container.get_interfaces: "get_interfaces"
        case \lxc_container.get_ips: "get_ips"
        case \lxc_container.attach_interface: "attach_interface"
        case \lxc_container.detach_interface: "detach_interface"
        case \lxc_container.console_getfd: "console_getfd"
        case \lxc_container.console: "console"
        case \lxc_container.console_log: "console_log"
        case \lxc_container.init_pidfd: "init_pidfd"
        case \lxc_container.devpts_fd: "devpts_fd"
        case \lxc_container.seccomp_notify_fd: "seccomp_notify_fd"
        case \lxc_container.seccomp_notify_fd_active: "seccomp_notify_fd_active"
        case \lxc_container.get_cgroup_item: "get_cgroup_item"
        case \lxc_container.set_cgroup_item: "set_cgroup_item"
        case \lxc_container.attach: "attach"
        case \lxc_container.attach_run_wait: "attach_run_wait"
        default: "(a member of struct lxc_container)"
        }
    }
}

extension Handle {
    /// Whether liblxc has a configuration loaded on the handle (`c->lxc_conf`).
    var hasConfiguration: Bool { pointer.pointee.lxc_conf != nil }

    /// Whether a start daemonizes (`c->daemonize`).
    var daemonizes: Bool { pointer.pointee.daemonize }

    /// The handle's lxcpath as liblxc has it (`c->config_path`).
    var configPath: String? { pointer.pointee.config_path.map { String(cString: $0) } }

    /// The handle's container name as liblxc has it (`c->name`).
    var containerName: String? { pointer.pointee.name.map { String(cString: $0) } }

    /// Forgets the loaded configuration (`c->clear_config`), as a call made in a child
    /// process left the child's copy of the handle.
    func clearConfiguration() {
        pointer.pointee.clear_config?(pointer)
        configurationReplaced()
    }

    /// Forgets the loaded configuration and loads the container's file again
    /// (`c->clear_config`, `c->load_config`); false when it cannot be loaded.
    func reloadConfiguration() -> Bool {
        clearConfiguration()
        return pointer.pointee.load_config?(pointer, nil) ?? false
    }
}
