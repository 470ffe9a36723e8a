extension LXC {
    /// Runs `body` with a deadline for every blocking liblxc call it makes through an `async`
    /// method of this library.
    ///
    /// When the deadline passes, the waiting call throws ``LXCError`` with kind
    /// ``LXCError/Kind/timedOut`` at once. liblxc's call cannot be interrupted: it goes on
    /// in the background on the library's thread and its result is dropped. Such calls are
    /// counted (``blockedCallCount``); when too many are stuck behind a wedged container,
    /// new calls fail at once instead of adding threads. Cancelling the task has the same
    /// effect, with `CancellationError`.
    ///
    /// ```swift
    /// try await LXC.withTimeout(.seconds(30)) {
    ///     try await container.start()
    ///     try await container.shutdown(timeout: .seconds(20))
    /// }
    /// ```
    public static func withDeadline<R>(
        _ deadline: ContinuousClock.Instant,
        _ body: () async throws -> R
    ) async rethrows -> R {
        let sooner = Deadline.current.map { min($0, deadline) } ?? deadline
        return try await Deadline.$current.withValue(sooner) { try await body() }
    }

    /// Runs `body` with a deadline `timeout` from now; see ``withDeadline(_:_:)``.
    public static func withTimeout<R>(
        _ timeout: Duration,
        _ body: () async throws -> R
    ) async rethrows -> R {
        try await withDeadline(.now + timeout, body)
    }

    /// The number of liblxc calls still running on the library's threads after their callers
    /// stopped waiting (deadline passed or task cancelled).
    public static var blockedCallCount: Int {
        BlockingExecutor.shared.abandoned.count.load(ordering: .relaxed)
    }
}
