import CLXC
import Glibc

extension Container {
    // MARK: create

    /// Creates the container: runs a template that builds its root filesystem and writes its
    /// configuration file.
    ///
    /// When no configuration has been loaded or set on this handle, liblxc's default
    /// configuration (`lxc.default_config`, usually `/etc/lxc/default.conf`) is loaded first,
    /// as liblxc itself does. Items set on the handle before `create` are written into the
    /// new configuration file, and so are items saved with ``saveConfig(to:)-6j074`` before `create`
    /// (liblxc's workflow): a container directory that holds only such a configuration file
    /// is created into, and the file is put back as it was if the create fails. A directory
    /// that holds anything else, or is a symbolic link, is refused and left untouched (liblxc
    /// removes the whole directory when a create fails). The create holds the container's
    /// lock, and one that is killed leaves the container ``ContainerState/incomplete`` for
    /// ``repairIncomplete(in:)-1e449``. The corresponding liblxc call is `c->create`.
    ///
    /// ```swift
    /// try container.create(template: "busybox", options: .quiet)
    /// ```
    ///
    /// - Parameters:
    ///   - template: a template name such as `"busybox"` or `"download"` (liblxc runs
    ///     `lxc-<name>` from its template directory), or the absolute path of a template script.
    ///   - backingStore: where the root filesystem is kept.
    ///   - specs: how to make the backing store (size, filesystem, volume group, …); nil
    ///     for liblxc's defaults.
    ///   - options: ``CreateOptions/quiet`` to silence the template.
    ///   - arguments: arguments for the template (`["--dist", "debian"]`, say). The options
    ///     liblxc passes to the template itself (`--path`, `--name`, `--rootfs`,
    ///     `--mapped-uid`, `--mapped-gid`, in any form `getopt` reads, and `-p`, `-n`) are
    ///     refused: they would make the template write outside the container's directory.
    /// - Throws: ``LXCError``: ``LXCError/Kind/alreadyExists`` when the container exists, or its
    ///   directory holds files other than a saved configuration;
    ///   ``LXCError/Kind/wrongState`` when an interrupted operation left it incomplete;
    ///   ``LXCError/Kind/notFound`` for a template that does not exist;
    ///   ``LXCError/Kind/invalidArgument`` for a bad template name, argument or spec, or an
    ///   lxcpath that is not a directory; ``LXCError/Kind/permissionDenied`` for an lxcpath the
    ///   caller cannot write to (a missing lxcpath is made, as `lxc-create` does);
    ///   ``LXCError/Kind/unsupported`` when this host cannot provide the backing store (the
    ///   message says why, see ``BackingStore/unavailableReason(in:)``);
    ///   ``LXCError/Kind/failed`` when the template fails, with liblxc's log lines.
    public func create(
        template: String,
        backingStore: BackingStore = .directory,
        specs: BackingStoreSpecs? = nil,
        options: CreateOptions = [],
        arguments: [String] = []
    ) throws {
        let operation = Operation.create.name
        try Validate.template(template, operation: operation, container: name)
        for argument in arguments {
            try Validate.templateArgument(argument, operation: operation, container: name)
        }
        try makeLXCPathIfMissing(operation: operation)
        try Validate.writableLXCPath(lxcpath, operation: operation, container: name)
        try specs?.validate(operation: operation, container: name)
        if let reason = backingStore.unavailableReason(in: lxcpath) {
            throw LXCError(operation: operation, container: name,
                           message: "this host cannot provide the \(backingStore.displayName) backing store (\(quoted(backingStore.liblxcName))): \(reason)",
                           code: EOPNOTSUPP, kind: .unsupported)
        }
        // liblxc's block-device drivers read the specs without checking for NULL.
        let effectiveSpecs = specs ?? ([.directory, .overlay].contains(backingStore) ? nil : BackingStoreSpecs())
        let handle = handle
        try requireMember(.create, \.create)
        try withDirectoryLock(operation: operation) {
            let (path, name) = (lxcpath, self.name)
            let savedConfig = try inspectDirectoryBeforeCreate(operation: operation)
            if let savedConfig {
                guard let file = try LibraryFiles.path(of: .savedConfig, name: name, in: path, operation: operation, container: name) else {
                    throw notDefinedError(operation)
                }
                let code = replaceFileAtomically(file, with: savedConfig, mode: 0o600)
                if code != 0 {
                    throw LXCError(operation: operation, container: name,
                                   message: "could not keep a copy of the saved configuration before creating, so nothing was changed: \(errnoDescription(code))",
                                   code: code, kind: .failed)
                }
            }
            try Intent(.create, savedConfig: savedConfig != nil).record(name: name, in: path, operation: operation, container: name)
            try loadDefaultConfigIfNeeded(handle, operation: .create)
            defer { handle.configurationReplaced() }

            // Made in a child process (see Isolated): the child's copy of the handle gets the
            // new configuration, so this handle loads it from the file after.
            try liblxc(.create, \.create, .userNamespaceHelpers, on: handle) { _, pointer -> Isolated.Outcome in
                guard let effectiveSpecs else {
                    return Isolated.create(pointer, template: template, backingStore: backingStore.liblxcName,
                                           specs: nil, flags: options.rawValue, arguments: arguments)
                }
                return effectiveSpecs.withCSpecs {
                    Isolated.create(pointer, template: template, backingStore: backingStore.liblxcName,
                                    specs: $0, flags: options.rawValue, arguments: arguments)
                }
            } then: { outcome, call in
                if outcome.succeeded {
                    removeFileDurably(LibraryFiles.existingPath(of: .savedConfig, name: name, in: path))
                    Intent.clear(name: name, in: path)
                    if !handle.reloadConfiguration() {
                        throw LXCError(operation: operation, container: name,
                                       message: "the container was created, but its configuration file could not be loaded",
                                       kind: .failed, log: call.errorLines)
                    }
                    return
                }
                // Remove what this create made, and put back a configuration saved before it.
                var error = createFailure(call, template: template, options: options, outcome: outcome)
                do {
                    try Container.discardDirectory(name: name, in: path, operation: operation)
                    if savedConfig != nil { try Container.putBackSavedConfig(name: name, in: path, operation: operation) }
                    Intent.clear(name: name, in: path)
                } catch let cleanup {
                    error.message += "; what the create left could not be removed (repairIncomplete removes it): \(cleanup)"
                }
                if savedConfig != nil { _ = handle.reloadConfiguration() }
                throw error
            }
        }
    }

    /// The error for a create that liblxc reported failed.
    private func createFailure(_ call: LiblxcCall, template: String, options: CreateOptions,
                               outcome: Isolated.Outcome) -> LXCError {
        let operation = call.operation.name
        let log = call.errorLines
        if log.contains(where: { $0.contains("bad template") || $0.contains("not found") }) {
            return LXCError(operation: operation, container: name,
                            message: "there is no template \(quoted(template)) in liblxc's template directory",
                            code: ENOENT, kind: .notFound, log: log)
        }
        if case let problems = UnprivilegedSetup.problems(maps: (try? idMaps()) ?? [], includingCgroups: false),
           !problems.isEmpty {
            return call.failure(kind: .permissionDenied,
                                "an unprivileged container cannot be created here: " + problems.joined(separator: "; "),
                                outcome: outcome)
        }
        var explanation = "the template \(quoted(template)) failed"
        if log.isEmpty {
            explanation += options.contains(.quiet)
                ? "; liblxc logged no reason (without .quiet the template's own messages go to standard error)"
                : "; liblxc logged no reason (the template's own messages went to standard error)"
        }
        return call.failure(explanation, outcome: outcome)
    }

    /// What `<lxcpath>/<name>` holds before a create: nothing, or only a configuration file
    /// saved for this container (liblxc's workflow of setting items and saving them before
    /// `create`), whose bytes are returned to be put back if the create fails. Anything
    /// else is refused, so that a failed create (liblxc removes the whole directory) cannot
    /// take it along: a symbolic link (never followed), a file, an existing container, an
    /// interrupted operation's leftovers, or other files.
    private func inspectDirectoryBeforeCreate(operation: String) throws -> [UInt8]? {
        let directory = lxcpath + "/" + name
        var info = stat()
        guard lstat(directory, &info) == 0 else { return nil }
        func refuse(_ why: String, _ code: Int32, _ kind: LXCError.Kind) -> LXCError {
            LXCError(operation: operation, container: name, message: why, code: code, kind: kind)
        }
        switch info.st_mode & S_IFMT {
        case S_IFLNK:
            throw refuse("\(quoted(directory)) is a symbolic link; a container is created only in a directory of its own, and nothing was changed", ELOOP, .invalidArgument)
        case S_IFDIR:
            break
        default:
            throw refuse("\(quoted(directory)) exists and is not a directory; nothing was changed", EEXIST, .alreadyExists)
        }
        if isIncomplete {
            throw refuse("an earlier operation on the container was interrupted; Container.repairIncomplete(in:) (lxcctl repair) finishes or undoes it", EBUSY, .wrongState)
        }
        let entries = directoryEntries(directory)
        if entries.isEmpty { return nil }
        var config = stat()
        if entries == ["config"] && lstat(directory + "/config", &config) == 0 && config.st_mode & S_IFMT == S_IFREG {
            guard let bytes = readWholeFileBytes(directory + "/config") else {
                throw refuse("the configuration saved in \(quoted(directory)) cannot be read: \(errnoDescription(errno))", errno, .failed)
            }
            return bytes
        }
        if entries.contains("config") && entries.contains("rootfs") {
            throw refuse("the container already exists in \(lxcpath)", EEXIST, .alreadyExists)
        }
        let shown = entries.sorted(by: strcmpOrder).prefix(5).map { quoted($0) }.joined(separator: ", ")
        throw refuse("\(quoted(directory)) holds files that are not a configuration saved for this container (\(shown)); a failed create would remove them, so nothing was changed", EEXIST, .alreadyExists)
    }

    /// Makes the lxcpath (and its parents) with mode 0755 when it does not exist, as
    /// `lxc-create` does.
    private func makeLXCPathIfMissing(operation: String) throws {
        let path = lxcpath
        if fileExists(path) { return }
        var made = ""
        for part in path.split(separator: "/") {
            made += "/" + part
            if mkdir(made, 0o755) != 0 && errno != EEXIST {
                let code = errno
                throw LXCError(operation: operation, container: name,
                               message: "the lxcpath \(quoted(path)) does not exist and cannot be made: \(errnoDescription(code))",
                               code: code, kind: code == EACCES || code == EPERM ? .permissionDenied : .failed)
            }
        }
    }

    /// Loads liblxc's default configuration into a handle that has none, as `c->create`
    /// would, so that its log can be followed during `create`.
    func loadDefaultConfigIfNeeded(_ handle: Handle, operation: Operation) throws {
        guard !handle.hasConfiguration else { return }
        let defaultConfig = lxc_get_global_config_item("lxc.default_config")
        if try !query(operation, \.load_config, on: handle, { load, pointer in load(pointer, defaultConfig) }) {
            let path = defaultConfig.map { String(cString: $0) } ?? "(none)"
            throw LXCError(operation: operation.name, container: name,
                           message: "liblxc's default configuration \(quoted(path)) could not be loaded",
                           kind: .failed)
        }
        handle.configurationReplaced()
    }

    // MARK: start

    /// Starts the container and returns once it is running.
    ///
    /// liblxc starts the container's init in the background (unless ``setDaemonizes(_:)``
    /// said otherwise) and waits until the container reports `RUNNING`. A daemonized start
    /// in liblxc also moves the calling process into the container's monitor cgroup and
    /// leaves it there; the library moves the process back into the cgroups it was in, so a
    /// long-running program leaves no monitor cgroups behind. After a start that failed, the
    /// library removes the empty `lxc.monitor.<name>` and `lxc.payload.<name>` cgroups that
    /// the start made and liblxc could not remove (it cannot while the calling process is
    /// still inside); it leaves them when a start of the same container that succeeded
    /// meanwhile may own them. The corresponding liblxc call is `c->start`.
    ///
    /// A daemonized start succeeds once the container is running, whatever its init does
    /// next, as liblxc and `lxc-start` have it: an init that runs a moment and exits (`echo
    /// hello`), or an `lxc-init` whose program does not exist, is a successful start, after
    /// which the container stops by itself (``wait(for:timeout:)-cbch`` for `.stopped`
    /// sees it). An init that cannot be executed at all (`arguments` naming a program that
    /// does not exist, without `useInit`) fails the start every time, as in liblxc: the
    /// container's first process reports the failed `exec` before the container runs, and
    /// the error quotes liblxc's "Failed to exec" line. The library does not guess from a
    /// state query right after the start whether the init is still there; that answer
    /// would depend on timing. To learn how a container's init ended, start it in the
    /// foreground (below): that `start` returns when the container has stopped and says how
    /// its init exited.
    ///
    /// After `setDaemonizes(false)`, liblxc would make the calling process the container's
    /// monitor, which is unsafe in a multi-threaded process; a child process of the library
    /// is the monitor instead, and `start` returns when the container has stopped (true to
    /// liblxc's foreground start), throwing when its init exited with a failure (the message
    /// gives its exit code or signal), or could not be run at all.
    ///
    /// - Parameters:
    ///   - useInit: run `lxc-init` as the container's first process, with `arguments` as the
    ///     program it runs (an application container).
    ///   - arguments: the init command; empty for the configuration's `lxc.init.cmd` or `/sbin/init`.
    /// - Throws: ``LXCError``: ``LXCError/Kind/notFound`` when the container is not defined
    ///   or its root filesystem does not exist (the message names it);
    ///   ``LXCError/Kind/wrongState`` when it is already running; ``LXCError/Kind/failed``
    ///   with liblxc's log lines when liblxc reports the start failed, and for a foreground
    ///   start whose init failed.
    public func start(useInit: Bool = false, arguments: [String] = []) throws {
        let operation = Operation.start.name
        for argument in arguments {
            try Validate.noNUL(argument, what: "init argument", operation: operation, container: name)
        }
        let handle = handle
        try requireStartable(handle, operation: operation)
        if !handle.daemonizes {
            // liblxc would make this process the container's monitor and start the init with
            // a raw clone, unsafe in a multi-threaded process: a child of its own does it.
            let cgroups = ContainerCgroups.note(name)
            try liblxc(.start, \.start, .inChildProcess, on: handle) { _, pointer in
                Isolated.startInForeground(pointer, useInit: useInit, arguments: arguments)
            } then: { outcome, call in
                if !outcome.succeeded { removeCgroups(cgroups) }
                if outcome.succeeded {
                    // liblxc reports a foreground start that ran as a success and leaves the
                    // init's wait status in error_num.
                    if outcome.errorNumber == 0 { return }
                    let status = ExitStatus(waitStatus: outcome.errorNumber)
                    throw LXCError(operation: operation, container: name,
                                   message: "the container ran in the foreground and stopped; its init \(status)",
                                   code: outcome.errorNumber, kind: .failed, log: call.errorLines)
                }
                if outcome.problem != nil { throw call.failure(outcome: outcome) }
                throw startFailure(call)
            }
            return
        }
        // The call path notes the container's cgroups, puts this process back into its own
        // after the call, removes what a failed start left, and retries a start that found
        // its command socket still bound (LiblxcCall.swift, `startsContainer`).
        try liblxc(.start, \.start, .startsContainer, on: handle) { start, pointer in
            if arguments.isEmpty {
                return start(pointer, useInit ? 1 : 0, nil)
            }
            return withCStringArray(arguments) { argv in start(pointer, useInit ? 1 : 0, argv) }
        } then: { started, call in
            // liblxc reports success once the container reached RUNNING, even when its init
            // exits straight after: a start whose init ran is a successful start, as for
            // `lxc-start`. The answer never depends on a state query, which would race
            // the init (see the doc comment for how to learn how it ended).
            if started { return }
            throw startFailure(call)
        }
    }

    /// Refuses to start a container that an interrupted operation left incomplete, or one
    /// with no root filesystem configured: liblxc would start that one on the host's own `/`
    /// (a clone killed before it wrote `lxc.rootfs.path` leaves such a configuration).
    private func requireStartable(_ handle: Handle, operation: String) throws {
        if isIncomplete {
            throw wrongStateError(operation, "the container is incomplete: an earlier operation on it (create, clone, rename, restore or destroy) was interrupted; repairIncomplete() finishes or undoes it")
        }
        guard handle.hasConfiguration else { return }  // not defined: liblxc says so
        let rootfs = queryIfPresent(\.get_config_item, on: handle) { get, pointer in
            readSizedCString { buffer, length in get(pointer, "lxc.rootfs.path", buffer, length) }
        } ?? nil
        if rootfs?.isEmpty ?? true {
            throw LXCError(operation: operation, container: name,
                           message: "the container has no root filesystem configured (lxc.rootfs.path is empty); liblxc would start it on the host's own root, so it is not started",
                           code: EINVAL, kind: .invalidArgument)
        }
    }

    /// Explains a failed start: not defined, already running, missing root filesystem, or
    /// what liblxc logged.
    private func startFailure(_ call: LiblxcCall) -> LXCError {
        let operation = call.operation.name
        if !isDefined {
            var error = notDefinedError(operation)
            error.log = call.errorLines
            return error
        }
        let log = call.errorLines
        if !isRunning && state == .stopped && Self.commandSocketClashes(log) > 0 {
            return call.failure(
                           "the container is stopped, but its command socket is still bound by another process (a monitor of a container started from this process at the same moment inherits it for a moment; a process that keeps it stops every start); nothing was started")
        }
        if log.contains(where: { $0.contains("appears to be already running") }) || isRunning {
            return call.failure(kind: .wrongState, "the container is already running")
        }
        if let rootfs = try? configItem("lxc.rootfs.path"), let directory = Self.rootfsDirectory(rootfs),
           !fileExists(directory) {
            return call.failure(kind: .notFound,
                           "the container's root filesystem \(quoted(directory)) (lxc.rootfs.path) does not exist")
        }
        if let explanation = missingNetworkLinkProblem(log) {
            return call.failure(kind: .notFound, explanation)
        }
        if let explanation = AppArmorStartProblem.explanation(log) {
            return call.failure(kind: .unsupported, explanation)
        }
        if let explanation = unprivilegedStartProblem(log) {
            return call.failure(kind: .permissionDenied, explanation)
        }
        return call.failure("the container did not reach RUNNING")
    }

    /// What of the unprivileged setup the failed start lacked (id maps, subordinate ids,
    /// uidmap, a path the container's root can reach), or nil. For root, only a container
    /// with id maps is checked. A missing delegated cgroup does not stop liblxc from
    /// starting, so it is not named here.
    private func unprivilegedStartProblem(_ log: [String]) -> String? {
        var problems = UnprivilegedSetup.problems(maps: (try? idMaps()) ?? [], includingCgroups: false)
        if let directory = UnprivilegedSetup.unreachableDirectory(in: log) {
            problems.append("the container's root user may not pass through \(quoted(directory)) on the way to its "
                + "root filesystem (give others search access: chmod o+x, or an ACL for the container's root)")
        }
        if problems.isEmpty { return nil }
        return "an unprivileged container cannot start here: " + problems.joined(separator: "; ")
    }

    /// The directory of a directory-backed `lxc.rootfs.path` ("dir:/x" or "/x"); nil for
    /// other backing stores.
    static func rootfsDirectory(_ value: String) -> String? {
        if value.hasPrefix("dir:") { return String(value.dropFirst(4)) }
        if value.hasPrefix("/") { return value }
        return nil
    }

    // MARK: stop, shutdown, reboot

    /// Kills the container's processes (SIGKILL to its init) and returns once it is stopped.
    ///
    /// The corresponding liblxc calls are `c->stop`, then `c->wait` for `STOPPED`.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/wrongState`` when the container is not running;
    ///   ``LXCError/Kind/timedOut`` when it has not stopped a minute later.
    public func stop() throws {
        let operation = Operation.stop.name
        let handle = handle
        try requireMember(.stop, \.wait)
        try requireRunning(operation)
        try liblxc(.stop, \.stop, on: handle) { stop, pointer in
            stop(pointer)
        } then: { stopped, call in
            if !stopped {
                if state == .stopped { return }
                throw call.failure("liblxc could not stop the container")
            }
            if try !query(.stop, \.wait, on: handle, { wait, pointer in wait(pointer, "STOPPED", Self.stopWaitSeconds) }) {
                throw call.failure(kind: .timedOut,
                                   "the container was killed but had not stopped after \(Self.stopWaitSeconds) seconds")
            }
        }
    }

    /// How long ``stop()`` waits for a killed container to be reported stopped.
    static let stopWaitSeconds: Int32 = 60

    /// Asks the container to shut down cleanly and waits until it has stopped.
    ///
    /// liblxc sends the container's init its halt signal (`lxc.signal.halt`, SIGPWR by
    /// default; busybox's template sets SIGUSR1) and waits up to `timeout`. The container is
    /// not killed when the time runs out: call ``stop()-45hku`` for that. The corresponding liblxc
    /// call is `c->shutdown`.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/wrongState`` when the container is not running;
    ///   ``LXCError/Kind/timedOut`` when it was still running when `timeout` ran out;
    ///   ``LXCError/Kind/invalidArgument`` for a negative timeout.
    public func shutdown(timeout: Duration) throws {
        try shutdown(timeout: Optional(timeout))
    }

    /// Asks the container to shut down cleanly and waits until it has stopped, without a
    /// limit when `timeout` is nil.
    ///
    /// The same as ``shutdown(timeout:)-3onco``, and nil waits for as long as the
    /// container takes (liblxc's timeout of `-1`, as ``wait(for:timeout:)-cbch`` takes nil).
    /// A container whose init ignores its halt signal then never stops and the call never
    /// returns: give a timeout, or call ``stop()-45hku``, when that may happen. The
    /// corresponding liblxc call is `c->shutdown`.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/wrongState`` when the container is not running;
    ///   ``LXCError/Kind/timedOut`` when it was still running when `timeout` ran out;
    ///   ``LXCError/Kind/invalidArgument`` for a negative timeout.
    public func shutdown(timeout: Duration?) throws {
        let operation = Operation.shutdown.name
        let seconds = try Validate.timeoutSeconds(timeout, operation: operation, container: name)
        let handle = handle
        try requireRunning(operation)
        try liblxc(.shutdown, \.shutdown, on: handle) { shutdown, pointer in
            shutdown(pointer, seconds)
        } then: { done, call in
            if done { return }
            if state == .stopped { return }
            throw call.failure(kind: .timedOut, "the container was still running after \(seconds) seconds; stop() kills it")
        }
    }

    /// Asks the container to reboot (its init receives `lxc.signal.reboot`) without waiting
    /// for it.
    ///
    /// The corresponding liblxc call is `c->reboot`.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/wrongState`` when the container is not running.
    public func reboot() throws {
        let operation = Operation.reboot.name
        let handle = handle
        try requireRunning(operation)
        try liblxc(.reboot, \.reboot, on: handle) { reboot, pointer in
            reboot(pointer)
        } then: { done, call in
            if !done { throw call.failure("liblxc could not signal the container to reboot") }
        }
    }

    /// Reboots the container and waits up to `timeout` until it is running again.
    ///
    /// The corresponding liblxc call is `c->reboot2`.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/wrongState`` when the container is not running;
    ///   ``LXCError/Kind/timedOut`` when it has not come back within `timeout`.
    public func reboot(timeout: Duration) throws {
        let operation = Operation.reboot.name
        let seconds = try Validate.timeoutSeconds(timeout, operation: operation, container: name)
        let handle = handle
        try requireRunning(operation)
        try liblxc(.reboot, \.reboot2, on: handle) { reboot2, pointer in
            reboot2(pointer, seconds)
        } then: { done, call in
            if !done {
                throw call.failure(kind: .timedOut, "the container did not come back up within \(seconds) seconds")
            }
        }
    }

    // MARK: freeze

    /// Freezes every process of the container and returns once it is frozen.
    ///
    /// On cgroup v1, liblxc writes `FROZEN` to the container's `freezer.state` once and then
    /// reads the state every second, without a limit, until it is `FROZEN`; a freezer that
    /// stays `FREEZING` (processes forking as it works, or one it cannot freeze where it
    /// waits) would keep it waiting for ever. While liblxc waits, the library writes `FROZEN`
    /// again every half second that the state is `FREEZING`, so that the kernel tries again,
    /// and every two seconds thaws the container for a moment first; its last write is
    /// always `FROZEN`. On cgroup v2 (`cgroup.freeze`, where liblxc waits for `frozen 1` in
    /// `cgroup.events`) the kernel needs no help and the library adds nothing. The
    /// corresponding liblxc call is `c->freeze`.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/wrongState`` when it is not running.
    public func freeze() throws {
        let operation = Operation.freeze.name
        let handle = handle
        try requireRunning(operation)
        let (name, lxcpath) = (self.name, self.lxcpath)
        try liblxc(.freeze, \.freeze, on: handle) { freeze, pointer in
            FreezeWatchdog.guarding(name: name, lxcpath: lxcpath, { freeze(pointer) })
        } then: { frozen, call in
            if frozen { return }
            let now = state
            if geteuid() != 0, let cgroups = UnprivilegedSetup.undelegatedCgroups(), !cgroups.isEmpty {
                let user = SubordinateIDRange.currentUser()?.0 ?? String(geteuid())
                throw call.failure(kind: .permissionDenied,
                              "liblxc could not freeze the container (it is \(now)), which has no cgroup of its own "
                                  + "when an unprivileged user starts it outside a delegated cgroup: "
                                  + UnprivilegedSetup.notDelegated(cgroups, user: user))
            }
            throw call.failure("liblxc could not freeze the container (it is \(now))")
        }
    }

    /// Thaws a frozen container.
    ///
    /// The corresponding liblxc call is `c->unfreeze`.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/wrongState`` when it is not running.
    public func unfreeze() throws {
        let operation = Operation.unfreeze.name
        let handle = handle
        try requireRunning(operation)
        try liblxc(.unfreeze, \.unfreeze, on: handle) { unfreeze, pointer in
            unfreeze(pointer)
        } then: { thawed, call in
            if thawed { return }
            let now = state
            throw call.failure("liblxc could not thaw the container (it is \(now))")
        }
    }

    // MARK: wait

    /// Waits until the container is in `state`, or `timeout` runs out.
    ///
    /// liblxc follows the container's state through its monitor. The corresponding liblxc
    /// call is `c->wait`.
    ///
    /// - Parameters:
    ///   - state: the state to wait for.
    ///   - timeout: how long to wait; nil waits for as long as it takes, `.zero` only looks.
    /// - Returns: whether the container reached `state`.
    /// - Throws: ``LXCError/Kind/invalidArgument`` for a negative timeout or a state liblxc
    ///   does not know.
    public func wait(for state: ContainerState, timeout: Duration?) throws -> Bool {
        let operation = Operation.wait.name
        let seconds = try Validate.timeoutSeconds(timeout, operation: operation, container: name)
        if case .other(let unknown) = state {
            throw LXCError.invalid(operation, name, "\(quoted(unknown)) is not a state liblxc knows")
        }
        return try query(.wait, \.wait) { wait, pointer in wait(pointer, state.liblxcName, seconds) }
    }

    // MARK: destroy, rename

    /// Deletes the container: its root filesystem, its configuration and its directory.
    ///
    /// The destroy holds the container's lock and first marks the directory with liblxc's
    /// `partial` file, so that one killed half-way leaves a container that is
    /// ``ContainerState/incomplete`` (and that liblxc will not start) for
    /// ``repairIncomplete(in:)-1e449`` to finish. A container directory that is a symbolic link is
    /// refused: nothing is removed through it. The corresponding liblxc calls are
    /// `c->destroy`, and `c->destroy_with_snapshots` when `includingSnapshots` is true.
    ///
    /// - Parameter includingSnapshots: also destroy the container's snapshots; without it,
    ///   liblxc refuses to destroy a container that has some.
    /// - Throws: ``LXCError``: ``LXCError/Kind/wrongState`` when the container is running (it
    ///   keeps running, untouched), is incomplete, has snapshots and `includingSnapshots` is
    ///   false, or overlay clones are built on its root filesystem (the message names them);
    ///   ``LXCError/Kind/notFound`` when it is not defined; ``LXCError/Kind/invalidArgument``
    ///   when its directory is a symbolic link.
    public func destroy(includingSnapshots: Bool = false) throws {
        let operation = Operation.destroy.name
        let handle = handle
        try withDirectoryLock(operation: operation) {
            let (path, name) = (lxcpath, self.name)
            let directory = path + "/" + name
            try requireNoSymbolicLink(directory, operation: operation)
            try requireDefined(operation)
            try requireStopped(operation, "the container is running; stop it before destroying it")
            try requireComplete(operation)
            try requireNotPinned(operation, verb: "destroy it")
            // liblxc's destroy_with_snapshots fails on a container that never had a snapshot
            // directory ("opendir on snapshot path"): use plain destroy when there are none.
            let snapshotNames = try snapshots().map(\.name)
            let withSnapshots = includingSnapshots && !snapshotNames.isEmpty
            if !includingSnapshots && !snapshotNames.isEmpty {
                throw wrongStateError(operation, "the container has snapshots (\(snapshotNames.joined(separator: ", "))); destroy(includingSnapshots: true) destroys them too")
            }
            let member = withSnapshots ? \lxc_container.destroy_with_snapshots : \lxc_container.destroy
            try requireMember(.destroy, member)
            // Marked first: a destroy killed half-way leaves a container that is visibly
            // incomplete (and that liblxc will not start), which repairIncomplete finishes.
            // The mark is an empty file; on a disk too full even for that the destroy, which
            // frees space, goes on unmarked.
            let fingerprint = Self.fingerprint(of: directory)
            try PartialMarker.placeUnlessDiskIsFull(in: directory, operation: operation, container: name)
            try liblxc(.destroy, member, .userNamespaceHelpers, on: handle) { _, pointer in
                Isolated.destroy(pointer, includingSnapshots: withSnapshots)
            } then: { outcome, call in
                if outcome.succeeded {
                    // The child's copy of the handle forgot the configuration; so does this one.
                    handle.clearConfiguration()
                    return
                }
                var error = call.failure("liblxc could not destroy the container", outcome: outcome)
                if fingerprint != nil && Self.fingerprint(of: directory) == fingerprint {
                    PartialMarker.remove(from: directory)
                    error.message += "; the container was not changed"
                } else {
                    error.message += "; it is partly removed and incomplete: repairIncomplete() removes the rest"
                }
                throw error
            }
        }
    }

    /// Renames the container; this `Container` then refers to it under the new name.
    ///
    /// liblxc renames by copying the container to the new name and destroying the old one;
    /// the library makes those two steps itself (the same `c->clone` and `c->destroy`
    /// calls), recording between them which one it is in, so that a rename killed half-way
    /// is either undone (while copying) or finished (while removing the old name) by
    /// ``repairIncomplete(in:)-1e449``. The corresponding liblxc call is `c->rename`.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/invalidArgument`` for a bad name;
    ///   ``LXCError/Kind/wrongState`` when the container is running or has snapshots (liblxc
    ///   does not rename those); ``LXCError/Kind/alreadyExists`` when a container has the
    ///   new name already; ``LXCError/Kind/notFound`` when this one is not defined.
    public func rename(to newName: String) throws {
        let operation = Operation.rename.name
        try Validate.name(newName, operation: operation)
        let handle = handle
        try requireMember(.rename, \.clone)
        try requireMember(.rename, \.destroy)
        let oldName = name
        if newName == oldName {
            throw LXCError.invalid(operation, oldName, "the new name is the container's name already")
        }
        let path = lxcpath
        try withDirectoryLock(also: [(newName, path)], operation: operation) {
            try requireNoSymbolicLink(path + "/" + oldName, operation: operation)
            try requireDefined(operation)
            try requireStopped(operation, "the container is running; stop it before renaming it")
            try requireComplete(operation)
            if case let names = try snapshots().map(\.name), !names.isEmpty {
                throw wrongStateError(operation, "the container has snapshots (\(names.joined(separator: ", "))); liblxc does not rename a container with snapshots")
            }
            try requireNotPinned(operation, verb: "rename it")
            try Intent(.rename, phase: "copying", partner: newName).record(name: oldName, in: path, operation: operation, container: oldName)
            do {
                _ = try cloneStoppedContainer(handle, as: newName, in: path, options: [.keepMACAddress],
                                              backingStore: currentBackingStore(), size: 0, hookArguments: [],
                                              operation: operation, intent: Intent(.rename, partner: oldName))
            } catch {
                Intent.clear(name: oldName, in: path)
                throw error
            }
            // The copy is whole: from here on an interruption is finished, not undone.
            try Intent(.rename, phase: "removing", partner: newName).record(name: oldName, in: path, operation: operation, container: oldName)
            let directory = path + "/" + oldName
            try PartialMarker.placeUnlessDiskIsFull(in: directory, operation: operation, container: oldName)
            try liblxc(.rename, \.destroy, .userNamespaceHelpers, on: handle) { _, pointer in
                Isolated.destroy(pointer, includingSnapshots: false)
            } then: { outcome, call in
                if !outcome.succeeded {
                    throw call.failure(
                                  "the container was copied to \(quoted(newName)), but liblxc could not remove the old name; repairIncomplete() removes it",
                                  outcome: outcome)
                }
            }
            Intent.clear(name: oldName, in: path)
            let renamed = try Container.newHandle(name: newName, lxcpath: path, operation: operation)
            replaceHandle(renamed, name: newName)
        }
    }

    /// Refuses an operation on a container that an interrupted operation left incomplete.
    func requireComplete(_ operation: String) throws {
        if isIncomplete {
            throw wrongStateError(operation, "the container is incomplete: an earlier operation on it was interrupted; repairIncomplete() finishes or undoes it")
        }
    }

    /// Refuses a container directory that is a symbolic link: the library never follows one
    /// out of the lxcpath.
    func requireNoSymbolicLink(_ directory: String, operation: String) throws {
        var info = stat()
        if lstat(directory, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK {
            throw LXCError(operation: operation, container: name,
                           message: "\(quoted(directory)) is a symbolic link; the library does not follow it out of the lxcpath, and nothing was changed",
                           code: ELOOP, kind: .invalidArgument)
        }
    }

    // MARK: state checks

    func requireRunning(_ operation: String) throws {
        let now = state
        if now == .stopped || now == .incomplete {
            if !isDefined { throw notDefinedError(operation) }
            throw wrongStateError(operation, now == .incomplete ? "the container is incomplete (an interrupted operation left it so) and not running" : "the container is not running")
        }
    }

    /// Refuses a container that runs (an incomplete one does not: ``requireComplete(_:)``
    /// says what is wrong with it).
    func requireStopped(_ operation: String, _ message: String) throws {
        let now = state
        if now != .stopped && now != .incomplete { throw wrongStateError(operation, message) }
    }
}

extension Container {
    // MARK: async forms

    /// Creates the container without blocking the caller's thread; see
    /// ``create(template:backingStore:specs:options:arguments:)``.
    public func create(template: String, backingStore: BackingStore = .directory, specs: BackingStoreSpecs? = nil,
                       options: CreateOptions = [], arguments: [String] = []) async throws {
        try await offload {
            try self.create(template: template, backingStore: backingStore, specs: specs, options: options, arguments: arguments)
        }
    }

    /// Starts the container without blocking the caller's thread; see ``start(useInit:arguments:)``.
    public func start(useInit: Bool = false, arguments: [String] = []) async throws {
        try await offload { try self.start(useInit: useInit, arguments: arguments) }
    }

    /// Stops the container without blocking the caller's thread; see ``stop()``.
    public func stop() async throws {
        try await offload { try self.stop() }
    }

    /// Shuts the container down without blocking the caller's thread; see ``shutdown(timeout:)-3onco``.
    public func shutdown(timeout: Duration) async throws {
        try await offload { try self.shutdown(timeout: timeout) }
    }

    /// Shuts the container down without blocking the caller's thread, without a limit when
    /// `timeout` is nil; see ``shutdown(timeout:)-81ts6``.
    public func shutdown(timeout: Duration?) async throws {
        try await offload { try self.shutdown(timeout: timeout) }
    }

    /// Reboots the container without blocking the caller's thread; see ``reboot()``.
    public func reboot() async throws {
        try await offload { try self.reboot() }
    }

    /// Reboots the container and waits for it without blocking the caller's thread; see
    /// ``reboot(timeout:)``.
    public func reboot(timeout: Duration) async throws {
        try await offload { try self.reboot(timeout: timeout) }
    }

    /// Freezes the container without blocking the caller's thread; see ``freeze()``.
    public func freeze() async throws {
        try await offload { try self.freeze() }
    }

    /// Thaws the container without blocking the caller's thread; see ``unfreeze()``.
    public func unfreeze() async throws {
        try await offload { try self.unfreeze() }
    }

    /// Waits for a state without blocking the caller's thread; see ``wait(for:timeout:)``.
    public func wait(for state: ContainerState, timeout: Duration?) async throws -> Bool {
        try await offload { try self.wait(for: state, timeout: timeout) }
    }

    /// Destroys the container without blocking the caller's thread; see ``destroy(includingSnapshots:)``.
    public func destroy(includingSnapshots: Bool = false) async throws {
        try await offload { try self.destroy(includingSnapshots: includingSnapshots) }
    }

    /// Renames the container without blocking the caller's thread; see ``rename(to:)``.
    public func rename(to newName: String) async throws {
        try await offload { try self.rename(to: newName) }
    }
}

// MARK: liblxc's names

extension Container {
    @available(*, unavailable, renamed: "reboot(timeout:)")
    public func reboot2(_ timeout: Duration) throws { try reboot(timeout: timeout) }

    @available(*, unavailable, renamed: "destroy(includingSnapshots:)")
    public func destroy_with_snapshots() throws { try destroy(includingSnapshots: true) }

    @available(*, unavailable, renamed: "start(useInit:arguments:)")
    public func startl(_ useInit: Bool, _ arguments: String...) throws { try start(useInit: useInit, arguments: arguments) }

    @available(*, unavailable, renamed: "create(template:backingStore:specs:options:arguments:)")
    public func createl(_ template: String, _ arguments: String...) throws { try create(template: template, arguments: arguments) }
}
