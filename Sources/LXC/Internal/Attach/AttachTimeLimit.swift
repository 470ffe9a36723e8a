import Glibc

// Time limits of attached programs (AttachOptions.timeLimit, and the deadline of
// LXC.withDeadline/withTimeout for the async forms).
//
// A program with a limit starts in a session of its own (setsid in the attached child, before
// its exec), so its process group holds everything it starts that does not leave on purpose.
// When the limit passes, a timer (`LimitTimer`: a thread of the library's own, independent of
// who reads the output and of the cooperative pool) sends SIGTERM to the group, and SIGKILL
// after the grace period. The
// process is reaped only by its AttachedProcess, which sends SIGKILL to the group once more
// before reaping a process whose limit passed: the group id cannot have been reused while its
// leader is an unreaped child of ours, so that kill reaches only what the program left behind.

/// The limit of one attach: the sooner of the options' limit, counted from the start, and
/// the task's deadline.
struct AttachTimeLimit: Sendable {
    var limit: Duration?
    var taskDeadline: ContinuousClock.Instant?
    var grace: Duration

    /// nil when neither the options nor the task set a limit.
    init?(options: AttachOptions, taskDeadline: ContinuousClock.Instant?) {
        guard options.timeLimit != nil || taskDeadline != nil else { return nil }
        limit = options.timeLimit
        self.taskDeadline = taskDeadline
        grace = options.terminationGrace
    }

    /// The instant at which the program is stopped, for a program started at `start`.
    func deadline(startedAt start: ContinuousClock.Instant) -> ContinuousClock.Instant {
        let own = limit.map { start + $0 }
        switch (own, taskDeadline) {
        case let (own?, task?): return min(own, task)
        case let (own?, nil): return own
        case let (nil, task?): return task
        case (nil, nil): return start
        }
    }

    /// Words for the error: which limit it was.
    func describe(startedAt start: ContinuousClock.Instant) -> String {
        if let limit, taskDeadline.map({ start + limit <= $0 }) ?? true {
            return "its time limit of \(formatDuration(limit))"
        }
        return "the task's deadline (LXC.withDeadline or LXC.withTimeout)"
    }
}

/// `1.5 s`, `200 ms`.
func formatDuration(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
    if milliseconds % 1000 == 0 { return "\(milliseconds / 1000) s" }
    if milliseconds < 1000 { return "\(milliseconds) ms" }
    return "\(milliseconds / 1000).\(String(milliseconds % 1000).leftPadded(to: 3)) s"
}

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

extension Container {
    /// For the async attach forms: the task's deadline, for the program's time limit; throws
    /// ``LXCError/Kind/timedOut`` when it has passed already (nothing is started then).
    func attachTaskDeadline(_ operation: String) throws -> ContinuousClock.Instant? {
        guard let deadline = Deadline.current else { return nil }
        if deadline <= .now {
            throw LXCError(operation: operation, container: name,
                           message: "the task's deadline had passed before the program was started; nothing ran",
                           code: ETIMEDOUT, kind: .timedOut)
        }
        return deadline
    }

    /// Offloads an attach whose program is stopped at the task's deadline by its own time
    /// limit: the wait for it is cut short only `grace` plus a few seconds after the
    /// deadline, so that the call returns once the program has been stopped and reaped. Only
    /// a `c->attach` that hangs itself (a container frozen behind liblxc's back) is given up
    /// on then, as any other blocking call is at its deadline.
    func offloadAttach<T: Sendable>(
        _ operation: String,
        deadline: ContinuousClock.Instant?,
        grace: Duration,
        _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        try await Deadline.$current.withValue(deadline.map { $0 + grace + .seconds(5) }) {
            try await BlockingExecutor.shared.run(operation: operation, container: self.name, body)
        }
    }
}
