import CLXC
import Glibc

// File descriptors that LXC 4 and 5 hand out for a running container: its init's pidfd, its
// devpts instance and its seccomp notifier.
//
// Descriptors in the public API are `Int32`, here, in ``ConsoleTTY`` and in ``AttachOptions``,
// decided once: liblxc and Glibc speak `int`, the module does not depend on swift-system, and
// changing the public types would break users' code. A swift-system user wraps one with
// `FileDescriptor(rawValue:)`. (The same is said in the CToSwift article.)

extension Container {
    /// A pidfd for the running container's init process; the caller owns it and must close it.
    ///
    /// A pidfd names the process itself, not its number, so a signal sent through it
    /// (`pidfd_send_signal`) cannot reach another process that reused the pid. Needs the
    /// `pidfd` API extension. The corresponding liblxc call is `c->init_pidfd`.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/wrongState`` when the container is not running;
    ///   ``LXCError/Kind/unsupported`` when liblxc or the kernel has no pidfds.
    public func initPIDFileDescriptor() throws -> Int32 {
        try descriptor(.initPIDFileDescriptor, \.init_pidfd, extensionName: "pidfd", what: "a pidfd for the container's init") {
            get, pointer in get(pointer)
        }
    }

    /// A mount file descriptor of the running container's devpts instance (its `/dev/pts`);
    /// the caller owns it and must close it.
    ///
    /// With it a program can open new pseudo-terminals of the container from outside
    /// (`openat(fd, "ptmx", …)`). Needs the `devpts_fd` API extension. The corresponding
    /// liblxc call is `c->devpts_fd`.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/wrongState`` when the container is not running;
    ///   ``LXCError/Kind/unsupported`` when liblxc lacks the extension;
    ///   ``LXCError/Kind/failed`` when the container has no devpts of its own (`lxc.pty.max = 0`).
    public func devptsFileDescriptor() throws -> Int32 {
        try descriptor(.devptsFileDescriptor, \.devpts_fd, extensionName: "devpts_fd", what: "the container's devpts mount") {
            get, pointer in get(pointer)
        }
    }

    /// The seccomp notify descriptor of the running container, received from its monitor;
    /// the caller owns it and must close it.
    ///
    /// The container must have been started with a seccomp policy that has `notify` actions
    /// (`lxc.seccomp.profile`); a supervisor then reads the intercepted system calls from it
    /// (`SECCOMP_IOCTL_NOTIF_RECV`). Needs the `seccomp_notify_fd_active` API extension. The
    /// corresponding liblxc call is `c->seccomp_notify_fd_active`.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/wrongState`` when the container is not running;
    ///   ``LXCError/Kind/unsupported`` when liblxc lacks the extension;
    ///   ``LXCError/Kind/failed`` when the container has no seccomp notifier.
    public func seccompNotifyFileDescriptor() throws -> Int32 {
        try descriptor(.seccompNotifyFileDescriptor, \.seccomp_notify_fd_active, extensionName: "seccomp_notify_fd_active",
                       what: "the container's seccomp notify descriptor (was it started with a seccomp policy that has notify actions?)") {
            get, pointer in get(pointer)
        }
    }

    /// The seccomp notify descriptor that liblxc keeps in this handle's configuration, for a
    /// container this process started in the foreground (``setDaemonizes(_:)`` false); it
    /// belongs to liblxc: do not close it.
    ///
    /// For a daemonized container use ``seccompNotifyFileDescriptor()``, which asks the
    /// running container. The corresponding liblxc call is `c->seccomp_notify_fd`.
    ///
    /// - Returns: the descriptor, or nil when this handle holds none.
    /// - Throws: ``LXCError/Kind/unsupported`` when liblxc lacks the `seccomp_notify` extension.
    public func localSeccompNotifyFileDescriptor() throws -> Int32? {
        let operation = Operation.localSeccompNotifyFileDescriptor.name
        let handle = handle
        try requireMember(.localSeccompNotifyFileDescriptor, \.seccomp_notify_fd)
        if !LXC.hasAPIExtension("seccomp_notify") {
            throw LXCError(operation: operation, container: name,
                           message: "this liblxc (\(LXC.version)) lacks the seccomp_notify API extension",
                           code: ENOSYS, kind: .unsupported)
        }
        let fd = try query(.localSeccompNotifyFileDescriptor, \.seccomp_notify_fd, on: handle) { get, pointer in get(pointer) }
        return fd >= 0 ? fd : nil
    }

    private func descriptor<F>(_ liblxcOperation: Operation, _ member: KeyPath<lxc_container, F?>, extensionName: String,
                               what: String, _ invoke: (F, UnsafeMutablePointer<lxc_container>) -> Int32) throws -> Int32 {
        let operation = liblxcOperation.name
        let handle = handle
        try requireMember(liblxcOperation, member)
        if !LXC.hasAPIExtension(extensionName) {
            throw LXCError(operation: operation, container: name,
                           message: "this liblxc (\(LXC.version)) lacks the \(extensionName) API extension",
                           code: ENOSYS, kind: .unsupported)
        }
        try requireRunning(operation)
        return try liblxc(liblxcOperation, member, on: handle) { get, pointer in
            errno = 0
            let fd = invoke(get, pointer)
            return (fd, fd < -1 ? -fd : errno)
        } then: { (result: (fd: Int32, code: Int32), call) in
            let (fd, code) = result
            if fd >= 0 { return fd }
            try requireRunning(operation)
            var error = call.failure(
                                "liblxc could not get \(what)" + (code > 0 ? ": \(errnoDescription(code))" : ""))
            if code > 0 { error.code = code }
            if code == ENOSYS || code == EOPNOTSUPP { error.kind = .unsupported }
            throw error
        }
    }

    // MARK: C names

    @available(*, unavailable, renamed: "initPIDFileDescriptor()")
    public func init_pidfd() throws -> Int32 { try initPIDFileDescriptor() }

    @available(*, unavailable, renamed: "devptsFileDescriptor()")
    public func devpts_fd() throws -> Int32 { try devptsFileDescriptor() }

    @available(*, unavailable, renamed: "seccompNotifyFileDescriptor()")
    public func seccomp_notify_fd_active() throws -> Int32 { try seccompNotifyFileDescriptor() }

    @available(*, unavailable, renamed: "localSeccompNotifyFileDescriptor()")
    public func seccomp_notify_fd() throws -> Int32? { try localSeccompNotifyFileDescriptor() }
}
