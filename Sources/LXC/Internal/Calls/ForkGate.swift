import CLXC
import Glibc

/// Keeps liblxc's other forks out of the moment when a `start()` has moved this process into
/// a container's monitor cgroup.
///
/// A daemonized start moves the whole calling process into `lxc.monitor.<name>` until the
/// library moves it back. A process forked in that window (an attach, a template of a
/// concurrent create) is born in the monitor cgroup; while it lives, liblxc cannot remove the
/// cgroup when that container stops. So starts and the library's other forking calls are two
/// groups that exclude each other: any number of starts may run together, and any number of
/// forking calls, but not one of each. Waiting starts go first, so forks cannot keep a start
/// out for long. Neither group is held across anything but the liblxc call itself, and an
/// attach holds its place only until its fork (`asAttach`): no gate is held across
/// anything that waits on a container.
enum ForkGate {
    private struct State {
        var starts = 0
        var forks = 0
        var waitingStarts = 0
    }

    private static let gate = Locked(State())

    /// Runs a start: waits until no forking call is inside liblxc.
    static func asStart<R>(_ body: () throws -> R) rethrows -> R {
        // Counted as waiting first, so that no fork enters meanwhile.
        gate.withLock { $0.waitingStarts += 1 }
        gate.withLock(waitingUntil: { $0.forks == 0 }) { state in
            state.waitingStarts -= 1
            state.starts += 1
        }
        defer {
            gate.withLock { state in
                state.starts -= 1
                if state.starts == 0 { gate.wakeAll() }
            }
        }
        return try body()
    }

    /// Runs a liblxc call that forks (create, destroy, clone, made in a child of ours): waits
    /// until no start is inside liblxc or waiting to enter.
    static func asFork<R>(_ body: () throws -> R) rethrows -> R {
        enterFork()
        defer { leaveFork() }
        return try body()
    }

    /// Runs liblxc's `c->attach`, holding a place among the forking calls only until the
    /// call's fork has happened.
    ///
    /// `c->attach` forks once in the calling thread (the transient process; the attached
    /// process is cloned from that one and inherits its cgroup), then moves the transient
    /// process into the container's cgroup and waits for it on a socket. In a frozen cgroup
    /// that process stops at once, and the wait lasts until the container is thawed (seen
    /// here with gdb: the caller in `read` of the attach socket, the transient process in
    /// the container's freezer cgroup, in state D). Held across the whole call, the gate kept
    /// every start out for that long, and every fork behind the waiting start. So the gate
    /// is left by a `pthread_atfork` parent handler (C, `shim.h`) right after that fork, in
    /// the thread that forked, or after the call when it did not fork. When the handler
    /// cannot be registered, the whole call holds the gate, as `asFork`.
    static func asAttach<R>(_ body: () throws -> R) rethrows -> R {
        guard attachHandlerInstalled else { return try asFork(body) }
        enterFork()
        clxc_attach_fork_arm()
        defer { if clxc_attach_fork_disarm() != 0 { leaveFork() } }
        return try body()
    }

    /// Registers the fork handler of `asAttach` once; true when it is in place.
    private static let attachHandlerInstalled: Bool = clxc_attach_fork_install { ForkGate.leaveFork() } == 0

    /// Waits until no start is inside liblxc or waiting to enter, then counts a fork in.
    private static func enterFork() {
        gate.withLock(waitingUntil: { $0.starts == 0 && $0.waitingStarts == 0 }) { $0.forks += 1 }
    }

    /// Counts a fork out; lets waiting starts in when it was the last.
    private static func leaveFork() {
        gate.withLock { state in
            state.forks -= 1
            if state.forks == 0 { gate.wakeAll() }
        }
    }
}
