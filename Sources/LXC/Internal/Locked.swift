import Glibc

/// A value behind a `pthread_mutex_t`.
///
/// The library's locks guard small state for a moment (a handle pointer, a counter) and are
/// never held across a call into liblxc. `Synchronization.Mutex` would do, but Thread
/// Sanitizer does not see its futex-based locking on Linux and reports every use as a race;
/// a pthread mutex it understands, so a sanitizer run shows real races only.
final class Locked<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `value` is read and written only while `mutex` is held.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
