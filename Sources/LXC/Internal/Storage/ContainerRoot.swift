import CLXC
import Glibc

// Copying files into and out of a container's root filesystem without ever leaving it.
//
// Every path inside the container is opened with openat2(RESOLVE_IN_ROOT |
// RESOLVE_NO_MAGICLINKS) from a descriptor of the container's root: `..` stops at that root
// and an absolute symbolic link (`/etc/passwd-link -> /etc`) means the container's `/etc`,
// as for the container's own programs; `/proc/<pid>/fd/…` magic links are refused. Below a
// directory opened that way, entries are opened with O_NOFOLLOW and never followed.

/// `O_PATH`, which Glibc's module does not export (it needs `_GNU_SOURCE`).
let O_PATH: Int32 = clxc_o_path()

/// A container's root filesystem, opened for copying files: the running container's
/// `/proc/<init>/root`, or a stopped container's root filesystem directory (for an overlay,
/// its upper and lower layers).
final class ContainerRoot {
    /// The descriptors of the layers: one for a directory or a running container; for a
    /// stopped overlay the upper layer (written to, read first) then the lower one.
    let layers: [Int32]
    /// The container's id maps, for the owners of files written and read.
    let maps: [IDMap]
    let operation: String
    let container: String

    /// Opens `paths` (the upper layer first) as the roots to copy through.
    init(paths: [String], maps: [IDMap], operation: String, container: String) throws {
        var layers: [Int32] = []
        for path in paths {
            let fd = retryingOnInterrupt { Glibc.open(path, O_PATH | O_DIRECTORY | O_CLOEXEC) }
            if fd < 0 {
                let code = errno
                for layer in layers { close(layer) }
                throw LXCError(operation: operation, container: container,
                               message: "cannot open the container's root filesystem \(quoted(path)): \(errnoPhrase(code))",
                               code: code, kind: ContainerRoot.kind(of: code))
            }
            layers.append(fd)
        }
        self.layers = layers
        self.maps = maps
        self.operation = operation
        self.container = container
    }

    deinit {
        for layer in layers { close(layer) }
    }

    /// The layer that is written to.
    var writable: Int32 { layers[0] }
    /// Whether the root is an overlay's layers, where a character device 0:0 marks a file
    /// deleted from the lower layer.
    var isOverlay: Bool { layers.count > 1 }

    // MARK: errors

    static func kind(of code: Int32) -> LXCError.Kind {
        switch code {
        case ENOENT: .notFound
        case EACCES, EPERM, EROFS: .permissionDenied
        case EEXIST: .alreadyExists
        case EXDEV, ELOOP, EISDIR, ENOTDIR, EINVAL, ENAMETOOLONG: .invalidArgument
        case ENOSYS, EOPNOTSUPP: .unsupported
        default: .failed
        }
    }

    func error(_ code: Int32, _ what: String) -> LXCError {
        // openat2 came with Linux 5.6; without it nothing is opened rather than risk a link.
        let why = code == ENOSYS ? "this kernel has no openat2 (Linux 5.6 or later), which copying files needs" : errnoPhrase(code)
        return LXCError(operation: operation, container: container, message: "\(what): \(why)",
                        code: code, kind: Self.kind(of: code))
    }

    func refuse(_ kind: LXCError.Kind, _ code: Int32, _ message: String) -> LXCError {
        LXCError(operation: operation, container: container, message: message, code: code, kind: kind)
    }

    // MARK: ids

    /// The host id of `id` inside the container, through the container's maps of `kind`
    /// (the same id for a privileged container).
    func hostID(_ id: UInt32, _ kind: IDMap.Kind) throws -> UInt32 {
        let ofKind = maps.filter { $0.kind == kind }
        if ofKind.isEmpty { return id }
        for map in ofKind where UInt64(id) >= UInt64(map.containerID) && UInt64(id) < UInt64(map.containerID) + UInt64(map.count) {
            return map.hostID + (id - map.containerID)
        }
        throw refuse(.invalidArgument, EINVAL,
                     "the container's id maps (\(ofKind.map(\.configValue).joined(separator: ", "))) do not map \(kind) id \(id)")
    }

    /// Gives the open file `fd` the owner `owner` (ids inside the container) and `mode`.
    func setOwnerAndMode(fd: Int32, _ owner: FileOwner, _ mode: mode_t, _ path: String) throws {
        let uid = try hostID(owner.userID, .user), gid = try hostID(owner.groupID, .group)
        // Owner first: a chown clears the set-id bits that the chmod then sets.
        if fchown(fd, uid, gid) != 0 { throw error(errno, "cannot give \(quoted(path)) the owner \(owner) (host ids \(uid):\(gid))") }
        if fchmod(fd, mode & 0o7777) != 0 { throw error(errno, "cannot set the mode of \(quoted(path))") }
    }

    // MARK: resolving

    /// `path` inside the container relative to its root ("etc/hostname"; "." for the root).
    static func relative(_ path: String) -> String {
        let trimmed = path.drop { $0 == "/" }
        return trimmed.isEmpty ? "." : String(trimmed)
    }

    /// Opens `path` in the layer `layer`, resolved inside it (see the top of this file).
    func open(_ path: String, in layer: Int32, flags: Int32, mode: mode_t = 0) -> Int32 {
        let resolve = clxc_resolve_in_root() | clxc_resolve_no_magiclinks()
        return retryingOnInterrupt {
            clxc_openat2(layer, Self.relative(path), UInt64(UInt32(bitPattern: flags | O_CLOEXEC)), UInt64(mode), resolve)
        }
    }

    /// What is at `path`, resolved inside the root, in the first layer that has it: its
    /// `O_PATH` descriptor (the caller closes it), status and layer; nil when no layer has
    /// it (or the upper layer of an overlay marks it deleted).
    func find(_ path: String) throws -> (fd: Int32, info: stat, layer: Int32)? {
        for layer in layers {
            let fd = open(path, in: layer, flags: O_PATH)
            if fd < 0 {
                let code = errno
                if code == ENOENT { continue }
                throw error(code, "cannot open \(quoted(path)) inside the container")
            }
            var info = stat()
            if fstat(fd, &info) != 0 {
                let code = errno
                close(fd)
                throw error(code, "cannot read the status of \(quoted(path))")
            }
            if isOverlay && Self.isWhiteout(info) {
                close(fd)
                return nil
            }
            return (fd, info, layer)
        }
        return nil
    }

    static func isWhiteout(_ info: stat) -> Bool {
        info.st_mode & S_IFMT == S_IFCHR && info.st_rdev == 0
    }

    /// The directory `path` of the writable layer, opened; in an overlay's upper layer the
    /// directories that only the lower layer has are made first, with their mode and owner.
    func writableDirectory(_ path: String) throws -> Int32 {
        let fd = open(path, in: writable, flags: O_PATH | O_DIRECTORY)
        if fd >= 0 { return fd }
        let code = errno
        guard isOverlay && code == ENOENT else { throw error(code, "cannot open the directory \(quoted(path)) inside the container") }
        // Walked one component at a time in both layers, following no link: a directory is
        // made in the upper layer only where the lower one has a real directory, so that the
        // merged view gains nothing but what the overlay's own copy-up would make.
        var upper = retryingOnInterrupt { openat(writable, ".", O_PATH | O_DIRECTORY | O_CLOEXEC) }
        var lower: Int32 = retryingOnInterrupt { openat(layers[layers.count - 1], ".", O_PATH | O_DIRECTORY | O_CLOEXEC) }
        defer { if lower >= 0 { close(lower) } }
        var walked = ""
        for component in path.split(separator: "/") where component != "." {
            let name = String(component)
            if name == ".." { close(upper); throw refuse(.invalidArgument, EINVAL, "\(quoted(path)) goes up with \"..\"") }
            walked += "/" + name
            let nextLower: Int32 = lower < 0 ? -1 : retryingOnInterrupt { openat(lower, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            if lower >= 0 { close(lower) }
            lower = nextLower
            var next = retryingOnInterrupt { openat(upper, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            if next < 0 && errno == ENOENT {
                var info = stat()
                guard lower >= 0, fstat(lower, &info) == 0 else {
                    close(upper)
                    throw refuse(.notFound, ENOENT,
                                 "there is no directory \(quoted(walked)) in the stopped overlay container (a link on the way is not followed across its layers; start the container to copy there)")
                }
                if mkdirat(upper, name, 0o700) != 0 && errno != EEXIST {
                    let code = errno
                    close(upper)
                    throw error(code, "cannot make the directory \(quoted(walked)) in the overlay's upper layer")
                }
                next = retryingOnInterrupt { openat(upper, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
                if next >= 0 {
                    // The owner and mode below, as the overlay's own copy-up would give.
                    _ = fchown(next, info.st_uid, info.st_gid)
                    _ = fchmod(next, info.st_mode & 0o7777)
                }
            }
            let failure = errno
            close(upper)
            if next < 0 { throw error(failure, "cannot open the directory \(quoted(walked)) inside the container") }
            upper = next
        }
        return upper
    }

    // MARK: writing

    /// Writes a regular file at `name` in the open directory `directory` of the container,
    /// which must not be anything but a regular file (a symbolic link there is replaced,
    /// never followed), with `owner` and `mode`, its bytes from `fill`.
    func writeEntry(_ name: String, in directory: Int32, display: String, owner: FileOwner, mode: mode_t,
                    _ fill: (Int32) throws -> Void) throws {
        let flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC
        var fd = retryingOnInterrupt { openat(directory, name, flags, 0o600) }
        if fd < 0 && errno == ELOOP {
            // A symbolic link: replaced by the file, not followed.
            if unlinkat(directory, name, 0) != 0 { throw error(errno, "cannot replace the symbolic link \(quoted(display))") }
            fd = retryingOnInterrupt { openat(directory, name, flags | O_EXCL, 0o600) }
        }
        guard fd >= 0 else { throw error(errno, "cannot open \(quoted(display)) for writing inside the container") }
        defer { close(fd) }
        try fillRegularFile(fd, display: display, owner: owner, mode: mode, fill)
    }

    /// Checks that `fd` is a regular file, empties it, gives it its owner and mode and writes it.
    func fillRegularFile(_ fd: Int32, display: String, owner: FileOwner, mode: mode_t, _ fill: (Int32) throws -> Void) throws {
        var info = stat()
        if fstat(fd, &info) != 0 { throw error(errno, "cannot read the status of \(quoted(display))") }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw refuse(.invalidArgument, EINVAL, "\(quoted(display)) inside the container is not a regular file")
        }
        if ftruncate(fd, 0) != 0 { throw error(errno, "cannot empty \(quoted(display))") }
        // Restrict before writing, so that nobody reads the bytes under the old owner.
        try setOwnerAndMode(fd: fd, owner, mode & 0o777 & ~0o077, display)
        try fill(fd)
        try setOwnerAndMode(fd: fd, owner, mode, display)
    }

    /// Writes the regular file at `path` (a symbolic link at the end is followed inside the
    /// container's root, as the container's programs would).
    func writeFile(at path: String, owner: FileOwner, mode: mode_t, _ fill: (Int32) throws -> Void) throws {
        let (parent, leaf) = Self.split(path)
        guard !leaf.isEmpty else { throw refuse(.invalidArgument, EISDIR, "\(quoted(path)) is the container's root directory, not a file") }
        if isOverlay {
            // Written to the upper layer; links there are not followed into the lower one.
            let directory = try writableDirectory(parent)
            defer { close(directory) }
            try writeEntry(leaf, in: directory, display: path, owner: owner, mode: mode, fill)
            return
        }
        let flags = O_WRONLY | O_CREAT | O_NONBLOCK | O_NOCTTY
        let existing = open(path, in: writable, flags: O_PATH)
        if existing >= 0 {
            var info = stat()
            let ok = fstat(existing, &info) == 0
            close(existing)
            if ok && info.st_mode & S_IFMT != S_IFREG {
                throw refuse(info.st_mode & S_IFMT == S_IFDIR ? .invalidArgument : .invalidArgument,
                             info.st_mode & S_IFMT == S_IFDIR ? EISDIR : EINVAL,
                             "\(quoted(path)) inside the container is \(Self.describe(info.st_mode)), not a regular file")
            }
        }
        let fd = open(path, in: writable, flags: flags, mode: 0o600)
        guard fd >= 0 else { throw error(errno, "cannot open \(quoted(path)) for writing inside the container") }
        defer { close(fd) }
        try fillRegularFile(fd, display: path, owner: owner, mode: mode, fill)
    }

    /// Copies the host directory `source` into the container directory `directory`
    /// (entries of the same name are replaced; directories are merged).
    func copyTreeIn(from source: Int32, to directory: Int32, display: String, owner: FileOwner) throws {
        for (name, info) in try Self.entries(of: source, display: "the host's \(display)") {
            let path = display + "/" + name
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                var existing = stat()
                if fstatat(directory, name, &existing, AT_SYMLINK_NOFOLLOW) == 0 && existing.st_mode & S_IFMT != S_IFDIR {
                    if unlinkat(directory, name, 0) != 0 { throw error(errno, "cannot replace \(quoted(path))") }
                }
                if mkdirat(directory, name, 0o700) != 0 && errno != EEXIST { throw error(errno, "cannot make the directory \(quoted(path))") }
                let child = retryingOnInterrupt { openat(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
                guard child >= 0 else { throw error(errno, "cannot open the directory \(quoted(path))") }
                defer { close(child) }
                let hostChild = retryingOnInterrupt { openat(source, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
                guard hostChild >= 0 else { throw error(errno, "cannot open the host's directory \(quoted(path))") }
                defer { close(hostChild) }
                try setOwnerAndMode(fd: child, owner, 0o700, path)
                try copyTreeIn(from: hostChild, to: child, display: path, owner: owner)
                try setOwnerAndMode(fd: child, owner, info.st_mode, path)
            case S_IFREG:
                let input = retryingOnInterrupt { openat(source, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
                guard input >= 0 else { throw error(errno, "cannot open the host's \(quoted(path))") }
                defer { close(input) }
                try writeEntry(name, in: directory, display: path, owner: owner, mode: info.st_mode) { output in
                    try copyBytes(from: input, to: output, display: path)
                }
            case S_IFLNK:
                let target = try Self.linkTarget(source, name, display: "the host's \(path)", root: self)
                var existing = stat()
                if fstatat(directory, name, &existing, AT_SYMLINK_NOFOLLOW) == 0 {
                    if unlinkat(directory, name, existing.st_mode & S_IFMT == S_IFDIR ? AT_REMOVEDIR : 0) != 0 {
                        throw error(errno, "cannot replace \(quoted(path))")
                    }
                }
                if symlinkat(target, directory, name) != 0 { throw error(errno, "cannot make the symbolic link \(quoted(path))") }
                let uid = try hostID(owner.userID, .user), gid = try hostID(owner.groupID, .group)
                if fchownat(directory, name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0 {
                    throw error(errno, "cannot give the symbolic link \(quoted(path)) its owner")
                }
            default:
                throw refuse(.unsupported, EOPNOTSUPP,
                             "the host's \(quoted(path)) is \(Self.describe(info.st_mode)); only files, directories and symbolic links are copied")
            }
        }
    }

    // MARK: reading

    /// Copies the container's tree at `directory` into the host directory `target`: files
    /// with their mode (without set-user-id and set-group-id) owned by the caller, symbolic
    /// links as links (never followed). A whiteout of an overlay's upper layer removes what
    /// the lower layer put there.
    func copyTreeOut(from directory: Int32, to target: Int32, display: String) throws {
        for (name, info) in try Self.entries(of: directory, display: display) {
            let path = display + "/" + name
            if isOverlay && Self.isWhiteout(info) {
                var existing = stat()
                if fstatat(target, name, &existing, AT_SYMLINK_NOFOLLOW) == 0 {
                    try Self.removeHostTree(name, in: target, isDirectory: existing.st_mode & S_IFMT == S_IFDIR, root: self)
                }
                continue
            }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                var existing = stat()
                if fstatat(target, name, &existing, AT_SYMLINK_NOFOLLOW) == 0 && existing.st_mode & S_IFMT != S_IFDIR {
                    if unlinkat(target, name, 0) != 0 { throw error(errno, "cannot replace the host's \(quoted(name))") }
                }
                if mkdirat(target, name, 0o700) != 0 && errno != EEXIST { throw error(errno, "cannot make the host directory for \(quoted(path))") }
                let child = retryingOnInterrupt { openat(target, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
                guard child >= 0 else { throw error(errno, "cannot open the host directory for \(quoted(path))") }
                defer { close(child) }
                let inside = retryingOnInterrupt { openat(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
                guard inside >= 0 else { throw error(errno, "cannot open \(quoted(path)) inside the container") }
                defer { close(inside) }
                try copyTreeOut(from: inside, to: child, display: path)
                _ = fchmod(child, info.st_mode & 0o1777)
            case S_IFREG:
                let input = retryingOnInterrupt { openat(directory, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC) }
                guard input >= 0 else { throw error(errno, "cannot open \(quoted(path)) inside the container") }
                defer { close(input) }
                try writeHostFile(name, in: target, display: path, mode: info.st_mode) { output in
                    try copyBytes(from: input, to: output, display: path)
                }
            case S_IFLNK:
                let text = try Self.linkTarget(directory, name, display: path, root: self)
                var existing = stat()
                if fstatat(target, name, &existing, AT_SYMLINK_NOFOLLOW) == 0 {
                    try Self.removeHostTree(name, in: target, isDirectory: existing.st_mode & S_IFMT == S_IFDIR, root: self)
                }
                if symlinkat(text, target, name) != 0 { throw error(errno, "cannot make the host's symbolic link for \(quoted(path))") }
            default:
                throw refuse(.unsupported, EOPNOTSUPP,
                             "\(quoted(path)) inside the container is \(Self.describe(info.st_mode)); only files, directories and symbolic links are copied")
            }
        }
    }

    /// Writes a host file `name` in `directory` (a symbolic link there is replaced, never
    /// followed), owned by the caller, with `mode` less the set-id bits.
    func writeHostFile(_ name: String, in directory: Int32, display: String, mode: mode_t, _ fill: (Int32) throws -> Void) throws {
        let flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC
        var fd = retryingOnInterrupt { openat(directory, name, flags, 0o600) }
        if fd < 0 && errno == ELOOP {
            if unlinkat(directory, name, 0) != 0 { throw error(errno, "cannot replace the host's symbolic link \(quoted(name))") }
            fd = retryingOnInterrupt { openat(directory, name, flags | O_EXCL, 0o600) }
        }
        guard fd >= 0 else { throw error(errno, "cannot open the host file for \(quoted(display))") }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) != 0 { throw error(errno, "cannot read the status of the host file for \(quoted(display))") }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw refuse(.invalidArgument, EINVAL, "the host's \(quoted(name)) is not a regular file")
        }
        if ftruncate(fd, 0) != 0 { throw error(errno, "cannot empty the host file for \(quoted(display))") }
        try fill(fd)
        if fchmod(fd, mode & 0o1777) != 0 { throw error(errno, "cannot set the mode of the host file for \(quoted(display))") }
    }

    func copyBytes(from input: Int32, to output: Int32, display: String) throws {
        let chunk = 65_536
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: chunk) { buffer in
            guard let base = buffer.baseAddress else { return }
            while true {
                let got = retryingOnInterrupt { read(input, base, chunk) }
                if got < 0 { throw error(errno, "cannot read \(quoted(display))") }
                if got == 0 { return }
                if let code = writeAll(fd: output, Array(UnsafeBufferPointer(start: base, count: got))) {
                    throw error(code, "cannot write \(quoted(display))")
                }
            }
        }
    }

    // MARK: small helpers

    /// The parent directory and the last component of an absolute path: ("/etc", "hostname").
    static func split(_ path: String) -> (String, String) {
        let components = path.split(separator: "/").map(String.init)
        guard let last = components.last else { return ("/", "") }
        return ("/" + components.dropLast().joined(separator: "/"), last)
    }

    /// The entries of an open directory other than `.` and `..`, with their status (not
    /// following links).
    static func entries(of directory: Int32, display: String) throws -> [(String, stat)] {
        let copy = retryingOnInterrupt { openat(directory, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard copy >= 0, let stream = fdopendir(copy) else {
            let code = errno
            throw LXCError(operation: "copy", message: "cannot list \(quoted(display)): \(errnoPhrase(code))",
                           code: code, kind: kind(of: code))
        }
        defer { closedir(stream) }
        var result: [(String, stat)] = []
        while let entry = readdir(stream) {
            let name = entryName(entry)
            if name == "." || name == ".." { continue }
            var info = stat()
            if fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 { result.append((name, info)) }
        }
        return result.sorted { $0.0 < $1.0 }
    }

    static func linkTarget(_ directory: Int32, _ name: String, display: String, root: ContainerRoot) throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlinkat(directory, name, &buffer, buffer.count - 1)
        if count < 0 { throw root.error(errno, "cannot read the symbolic link \(quoted(display))") }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Removes a host entry (a directory with everything in it), never following links.
    static func removeHostTree(_ name: String, in directory: Int32, isDirectory: Bool, root: ContainerRoot) throws {
        if isDirectory {
            let child = retryingOnInterrupt { openat(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            if child >= 0 {
                defer { close(child) }
                for (entry, info) in try entries(of: child, display: name) {
                    try removeHostTree(entry, in: child, isDirectory: info.st_mode & S_IFMT == S_IFDIR, root: root)
                }
            }
        }
        if unlinkat(directory, name, isDirectory ? AT_REMOVEDIR : 0) != 0 && errno != ENOENT {
            throw root.error(errno, "cannot remove the host's \(quoted(name))")
        }
    }

    static func describe(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a directory"
        case S_IFLNK: "a symbolic link"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFIFO: "a FIFO"
        case S_IFSOCK: "a socket"
        default: "a regular file"
        }
    }
}
