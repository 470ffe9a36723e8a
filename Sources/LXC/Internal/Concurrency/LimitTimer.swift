import Glibc

/// Runs actions at a deadline and at the deadline plus a grace period, on a thread of the
/// library's own, unless cancelled first: the timer of an attached program's time limit.
///
/// A thread, not a task: a blocking `run` or `output` with a time limit may be called from a
/// thread of Swift's cooperative pool, and when every pool thread is blocked so (two on a
/// two-core machine), a sleeping task would never wake to stop the program they wait for.
final class LimitTimer: Sendable {
    private let cancelled = Locked(false)

    /// Starts the timer: `atDeadline` runs at `deadline`, then `afterGrace` at `deadline +
    /// grace` when `atDeadline` returned true. Neither runs once ``cancel()`` was called.
    init(deadline: ContinuousClock.Instant, grace: Duration,
         atDeadline: @escaping @Sendable () -> Bool, afterGrace: @escaping @Sendable () -> Void) {
        let started = DetachedThread.start { [cancelled] in
            guard Self.sleep(until: deadline, unless: cancelled), atDeadline() else { return }
            guard Self.sleep(until: deadline + grace, unless: cancelled) else { return }
            afterGrace()
        }
        if !started {
            // No thread could be made: a task does the same, as long as the pool has a thread.
            Task.detached { [cancelled] in
                try? await Task.sleep(until: deadline, clock: .continuous)
                guard !cancelled.withLock({ $0 }), atDeadline() else { return }
                try? await Task.sleep(until: deadline + grace, clock: .continuous)
                guard !cancelled.withLock({ $0 }) else { return }
                afterGrace()
            }
        }
    }

    /// Stops the timer; what has not run yet never runs.
    func cancel() {
        cancelled.withLock { $0 = true }
        cancelled.wakeAll()
    }

    /// Waits until `instant` or until cancelled; true when the instant came first.
    private static func sleep(until instant: ContinuousClock.Instant, unless cancelled: Locked<Bool>) -> Bool {
        let left = ContinuousClock.now.duration(to: instant)
        let deadline = timespec.monotonic(after: max(left, .zero))
        return cancelled.withLock(waitingUntil: { $0 }, deadline: deadline) { !$0 }
    }
}
