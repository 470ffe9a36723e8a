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
/// out for long. Neither group is held across anything but the liblxc call itself.
enum ForkGate {
    private struct State {
        var starts = 0
        var forks = 0
        var waitingStarts = 0
    }

    private final class Gate: @unchecked Sendable {
        // @unchecked: `state` is read and written only while `mutex` is held.
        let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        var state = State()

        init() {
            mutex.initialize(to: pthread_mutex_t())
            pthread_mutex_init(mutex, nil)
            condition.initialize(to: pthread_cond_t())
            pthread_cond_init(condition, nil)
        }
    }

    private static let gate = Gate()

    /// Runs a start: waits until no forking call is inside liblxc.
    static func asStart<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(gate.mutex)
        gate.state.waitingStarts += 1
        while gate.state.forks > 0 { pthread_cond_wait(gate.condition, gate.mutex) }
        gate.state.waitingStarts -= 1
        gate.state.starts += 1
        pthread_mutex_unlock(gate.mutex)
        defer {
            pthread_mutex_lock(gate.mutex)
            gate.state.starts -= 1
            if gate.state.starts == 0 { pthread_cond_broadcast(gate.condition) }
            pthread_mutex_unlock(gate.mutex)
        }
        return try body()
    }

    /// Runs a liblxc call that forks (attach, create, destroy, clone): waits until no start
    /// is inside liblxc or waiting to enter.
    static func asFork<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(gate.mutex)
        while gate.state.starts > 0 || gate.state.waitingStarts > 0 {
            pthread_cond_wait(gate.condition, gate.mutex)
        }
        gate.state.forks += 1
        pthread_mutex_unlock(gate.mutex)
        defer {
            pthread_mutex_lock(gate.mutex)
            gate.state.forks -= 1
            if gate.state.forks == 0 { pthread_cond_broadcast(gate.condition) }
            pthread_mutex_unlock(gate.mutex)
        }
        return try body()
    }
}
