extension LXC {
    /// Runs `body` with a deadline for every blocking liblxc call and every attached program
    /// it starts through an `async` method of this library.
    ///
    /// When the deadline passes, a waiting liblxc call throws ``LXCError`` with kind
    /// ``LXCError/Kind/timedOut`` at once. liblxc's call cannot be interrupted: it goes on
    /// in the background on the library's thread and its result is dropped. Such calls are
    /// counted (``blockedCallCount``); when too many are stuck behind a wedged container,
    /// new calls fail at once instead of adding threads. Cancelling the task has the same
    /// effect, with `CancellationError`.
    ///
    /// A program started with `run`, `output(of:)`, `streamOutput(of:)` or `spawn` is
    /// stopped instead: the deadline is its time limit (``AttachOptions/timeLimit``, the
    /// sooner of the two applies), so it and everything it started in its process group get
    /// `SIGTERM`, then `SIGKILL` after ``AttachOptions/terminationGrace``; the call throws
    /// ``LXCError/Kind/timedOut`` once the program has been reaped (within the grace period
    /// after the deadline), `output(of:)` with the output so far in
    /// ``LXCError/partialOutput``. Nothing is left running and ``blockedCallCount`` does not
    /// grow.
    ///
    /// `body` runs in the caller's isolation (the main actor, an actor, or none), so it
    /// may use the caller's non-`Sendable` state, and this function can be called from
    /// `@MainActor` code and from a program's top-level code.
    ///
    /// ```swift
    /// try await LXC.withTimeout(.seconds(30)) {
    ///     try await container.start()
    ///     let result = try await container.output(of: ["make", "test"])
    ///     try await container.shutdown(timeout: .seconds(20))
    /// }
    /// ```
    public static func withDeadline<R>(
        _ deadline: ContinuousClock.Instant,
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> R
    ) async rethrows -> R {
        let sooner = Deadline.current.map { min($0, deadline) } ?? deadline
        return try await Deadline.$current.withValue(sooner, operation: body, isolation: isolation)
    }

    /// Runs `body` with a deadline `timeout` from now; see ``withDeadline(_:isolation:_:)``.
    public static func withTimeout<R>(
        _ timeout: Duration,
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> R
    ) async rethrows -> R {
        try await withDeadline(.now + timeout, isolation: isolation, body)
    }

    /// The number of liblxc calls still running on the library's threads after their callers
    /// stopped waiting (deadline passed or task cancelled).
    public static var blockedCallCount: Int {
        BlockingExecutor.shared.abandoned.count.load(ordering: .relaxed)
    }
}
