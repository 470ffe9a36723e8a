import CLXC
import Glibc

extension Container {
    // MARK: clone

    /// Copies the container (or makes a copy-on-write snapshot of it) as a new container.
    ///
    /// liblxc writes the new configuration, copies or snapshots the root filesystem into
    /// the backing store, gives the clone new MAC addresses and sets its host name
    /// (`lxc.uts.name` and the rootfs's `/etc/hostname`) to the new name, unless
    /// ``CloneOptions`` say otherwise, and runs the configuration's clone hooks with
    /// `hookArguments`. The clone holds the locks of both containers, and the new one is
    /// marked as being made (liblxc's `partial` file) until it is whole: a clone killed
    /// half-way leaves it ``ContainerState/incomplete``, never a configuration without a
    /// root filesystem that would start on the host's, and ``repairIncomplete(in:)-1e449`` removes
    /// it. The corresponding liblxc call is `c->clone`.
    ///
    /// ```swift
    /// let copy = try base.clone(as: "web2")                                    // a copy
    /// let thin = try base.clone(as: "web3", options: .snapshot, backingStore: .overlay)
    /// try thin.start()
    /// ```
    ///
    /// - Parameters:
    ///   - newName: the clone's name; it may equal this container's name only when
    ///     `lxcpath` is another one.
    ///   - lxcpath: where the clone goes; this container's lxcpath when nil.
    ///   - options: see ``CloneOptions``.
    ///   - backingStore: the clone's backing store; nil keeps the original's (an overlay
    ///     for a ``CloneOptions/snapshot`` of a directory). ``BackingStore/bestAvailable``
    ///     picks btrfs, zfs, lvm or a directory, whichever this host offers first.
    ///   - size: for block-device backing stores (loop, lvm, rbd), the root filesystem's
    ///     size in bytes; nil uses the original's size where liblxc can.
    ///   - hookArguments: extra arguments for the configuration's `lxc.hook.clone` scripts.
    /// - Returns: the clone, with its configuration loaded, ready to start.
    /// - Throws: ``LXCError``: ``LXCError/Kind/invalidArgument`` for a bad name, path or
    ///   argument; ``LXCError/Kind/notFound`` when this container is not defined;
    ///   ``LXCError/Kind/alreadyExists`` when a container `newName` exists in the target
    ///   lxcpath, or a directory of that name holds files (it is left untouched);
    ///   ``LXCError/Kind/wrongState`` when this container runs (without
    ///   ``CloneOptions/allowRunning``) or is incomplete; ``LXCError/Kind/unsupported`` when
    ///   this host cannot provide the backing store (the message says why);
    ///   ``LXCError/Kind/failed`` with liblxc's log lines otherwise (the half-made clone is
    ///   removed).
    public func clone(
        as newName: String,
        in lxcpath: String? = nil,
        options: CloneOptions = [],
        backingStore: BackingStore? = nil,
        size: UInt64? = nil,
        hookArguments: [String] = []
    ) throws -> Container {
        let operation = Operation.clone.name
        try Validate.name(newName, operation: operation)
        if let lxcpath { try Validate.lxcpath(lxcpath, operation: operation) }
        for argument in hookArguments {
            try Validate.noNUL(argument, what: "hook argument", operation: operation, container: name)
        }
        if let size, size == 0 {
            throw LXCError.invalid(operation, name, "size is 0 bytes; leave it nil for the original's size")
        }
        let target = lxcpath ?? self.lxcpath
        if newName == name && target == self.lxcpath {
            throw LXCError.invalid(operation, name, "a clone needs another name, or another lxcpath")
        }
        let handle = handle
        let clone = try withDirectoryLock(also: [(newName, target)], operation: operation) {
            try requireDefined(operation)
            if !options.contains(.allowRunning) {
                try requireStopped(operation, "the container is running; stop it before cloning it (or pass .allowRunning)")
            }
            try requireComplete(operation)
            return try cloneStoppedContainer(handle, as: newName, in: target, options: options, backingStore: backingStore,
                                             size: size ?? 0, hookArguments: hookArguments, operation: operation)
        }
        if options.contains(.ephemeral) { try makeEphemeral(clone, operation: operation) }
        return clone
    }

    /// The clone call after the public checks: refuses an existing target and a backing
    /// store the host lacks, calls liblxc and opens the clone.
    func cloneStoppedContainer(
        _ handle: Handle,
        as newName: String,
        in target: String,
        options: CloneOptions,
        backingStore: BackingStore?,
        size: UInt64,
        hookArguments: [String],
        operation: String,
        intent: Intent? = nil,
        recordsIntent: Bool = true
    ) throws -> Container {
        // Clone, rename and the restores copy through here, each under its own name.
        let liblxcOperation = Operation(named: operation, or: .clone)
        try requireMember(liblxcOperation, \.clone)
        try requireNoContainer(newName, in: target, operation: operation)
        let intent = intent ?? Intent(.copy, source: "\(lxcpath)/\(name)")

        let source = currentBackingStore()
        var store = backingStore
        if store == .bestAvailable {
            store = BackingStore.bestAvailableOrder.first { $0.unavailableReason(in: target) == nil } ?? .directory
        }
        // What liblxc will make when no store is named: an overlay for a snapshot of a
        // directory, the original's type otherwise.
        let effective = store ?? (options.contains(.snapshot) && !options.contains(.keepBackingStoreType)
                                  && source == .directory ? .overlay : source)
        if let effective, let reason = effective.unavailableReason(in: target) {
            throw LXCError(operation: operation, container: name,
                           message: "this host cannot provide the \(effective.displayName) backing store (\(quoted(effective.liblxcName))): \(reason)",
                           code: EOPNOTSUPP, kind: .unsupported)
        }

        // The copy is marked as being made until it is whole (see Intent): a clone killed
        // half-way leaves a visibly incomplete container that repairIncomplete removes,
        // never one without a root filesystem that would start on the host's.
        let directory = target + "/" + newName
        if recordsIntent { try intent.record(name: newName, in: target, operation: operation, container: name) }
        do {
            try PartialMarker.place(in: directory, operation: operation, container: name)
        } catch {
            Intent.clear(name: newName, in: target)
            throw error
        }
        // Made in a child process (see Isolated); the returned Container opens the saved
        // configuration afresh.
        try liblxc(liblxcOperation, \.clone, .inChildProcess, on: handle) { _, pointer in
            Isolated.clone(pointer, newName: newName, lxcpath: target, flags: options.liblxcFlags,
                           backingStore: store?.liblxcName, size: size, hookArguments: hookArguments)
        } then: { outcome, call in
            if outcome.succeeded {
                Container.finishCopy(newName, in: target)
                return
            }
            var explanation = "liblxc could not clone the container as \(quoted(newName)) in \(target)"
            if let store { explanation += " with the \(store.displayName) backing store" }
            throw Container.removeHalfMadeCopy(newName, in: target, operation: operation,
                                               after: call.failure(explanation, outcome: outcome))
        }
        return try Container(name: newName, lxcpath: target)
    }

    /// Refuses when a container `name` is defined in `lxcpath`, or its root filesystem
    /// directory is there, which liblxc would refuse or overwrite.
    func requireNoContainer(_ name: String, in lxcpath: String, operation: String) throws {
        let existing = try Container.newHandle(name: name, lxcpath: lxcpath, operation: operation)
        if queryIfPresent(\.is_defined, on: existing, { isDefined, pointer in isDefined(pointer) }) ?? false {
            throw LXCError(operation: operation, container: self.name,
                           message: "a container named \(quoted(name)) exists already in \(lxcpath); it was left untouched",
                           code: EEXIST, kind: .alreadyExists)
        }
        let directory = "\(lxcpath)/\(name)"
        var info = stat()
        guard lstat(directory, &info) == 0 else { return }
        if info.st_mode & S_IFMT != S_IFDIR {
            throw LXCError(operation: operation, container: self.name,
                           message: "\(quoted(directory)) exists and is not a directory; it was left untouched",
                           code: EEXIST, kind: .alreadyExists)
        }
        if PartialMarker.isPlaced(in: directory) || Intent.isRecorded(name: name, in: lxcpath) {
            throw LXCError(operation: operation, container: self.name,
                           message: "\(quoted(name)) in \(lxcpath) is an incomplete container left by an interrupted operation; Container.repairIncomplete(in:) removes it",
                           code: EEXIST, kind: .alreadyExists)
        }
        if !directoryEntries(directory).isEmpty {
            throw LXCError(operation: operation, container: self.name,
                           message: "\(quoted(directory)) exists already and holds files (a container directory without a configuration); it was left untouched",
                           code: EEXIST, kind: .alreadyExists)
        }
    }

    /// The backing store named by the prefix of `lxc.rootfs.path` in the saved
    /// configuration file (`"overlay:…"`, `"loop:…"`); a plain path to a directory is a
    /// directory. liblxc's `get_config_item` returns the path without the prefix, so the
    /// file is read. Nil when there is no root filesystem, or a type this library does not
    /// name (`nbd`), or a plain path that is not a directory.
    func currentBackingStore() -> BackingStore? {
        guard let file = configFileName, let text = readWholeFile(file),
              let value = Self.lastConfigValue("lxc.rootfs.path", in: text), !value.isEmpty
        else { return nil }
        if let colon = value.firstIndex(of: ":"), !value.hasPrefix("/") {
            return BackingStore(liblxcName: String(value[..<colon]))
        }
        var info = stat()
        if stat(value, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR { return .directory }
        return nil
    }

    /// The value of the last `key = value` line for `key` in a configuration file's text.
    static func lastConfigValue(_ key: String, in text: String) -> String? {
        var result: String?
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingBlanks()
            guard trimmed.hasPrefix(key) else { continue }
            let rest = trimmed.dropFirst(key.count).trimmingBlanks()
            guard rest.first == "=" else { continue }
            result = String(rest.dropFirst().trimmingBlanks())
        }
        return result
    }

    /// The container's backing store, from the `lxc.rootfs.path` of its configuration file
    /// (liblxc keeps the type as the path's prefix, `overlay:…`, `loop:…`); nil when it has
    /// no root filesystem or one of a type this library does not name (`nbd`).
    public var backingStore: BackingStore? { currentBackingStore() }
}

extension Container {
    // MARK: async form

    /// Clones the container without blocking the caller's thread; see
    /// ``clone(as:in:options:backingStore:size:hookArguments:)``.
    public func clone(
        as newName: String,
        in lxcpath: String? = nil,
        options: CloneOptions = [],
        backingStore: BackingStore? = nil,
        size: UInt64? = nil,
        hookArguments: [String] = []
    ) async throws -> Container {
        try await offload {
            try self.clone(as: newName, in: lxcpath, options: options, backingStore: backingStore,
                           size: size, hookArguments: hookArguments)
        }
    }
}

// MARK: liblxc's names

extension Container {
    @available(*, unavailable, renamed: "clone(as:in:options:backingStore:size:hookArguments:)")
    public func clone(_ newName: String, _ lxcpath: String?, _ flags: CloneOptions, _ bdevtype: BackingStore?,
                      _ bdevdata: String?, _ newsize: UInt64, _ hookargs: [String]) throws -> Container {
        try clone(as: newName, in: lxcpath, options: flags, backingStore: bdevtype,
                  size: newsize == 0 ? nil : newsize, hookArguments: hookargs)
    }
}
