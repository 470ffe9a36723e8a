import CLXC
import Glibc

extension Container {
    // MARK: device nodes

    /// Makes a device of the host usable in the running container: allows it in the
    /// container's device cgroup and creates its node at `destination` (at `source`'s path
    /// when nil).
    ///
    /// The corresponding liblxc call is `c->add_device_node`. liblxc 5.0.2 takes the device
    /// from the *destination* path on the host, so it cannot put a device at a path the host
    /// lacks (and would put the host's other device there if it had one); for a destination
    /// other than `source` the library allows the device with `c->set_cgroup_item`
    /// (`devices.allow`, cgroup v1) and creates the node the way liblxc does, from a child
    /// process chrooted into the container. On cgroup v2 liblxc offers no call that changes
    /// the container's device program, so there the node works only for a device the
    /// container's configuration allows already.
    ///
    /// A device node already at `destination` is replaced; a regular file, directory or
    /// symbolic link there is refused and left alone (liblxc would delete it).
    ///
    /// ```swift
    /// try container.addDeviceNode("/dev/fuse")
    /// try container.addDeviceNode("/dev/null", at: "/dev/null2")
    /// ```
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/invalidArgument`` for a path that is not
    ///   absolute or has `..`, a line break or NUL; ``LXCError/Kind/notFound`` when `source`
    ///   does not exist or is not a device; ``LXCError/Kind/alreadyExists`` when something
    ///   other than a device node is at the destination in the container;
    ///   ``LXCError/Kind/wrongState`` when the container is not running;
    ///   ``LXCError/Kind/failed`` with liblxc's log lines otherwise.
    public func addDeviceNode(_ source: String, at destination: String? = nil) throws {
        try deviceNode(.addDeviceNode, source, destination, adding: true)
    }

    /// Takes a device away from the running container: denies it in the container's device
    /// cgroup and removes its node at `destination` (at `source`'s path when nil).
    ///
    /// The corresponding liblxc call is `c->remove_device_node`. For a destination other than
    /// `source` (see ``addDeviceNode(_:at:)-kb4v``) only the node is removed: the device stays
    /// allowed, since the container may use it at its own path as well. Only a device node
    /// is removed: a regular file, directory or symbolic link at the destination is refused
    /// and left alone (liblxc would delete it).
    ///
    /// - Throws: as ``addDeviceNode(_:at:)-kb4v``, but ``LXCError/Kind/invalidArgument`` when
    ///   the destination in the container is not a device node.
    public func removeDeviceNode(_ source: String, at destination: String? = nil) throws {
        try deviceNode(.removeDeviceNode, source, destination, adding: false)
    }

    private func deviceNode(_ liblxcOperation: Operation, _ source: String, _ destination: String?, adding: Bool) throws {
        let operation = liblxcOperation.name
        try Validate.containerPath(source, what: "device path", operation: operation, container: name)
        if let destination {
            try Validate.containerPath(destination, what: "destination path", operation: operation, container: name)
        }
        var info = stat()
        if stat(source, &info) != 0 {
            let code = errno
            throw LXCError(operation: operation, container: name,
                           message: "there is no device \(quoted(source)) on the host: \(errnoDescription(code))",
                           code: code, kind: .notFound)
        }
        let type = info.st_mode & S_IFMT
        if type != S_IFCHR && type != S_IFBLK {
            throw LXCError(operation: operation, container: name,
                           message: "\(quoted(source)) is not a character or block device", code: ENODEV, kind: .notFound)
        }
        let member = adding ? \lxc_container.add_device_node : \lxc_container.remove_device_node
        try requireMember(liblxcOperation, member)
        try requireRunning(operation)
        try refuseNonDeviceNode(operation, at: destination ?? source, adding: adding)
        if let destination, destination != source {
            // liblxc (5.0.2) stats the destination on the host rather than the source: it would
            // fail for a path the host lacks and add the wrong device for one the host has.
            return try deviceNodeElsewhere(operation, source, destination, info, adding: adding)
        }
        // liblxc forks a child into the container's root to make or remove the node.
        try liblxc(liblxcOperation, member, .forks) { function, pointer in
            function(pointer, source, nil)
        } then: { done, call in
            if done { return }
            try requireRunning(operation)
            throw call.failure(
                          adding ? "liblxc could not add \(quoted(source)) to the container"
                                 : "liblxc could not remove \(quoted(source)) from the container")
        }
    }

    /// Adds or removes `source` at another path: the device is allowed through
    /// `set_cgroup_item("devices.allow")` as liblxc's `add_device_node` would, and the node is
    /// made by a child process chrooted into the container, as liblxc makes it. Removing
    /// leaves the device allowed: the container may still use it at its own path.
    private func deviceNodeElsewhere(_ operation: String, _ source: String, _ destination: String,
                                     _ info: stat, adding: Bool) throws {
        guard let pid = initPID else {
            try requireRunning(operation)
            throw wrongStateError(operation, "the container's init process went away")
        }
        if adding {
            let rule = "\(info.st_mode & S_IFMT == S_IFBLK ? "b" : "c") \(clxc_major(info.st_rdev)):\(clxc_minor(info.st_rdev)) rwm"
            if try cgroupVersion(for: .devices, operation: operation) == .v1 {
                do {
                    try setCgroupItem("devices.allow", to: rule)
                } catch var error as LXCError {
                    error.operation = operation
                    error.message = "could not allow \(quoted(source)) (\(rule)) in the container's device cgroup: " + error.message
                    throw error
                }
            }
        }
        let code = try libraryFork { clxc_device_node_in_root(pid, destination, adding ? 1 : 0, info.st_mode, info.st_rdev) }
        if code == EEXIST && adding || code == ENODEV && !adding {
            // Something other than a device node appeared there since the check.
            throw notADeviceNode(operation, destination, "something other than a device node", adding: adding)
        }
        if code != 0 {
            try requireRunning(operation)
            throw LXCError(operation: operation, container: name,
                           message: adding ? "could not create the node \(quoted(destination)) in the container: \(errnoDescription(code))"
                                           : "could not remove \(quoted(destination)) in the container: \(errnoDescription(code))",
                           code: code, kind: .failed)
        }
    }

    /// Refuses to replace (adding) or remove something at `path` in the container that is
    /// not a device node: liblxc's `do_add_remove_node` unlinks whatever is there, a regular
    /// file or a symbolic link included. The path is looked at from a child process chrooted
    /// into the container's root, as liblxc resolves it, so no link inside reaches the host.
    private func refuseNonDeviceNode(_ operation: String, at path: String, adding: Bool) throws {
        guard let pid = initPID else { return }  // liblxc reports the container gone
        var mode: mode_t = 0
        let code = try libraryFork { clxc_lstat_in_root(pid, path, &mode) }
        if code == ENOENT { return }
        if code != 0 {
            // chroot needs CAP_SYS_CHROOT on the host: an ordinary user's call goes on to
            // liblxc, which cannot make or remove the node either and says so.
            if code == EPERM && geteuid() != 0 { return }
            try requireRunning(operation)
            throw LXCError(operation: operation, container: name,
                           message: "could not look at \(quoted(path)) in the container: \(errnoPhrase(code)); nothing was changed",
                           code: code, kind: .failed)
        }
        let type = mode & S_IFMT
        if type == S_IFCHR || type == S_IFBLK { return }
        let what = switch type {
        case S_IFREG: "a regular file"
        case S_IFDIR: "a directory"
        case S_IFLNK: "a symbolic link"
        case S_IFIFO: "a FIFO"
        case S_IFSOCK: "a socket"
        default: "something other than a device node"
        }
        throw notADeviceNode(operation, path, what, adding: adding)
    }

    private func notADeviceNode(_ operation: String, _ path: String, _ what: String, adding: Bool) -> LXCError {
        adding
            ? LXCError(operation: operation, container: name,
                       message: "\(quoted(path)) in the container is \(what), not a device node; it is left as it is (remove it first to put a device node there)",
                       code: EEXIST, kind: .alreadyExists)
            : LXCError(operation: operation, container: name,
                       message: "\(quoted(path)) in the container is \(what), not a device node; nothing was removed",
                       code: EINVAL, kind: .invalidArgument)
    }

    // MARK: mounts

    /// Mounts `source` of the host at `target` in the running container.
    ///
    /// liblxc mounts in the host's mount namespace under the container's shared mount point
    /// and moves the mount into the container, so the container must have been started with
    /// `lxc.mount.auto = shmounts:<host directory>:<container directory>` in its
    /// configuration, and the host directory must be a shared mount point (it is where `/` is
    /// shared, as systemd makes it; elsewhere `mount --bind DIR DIR; mount --make-shared DIR`). This needs the `mount_injection_file` API extension (LXC 3.1 and later);
    /// the call is refused when liblxc lacks it. The corresponding liblxc call is `c->mount`
    /// with `LXC_MOUNT_API_V1`.
    ///
    /// ```swift
    /// try container.mount("/srv/data", at: "/mnt/data", flags: [.bind, .readOnly])
    /// ```
    ///
    /// - Parameters:
    ///   - source: a host path (or a device, or a name such as `tmpfs` for `type`); nil for a
    ///     file system that needs none (`type: "tmpfs"`, `"proc"`), which liblxc passes to
    ///     mount(2) as `NULL`, as it takes it.
    ///   - target: the mount point in the container; liblxc creates it when it is missing.
    ///   - type: the file system type (nil for bind mounts).
    ///   - flags: mount(2) flags.
    ///   - data: file system options (`"size=10m"`).
    /// - Throws: ``LXCError``: ``LXCError/Kind/unsupported`` when liblxc lacks the mount API;
    ///   ``LXCError/Kind/invalidArgument`` for a relative target or text with a NUL byte;
    ///   ``LXCError/Kind/wrongState`` when the container is not running or was started
    ///   without `shmounts`; ``LXCError/Kind/failed`` with liblxc's log lines otherwise.
    public func mount(_ source: String?, at target: String, type: String? = nil,
                      flags: MountFlags = [], data: String? = nil) throws {
        let operation = Operation.mount.name
        if let source { try Validate.noBreaks(source, what: "mount source", operation: operation, container: name) }
        try Validate.containerPath(target, what: "mount target", operation: operation, container: name)
        if let type { try Validate.noBreaks(type, what: "file system type", operation: operation, container: name) }
        if let data { try Validate.noNUL(data, what: "mount data", operation: operation, container: name) }
        try requireMountAPI(operation)
        try requireMember(.mount, \.mount)
        try requireRunning(operation)
        // liblxc forks a child into the container's mount namespace.
        try liblxc(.mount, \.mount, .forks) { mount, pointer in
            var api = lxc_mount(version: LXC_MOUNT_API_V1)
            return withOptionalCString(source) { sourcePointer in
                withOptionalCString(type) { typePointer in
                    withOptionalCString(data) { dataPointer in
                        mount(pointer, sourcePointer, target, typePointer, flags.rawValue, dataPointer, &api)
                    }
                }
            }
        } then: { result, call in
            if result >= 0 { return }
            try requireRunning(operation)
            let what = source.map { quoted($0) } ?? (type.map { "a \($0) file system" } ?? "a file system without a source")
            throw mountFailure(call, result,
                               "liblxc could not mount \(what) at \(quoted(target)) in the container")
        }
    }

    /// Unmounts `target` in the running container.
    ///
    /// Needs the same `mount_injection_file` API extension as ``mount(_:at:type:flags:data:)-6viq3``.
    /// The corresponding liblxc call is `c->umount` with `LXC_MOUNT_API_V1`.
    ///
    /// - Throws: as ``mount(_:at:type:flags:data:)-6viq3``.
    public func unmount(_ target: String, flags: UnmountFlags = []) throws {
        let operation = Operation.unmount.name
        try Validate.containerPath(target, what: "mount target", operation: operation, container: name)
        try requireMountAPI(operation)
        try requireMember(.unmount, \.umount)
        try requireRunning(operation)
        try liblxc(.unmount, \.umount, .forks) { umount, pointer in
            var api = lxc_mount(version: LXC_MOUNT_API_V1)
            return umount(pointer, target, flags.rawValue, &api)
        } then: { result, call in
            if result >= 0 { return }
            try requireRunning(operation)
            throw mountFailure(call, result,
                               "liblxc could not unmount \(quoted(target)) in the container")
        }
    }

    private func requireMountAPI(_ operation: String) throws {
        if !LXC.hasAPIExtension("mount_injection_file") {
            throw LXCError(operation: operation, container: name,
                           message: "this liblxc (\(LXC.version)) lacks the mount_injection_file API extension, which LXC's mount API v1 needs (LXC 3.1 or later)",
                           code: ENOSYS, kind: .unsupported)
        }
    }

    private func mountFailure(_ call: LiblxcCall, _ result: Int32, _ explanation: String) -> LXCError {
        let log = call.errorLines
        var error = call.failure(explanation)
        if log.contains(where: { $0.contains("shared mountpoint") }) {
            error.kind = .wrongState
            error.message = explanation + ": the container was started without a shared mount point; set lxc.mount.auto = shmounts:<host directory>:<container directory> before starting it"
        } else if log.contains(where: { $0.contains("Failed to move the mount") }) {
            error.message = explanation + ": the mount did not reach the container; the host directory of lxc.mount.auto's shmounts must be a shared mount point (mount --bind DIR DIR; mount --make-shared DIR) when the container starts"
        } else if result < -1 {
            error.message += ": \(errnoDescription(-result))"
        }
        if result < -1 { error.code = -result }
        return error
    }

    // MARK: C names

    @available(*, unavailable, renamed: "addDeviceNode(_:at:)")
    public func add_device_node(_ source: String, _ destination: String?) throws { try addDeviceNode(source, at: destination) }

    @available(*, unavailable, renamed: "removeDeviceNode(_:at:)")
    public func remove_device_node(_ source: String, _ destination: String?) throws {
        try removeDeviceNode(source, at: destination)
    }

    @available(*, unavailable, renamed: "unmount(_:flags:)")
    public func umount(_ target: String, _ flags: UnmountFlags) throws { try unmount(target, flags: flags) }
}

extension Validate {
    /// An absolute path (in the container or on the host) without `..` components, line
    /// breaks or NUL bytes.
    static func containerPath(_ path: String, what: String, operation: String, container: String?) throws {
        try Validate.path(path, what: what, operation: operation, container: container)
        if !path.hasPrefix("/") {
            throw LXCError.invalid(operation, container, "\(what) \(quoted(path)) is not an absolute path")
        }
        if path.split(separator: "/").contains("..") {
            throw LXCError.invalid(operation, container, "\(what) \(quoted(path)) contains \"..\"")
        }
    }
}

extension Container {
    // MARK: async forms

    /// Gives the container a device without blocking the caller's thread; see
    /// ``addDeviceNode(_:at:)-kb4v``. liblxc forks to make the node inside the container.
    public func addDeviceNode(_ source: String, at destination: String? = nil) async throws {
        try await offload { try self.addDeviceNode(source, at: destination) }
    }

    /// Takes a device away from the container without blocking the caller's thread; see
    /// ``removeDeviceNode(_:at:)-199ql``.
    public func removeDeviceNode(_ source: String, at destination: String? = nil) async throws {
        try await offload { try self.removeDeviceNode(source, at: destination) }
    }

    /// Mounts in the running container without blocking the caller's thread; see
    /// ``mount(_:at:type:flags:data:)-6viq3``. liblxc forks to enter the container's mount namespace.
    public func mount(_ source: String?, at target: String, type: String? = nil,
                      flags: MountFlags = [], data: String? = nil) async throws {
        try await offload { try self.mount(source, at: target, type: type, flags: flags, data: data) }
    }

    /// Unmounts in the running container without blocking the caller's thread; see
    /// ``unmount(_:flags:)-83tru``.
    public func unmount(_ target: String, flags: UnmountFlags = []) async throws {
        try await offload { try self.unmount(target, flags: flags) }
    }
}
