import Glibc

/// A value behind a `pthread_mutex_t`.
///
/// The library's locks guard small state for a moment (a handle pointer, a counter) and are
/// never held across a call into liblxc. `Synchronization.Mutex` would do, but Thread
/// Sanitizer does not see its futex-based locking on Linux and reports every use as a race;
/// a pthread mutex it understands, so a sanitizer run shows real races only.
///
/// The value and the mutex share one heap allocation (a `ManagedBuffer` whose header is the
/// value and whose one element is the mutex, which never moves): every `Container` makes two
/// of these, so a handle costs two allocations less than with a separately allocated mutex.
struct Locked<Value: Sendable>: @unchecked Sendable {
    // @unchecked: the value is read and written only while the mutex is held.
    private let storage: Storage

    init(_ value: Value) {
        storage = Storage.make(value)
    }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        try storage.withUnsafeMutablePointers { value, mutex in
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            return try body(&value.pointee)
        }
    }

    private final class Storage: ManagedBuffer<Value, pthread_mutex_t> {
        static func make(_ value: Value) -> Storage {
            let buffer = create(minimumCapacity: 1) { _ in value }
            buffer.withUnsafeMutablePointerToElements { mutex in
                mutex.initialize(to: pthread_mutex_t())
                pthread_mutex_init(mutex, nil)
            }
            // `create` makes an instance of the class it is called on.
            return unsafeDowncast(buffer, to: Storage.self)
        }

        deinit {
            withUnsafeMutablePointers { _, mutex in
                pthread_mutex_destroy(mutex)
                mutex.deinitialize(count: 1)
            }
        }
    }
}
