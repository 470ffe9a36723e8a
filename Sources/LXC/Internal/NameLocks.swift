import Glibc

/// One lock per (lxcpath, name) in this process, for the operations that change a
/// container's files: create, destroy, rename, clone, snapshots.
///
/// liblxc protects those with file locks on `<lxcpath>/.lxc/<name>` (OFD locks in liblxc 5,
/// which exclude other handles in the same process; older liblxc and its fallback take POSIX
/// record locks, which do not exclude threads of one process: lxc/lxc#2245). Taking this lock
/// first makes a second `create` of the same container wait for the first and then find the
/// container there, rather than fail half-way in liblxc. Reads (`state`, configuration items)
/// and the calls that wait (`start`, `wait`, `shutdown`) never take it.
enum NameLocks {
    private final class Entry: @unchecked Sendable {
        // @unchecked: `mutex` is a pthread mutex; `users` is changed only under `table`'s lock.
        let mutex: UnsafeMutablePointer<pthread_mutex_t>
        var users = 0

        init() {
            mutex = .allocate(capacity: 1)
            mutex.initialize(to: pthread_mutex_t())
            pthread_mutex_init(mutex, nil)
        }

        deinit {
            pthread_mutex_destroy(mutex)
            mutex.deinitialize(count: 1)
            mutex.deallocate()
        }
    }

    private struct Key: Hashable, Sendable {
        var lxcpath: String
        var name: String
    }

    private static let table = Locked<[Key: Entry]>([:])

    /// Runs `body` holding the lock of the container `name` in `lxcpath`.
    static func withLock<R>(lxcpath: String, name: String, _ body: () throws -> R) rethrows -> R {
        let key = Key(lxcpath: lxcpath, name: name)
        let entry = table.withLock { table -> Entry in
            let entry = table[key] ?? Entry()
            entry.users += 1
            table[key] = entry
            return entry
        }
        pthread_mutex_lock(entry.mutex)
        defer {
            pthread_mutex_unlock(entry.mutex)
            table.withLock { table in
                entry.users -= 1
                if entry.users == 0 { table[key] = nil }
            }
        }
        return try body()
    }
}

extension Container {
    /// Runs `body` holding this process's lock on the container's files (``NameLocks``).
    func withNameLock<R>(_ body: () throws -> R) rethrows -> R {
        try NameLocks.withLock(lxcpath: lxcpath, name: name, body)
    }
}
