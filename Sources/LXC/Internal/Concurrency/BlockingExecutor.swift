import Glibc

/// Runs blocking liblxc calls for `async` callers on threads of its own, never on Swift's
/// cooperative pool.
///
/// liblxc's lifecycle calls block for milliseconds to minutes (`wait` with no timeout blocks
/// until the state is reached). Running them on the cooperative pool, which has one thread per
/// core, would let two slow calls on a two-core machine stall every other task. Each job here
/// gets a thread: an idle one if there is one, otherwise a new one. Idle threads wait a few
/// seconds for more work and then end, so a burst of a hundred calls costs a hundred threads
/// only while it lasts.
final class BlockingExecutor: Sendable {
    static let shared = BlockingExecutor()

    typealias Job = @Sendable () -> Void

    private struct State {
        var jobs: [Job] = []
        var firstJob = 0
        var idleThreads = 0
        var liveThreads = 0

        var hasJob: Bool { firstJob < jobs.count }

        mutating func takeJob() -> Job? {
            guard firstJob < jobs.count else { return nil }
            let job = jobs[firstJob]
            firstJob += 1
            if firstJob == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                firstJob = 0
            }
            return job
        }
    }

    private let state = Locked(State())
    /// How long an idle thread waits for a job before it ends.
    private let idleSeconds = 5
    /// Calls of this executor still running after their callers stopped waiting.
    let abandoned = AbandonedCalls()

    /// Makes an executor. The library uses ``shared``; tests make their own so that what
    /// they count is theirs alone.
    init() {}

    /// The number of threads that exist now, busy or idle.
    var threadCount: Int {
        state.withLock { $0.liveThreads }
    }

    /// Runs `job` on an executor thread.
    func submit(_ job: @escaping Job) {
        let spawn = state.withLock { state -> Bool in
            state.jobs.append(job)
            let spawn = state.jobs.count - state.firstJob > state.idleThreads
            if spawn { state.liveThreads += 1 }
            return spawn
        }
        if !spawn { state.wakeOne() }
        if spawn && !startThread() {
            // No thread could be made: run it here rather than lose it. The caller is a task
            // on the cooperative pool, which blocks; that is still better than never resuming.
            let orphan = state.withLock { state -> Job? in
                state.liveThreads -= 1
                return state.takeJob()
            }
            orphan?()
        }
    }

    /// Runs `body` on an executor thread and returns its result to the awaiting task.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<T, any Error>) in
            submit {
                continuation.resume(with: Result { try body() })
            }
        }
    }

    private func startThread() -> Bool {
        DetachedThread.start { self.workLoop() }
    }

    private func workLoop() {
        while let job = nextJob() { job() }
    }

    /// The next job; when there is none, waits up to `idleSeconds` for one. Nil when none
    /// came: the thread is then counted out and ends.
    private func nextJob() -> Job? {
        let job = state.withLock { state -> Job? in
            if let job = state.takeJob() { return job }
            state.idleThreads += 1
            return nil
        }
        if let job { return job }
        return state.withLock(waitingUntil: { $0.hasJob }, deadline: .monotonic(after: .seconds(idleSeconds))) { state in
            state.idleThreads -= 1
            let job = state.takeJob()
            if job == nil { state.liveThreads -= 1 }
            return job
        }
    }
}
