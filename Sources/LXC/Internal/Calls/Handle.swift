import CLXC
import Synchronization

/// One counted reference to a liblxc `struct lxc_container`, released with
/// `lxc_container_put` when the last Swift reference goes.
///
/// A `Container` keeps its current handle behind a lock and hands it out retained, so a call
/// in flight keeps using the handle it started with even while `rename(to:)` swaps in a new
/// one, and the handle is never released under a call.
final class Handle: @unchecked Sendable {
    // @unchecked: `pointer` never changes; liblxc serialises access to the container's
    // in-memory state with the handle's own `privlock` (a process-private semaphore), and
    // its state queries go through the container's command socket, so its API functions may
    // be called on one handle from several threads. `log` has a lock of its own.

    let pointer: UnsafeMutablePointer<lxc_container>
    /// The log descriptor of the configuration now loaded, when it logs into a memory file
    /// of the library's (see Diagnostics.swift).
    let log = HandleLog()

    /// Held across this library's configuration writes on the handle (`set_config_item`,
    /// `clear_config_item`) and across a daemonized `start`. liblxc's start forks the
    /// container's monitor without taking the handle's privlock, so a fork in the middle of
    /// a write copied a configuration whose old string was freed and not yet replaced: a
    /// start failed with `Could not change directory to "<garbage>"` while another thread
    /// set lxc.init.cwd. Like UnprivilegedCalls' lock, it is held across a call into liblxc,
    /// and only by those calls.
    ///
    /// A `Mutex`, kept in the handle itself, not a `Locked`: it guards no Swift value (so
    /// Thread Sanitizer, which does not see its locking, has nothing to report), and every
    /// handle made spares an allocation and a `pthread_mutex_init`.
    let configWrites = Mutex<Void>(())

    /// Takes over one reference that the caller owns (from `lxc_container_new`, say).
    init(owning pointer: UnsafeMutablePointer<lxc_container>) {
        self.pointer = pointer
    }

    deinit {
        _ = lxc_container_put(pointer)
    }

    /// Called after liblxc replaced the handle's configuration (create, load, clear).
    func configurationReplaced() {
        log.forget()
    }
}
