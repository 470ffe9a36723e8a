import Glibc

// Some liblxc calls change or depend on state that belongs to the whole process, which
// matters only when the caller is not root:
// - an unprivileged `start` makes the container's cgroups below the cgroup the calling
//   process is in at that moment, and a daemonized start moves the process into the new
//   monitor cgroup until it returns (the library moves it back). A second start meanwhile
//   would nest its container inside the first one's monitor cgroup and fail ("Failed to
//   enter cgroup …/lxc.monitor.a/lxc.monitor.b/lxc.payload.b").
// - for an unprivileged user, liblxc forks helpers into a user namespace to hand files to
//   the container's root (`create`, `save_config`) or to delete them (`destroy`). One forked
//   while a start has the process in its monitor cgroup is born there, and when it outlives
//   that container's monitor, the monitor cannot remove its cgroup: it stays behind.
// - an unprivileged `create` makes the container's directory for the container's root and
//   the user's group under the process's umask, which liblxc changes for a moment; a second
//   create meanwhile can get a directory the user may not write ("Failed to create
//   "N/partial" to mark container as partially created": permission denied).
// Root is untouched by all three (its containers' cgroups hang from the host's root, it
// forks no such helpers, and permissions do not stop it), so for root these calls stay
// concurrent.

enum UnprivilegedCalls {
    /// Held across one unprivileged create, start (or CRIU restore), save or destroy, the
    /// `userNamespaceHelpers` and `startsContainer` kinds of the call path (LiblxcCall.swift).
    /// One of the three locks of the library that are held across a call into liblxc, with
    /// `Handle.configWrites` (a handle's configuration writes and daemonized start) and
    /// ``ContainerLocks`` (the operations on a container's directory); none is held across a
    /// wait on a container.
    private static let lock = Locked<Void>(())

    /// Runs `body` (a create, start, restore, save or destroy) alone among the process's others when
    /// the caller is not root; at once for root.
    static func oneAtATime<R>(_ body: () throws -> R) rethrows -> R {
        guard geteuid() != 0 else { return try body() }
        return try lock.withLock { _ in try body() }
    }
}
