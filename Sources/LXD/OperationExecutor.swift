import Glibc

/// The executor of the moments between starting an LXD operation and asking for its end, or
/// connecting to its websockets.
///
/// LXD forgets an operation 5 seconds after it ended: a `GET /1.0/operations/{id}/wait`
/// sent later is answered 404 "Operation not found", and a create that succeeded would be
/// reported as failed. It also fails an exec whose websockets are not all connected within
/// 5 seconds. On Swift's cooperative pool the task that got the answer starting the
/// operation may wait longer than that for a thread, when the program's other tasks keep the
/// pool's threads busy (seen in this project's full test run: 2 cores, blocking tests).
/// Tasks that prefer this executor resume on a thread of the library's own instead, which
/// only ever runs that short non-blocking code, so the wait request goes out at once.
final class OperationExecutor: TaskExecutor, @unchecked Sendable {
    /// The one executor of the process; its thread starts with the first job.
    static let shared = OperationExecutor()

    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var jobs: [UnownedJob] = []
    private var started = false

    private init() {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pthread_mutex_lock(&mutex)
        jobs.append(job)
        let start = !started
        started = true
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
        if start { startThread() }
    }

    private func startThread() {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(&thread, nil, { context in
            // The pointer is the executor passed below, never nil.
            guard let context else { return nil }
            let executor = Unmanaged<OperationExecutor>.fromOpaque(context).takeRetainedValue()
            executor.runJobs()
            return nil
        }, context)
        if result == 0 {
            pthread_detach(thread)
        } else {
            // No thread (the process is out of them): the jobs run where they are enqueued
            // from then on, which is what a task without this preference would get anyway.
            Unmanaged<OperationExecutor>.fromOpaque(context).release()
            pthread_mutex_lock(&mutex)
            let pending = jobs
            jobs.removeAll()
            started = false
            pthread_mutex_unlock(&mutex)
            for job in pending { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }

    private func runJobs() {
        while true {
            pthread_mutex_lock(&mutex)
            while jobs.isEmpty { pthread_cond_wait(&condition, &mutex) }
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            pthread_mutex_unlock(&mutex)
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }
}
