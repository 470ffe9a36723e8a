import Glibc

/// A value behind a `pthread_mutex_t`, with a condition variable for the threads that wait
/// for the value to change: the library's one lock type.
///
/// Most uses guard small state for a moment (a handle pointer, a counter, a table). A few
/// are held across a call into liblxc on purpose, and say so where they are declared: the
/// per-container lock of ``ContainerLocks`` and the lock of `UnprivilegedCalls`. The waiting
/// form (``withLock(waitingUntil:deadline:_:)``) serves every wait for another thread: the
/// fork gate, the executor's idle threads and the freeze watchdog. The only other locks are
/// `Handle.configWrites` (below) and the fork guard's mutex, which is C (`ForkGuard`);
/// counters nothing waits on may be atomics, commented where they are.
///
/// Why not `Synchronization.Mutex`, which STYLE.md names for small shared state: Thread
/// Sanitizer does not see its futex-based locking on Linux. With Swift 6.3.1, four threads
/// adding to a counter under a `Mutex` 20,000 times each gave two "Swift access race"
/// reports under `-sanitize=thread` (the count was right); the same program with this type
/// gave none. A pthread mutex it understands, so `scripts/sanitize.sh thread` shows real
/// races only. The API is `Mutex`'s (`withLock`), so that a later switch is a rename.
/// (`Handle.configWrites` is a `Mutex<Void>`: it guards no Swift value, so the sanitizer has
/// nothing to report there, and a handle spares an allocation.)
///
/// The value, the mutex and the condition share one heap allocation (a `ManagedBuffer`
/// whose header is the value and whose one element holds the two, which never move).
struct Locked<Value: Sendable>: @unchecked Sendable {
    // @unchecked: the value is read and written only while the mutex is held.
    private let storage: Storage

    init(_ value: Value) {
        storage = Storage.make(value)
    }

    /// Runs `body` with the value, holding the lock.
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        try storage.withUnsafeMutablePointers { value, primitives in
            let mutex = LockPrimitives.mutex(primitives)
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            return try body(&value.pointee)
        }
    }

    /// Takes the lock, waits until `ready` holds for the value (the lock is released while
    /// waiting; ``wakeAll()`` and ``wakeOne()`` make waiters look again) or until `deadline`
    /// (`CLOCK_MONOTONIC`) passes, then runs `body` with the value, holding the lock. `body`
    /// runs also when the deadline passed first: it can look at the value itself.
    func withLock<R>(waitingUntil ready: (Value) -> Bool, deadline: timespec? = nil,
                     _ body: (inout Value) throws -> R) rethrows -> R {
        try storage.withUnsafeMutablePointers { value, primitives in
            let mutex = LockPrimitives.mutex(primitives)
            let condition = LockPrimitives.condition(primitives)
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            while !ready(value.pointee) {
                if var deadline {
                    if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT { break }
                } else {
                    pthread_cond_wait(condition, mutex)
                }
            }
            return try body(&value.pointee)
        }
    }

    /// Makes every thread waiting in ``withLock(waitingUntil:deadline:_:)`` look at the value
    /// again. Call it after changing the value, inside `withLock` or after it.
    func wakeAll() {
        _ = storage.withUnsafeMutablePointerToElements { pthread_cond_broadcast(LockPrimitives.condition($0)) }
    }

    /// Makes one of the waiting threads look at the value again.
    func wakeOne() {
        _ = storage.withUnsafeMutablePointerToElements { pthread_cond_signal(LockPrimitives.condition($0)) }
    }

    private final class Storage: ManagedBuffer<Value, LockPrimitives> {
        static func make(_ value: Value) -> Storage {
            let buffer = create(minimumCapacity: 1) { _ in value }
            buffer.withUnsafeMutablePointerToElements { primitives in
                primitives.initialize(to: LockPrimitives())
                pthread_mutex_init(LockPrimitives.mutex(primitives), nil)
                // Deadlines are on the monotonic clock, which no one can set back.
                var attributes = pthread_condattr_t()
                pthread_condattr_init(&attributes)
                pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
                pthread_cond_init(LockPrimitives.condition(primitives), &attributes)
                pthread_condattr_destroy(&attributes)
            }
            // `create` makes an instance of the class it is called on.
            return unsafeDowncast(buffer, to: Storage.self)
        }

        deinit {
            withUnsafeMutablePointerToElements { primitives in
                pthread_cond_destroy(LockPrimitives.condition(primitives))
                pthread_mutex_destroy(LockPrimitives.mutex(primitives))
                primitives.deinitialize(count: 1)
            }
        }
    }
}

/// The mutex and the condition of a ``Locked``, side by side in its buffer's one element.
struct LockPrimitives {
    var mutex = pthread_mutex_t()
    var condition = pthread_cond_t()

    static func mutex(_ pointer: UnsafeMutablePointer<LockPrimitives>) -> UnsafeMutablePointer<pthread_mutex_t> {
        // `offset(of:)` is nil only for a computed property; the optimizer folds it to a constant.
        (UnsafeMutableRawPointer(pointer) + (MemoryLayout<LockPrimitives>.offset(of: \.mutex) ?? 0))
            .assumingMemoryBound(to: pthread_mutex_t.self)
    }

    static func condition(_ pointer: UnsafeMutablePointer<LockPrimitives>) -> UnsafeMutablePointer<pthread_cond_t> {
        (UnsafeMutableRawPointer(pointer) + (MemoryLayout<LockPrimitives>.offset(of: \.condition) ?? 0))
            .assumingMemoryBound(to: pthread_cond_t.self)
    }
}

extension timespec {
    /// The moment `duration` from now on `CLOCK_MONOTONIC`, for
    /// ``Locked/withLock(waitingUntil:deadline:_:)``.
    static func monotonic(after duration: Duration) -> timespec {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let (seconds, attoseconds) = duration.components
        let nanoseconds = Int(now.tv_nsec) + Int(attoseconds / 1_000_000_000)
        now.tv_sec += Int(seconds) + nanoseconds / 1_000_000_000
        now.tv_nsec = nanoseconds % 1_000_000_000
        return now
    }
}
