import CLXC
import Glibc

/// Gets a cgroup v1 freeze to the end that liblxc waits for.
///
/// What liblxc does (`do_freeze_thaw` in `freezer.c`, the same in 4.0, 5.0 and 6.0): on cgroup
/// v1 it writes `FROZEN` to the container's `freezer.state` once, then reads the file every
/// second, without a limit, until it says `FROZEN`. It never writes again. The v1 freezer can
/// sit in `FREEZING` for a while when processes of the container fork as it works, and for
/// good when one of them waits where it cannot be frozen (a `vfork` parent whose child is
/// frozen, on older kernels); the kernel tries again only when `FROZEN` is written again.
///
/// So while a freeze runs, this watchdog reads the state every half second, from the first
/// half second on:
/// - `FREEZING`: it writes `FROZEN` again, and the kernel tries again to freeze every process
///   of the cgroup (those forked since among them). After two seconds in `FREEZING` it first
///   writes `THAWED` for a moment, so that a process stuck as above runs on, and at once
///   `FROZEN` again.
///
/// A state of `THAWED` is left alone: an ``Container/unfreeze()`` racing the freeze waits for
/// it, and so the freeze then waits until someone freezes the container again.
/// Its last write is always `FROZEN`: a `THAWED` left behind would make liblxc poll for ever.
/// It uses a handle of its own, so it never waits on the caller's.
///
/// On cgroup v2 liblxc writes `1` to `cgroup.freeze` and waits for `frozen 1` in
/// `cgroup.events`; the v2 freezer counts a process as frozen wherever it sleeps and freezes
/// new children as they are forked, and writing `1` again does nothing, so the watchdog
/// leaves it alone (it finds no `freezer.state` there). It must never write `0` there either,
/// for the same reason as `THAWED` on v1.
final class FreezeWatchdog: Sendable {
    private let name: String
    private let lxcpath: String
    private struct Progress {
        /// The freeze returned: the watch is to end.
        var stopped = false
        /// The watch ended and no longer touches the container.
        var finished = false
    }

    private let progress = Locked(Progress())

    /// How long between two looks at the state.
    static let interval: useconds_t = 500_000
    /// How many looks in a row at `FREEZING` before a thaw-and-freeze.
    static let looksBeforeThawing = 4

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
        progress.withLock { $0.stopped = true }
        progress.wakeAll()
        progress.withLock(waitingUntil: { $0.finished }) { _ in }
    }

    /// Waits one interval, or until the freeze ends; false when the watch is over.
    private func pause() -> Bool {
        let deadline = timespec.monotonic(after: .microseconds(Self.interval))
        return progress.withLock(waitingUntil: { $0.stopped }, deadline: deadline) { !$0.stopped }
    }

    /// What to write to `freezer.state`, in order, after one look found `state` there;
    /// `freezingLooks` counts the looks in a row that found `FREEZING`. Nothing for `FROZEN`
    /// (liblxc reads it at its next look) or `THAWED` (someone else thawed it: an unfreeze
    /// racing this freeze waits for THAWED, so it is not undone); for `FREEZING`, `FROZEN`,
    /// every ``looksBeforeThawing``-th time after a `THAWED`. The last write is never
    /// `THAWED`.
    static func writes(after state: String, freezingLooks: inout Int) -> [String] {
        guard state.hasPrefix("FREEZING") else {
            freezingLooks = 0
            return []
        }
        freezingLooks += 1
        return freezingLooks % looksBeforeThawing == 0 ? ["THAWED", "FROZEN"] : ["FROZEN"]
    }

    private func watch() {
        defer {
            progress.withLock { $0.finished = true }
            progress.wakeAll()
        }
        var container: UnsafeMutablePointer<lxc_container>?
        defer { if let container { _ = lxc_container_put(container) } }
        var freezingLooks = 0
        while pause() {
            if container == nil { container = lxc_container_new(name, lxcpath) }
            guard let container else { continue }
            guard let get = container.pointee.get_cgroup_item, let set = container.pointee.set_cgroup_item else { return }
            var buffer = [CChar](repeating: 0, count: 32)
            let count = get(container, "freezer.state", &buffer, Int32(buffer.count))
            guard count > 0 else { return }  // no v1 freezer (cgroup v2), or the container is gone
            let state = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            for (index, value) in Self.writes(after: state, freezingLooks: &freezingLooks).enumerated() {
                if index > 0 { usleep(10_000) }
                _ = set(container, "freezer.state", value)
            }
        }
    }
}
