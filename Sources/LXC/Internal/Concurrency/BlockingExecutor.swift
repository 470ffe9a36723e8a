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
final class BlockingExecutor: @unchecked Sendable {
    // @unchecked: every stored var below is read and written only while `mutex` is held.

    static let shared = BlockingExecutor()

    typealias Job = @Sendable () -> Void

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var jobs: [Job] = []
    private var firstJob = 0
    private var idleThreads = 0
    private var liveThreads = 0
    /// How long an idle thread waits for a job before it ends.
    private let idleSeconds = 5
    /// Calls of this executor still running after their callers stopped waiting.
    let abandoned = AbandonedCalls()

    /// Makes an executor. The library uses ``shared``; tests make their own so that what
    /// they count is theirs alone.
    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    /// Every thread holds the executor until its work loop ends, so by now none is left
    /// waiting on the mutex or the condition.
    deinit {
        pthread_cond_destroy(condition)
        condition.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// The number of threads that exist now, busy or idle.
    var threadCount: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return liveThreads
    }

    /// Runs `job` on an executor thread.
    func submit(_ job: @escaping Job) {
        pthread_mutex_lock(mutex)
        jobs.append(job)
        let pending = jobs.count - firstJob
        let spawn = pending > idleThreads
        if spawn { liveThreads += 1 } else { pthread_cond_signal(condition) }
        pthread_mutex_unlock(mutex)
        if spawn && !startThread() {
            // No thread could be made: run it here rather than lose it. The caller is a task
            // on the cooperative pool, which blocks; that is still better than never resuming.
            pthread_mutex_lock(mutex)
            liveThreads -= 1
            let orphan = takeJob()
            pthread_mutex_unlock(mutex)
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

    private func takeJob() -> Job? {
        guard firstJob < jobs.count else { return nil }
        let job = jobs[firstJob]
        firstJob += 1
        if firstJob == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            firstJob = 0
        }
        return job
    }

    private func startThread() -> Bool {
        DetachedThread.start { self.workLoop() }
    }

    private func workLoop() {
        pthread_mutex_lock(mutex)
        while true {
            if let job = takeJob() {
                pthread_mutex_unlock(mutex)
                job()
                pthread_mutex_lock(mutex)
                continue
            }
            idleThreads += 1
            var deadline = timespec()
            clock_gettime(CLOCK_MONOTONIC, &deadline)
            deadline.tv_sec += idleSeconds
            var timedOut = false
            while firstJob >= jobs.count && !timedOut {
                timedOut = pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT
            }
            idleThreads -= 1
            if firstJob >= jobs.count {
                liveThreads -= 1
                pthread_mutex_unlock(mutex)
                return
            }
        }
    }
}
