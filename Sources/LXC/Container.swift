import CLXC
import Glibc

/// A Linux container, as liblxc knows it: a name in an lxcpath, with a configuration file
/// and (once created) a root filesystem.
///
/// A `Container` owns one reference to liblxc's `struct lxc_container` (made by
/// `lxc_container_new`, released by `lxc_container_put` when the `Container` goes away).
/// Making one does not create anything on disk: ``isDefined`` says whether the container
/// exists, ``create(template:backingStore:specs:options:arguments:)-vs3`` makes it.
///
/// ```swift
/// let web = try Container(name: "web", lxcpath: "/var/lib/lxc")
/// if !web.isDefined {
///     try web.create(template: "busybox")
/// }
/// try web.start()
/// print(web.state, web.initPID ?? 0)
/// ```
///
/// A `Container` is `Sendable`: it may be used from many tasks and threads at once. liblxc
/// guards each handle's in-memory state with its own lock; the library adds none around
/// `wait` and `shutdown`, so a state query never waits behind them. (Configuration writes on
/// a handle wait for a daemonized start on it; see the Concurrency article.)
public final class Container: Sendable, CustomStringConvertible {
    struct Identity {
        var handle: Handle
        var name: String
        var lxcpath: String
        /// Handles that finished an attach, kept for the next one (see `withAttachHandle`),
        /// with the config file they were loaded from.
        var spareAttachHandles = SpareAttachHandles()
    }

    private let identity: Locked<Identity>

    /// Makes a handle for the container `name` in `lxcpath` (liblxc's global `lxc.lxcpath`
    /// when nil), loading its configuration when it exists.
    ///
    /// The corresponding liblxc call is `lxc_container_new`.
    ///
    /// A name is 1 to 64 bytes (a container's name is its host name) of letters and digits
    /// of any script, `-`, `_` and `.`, and does not start with `-` or `.`. liblxc itself
    /// takes more, but its templates pass the name unquoted through the shell (a space splits
    /// it into two paths, one of them outside the lxcpath; `*` expands), `#` and `=` are
    /// config syntax, `:` separates an overlay's layers, and a leading `-` reads as a
    /// template option. An lxcpath is absolute and has no white space, control character,
    /// `#`, `=`, `:` or character a shell interprets (`'"\$;&|<>*?[](){}!` and the backquote).
    ///
    /// - Throws: ``LXCError`` with kind ``LXCError/Kind/invalidArgument`` for a name or an
    ///   lxcpath outside those rules (the message names what is wrong); kind
    ///   ``LXCError/Kind/failed`` when liblxc cannot make the handle (its configuration file
    ///   cannot be parsed, say).
    public init(name: String, lxcpath: String? = nil) throws {
        try Validate.name(name, operation: Operation.initializer.name)
        if let lxcpath { try Validate.lxcpath(lxcpath, operation: Operation.initializer.name) }
        let handle = try Container.newHandle(name: name, lxcpath: lxcpath, operation: Operation.initializer.name)
        // liblxc keeps the lxcpath it is given as it is.
        let path = lxcpath ?? handle.configPath ?? LXC.defaultLXCPath
        identity = Locked(Identity(handle: handle, name: name, lxcpath: path))
    }

    /// Wraps a handle that liblxc made (for the list functions).
    init(adopting handle: Handle) {
        let name = handle.containerName ?? ""
        let path = handle.configPath ?? ""
        identity = Locked(Identity(handle: handle, name: name, lxcpath: path))
    }

    static func newHandle(name: String, lxcpath: String?, operation: String) throws -> Handle {
        errno = 0
        let pointer = withOptionalCString(lxcpath) { lxc_container_new(name, $0) }
        guard let pointer else {
            let code = errno
            var message = "liblxc could not make a handle for it"
            if let lxcpath { message += " in \(quoted(lxcpath))" }
            message += code != 0 ? ": \(errnoDescription(code))" : " (its configuration file may not parse)"
            throw LXCError(operation: operation, container: name, message: message,
                           code: code != 0 ? code : nil, kind: .failed)
        }
        return Handle(owning: pointer)
    }

    /// The handle calls go through now, retained for the caller.
    var handle: Handle { identity.withLock { $0.handle } }

    func replaceHandle(_ handle: Handle, name: String) {
        let discarded = identity.withLock {
            $0.handle = handle
            $0.name = name
            return $0.spareAttachHandles.removeAll()
        }
        _ = discarded  // released here, outside the lock: releasing calls into liblxc
    }

    func replaceLXCPath(_ path: String) {
        let discarded = identity.withLock {
            $0.lxcpath = path
            return $0.spareAttachHandles.removeAll()
        }
        _ = discarded
    }

    /// A spare attach handle loaded from the config file's bytes `file`, if one is kept.
    func takeSpareAttachHandle(for file: [UInt8]) -> Handle? {
        let (handle, discarded) = identity.withLock { $0.spareAttachHandles.take(for: file) }
        _ = discarded
        return handle
    }

    /// Keeps `handle`, loaded from `file` for the container `name` in `lxcpath`, for a later
    /// attach, unless the container has been renamed or moved since.
    func keepSpareAttachHandle(_ handle: Handle, from file: [UInt8], name: String, lxcpath: String) {
        let discarded = identity.withLock { identity -> [Handle] in
            guard identity.name == name, identity.lxcpath == lxcpath else { return [handle] }
            return identity.spareAttachHandles.keep(handle, from: file)
        }
        _ = discarded
    }

    /// The container's name.
    ///
    /// It changes only through ``rename(to:)-6xain``. liblxc keeps it as `c->name`.
    public var name: String { identity.withLock { $0.name } }

    /// The directory that holds this container's directory (its "lxcpath").
    ///
    /// The corresponding liblxc call is `c->get_config_path`.
    public var lxcpath: String { identity.withLock { $0.lxcpath } }

    /// `"name" in /lxcpath`.
    public var description: String { "\(quoted(name)) in \(lxcpath)" }

    /// Whether the container exists: its configuration file is on disk.
    ///
    /// The corresponding liblxc call is `c->is_defined`.
    public var isDefined: Bool {
        queryIfPresent(\.is_defined) { isDefined, pointer in isDefined(pointer) } ?? false
    }

    /// The container's state now.
    ///
    /// liblxc asks the container's monitor through its command socket and answers
    /// ``ContainerState/stopped`` when there is none. A stopped container whose last
    /// create, clone, rename, restore or destroy did not finish is
    /// ``ContainerState/incomplete``. The corresponding liblxc call is `c->state`.
    public var state: ContainerState {
        guard let name = queryIfPresent(\.state, { state, pointer in state(pointer) }) ?? nil else { return .stopped }
        let state = ContainerState(liblxcName: String(cString: name))
        if state == .stopped && isIncomplete { return .incomplete }
        return state
    }

    /// Whether an operation on the container's directory did not finish: liblxc's marker
    /// `partial` is in it, or this library's intent for it is recorded (see `Intent`). Two
    /// `access` calls, asked by every `state` of a stopped container: lxc-bench's `handle`
    /// (new handle, isDefined, state, release) went from 1.03 to 1.09-1.10 of the C floor
    /// with them. Building the paths in a stack buffer instead of Strings bought 1 %, inside
    /// the noise, so it was not kept.
    var isIncomplete: Bool {
        let (name, lxcpath) = identity.withLock { ($0.name, $0.lxcpath) }
        return PartialMarker.isPlaced(in: lxcpath + "/" + name) || Intent.isRecorded(name: name, in: lxcpath)
    }

    /// Whether the container is running (or frozen, or being started or stopped).
    ///
    /// The corresponding liblxc call is `c->is_running`.
    public var isRunning: Bool {
        queryIfPresent(\.is_running) { isRunning, pointer in isRunning(pointer) } ?? false
    }

    /// The host pid of the container's init process, or nil when it is not running.
    ///
    /// The corresponding liblxc call is `c->init_pid`.
    public var initPID: pid_t? {
        guard let pid = queryIfPresent(\.init_pid, { initPID, pointer in initPID(pointer) }), pid > 0 else { return nil }
        return pid
    }

    /// The path of the container's configuration file (`<lxcpath>/<name>/config`), whether
    /// or not it exists yet.
    ///
    /// The corresponding liblxc call is `c->config_file_name`.
    public var configFileName: String? {
        takeOwnedCString(queryIfPresent(\.config_file_name) { fileName, pointer in fileName(pointer) } ?? nil)
    }

    /// Whether the caller may control the container: true for root; for an unprivileged
    /// user, whether they own its cgroups.
    ///
    /// The corresponding liblxc call is `c->may_control`.
    public var mayControl: Bool {
        queryIfPresent(\.may_control) { mayControl, pointer in mayControl(pointer) } ?? false
    }

    /// Whether ``start(useInit:arguments:)-6gzbz`` runs the container in the background (the
    /// default) or in the calling process until the container stops.
    ///
    /// liblxc keeps this as `c->daemonize`.
    public var daemonizes: Bool {
        handle.daemonizes
    }

    /// Says whether ``start(useInit:arguments:)-6gzbz`` should run the container in the background.
    ///
    /// With `false`, `start` runs the container in the calling process and returns only when
    /// the container stops. The corresponding liblxc call is `c->want_daemonize`.
    ///
    /// - Throws: ``LXCError/Kind/wrongState`` when the handle has no configuration loaded
    ///   (liblxc keeps the wish in it).
    public func setDaemonizes(_ wish: Bool) throws {
        guard queryIfPresent(\.want_daemonize, { want, pointer in want(pointer, wish) }) ?? false else {
            throw noConfigurationError(Operation.setDaemonizes.name)
        }
    }

    /// Says whether starting the container should close every file descriptor the calling
    /// process has open, rather than refusing to start when it inherits some.
    ///
    /// The corresponding liblxc call is `c->want_close_all_fds`.
    ///
    /// - Throws: ``LXCError/Kind/wrongState`` when the handle has no configuration loaded.
    public func setClosesAllFileDescriptors(_ wish: Bool) throws {
        guard queryIfPresent(\.want_close_all_fds, { want, pointer in want(pointer, wish) }) ?? false else {
            throw noConfigurationError(Operation.setClosesAllFileDescriptors.name)
        }
    }

    /// The error for a liblxc call that needs a loaded configuration and refused.
    func noConfigurationError(_ operation: String) -> LXCError {
        let loaded = handle.hasConfiguration
        return LXCError(operation: operation, container: name,
                        message: loaded ? "liblxc refused the change"
                                        : "the handle has no configuration loaded (the container is not defined yet)",
                        kind: loaded ? .failed : .wrongState)
    }

    /// Points the handle at another lxcpath.
    ///
    /// liblxc changes where it looks for the container's files; the configuration already
    /// loaded stays loaded (call ``loadConfig(from:)`` to read the one at the new place).
    /// The corresponding liblxc call is `c->set_config_path`.
    ///
    /// - Throws: ``LXCError`` for a relative path or one with a NUL or line break.
    public func setLXCPath(_ path: String) throws {
        try Validate.lxcpath(path, operation: Operation.setLXCPath.name)
        guard queryIfPresent(\.set_config_path, { set, pointer in set(pointer, path) }) ?? false else {
            throw LXCError(operation: Operation.setLXCPath.name, container: name,
                           message: "liblxc refused the lxcpath \(quoted(path))")
        }
        replaceLXCPath(path)
    }
}

// MARK: liblxc's names

extension Container {
    @available(*, unavailable, renamed: "isDefined")
    public func is_defined() -> Bool { isDefined }

    @available(*, unavailable, renamed: "isRunning")
    public func is_running() -> Bool { isRunning }

    @available(*, unavailable, renamed: "initPID")
    public func init_pid() -> pid_t? { initPID }

    @available(*, unavailable, renamed: "configFileName")
    public func config_file_name() -> String? { configFileName }

    @available(*, unavailable, renamed: "mayControl")
    public func may_control() -> Bool { mayControl }

    @available(*, unavailable, renamed: "setDaemonizes(_:)")
    public func want_daemonize(_ state: Bool) throws { try setDaemonizes(state) }

    @available(*, unavailable, renamed: "setClosesAllFileDescriptors(_:)")
    public func want_close_all_fds(_ state: Bool) throws { try setClosesAllFileDescriptors(state) }

    @available(*, unavailable, renamed: "lxcpath")
    public func get_config_path() -> String { lxcpath }

    @available(*, unavailable, renamed: "setLXCPath(_:)")
    public func set_config_path(_ path: String) throws { try setLXCPath(path) }
}
