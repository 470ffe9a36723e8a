import CLXC
import Glibc

extension Container {
    /// The value of a configuration item, as loaded on this handle.
    ///
    /// The first read goes into a stack buffer, so a value of ordinary length costs one call
    /// into liblxc. The corresponding liblxc call is `c->get_config_item`.
    ///
    /// ```swift
    /// let rootfs = try container.configItem("lxc.rootfs.path")
    /// ```
    ///
    /// - Returns: the value (`""` when the item is empty), or nil when liblxc has no such
    ///   item on this handle (a network index that is not configured, say, or no
    ///   configuration loaded).
    /// - Throws: ``LXCError/Kind/invalidArgument`` for a key that is malformed or that liblxc
    ///   does not know.
    public func configItem(_ key: String) throws -> String? {
        try Validate.configKey(key, operation: Operation.configItem.name, container: nil)
        let value = try query(.configItem, \.get_config_item) { get, pointer in
            key.withCString { key in
                readSizedCString { buffer, length in get(pointer, key, buffer, length) }
            }
        }
        if let value { return value }
        if !Validate.configKeyIsKnown(key) {
            throw unknownKeyError(Operation.configItem.name, key)
        }
        return nil
    }

    /// Sets a configuration item on this handle; ``saveConfig(to:)-6j074`` writes it to the
    /// configuration file.
    ///
    /// Values with a line break or NUL byte are refused: liblxc writes values into the
    /// configuration file as they are, so `"x\nlxc.mount.entry = …"` would add a line.
    /// An empty value clears the item. The corresponding liblxc call is `c->set_config_item`.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/invalidArgument`` for a malformed or unknown
    ///   key or a value with a line break, or for an `lxc.include` of something other than a
    ///   regular file or directory (a FIFO, `/dev/zero`: liblxc would never return), also
    ///   further down its own includes; ``LXCError/Kind/failed`` when liblxc refuses the
    ///   value, with its log lines.
    public func setConfigItem(_ key: String, to value: String) throws {
        let operation = Operation.setConfigItem.name
        try Validate.configKey(key, operation: operation, container: name)
        try Validate.configValue(value, key: key, operation: operation, container: name)
        if key == "lxc.include" && !value.isEmpty {
            try Validate.configSource(value, what: "the included file \(quoted(value))", operation: operation, container: name)
        }
        try liblxc(.setConfigItem, \.set_config_item, .configWrite) { set, pointer in
            set(pointer, key, value)
        } then: { done, call in
            if done {
                if key == "lxc.log.file" { call.handle.configurationReplaced() }
                return
            }
            if !Validate.configKeyIsKnown(key) { throw unknownKeyError(operation, key) }
            throw call.failure(kind: .invalidArgument, "liblxc refused the value \(quoted(value)) for \(key)")
        }
    }

    /// Removes a configuration item (for keys that list values, such as `lxc.net` or
    /// `lxc.mount.entry`, all of them) from this handle.
    ///
    /// The corresponding liblxc call is `c->clear_config_item`.
    ///
    /// - Throws: ``LXCError/Kind/invalidArgument`` for a malformed or unknown key.
    public func clearConfigItem(_ key: String) throws {
        let operation = Operation.clearConfigItem.name
        try Validate.configKey(key, operation: operation, container: name)
        if try query(.clearConfigItem, \.clear_config_item, .configWrite, { clear, pointer in clear(pointer, key) }) { return }
        if !Validate.configKeyIsKnown(key) { throw unknownKeyError(operation, key) }
        throw LXCError(operation: operation, container: name, message: "liblxc could not clear \(key)")
    }

    /// The configuration keys liblxc offers under `prefix`.
    ///
    /// With an empty prefix, every key liblxc knows; with a network prefix such as
    /// `"lxc.net.0"`, the keys that apply to that interface's type. The corresponding
    /// liblxc call is `c->get_keys`.
    ///
    /// - Throws: ``LXCError`` when liblxc cannot list keys under `prefix`.
    public func configKeys(prefix: String = "") throws -> [String] {
        let operation = Operation.configKeys.name
        if !prefix.isEmpty { try Validate.configKey(prefix, operation: operation, container: name) }
        let text = try query(.configKeys, \.get_keys) { getKeys, pointer in
            withOptionalCString(prefix.isEmpty ? nil : prefix) { key in
                readSizedCString { buffer, length in getKeys(pointer, key, buffer, length) }
            }
        }
        guard let text else {
            throw LXCError(operation: operation, container: name,
                           message: "liblxc has no keys under \(quoted(prefix))", kind: .notFound)
        }
        return text.split(separator: "\n").map(String.init)
    }

    /// The value of a configuration item in the running container, which may differ from
    /// the configuration loaded on this handle.
    ///
    /// liblxc asks the container's monitor through its command socket. The corresponding
    /// liblxc call is `c->get_running_config_item`.
    ///
    /// - Returns: the value, or nil when the running container has none for `key`.
    /// - Throws: ``LXCError/Kind/wrongState`` when the container is not running;
    ///   ``LXCError/Kind/invalidArgument`` for a malformed key.
    public func runningConfigItem(_ key: String) throws -> String? {
        let operation = Operation.runningConfigItem.name
        try Validate.configKey(key, operation: operation, container: name)
        let value = try query(.runningConfigItem, \.get_running_config_item) { get, pointer in
            takeOwnedCString(get(pointer, key))
        }
        if let value { return value }
        try requireRunning(operation)
        if !Validate.configKeyIsKnown(key) { throw unknownKeyError(operation, key) }
        return nil
    }

    /// Replaces the configuration loaded on this handle with the one in `path` (the
    /// container's own configuration file when nil).
    ///
    /// The file, and every file it includes with `lxc.include`, must be a regular file (an
    /// included directory stands for its `*.conf` files): liblxc reads a configuration to its
    /// end, so a FIFO or `/dev/zero` would never let it return. The corresponding liblxc call
    /// is `c->load_config`.
    ///
    /// - Throws: ``LXCError`` when the file does not exist or does not parse;
    ///   ``LXCError/Kind/invalidArgument`` for a file (or an included one) that is not a
    ///   regular file or directory.
    public func loadConfig(from path: String? = nil) throws {
        let operation = Operation.loadConfig.name
        if let path { try Validate.path(path, what: "configuration file", operation: operation, container: name) }
        let handle = handle
        try requireMember(.loadConfig, \.load_config)
        let file = path ?? configFileName ?? ""
        if !fileExists(file) {
            throw LXCError(operation: operation, container: name,
                           message: "there is no configuration file at \(quoted(file))", code: ENOENT, kind: .notFound)
        }
        var info = stat()
        if stat(file, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR {
            throw LXCError(operation: operation, container: name,
                           message: "the configuration file \(quoted(file)) is a directory", code: EISDIR, kind: .invalidArgument)
        }
        try Validate.configSource(file, what: "the configuration file \(quoted(file))", operation: operation, container: name)
        defer { handle.configurationReplaced() }
        try liblxc(.loadConfig, \.load_config, on: handle) { load, pointer in
            load(pointer, path)
        } then: { loaded, call in
            if !loaded { throw call.failure("liblxc could not load \(quoted(file))") }
        }
    }

    /// Writes the configuration loaded on this handle to `path`, or to the container's
    /// configuration file when nil, atomically: a full disk or a crash leaves the old file
    /// whole.
    ///
    /// liblxc writes the file in place (it truncates it, then ignores a short write), so on a
    /// full disk it reported success and left a file cut inside a key, which made the
    /// container impossible to open, list or destroy. The library therefore lets liblxc write
    /// the text into a memory file (`/proc/self/fd/N` of a `memfd`), and writes it to a new
    /// file beside the destination itself: in full, checked, fsynced, renamed over the old
    /// file, and the directory fsynced. The old file's mode (and owner, for root) is kept; a
    /// new file is made with liblxc's mode, 0660 minus the umask. As with liblxc, the
    /// container's directory is made when it is missing, so a configuration can be saved
    /// before ``create(template:backingStore:specs:options:arguments:)-vs3``. A symbolic link,
    /// directory or other non-regular file at the destination is refused: the configuration
    /// is never written through a link. The corresponding liblxc call is `c->save_config`.
    ///
    /// - Throws: ``LXCError``, with the `errno` as ``LXCError/code``, when the file cannot be
    ///   written (`ENOSPC`: "no space left on device"); the old file is then unchanged and no
    ///   temporary file is left. ``LXCError/Kind/invalidArgument`` for a destination that is
    ///   not a regular file.
    public func saveConfig(to path: String? = nil) throws {
        let operation = Operation.saveConfig.name
        if let path { try Validate.path(path, what: "configuration file", operation: operation, container: name) }
        try requireMember(.saveConfig, \.save_config)
        let ownFile = configFileName
        guard let destination = path ?? ownFile else {
            throw LXCError(operation: operation, container: name,
                           message: "liblxc has no configuration file name for this container", code: EINVAL,
                           kind: .invalidArgument)
        }
        let place = ConfigFilePlace(destination, own: destination == ownFile)
        try place.refuseNonRegularFile(operation, container: name)

        let memory = clxc_memfd_create("swift-lxc-config")
        guard memory >= 0 else {
            let code = errno
            throw LXCError(operation: operation, container: name,
                           message: "could not make a memory file for liblxc to write the configuration into: \(errnoPhrase(code))",
                           code: code)
        }
        defer { close(memory) }
        let bytes = try liblxc(.saveConfig, \.save_config, .userNamespaceHelpers) { save, pointer in
            errno = 0
            let saved = save(pointer, "/proc/self/fd/\(memory)")
            return (saved, errno)
        } then: { (result: (saved: Bool, code: Int32), call) -> [UInt8] in
            if result.saved {
                guard let bytes = readBytesToEnd(fd: memory, from: 0) else {
                    let code = errno
                    throw LXCError(operation: operation, container: name,
                                   message: "could not read back the configuration liblxc wrote: \(errnoPhrase(code))",
                                   code: code)
                }
                return bytes
            }
            let code = result.code
            // An unprivileged user's save hands the container's directory to the container's
            // root through newuidmap, which fails when the maps are not the user's to give.
            if geteuid() != 0, case let problems = UnprivilegedSetup.problems(maps: (try? idMaps()) ?? [], includingCgroups: false),
               !problems.isEmpty {
                throw call.failure(kind: .permissionDenied,
                              "liblxc could not hand the container's directory to the container's root: "
                                  + problems.joined(separator: "; "))
            }
            var error = call.failure(
                                "liblxc could not write the configuration for \(quoted(destination))"
                                    + (code != 0 ? ": \(errnoPhrase(code))" : ""))
            if code != 0 { error.code = code }
            throw error
        }
        if place.own {
            try withDirectoryLock(operation: operation) { try place.replace(with: bytes, operation, container: name) }
        } else {
            try place.replace(with: bytes, operation, container: name)
        }
    }

    /// Drops the configuration loaded on this handle; nothing on disk changes.
    ///
    /// The corresponding liblxc call is `c->clear_config`.
    public func clearConfig() {
        handle.clearConfiguration()
    }

    func unknownKeyError(_ operation: String, _ key: String) -> LXCError {
        LXCError(operation: operation, container: name,
                 message: "\(quoted(key)) is not a configuration key liblxc \(LXC.version) knows",
                 code: EINVAL, kind: .invalidArgument)
    }
}

// MARK: liblxc's names

extension Container {
    @available(*, unavailable, renamed: "configItem(_:)")
    public func get_config_item(_ key: String) throws -> String? { try configItem(key) }

    @available(*, unavailable, renamed: "setConfigItem(_:to:)")
    public func set_config_item(_ key: String, _ value: String) throws { try setConfigItem(key, to: value) }

    @available(*, unavailable, renamed: "clearConfigItem(_:)")
    public func clear_config_item(_ key: String) throws { try clearConfigItem(key) }

    @available(*, unavailable, renamed: "configKeys(prefix:)")
    public func get_keys(_ prefix: String) throws -> [String] { try configKeys(prefix: prefix) }

    @available(*, unavailable, renamed: "runningConfigItem(_:)")
    public func get_running_config_item(_ key: String) throws -> String? { try runningConfigItem(key) }

    @available(*, unavailable, renamed: "loadConfig(from:)")
    public func load_config(_ path: String?) throws { try loadConfig(from: path) }

    @available(*, unavailable, renamed: "saveConfig(to:)")
    public func save_config(_ path: String?) throws { try saveConfig(to: path) }

    @available(*, unavailable, renamed: "clearConfig()")
    public func clear_config() { clearConfig() }
}

/// Where ``Container/saveConfig(to:)-6j074`` writes: the directory and the file's name in it.
private struct ConfigFilePlace {
    var path: String
    var directory: String
    var file: String
    /// The container's own configuration file, whose directory must not be a symbolic link.
    var own: Bool

    init(_ path: String, own: Bool) {
        self.path = path
        self.own = own
        if let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) {
            let parent = String(path[..<slash])
            directory = parent.isEmpty ? "/" : parent
            file = String(path[path.utf8.index(after: slash)...])
        } else {
            directory = "."
            file = path
        }
    }

    /// Refuses a path that names a directory, or something at it that is not a regular file,
    /// and a container directory that is a symbolic link, before liblxc is asked for anything.
    func refuseNonRegularFile(_ operation: String, container: String) throws {
        if file.isEmpty || file == "." || file == ".." {
            throw LXCError(operation: operation, container: container,
                           message: "the configuration file \(quoted(path)) names a directory, not a file",
                           code: EISDIR, kind: .invalidArgument)
        }
        var info = stat()
        // The container's own directory is never followed out of the lxcpath (liblxc's
        // save_config would make or chown what a link there points at).
        if own && lstat(directory, &info) == 0 && info.st_mode & S_IFMT != S_IFDIR {
            throw LXCError(operation: operation, container: container,
                           message: "the container's directory \(quoted(directory)) is \(info.st_mode & S_IFMT == S_IFLNK ? "a symbolic link" : "not a directory"); the configuration is not written through it",
                           code: info.st_mode & S_IFMT == S_IFLNK ? ELOOP : ENOTDIR, kind: .invalidArgument)
        }
        guard lstat(path, &info) == 0 else { return }
        let type = info.st_mode & S_IFMT
        if type == S_IFREG { return }
        let what = type == S_IFDIR ? "a directory" : type == S_IFLNK ? "a symbolic link" : "not a regular file"
        throw LXCError(operation: operation, container: container,
                       message: "\(quoted(path)) is \(what); the configuration is written only to a regular file (or a new one), never through a link",
                       code: type == S_IFDIR ? EISDIR : EINVAL, kind: .invalidArgument)
    }

    /// Writes `bytes` to a new file beside the old one and renames it over it
    /// (``replaceFileAtomically(named:in:with:newFileMode:)``).
    func replace(with bytes: [UInt8], _ operation: String, container: String) throws {
        let flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (own ? O_NOFOLLOW : 0)
        let fd = retryingOnInterrupt { open(directory, flags) }
        guard fd >= 0 else {
            let code = errno
            let why = own && (code == ELOOP || code == ENOTDIR)
                ? "the container's directory \(quoted(directory)) is a symbolic link or no directory"
                : "cannot open its directory \(quoted(directory)): \(errnoPhrase(code))"
            throw LXCError(operation: operation, container: container,
                           message: "could not save the configuration to \(quoted(path)): \(why); nothing was written",
                           code: code, kind: code == ENOENT ? .notFound : code == EACCES || code == EPERM ? .permissionDenied : .failed)
        }
        defer { close(fd) }
        do {
            // liblxc makes a new configuration file with 0660 (minus the umask).
            try replaceFileAtomically(named: file, in: fd, with: bytes, newFileMode: 0o660)
        } catch {
            let outcome = error.replaced
                ? "the new file is in place, but may not survive a crash"
                : "the old file is unchanged"
            let kind: LXCError.Kind = error.notRegularFile ? .invalidArgument
                : error.code == EACCES || error.code == EPERM ? .permissionDenied : .failed
            throw LXCError(operation: operation, container: container,
                           message: "could not save the configuration to \(quoted(path)): \(errnoPhrase(error.code)) (\(error.step)); \(outcome)",
                           code: error.code, kind: kind)
        }
    }
}

extension Validate {
    /// Refuses a configuration file for liblxc to read (``Container/loadConfig(from:)``, an
    /// `lxc.include`) that is neither a regular file nor a directory, and the same for every
    /// file it includes, before liblxc opens any of them.
    ///
    /// liblxc copies a configuration file into memory up to its end: a FIFO blocks it for
    /// ever, `/dev/zero` never ends (it spins a core and fills the memory). An included
    /// directory stands for its `*.conf` files. A file that includes itself (through any
    /// chain of includes) is refused as well: liblxc would recurse until its stack ran out.
    /// A path that does not exist is left to liblxc, which reports it.
    static func configSource(_ path: String, what: String, operation: String, container: String?) throws {
        var chain: [(dev_t, ino_t)] = []
        try configSource(path, what: what, chain: &chain, operation: operation, container: container)
    }

    private static func configSource(_ path: String, what: String, chain: inout [(dev_t, ino_t)],
                                     operation: String, container: String?) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            for file in configFilesOfIncludedDirectory(path) {
                var entry = stat()
                // liblxc reads each entry as a file; a directory among them fails at once.
                guard stat(file, &entry) == 0, entry.st_mode & S_IFMT != S_IFDIR else { continue }
                try configSource(file, what: "configuration file \(quoted(file)) (in the included directory \(quoted(path)))",
                                 chain: &chain, operation: operation, container: container)
            }
        case S_IFREG:
            if chain.contains(where: { $0 == (info.st_dev, info.st_ino) }) {
                throw LXCError(operation: operation, container: container,
                               message: "\(what) includes itself (through lxc.include); liblxc would read it in an endless loop",
                               code: ELOOP, kind: .invalidArgument)
            }
            let fd = retryingOnInterrupt { open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK) }
            guard fd >= 0 else { return }  // liblxc reports what it cannot open
            defer { close(fd) }
            // Still a regular file once open (it could have been swapped since the stat).
            var opened = stat()
            guard fstat(fd, &opened) == 0, opened.st_mode & S_IFMT == S_IFREG, let bytes = readBytesToEnd(fd: fd, from: nil)
            else {
                throw LXCError(operation: operation, container: container,
                               message: "\(what) changed while it was checked; try again", code: EAGAIN, kind: .failed)
            }
            chain.append((info.st_dev, info.st_ino))
            defer { chain.removeLast() }
            for include in includedPaths(in: bytes) {
                try configSource(include, what: "\(quoted(include)), included by \(quoted(path)),",
                                 chain: &chain, operation: operation, container: container)
            }
        default:
            let type: String = switch info.st_mode & S_IFMT {
            case S_IFIFO: "a FIFO"
            case S_IFCHR: "a character device"
            case S_IFBLK: "a block device"
            case S_IFSOCK: "a socket"
            default: "not a regular file"
            }
            throw LXCError(operation: operation, container: container,
                           message: "\(what) is \(type); liblxc reads a configuration to its end, which a FIFO or a device such as /dev/zero never reaches, so only regular files and directories are read",
                           code: EINVAL, kind: .invalidArgument)
        }
    }

    /// The files liblxc reads for an included directory: its entries whose names end in
    /// `.conf` after at least one other character (confile.c's `do_includedir`).
    private static func configFilesOfIncludedDirectory(_ path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var files: [String] = []
        while let entry = readdir(directory) {
            let name = entryName(entry)
            if name.utf8.count >= 6 && name.hasSuffix(".conf") {
                files.append(path.hasSuffix("/") ? path + name : path + "/" + name)
            }
        }
        return files
    }

    /// The values of the `lxc.include` lines of a configuration file, read as liblxc's
    /// `parse_line` reads them: lines end at CR, LF or NUL; blanks and tabs around the key
    /// and value are dropped, and one pair of matching quotes around the value.
    static func includedPaths(in bytes: [UInt8]) -> [String] {
        func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        var paths: [String] = []
        for line in bytes.split(whereSeparator: { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") || $0 == 0 }) {
            let text = line.drop(while: isBlank)
            guard let equals = text.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let key = text[..<equals].trimming(while: isBlank)
            guard key.elementsEqual("lxc.include".utf8) else { continue }
            var value = text[text.index(after: equals)...].trimming(while: isBlank)
            if let first = value.first, first == UInt8(ascii: "\"") || first == UInt8(ascii: "'"),
               value.count > 1, value.last == first {
                value = value.dropFirst().dropLast()
            }
            if !value.isEmpty { paths.append(String(decoding: value, as: UTF8.self)) }
        }
        return paths
    }
}

extension Container {
    // MARK: async forms

    /// Saves the configuration without blocking the caller's thread; see ``saveConfig(to:)-6j074``.
    /// The save writes and flushes a file to disk and waits for the container's directory lock.
    public func saveConfig(to path: String? = nil) async throws {
        try await offload { try self.saveConfig(to: path) }
    }
}
