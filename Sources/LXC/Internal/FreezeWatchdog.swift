import CLXC
import Glibc
import Synchronization

/// Gets a cgroup v1 freeze past a process that is stuck in `vfork`.
///
/// liblxc's `freeze` on cgroup v1 writes `FROZEN` to the container's `freezer.state` and then
/// polls, rewriting `FROZEN` every second, until the state is no longer `FREEZING`, without a
/// limit. A process of the container that called `vfork` waits for its child in a state the
/// v1 freezer cannot freeze, while the child is frozen: the cgroup stays `FREEZING` for ever
/// and `freeze` never returns (seen here with busybox's init spawning getty just after a
/// start). While a freeze runs, this watchdog looks at the state once a second after the
/// first two; when it is still `FREEZING`, it writes `THAWED` for a moment, so that the
/// vfork child runs on to its `exec` and releases its parent, and liblxc's next rewrite of
/// `FROZEN` succeeds. It uses a handle of its own, so it never waits on the caller's. On
/// cgroup v2 the file does not exist and the watchdog does nothing.
final class FreezeWatchdog: Sendable {
    private let name: String
    private let lxcpath: String
    private let stopped = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)

    private init(name: String, lxcpath: String) {
        self.name = name
        self.lxcpath = lxcpath
    }

    /// Runs `freeze` (liblxc's call) with a watchdog beside it.
    static func guarding<R>(name: String, lxcpath: String, _ freeze: () throws -> R) rethrows -> R {
        let watchdog = FreezeWatchdog(name: name, lxcpath: lxcpath)
        let started = watchdog.start()
        defer { if started { watchdog.stop() } }
        return try freeze()
    }

    private func start() -> Bool {
        DetachedThread.start { self.watch() }
    }

    /// Ends the watch and waits until the thread no longer touches the container.
    private func stop() {
        stopped.store(true, ordering: .releasing)
        while !finished.load(ordering: .acquiring) { usleep(1_000) }
    }

    private func watch() {
        defer { finished.store(true, ordering: .releasing) }
        var ticks = 0
        while !stopped.load(ordering: .acquiring) {
            usleep(100_000)
            ticks += 1
            guard ticks >= 20, ticks % 10 == 0 else { continue }
            guard let container = lxc_container_new(name, lxcpath) else { continue }
            defer { _ = lxc_container_put(container) }
            guard let get = container.pointee.get_cgroup_item, let set = container.pointee.set_cgroup_item else { return }
            var buffer = [CChar](repeating: 0, count: 32)
            let count = get(container, "freezer.state", &buffer, Int32(buffer.count))
            guard count > 0 else { return }
            let state = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if state.hasPrefix("FREEZING") && !stopped.load(ordering: .acquiring) {
                _ = set(container, "freezer.state", "THAWED")
            }
        }
    }
}
