import Glibc

// Two liblxc calls change state that belongs to the whole process, which matters only when
// the caller is not root:
// - an unprivileged `start` makes the container's cgroups below the cgroup the calling
//   process is in at that moment, and a daemonized start moves the process into the new
//   monitor cgroup until it returns (the library moves it back). A second start meanwhile
//   would nest its container inside the first one's monitor cgroup and fail ("Failed to
//   enter cgroup …/lxc.monitor.a/lxc.monitor.b/lxc.payload.b").
// - an unprivileged `create` makes the container's directory for the container's root and
//   the user's group under the process's umask, which liblxc changes for a moment; a second
//   create meanwhile can get a directory the user may not write ("Failed to create
//   "N/partial" to mark container as partially created": permission denied).
// Root is untouched by both (its containers' cgroups hang from the host's root, and
// permissions do not stop it), so for root these calls stay concurrent.

enum UnprivilegedCalls {
    /// Held across one unprivileged create or start: the one lock of the library that is
    /// held across a call into liblxc, and only by those two calls.
    private static let lock = Locked<Void>(())

    /// Runs `body` (a create or a start) alone among the process's creates and starts when
    /// the caller is not root; at once for root.
    static func oneAtATime<R>(_ body: () throws -> R) rethrows -> R {
        guard geteuid() != 0 else { return try body() }
        return try lock.withLock { _ in try body() }
    }
}
