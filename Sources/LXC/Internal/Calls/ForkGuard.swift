import CLXC
import Glibc

/// Keeps `fork()` from happening while the library creates a thread.
///
/// liblxc forks inside `c->clone` (and so `snapshot`, `snapshot_restore` and `rename`) and
/// the child calls `setgid`/`setuid`. In a multi-threaded process glibc implements those by
/// signalling every thread it knows of; when the fork happened while another thread was
/// inside `pthread_create`, the child inherits that half-made thread's descriptor and waits
/// for it for ever (`setxid_mark_thread`), and the parent waits for the child. Observed
/// here: a clone in one task while another task's `offload` started an executor thread.
///
/// A `pthread_atfork` handler takes a mutex before any fork in the process and releases it
/// after; ``BlockingExecutor`` holds it around `pthread_create`. Threads made by others
/// (Swift's runtime, Dispatch) are not covered.
///
/// The mutex and its handlers are C (`shim.h`), the one lock that is not a ``Locked``: the
/// child handler runs in the forked child, which must run no Swift code (a Swift global's
/// accessor may wait there for the runtime's once-lock, which another thread held at the
/// moment of the fork), and the handlers need a mutex with a fixed address from the start.
enum ForkGuard {
    /// Registers the fork handlers (C functions, see `shim.h`) once; true when they are in place.
    private static let registered: Bool = clxc_fork_guard_install() == 0

    /// Runs `body` (a `pthread_create`) while no fork can start.
    static func creatingThread<R>(_ body: () -> R) -> R {
        guard registered else { return body() }
        clxc_fork_guard_lock()
        defer { clxc_fork_guard_unlock() }
        return body()
    }
}
