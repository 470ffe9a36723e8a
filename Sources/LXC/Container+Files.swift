import CLXC
import Glibc

extension Container {
    // MARK: files in and out

    /// Copies a file or a directory tree from the host into the container, running or stopped.
    ///
    /// A running container is reached through its init's root (`/proc/<init>/root`), so the
    /// file appears in the container's own mounts at once; a stopped container's root
    /// filesystem is written directly (a directory, or an overlay's upper layer). The
    /// destination follows `cp -r`: when `containerPath` is an existing directory, the source
    /// goes into it under its own name; otherwise it is created (its parent must exist).
    /// Directories are merged with what is there, files replaced, symbolic links copied as
    /// links; devices, FIFOs and sockets are refused.
    ///
    /// Paths inside the container are resolved the way `openat2(RESOLVE_IN_ROOT)` does: `..`
    /// stops at the container's root, and a symbolic link in the container
    /// (`/etc/passwd-link -> /etc`, or `-> ../../..`) is followed as the container's programs
    /// would follow it, to the container's file, never the host's. Inside a copied tree, and
    /// in a stopped overlay's upper layer, no link is followed: one in the way is replaced.
    ///
    /// The files get `owner` (ids inside the container, shifted through the container's id
    /// maps for an unprivileged container: the container's root is its mapped host id) and
    /// the host files' modes, or `mode` for the top file or directory. liblxc has no call for
    /// this; the library copies with `openat2` itself.
    ///
    /// An ordinary user may not give files to its containers' mapped ids from the host. For
    /// such a caller and a running container, single files (``push(_:to:owner:mode:)-9j4rd``,
    /// ``pull(_:to:)-1xszw``, ``write(_:to:mode:owner:)-48wye``, ``contents(of:)-5u7jz``) are
    /// moved by a process that liblxc's `c->attach` puts inside the container, as its root:
    /// paths resolve as the container's programs resolve them, and the owner is given in the
    /// container's own ids. Directory trees, and stopped containers, still need root
    /// (``LXCError/Kind/unsupported`` and ``LXCError/Kind/permissionDenied``).
    ///
    /// ```swift
    /// try container.push("/srv/job/input.csv", to: "/tmp/input.csv")
    /// try container.push("/srv/job/scripts", to: "/opt", owner: FileOwner(userID: 1000, groupID: 1000))
    /// ```
    ///
    /// - Parameters:
    ///   - hostPath: a file or directory on the host.
    ///   - containerPath: an absolute path inside the container.
    ///   - owner: the owner inside the container of everything copied; its root by default.
    ///   - mode: the permission bits of the top file or directory; the host's when nil.
    /// - Throws: ``LXCError``: ``LXCError/Kind/invalidArgument`` for a relative path, one that
    ///   goes above the container's root with `..`, a destination that is not a regular file
    ///   (or directory, for a tree), or an owner the id maps do not map;
    ///   ``LXCError/Kind/notFound`` for a missing host file, destination parent or container;
    ///   ``LXCError/Kind/permissionDenied`` when the caller may not write there or give the
    ///   owner (an ordinary user cannot give files to its containers' mapped ids);
    ///   ``LXCError/Kind/unsupported`` for a stopped container on a backing store that is
    ///   mounted only while it runs (loop, lvm, zfs, rbd: start it first), or a device,
    ///   FIFO or socket in the tree.
    public func push(_ hostPath: String, to containerPath: String, owner: FileOwner = .root, mode: mode_t? = nil) throws {
        let operation = "push"
        try Validate.path(hostPath, what: "host path", operation: operation, container: name)
        try Validate.containerPath(containerPath, operation: operation, container: name)
        let source = retryingOnInterrupt { open(hostPath, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC) }
        guard source >= 0 else { throw hostError(operation, errno, "cannot open the host's \(quoted(hostPath))") }
        defer { close(source) }
        var info = stat()
        if fstat(source, &info) != 0 { throw hostError(operation, errno, "cannot read the status of the host's \(quoted(hostPath))") }
        let type = info.st_mode & S_IFMT
        guard type == S_IFREG || type == S_IFDIR else {
            throw LXCError(operation: operation, container: name,
                           message: "the host's \(quoted(hostPath)) is \(ContainerRoot.describe(info.st_mode)); only files and directories are copied",
                           code: EOPNOTSUPP, kind: .unsupported)
        }
        let sourceName = ContainerRoot.split(hostPath).1
        if insideFileTransferPID() != nil {
            guard type == S_IFREG else { throw treeInsideUnsupported(operation, hostPath) }
            let leaf = sourceName.isEmpty || sourceName == "." || sourceName == ".." ? nil : sourceName
            try writeInside(operation, path: containerPath, leaf: leaf, from: source, mode: mode ?? info.st_mode, owner: owner)
            return
        }
        try withContainerRoot(operation) { root in
            var target = containerPath
            if let existing = try root.find(target) {
                close(existing.fd)
                if existing.info.st_mode & S_IFMT == S_IFDIR && !sourceName.isEmpty && sourceName != "." && sourceName != ".." {
                    target = (target.hasSuffix("/") ? target : target + "/") + sourceName
                }
            }
            let topMode = mode ?? info.st_mode
            if type == S_IFREG {
                try root.writeFile(at: target, owner: owner, mode: topMode) { output in
                    try root.copyBytes(from: source, to: output, display: hostPath)
                }
                return
            }
            let (parentPath, leaf) = ContainerRoot.split(target)
            if leaf.isEmpty {
                // Into the container's root itself, which keeps its owner and mode.
                let directory = root.open("/", in: root.writable, flags: O_RDONLY | O_DIRECTORY)
                guard directory >= 0 else { throw root.error(errno, "cannot open the container's root directory") }
                defer { close(directory) }
                try root.copyTreeIn(from: source, to: directory, display: "", owner: owner)
                return
            }
            let parent = root.isOverlay
                ? try root.writableDirectory(parentPath)
                : root.open(parentPath, in: root.writable, flags: O_PATH | O_DIRECTORY)
            guard parent >= 0 else { throw root.error(errno, "cannot open the directory \(quoted(parentPath)) inside the container") }
            defer { close(parent) }
            if mkdirat(parent, leaf, 0o700) != 0 && errno != EEXIST {
                throw root.error(errno, "cannot make the directory \(quoted(target)) inside the container")
            }
            let directory = retryingOnInterrupt { openat(parent, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            guard directory >= 0 else {
                let code = errno
                throw root.refuse(ContainerRoot.kind(of: code == ELOOP ? EINVAL : code), code,
                                  "cannot open \(quoted(target)) inside the container as a directory: \(errnoPhrase(code == ELOOP ? ENOTDIR : code))")
            }
            defer { close(directory) }
            try root.setOwnerAndMode(fd: directory, owner, 0o700, target)
            try root.copyTreeIn(from: source, to: directory, display: target, owner: owner)
            try root.setOwnerAndMode(fd: directory, owner, topMode, target)
        }
    }

    /// Copies a file or a directory tree out of the container, running or stopped, to the
    /// host.
    ///
    /// The destination follows `cp -r`: when `hostPath` is an existing directory, the copy
    /// goes into it under its own name. The copies belong to the caller and keep their
    /// permission bits, without set-user-id and set-group-id (a container cannot hand the
    /// host a set-user-id program that way); symbolic links inside a copied tree are copied
    /// as links, never followed. `containerPath` is resolved inside the container's root as
    /// for ``push(_:to:owner:mode:)-9j4rd``. For a stopped overlay container a file is read from
    /// the upper layer, else from the lower one; a tree is the lower layer's with the upper
    /// one's over it. liblxc has no call for this; the library copies with `openat2` itself.
    ///
    /// ```swift
    /// try container.pull("/var/log/job.log", to: "/srv/job/")
    /// ```
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/notFound`` when nothing is at `containerPath`
    ///   (or the host's parent directory is missing); ``LXCError/Kind/invalidArgument`` for a
    ///   relative path or one that goes above the container's root;
    ///   ``LXCError/Kind/unsupported`` as for ``push(_:to:owner:mode:)-9j4rd``.
    public func pull(_ containerPath: String, to hostPath: String) throws {
        let operation = "pull"
        try Validate.containerPath(containerPath, operation: operation, container: name)
        try Validate.path(hostPath, what: "host path", operation: operation, container: name)
        if insideFileTransferPID() != nil {
            try pullInside(containerPath, to: hostPath, operation: operation)
            return
        }
        try withContainerRoot(operation) { root in
            guard let found = try root.find(containerPath) else { throw missingInside(operation, containerPath) }
            close(found.fd)
            var target = hostPath
            var hostInfo = stat()
            let leafName = ContainerRoot.split(containerPath).1
            if stat(hostPath, &hostInfo) == 0 && hostInfo.st_mode & S_IFMT == S_IFDIR && !leafName.isEmpty {
                target = (hostPath.hasSuffix("/") ? hostPath : hostPath + "/") + leafName
            }
            let (hostParent, hostLeaf) = target.hasPrefix("/") ? ContainerRoot.split(target) : Self.splitRelative(target)
            let parent = retryingOnInterrupt { open(hostParent, O_PATH | O_DIRECTORY | O_CLOEXEC) }
            guard parent >= 0 else { throw hostError(operation, errno, "cannot open the host directory \(quoted(hostParent))") }
            defer { close(parent) }
            switch found.info.st_mode & S_IFMT {
            case S_IFREG:
                let input = root.open(containerPath, in: found.layer, flags: O_RDONLY | O_NONBLOCK | O_NOCTTY)
                guard input >= 0 else { throw root.error(errno, "cannot open \(quoted(containerPath)) inside the container") }
                defer { close(input) }
                guard !hostLeaf.isEmpty else { throw hostError(operation, EISDIR, "the host's \(quoted(hostPath)) is a directory") }
                try root.writeHostFile(hostLeaf, in: parent, display: containerPath, mode: found.info.st_mode) { output in
                    try root.copyBytes(from: input, to: output, display: containerPath)
                }
            case S_IFDIR:
                let hostDirectory: Int32
                if hostLeaf.isEmpty {
                    hostDirectory = retryingOnInterrupt { openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
                } else {
                    if mkdirat(parent, hostLeaf, 0o700) != 0 && errno != EEXIST {
                        throw hostError(operation, errno, "cannot make the host directory \(quoted(target))")
                    }
                    hostDirectory = retryingOnInterrupt { openat(parent, hostLeaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
                }
                guard hostDirectory >= 0 else { throw hostError(operation, errno, "cannot open the host directory \(quoted(target))") }
                defer { close(hostDirectory) }
                // Lower layer first, so that the upper one's files and deletions win.
                for layer in root.layers.reversed() {
                    let inside = root.open(containerPath, in: layer, flags: O_RDONLY | O_DIRECTORY)
                    if inside < 0 {
                        if errno == ENOENT || errno == ENOTDIR { continue }
                        throw root.error(errno, "cannot open \(quoted(containerPath)) inside the container")
                    }
                    defer { close(inside) }
                    try root.copyTreeOut(from: inside, to: hostDirectory, display: containerPath == "/" ? "" : containerPath)
                }
                if !hostLeaf.isEmpty { _ = fchmod(hostDirectory, found.info.st_mode & 0o1777) }
            default:
                throw LXCError(operation: operation, container: name,
                               message: "\(quoted(containerPath)) inside the container is \(ContainerRoot.describe(found.info.st_mode)); only files and directories are copied",
                               code: EOPNOTSUPP, kind: .unsupported)
            }
        }
    }

    /// Writes `bytes` as the file `containerPath` inside the container, running or stopped,
    /// replacing its contents if it exists.
    ///
    /// The path is resolved inside the container's root as for ``push(_:to:owner:mode:)-9j4rd``; the
    /// file gets `owner` (ids inside the container, shifted through its id maps) and `mode`.
    /// liblxc has no call for this; the library writes with `openat2` itself.
    ///
    /// ```swift
    /// try container.write(Array("nameserver 198.51.100.1\n".utf8), to: "/etc/resolv.conf")
    /// ```
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/notFound`` when the parent directory is
    ///   missing; ``LXCError/Kind/invalidArgument`` for a relative path, one that goes above
    ///   the container's root, or something other than a regular file at the path; the rest
    ///   as for ``push(_:to:owner:mode:)-9j4rd``.
    public func write(_ bytes: [UInt8], to containerPath: String, mode: mode_t = 0o644, owner: FileOwner = .root) throws {
        let operation = "write"
        try Validate.containerPath(containerPath, operation: operation, container: name)
        if insideFileTransferPID() != nil {
            let fd = try memoryFile(operation, holding: bytes)
            defer { close(fd) }
            try writeInside(operation, path: containerPath, from: fd, mode: mode, owner: owner)
            return
        }
        try withContainerRoot(operation) { root in
            try root.writeFile(at: containerPath, owner: owner, mode: mode) { fd in
                if let code = writeAll(fd: fd, bytes) { throw root.error(code, "cannot write \(quoted(containerPath))") }
            }
        }
    }

    /// The bytes of the file `containerPath` inside the container, running or stopped.
    ///
    /// The path is resolved inside the container's root as for ``push(_:to:owner:mode:)-9j4rd``.
    /// The whole file is read into memory: copy a large one with ``pull(_:to:)-1xszw``.
    /// liblxc has no call for this; the library reads with `openat2` itself.
    ///
    /// ```swift
    /// let hostname = String(decoding: try container.contents(of: "/etc/hostname"), as: UTF8.self)
    /// ```
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/notFound`` when there is no such file;
    ///   ``LXCError/Kind/invalidArgument`` for a directory or other non-file, a relative path
    ///   or one that goes above the container's root.
    public func contents(of containerPath: String) throws -> [UInt8] {
        let operation = "contents"
        try Validate.containerPath(containerPath, operation: operation, container: name)
        if insideFileTransferPID() != nil {
            return try readInside(operation, path: containerPath).bytes
        }
        return try withContainerRoot(operation) { root in
            guard let found = try root.find(containerPath) else { throw missingInside(operation, containerPath) }
            close(found.fd)
            guard found.info.st_mode & S_IFMT == S_IFREG else {
                throw root.refuse(.invalidArgument, found.info.st_mode & S_IFMT == S_IFDIR ? EISDIR : EINVAL,
                                  "\(quoted(containerPath)) inside the container is \(ContainerRoot.describe(found.info.st_mode)), not a regular file")
            }
            let fd = root.open(containerPath, in: found.layer, flags: O_RDONLY | O_NONBLOCK | O_NOCTTY)
            guard fd >= 0 else { throw root.error(errno, "cannot open \(quoted(containerPath)) inside the container") }
            defer { close(fd) }
            guard let bytes = readBytesToEnd(fd: fd, from: nil) else { throw root.error(errno, "cannot read \(quoted(containerPath))") }
            return bytes
        }
    }

    // MARK: reaching the root

    /// Runs `body` with the container's root opened: a running container's through
    /// `/proc/<init>/root`; a stopped one's root filesystem under the container's lock, so
    /// that no destroy or rename runs meanwhile.
    func withContainerRoot<R>(_ operation: String, _ body: (ContainerRoot) throws -> R) throws -> R {
        try requireDefined(operation)
        let maps = try idMaps()
        if let pid = initPID {
            return try body(ContainerRoot(paths: ["/proc/\(pid)/root"], maps: maps, operation: operation, container: name))
        }
        return try withDirectoryLock(operation: operation) {
            if let pid = initPID {
                return try body(ContainerRoot(paths: ["/proc/\(pid)/root"], maps: maps, operation: operation, container: name))
            }
            return try body(ContainerRoot(paths: try stoppedRootLayers(operation), maps: maps, operation: operation, container: name))
        }
    }

    /// The directories of a stopped container's root filesystem, from `lxc.rootfs.path` in
    /// its configuration file: one for a directory (`dir:`, `btrfs:` or a plain path); the
    /// upper then the lower layer of an `overlay:LOWER:UPPER`.
    func stoppedRootLayers(_ operation: String) throws -> [String] {
        guard let file = configFileName, let text = readWholeFile(file),
              let value = Self.lastConfigValue("lxc.rootfs.path", in: text), !value.isEmpty
        else {
            throw LXCError(operation: operation, container: name,
                           message: "the container has no root filesystem (no lxc.rootfs.path in its configuration)",
                           code: ENOENT, kind: .notFound)
        }
        if value.hasPrefix("/") { return [value] }
        let parts = value.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch parts[0] {
        case "dir", "btrfs":
            return [parts.dropFirst().joined(separator: ":")]
        case "overlay", "overlayfs":
            if parts.count == 3 && parts[1].hasPrefix("/") && parts[2].hasPrefix("/") { return [parts[2], parts[1]] }
            throw LXCError(operation: operation, container: name,
                           message: "the overlay root filesystem \(quoted(value)) has more layers than a lower and an upper one; start the container to copy files",
                           code: EOPNOTSUPP, kind: .unsupported)
        default:
            throw LXCError(operation: operation, container: name,
                           message: "the container's root filesystem is on a \(quoted(parts[0])) backing store, which liblxc mounts only while the container runs; start it to copy files",
                           code: EOPNOTSUPP, kind: .unsupported)
        }
    }

    func hostError(_ operation: String, _ code: Int32, _ what: String) -> LXCError {
        LXCError(operation: operation, container: name, message: "\(what): \(errnoPhrase(code))",
                 code: code, kind: ContainerRoot.kind(of: code))
    }

    func missingInside(_ operation: String, _ path: String) -> LXCError {
        LXCError(operation: operation, container: name, message: "there is no \(quoted(path)) inside the container",
                 code: ENOENT, kind: .notFound)
    }

    /// ``pull(_:to:)-1xszw`` of a single file through a process inside the container.
    private func pullInside(_ containerPath: String, to hostPath: String, operation: String) throws {
        let found: (mode: mode_t, bytes: [UInt8])
        do {
            found = try readInside(operation, path: containerPath)
        } catch let error as LXCError where error.code == EISDIR {
            throw treeInsideUnsupported(operation, containerPath)
        }
        var target = hostPath
        var hostInfo = stat()
        let leafName = ContainerRoot.split(containerPath).1
        if stat(hostPath, &hostInfo) == 0 && hostInfo.st_mode & S_IFMT == S_IFDIR && !leafName.isEmpty {
            target = (hostPath.hasSuffix("/") ? hostPath : hostPath + "/") + leafName
        }
        let fd = retryingOnInterrupt { open(target, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0o600) }
        guard fd >= 0 else { throw hostError(operation, errno, "cannot open the host file \(quoted(target))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw hostError(operation, EINVAL, "the host's \(quoted(target)) is not a regular file")
        }
        if ftruncate(fd, 0) != 0 { throw hostError(operation, errno, "cannot empty the host file \(quoted(target))") }
        if let code = writeAll(fd: fd, found.bytes) { throw hostError(operation, code, "cannot write the host file \(quoted(target))") }
        // Without set-user-id and set-group-id, as for root's copies.
        if fchmod(fd, found.mode & 0o1777) != 0 { throw hostError(operation, errno, "cannot set the mode of \(quoted(target))") }
    }

    /// ("dir", "file") for "dir/file"; (".", "file") for "file".
    static func splitRelative(_ path: String) -> (String, String) {
        let components = path.split(separator: "/").map(String.init)
        guard let last = components.last else { return (".", "") }
        return (components.count == 1 ? "." : components.dropLast().joined(separator: "/"), last)
    }
}

extension Container {
    // MARK: async forms

    /// Copies a file or tree into the container without blocking the caller's thread; see
    /// ``push(_:to:owner:mode:)-9j4rd``.
    public func push(_ hostPath: String, to containerPath: String, owner: FileOwner = .root, mode: mode_t? = nil) async throws {
        try await offload { try self.push(hostPath, to: containerPath, owner: owner, mode: mode) }
    }

    /// Copies a file or tree out of the container without blocking the caller's thread; see
    /// ``pull(_:to:)-1xszw``.
    public func pull(_ containerPath: String, to hostPath: String) async throws {
        try await offload { try self.pull(containerPath, to: hostPath) }
    }

    /// Writes a file inside the container without blocking the caller's thread; see
    /// ``write(_:to:mode:owner:)-48wye``.
    public func write(_ bytes: [UInt8], to containerPath: String, mode: mode_t = 0o644, owner: FileOwner = .root) async throws {
        try await offload { try self.write(bytes, to: containerPath, mode: mode, owner: owner) }
    }

    /// Reads a file inside the container without blocking the caller's thread; see
    /// ``contents(of:)-5u7jz``.
    public func contents(of containerPath: String) async throws -> [UInt8] {
        try await offload { try self.contents(of: containerPath) }
    }
}

extension Validate {
    /// A path inside a container: absolute, no NUL, and not going above the container's
    /// root with `..` (the kernel would stop it there; a path that tries is refused).
    static func containerPath(_ path: String, operation: String, container: String?) throws {
        if path.isEmpty { throw LXCError.invalid(operation, container, "the path inside the container is empty") }
        try noNUL(path, what: "the path inside the container", operation: operation, container: container)
        guard path.hasPrefix("/") else {
            throw LXCError.invalid(operation, container, "the path inside the container \(quoted(path)) is not absolute; start it with \"/\"")
        }
        var depth = 0
        for component in path.split(separator: "/") {
            if component == ".." {
                depth -= 1
                if depth < 0 {
                    throw LXCError.invalid(operation, container, "the path \(quoted(path)) goes above the container's root with \"..\"")
                }
            } else if component != "." {
                depth += 1
            }
        }
    }
}
