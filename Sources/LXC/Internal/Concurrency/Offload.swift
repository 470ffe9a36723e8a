import Glibc
import Synchronization

// How an async call waits for a blocking liblxc call running on an executor thread.
//
// liblxc's calls cannot be interrupted: a `wait` without a timeout, or any call that talks to
// a container whose monitor no longer answers its command socket (lxc/lxc#4707), blocks its
// thread until liblxc returns. The awaiting task must not block with it. So the task resumes
// at the first of: the call returning, the task's deadline (``LXC/withDeadline(_:isolation:_:)``), or
// the task being cancelled. In the last two cases the thread is left to finish the call in
// the background; such threads are counted, and past a limit new calls are refused rather
// than piling up more threads behind a wedged container.

/// The deadline of the current task for blocking liblxc calls, set by ``LXC/withDeadline(_:isolation:_:)``.
enum Deadline {
    @TaskLocal static var current: ContinuousClock.Instant?
}

/// Counts an executor's threads still inside liblxc for calls whose callers stopped waiting.
final class AbandonedCalls: Sendable {
    /// An atomic rather than a ``Locked``: a lone counter, read before every async call and
    /// changed inside a `OneShot`'s lock, which nothing waits on. Thread Sanitizer sees
    /// atomics.
    let count = Atomic<Int>(0)
    /// Beyond this many, new async calls fail at once instead of adding threads.
    static let limit = 64
}

/// The result of an offloaded call, delivered once: by the call returning, or by the caller
/// giving up (deadline or cancellation), whichever comes first.
private final class OneShot<T: Sendable>: Sendable {
    private let abandoned: AbandonedCalls

    init(counting abandoned: AbandonedCalls) {
        self.abandoned = abandoned
    }

    private struct State {
        var continuation: UnsafeContinuation<T, any Error>?
        /// The error of a give-up that came before the continuation was installed.
        var earlyError: (any Error)?
        var resolved = false
        var jobSubmitted = false
        var jobFinished = false
        var countedAbandoned = false
    }

    private let state = Locked<State>(State())

    /// Installs the continuation before the job is submitted; false when the caller gave up
    /// already, with the error to resume with.
    func install(_ continuation: UnsafeContinuation<T, any Error>) -> (any Error)? {
        state.withLock { state in
            if state.resolved { return state.earlyError ?? CancellationError() }
            state.continuation = continuation
            state.jobSubmitted = true
            return nil
        }
    }

    /// The job returned.
    func finish(with result: Result<T, any Error>) {
        let continuation = state.withLock { state -> UnsafeContinuation<T, any Error>? in
            state.jobFinished = true
            if state.resolved {
                if state.countedAbandoned { abandoned.count.subtract(1, ordering: .relaxed) }
                return nil
            }
            state.resolved = true
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(with: result)
    }

    /// The caller stops waiting.
    func giveUp(_ error: any Error) {
        let continuation = state.withLock { state -> UnsafeContinuation<T, any Error>? in
            if state.resolved { return nil }
            state.resolved = true
            if state.jobSubmitted && !state.jobFinished {
                state.countedAbandoned = true
                abandoned.count.add(1, ordering: .relaxed)
            }
            if state.continuation == nil { state.earlyError = error }
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(throwing: error)
    }
}

extension BlockingExecutor {
    /// Runs `body` on an executor thread; the awaiting task resumes when it returns, when the
    /// task-local deadline passes, or when the task is cancelled, whichever comes first.
    func run<T: Sendable>(
        operation: String,
        container: String?,
        _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        if abandoned.count.load(ordering: .relaxed) >= AbandonedCalls.limit {
            throw LXCError(operation: operation, container: container,
                           message: "\(AbandonedCalls.limit) earlier calls are still blocked inside liblxc after their callers gave up; refusing to start more",
                           code: EAGAIN, kind: .timedOut)
        }
        let deadline = Deadline.current
        if let deadline, deadline <= .now {
            throw Self.timeoutError(operation, container)
        }
        try Task.checkCancellation()

        let shot = OneShot<T>(counting: abandoned)
        let timer: Task<Void, Never>? = deadline.map { deadline in
            Task {
                try? await Task.sleep(until: deadline, clock: .continuous)
                if !Task.isCancelled { shot.giveUp(Self.timeoutError(operation, container)) }
            }
        }
        defer { timer?.cancel() }

        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<T, any Error>) in
                if let error = shot.install(continuation) {
                    continuation.resume(throwing: error)
                    return
                }
                submit { shot.finish(with: Result { try body() }) }
            }
        } onCancel: {
            shot.giveUp(CancellationError())
        }
    }

    static func timeoutError(_ operation: String, _ container: String?) -> LXCError {
        LXCError(operation: operation, container: container,
                 message: "the deadline passed before liblxc returned; the call goes on in the background",
                 code: ETIMEDOUT, kind: .timedOut)
    }
}

extension Container {
    /// Runs a blocking call on the library's own threads, off Swift's cooperative pool. The
    /// caller stops waiting at the task's deadline (``LXC/withDeadline(_:isolation:_:)``) or when the task
    /// is cancelled; the call itself cannot be interrupted and finishes in the background.
    func offload<T: Sendable>(
        _ operation: String = #function,
        _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        let name = operation.prefix { $0 != "(" }
        return try await BlockingExecutor.shared.run(operation: String(name), container: self.name, body)
    }
}
