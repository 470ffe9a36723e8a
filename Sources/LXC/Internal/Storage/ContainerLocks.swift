import Glibc

/// The lock of one container's directory, held by every operation that reads or writes it:
/// create, destroy, rename, clone (source and target), snapshot, restore, destroySnapshot,
/// saveConfig, and the repair of an interrupted operation.
///
/// It has two layers, taken in this order:
/// - in this process, a mutex per container, keyed on the *canonical* lxcpath (so `P`, `P/`,
///   `P//` and `P/.` are one container) and the name;
/// - across processes, a POSIX record lock on `<lxcpath>/.swift-lxc/<name>.lock`, a file of this
///   library's own. It is not liblxc's lock file (`/run/lxc/lock/<lxcpath>/.<name>`): liblxc
///   5.0 takes open-file-description locks on that file inside its calls, and a lock held
///   here on it through another description would make liblxc's own call in this process
///   wait for ever.
///
/// So two programs using this library never interleave operations on one container. The
/// `lxc-*` tools take only liblxc's lock, inside each liblxc call: one of their calls and one
/// of this library's liblxc calls exclude each other, but the steps this library adds around
/// a call (the checks before it, the journal of ``Intent``) do not exclude them.
///
/// Reads (`state`, configuration items) and the calls that wait on a container (`start`,
/// `wait`, `shutdown`, `run`) never take it, and it is never held across them.
enum ContainerLocks {
    struct Key: Hashable, Comparable, Sendable {
        var lxcpath: String
        var name: String

        /// `lxcpath` made canonical (see ``ContainerLocks/canonical(_:)``).
        init(lxcpath: String, name: String) {
            self.lxcpath = ContainerLocks.canonical(lxcpath)
            self.name = name
        }

        static func < (lhs: Key, rhs: Key) -> Bool {
            lhs.lxcpath != rhs.lxcpath ? strcmpOrder(lhs.lxcpath, rhs.lxcpath) : strcmpOrder(lhs.name, rhs.name)
        }
    }

    private final class Entry: @unchecked Sendable {
        // @unchecked: `users` is changed only under `table`'s lock.
        /// Held across the whole operation, liblxc's calls included.
        let lock = Locked<Void>(())
        var users = 0
    }

    private static let table = Locked<[Key: Entry]>([:])

    /// Runs `body` holding the locks of every container in `keys`, taken in one order (by
    /// canonical lxcpath, then name), so that two operations on the same pair cannot deadlock.
    static func withLocks<R>(_ keys: [Key], operation: String, container: String?, _ body: () throws -> R) throws -> R {
        let ordered = Array(Set(keys)).sorted()
        return try withLocks(ordered[...], operation: operation, container: container, body)
    }

    private static func withLocks<R>(_ keys: ArraySlice<Key>, operation: String, container: String?,
                                      _ body: () throws -> R) throws -> R {
        guard let key = keys.first else { return try body() }
        return try withLock(key, operation: operation, container: container) {
            try withLocks(keys.dropFirst(), operation: operation, container: container, body)
        }
    }

    private static func withLock<R>(_ key: Key, operation: String, container: String?, _ body: () throws -> R) throws -> R {
        let entry = table.withLock { table -> Entry in
            let entry = table[key] ?? Entry()
            entry.users += 1
            table[key] = entry
            return entry
        }
        defer {
            table.withLock { table in
                entry.users -= 1
                if entry.users == 0 { table[key] = nil }
            }
        }
        return try entry.lock.withLock { _ in try withFileLock(key, operation: operation, container: container, body) }
    }

    /// The cross-process layer of ``withLock(_:operation:container:_:)``.
    private static func withFileLock<R>(_ key: Key, operation: String, container: String?, _ body: () throws -> R) throws -> R {
        // An lxcpath that does not exist holds no container to protect (create makes its
        // lxcpath before it locks).
        guard let path = try LibraryFiles.path(of: .lock, name: key.name, in: key.lxcpath,
                                               operation: operation, container: container) else {
            return try body()
        }
        let file = try LockFile.acquire(path, operation: operation, container: container)
        defer { file.release() }
        return try body()
    }

    /// `path` with `.` and empty components removed, `..` applied, and symbolic links
    /// resolved where the path exists (`realpath`); what does not exist yet is normalised
    /// as text.
    static func canonical(_ path: String) -> String {
        if let resolved = realpath(path, nil) {
            defer { free(resolved) }
            return String(cString: resolved)
        }
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { _ = parts.popLast(); continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }
}

/// An exclusive POSIX record lock (`fcntl(F_SETLKW)`) on a file that exists only while it
/// is held.
///
/// A record lock belongs to the process, not to the descriptor: a child that the library or
/// liblxc forks while it is held (the worker of `Isolated`, a container's monitor, which
/// lives as long as the container) does not hold it, and it goes when this process ends,
/// however it ends. (A `flock` or an open-file-description lock would be held on by every
/// such child.) It does not exclude other threads of this process, which the in-process
/// mutex of ``ContainerLocks`` does; each key's file is opened once at a time here.
///
/// The file is removed on release. A process that opened it just before the removal and
/// then got the lock holds a lock on a file no longer linked: `acquire` therefore checks,
/// once it holds the lock, that the path still names the file it locked, and tries again
/// when not.
struct LockFile {
    let fd: Int32
    let path: String

    static func acquire(_ path: String, operation: String, container: String?) throws -> LockFile {
        while true {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
            guard fd >= 0 else {
                let code = errno
                throw LXCError(operation: operation, container: container,
                               message: "the lock file \(quoted(path)) cannot be opened: \(errnoDescription(code))",
                               code: code, kind: code == EACCES || code == EPERM || code == EROFS ? .permissionDenied : .failed)
            }
            var lock = flock()
            lock.l_type = Int16(F_WRLCK)
            lock.l_whence = Int16(SEEK_SET)
            if retryingOnInterrupt({ fcntl(fd, F_SETLKW, &lock) }) < 0 {
                let code = errno
                close(fd)
                throw LXCError(operation: operation, container: container,
                               message: "the lock file \(quoted(path)) cannot be locked: \(errnoDescription(code))",
                               code: code, kind: .failed)
            }
            var held = stat(), named = stat()
            if fstat(fd, &held) == 0 && lstat(path, &named) == 0 && held.st_ino == named.st_ino && held.st_dev == named.st_dev {
                return LockFile(fd: fd, path: path)
            }
            close(fd)
        }
    }

    func release() {
        // Removed while still locked, so that no one takes a lock on it after this.
        unlink(path)
        close(fd)
    }
}

extension Container {
    /// Runs `body` holding the lock of this container's directory and of the containers
    /// `others` (name, lxcpath), in one order (``ContainerLocks``). What runs inside calls
    /// no public method that takes a lock itself: the in-process layer does not nest.
    func withDirectoryLock<R>(also others: [(name: String, lxcpath: String)] = [], operation: String,
                              _ body: () throws -> R) throws -> R {
        let keys = [ContainerLocks.Key(lxcpath: lxcpath, name: name)]
            + others.map { ContainerLocks.Key(lxcpath: $0.lxcpath, name: $0.name) }
        return try ContainerLocks.withLocks(keys, operation: operation, container: name, body)
    }
}
