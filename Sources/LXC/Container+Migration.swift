import CLXC
import Glibc

extension Container {
    /// Checkpoints the running container with CRIU into `directory`.
    ///
    /// liblxc runs `criu dump`, which writes its images and `dump.log` into `directory`
    /// (created when missing). When CRIU fails, the error carries CRIU's own reason, taken
    /// from the `Error` lines of `dump.log`. The corresponding liblxc call is `c->checkpoint`.
    ///
    /// - Parameters:
    ///   - directory: an absolute path for the images.
    ///   - stop: stop the container once it is dumped.
    ///   - verbose: make CRIU log verbosely.
    /// - Throws: ``LXCError``: ``LXCError/Kind/invalidArgument`` for a relative path;
    ///   ``LXCError/Kind/wrongState`` when the container is not running;
    ///   ``LXCError/Kind/unsupported`` when CRIU is not installed;
    ///   ``LXCError/Kind/failed`` with CRIU's and liblxc's reasons otherwise.
    public func checkpoint(to directory: String, stop: Bool = false, verbose: Bool = false) throws {
        let operation = Operation.checkpoint.name
        try Validate.containerPath(directory, what: "checkpoint directory", operation: operation, container: name)
        try requireRunning(operation)
        let logStart = fileSize("\(directory)/dump.log") ?? 0
        try liblxc(.checkpoint, \.checkpoint) { checkpoint, pointer in
            directory.withCString { path in
                checkpoint(pointer, UnsafeMutablePointer(mutating: path), stop, verbose)
            }
        } then: { done, call in
            if done { return }
            throw criuFailure(call, directory: directory, action: "dump", logStart: logStart,
                              "the container could not be checkpointed")
        }
    }

    /// Checkpoints the container without blocking the caller's thread; see
    /// ``checkpoint(to:stop:verbose:)``.
    public func checkpoint(to directory: String, stop: Bool = false, verbose: Bool = false) async throws {
        try await offload { try self.checkpoint(to: directory, stop: stop, verbose: verbose) }
    }

    /// Restores the stopped container from a checkpoint in `directory` and starts it.
    ///
    /// liblxc runs `criu restore`, which logs into `restore.log` in `directory`. The
    /// corresponding liblxc call is `c->restore`.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/invalidArgument`` for a relative path;
    ///   ``LXCError/Kind/wrongState`` when the container is running;
    ///   ``LXCError/Kind/notFound`` when `directory` does not exist;
    ///   ``LXCError/Kind/unsupported`` when CRIU is not installed;
    ///   ``LXCError/Kind/failed`` with CRIU's and liblxc's reasons otherwise.
    public func restore(from directory: String, verbose: Bool = false) throws {
        let operation = Operation.restore.name
        try Validate.containerPath(directory, what: "checkpoint directory", operation: operation, container: name)
        try requireMember(.restore, \.restore)
        try requireDefined(operation)
        try requireStopped(operation, "the container is running; stop it before restoring a checkpoint")
        if !fileExists(directory) {
            throw LXCError(operation: operation, container: name,
                           message: "there is no checkpoint directory \(quoted(directory))", code: ENOENT, kind: .notFound)
        }
        let logStart = fileSize("\(directory)/restore.log") ?? 0
        // A restore starts the container: the same kind as a daemonized start.
        try liblxc(.restore, \.restore, .startsContainer) { restore, pointer in
            directory.withCString { path in restore(pointer, UnsafeMutablePointer(mutating: path), verbose) }
        } then: { done, call in
            if done { return }
            throw criuFailure(call, directory: directory, action: "restore", logStart: logStart,
                              "the container could not be restored")
        }
    }

    /// Restores the container without blocking the caller's thread; see ``restore(from:verbose:)``.
    public func restore(from directory: String, verbose: Bool = false) async throws {
        try await offload { try self.restore(from: directory, verbose: verbose) }
    }

    /// Runs one migration step with CRIU: a pre-dump, a dump, a restore or a feature check.
    ///
    /// The options are passed as liblxc's `struct migrate_opts` with its size. For
    /// ``MigrationCommand/featureCheck`` the call succeeds only when CRIU has every feature of
    /// ``MigrationOptions/featuresToCheck``; ``supportedMigrationFeatures(_:)-47axk`` says which.
    /// The corresponding liblxc call is `c->migrate`.
    ///
    /// ```swift
    /// var options = MigrationOptions(directory: "/srv/ckpt/web")
    /// options.preDumpDirectory = "pre"
    /// try container.migrate(.dump, options: options)
    /// ```
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/invalidArgument`` for a relative directory or
    ///   a relative pre-dump directory with `..`; ``LXCError/Kind/wrongState`` for a dump of a
    ///   stopped container or a restore of a running one; ``LXCError/Kind/unsupported`` when
    ///   CRIU is not installed or lacks a checked feature; ``LXCError/Kind/failed`` with CRIU's
    ///   and liblxc's reasons otherwise.
    public func migrate(_ command: MigrationCommand, options: MigrationOptions) throws {
        let operation = Operation.migrate.name
        switch command {
        case .featureCheck:
            let supported = try supportedMigrationFeatures(options.featuresToCheck)
            let missing = options.featuresToCheck.subtracting(supported)
            if !missing.isEmpty {
                throw LXCError(operation: operation, container: name,
                               message: "CRIU lacks \(Self.describe(missing)) on this host"
                                   + (Self.criuPath() == nil ? " (CRIU is not installed: criu is not on PATH)" : ""),
                               code: ENOTSUP, kind: .unsupported)
            }
            return
        case .preDump, .dump:
            try requireRunning(operation)
        case .restore:
            try requireDefined(operation)
            try requireStopped(operation, "the container is running; stop it before restoring a checkpoint")
        }
        _ = try callMigrate(command, options: options, operation: operation)
    }

    /// Migrates the container without blocking the caller's thread; see ``migrate(_:options:)``.
    public func migrate(_ command: MigrationCommand, options: MigrationOptions) async throws {
        try await offload { try self.migrate(command, options: options) }
    }

    /// The subset of `features` that CRIU has on this host (none when CRIU is not installed).
    ///
    /// liblxc runs `criu check --feature …` for each. The corresponding liblxc call is
    /// `c->migrate` with `MIGRATE_FEATURE_CHECK`.
    ///
    /// - Throws: ``LXCError`` only when liblxc cannot run the check at all.
    public func supportedMigrationFeatures(_ features: MigrationFeatures = [.memoryTracking, .lazyPages]) throws
        -> MigrationFeatures
    {
        var options = MigrationOptions(directory: "/")
        options.featuresToCheck = features
        return try callMigrate(.featureCheck, options: options, operation: Operation.supportedMigrationFeatures.name)
    }

    /// Calls `c->migrate`; returns the `features_to_check` liblxc leaves (the supported ones).
    private func callMigrate(_ command: MigrationCommand, options: MigrationOptions, operation: String) throws
        -> MigrationFeatures
    {
        try Validate.containerPath(options.directory, what: "migration directory", operation: operation, container: name)
        if let preDump = options.preDumpDirectory {
            try Validate.path(preDump, what: "pre-dump directory", operation: operation, container: name)
            if preDump.split(separator: "/").contains("..") {
                throw LXCError.invalid(operation, name, "pre-dump directory \(quoted(preDump)) contains \"..\"")
            }
        }
        if let address = options.pageServerAddress {
            try Validate.noBreaks(address, what: "page server address", operation: operation, container: name)
            if options.pageServerPort == nil {
                throw LXCError.invalid(operation, name, "a page server address needs a page server port")
            }
        }
        if let script = options.actionScript {
            try Validate.containerPath(script, what: "action script", operation: operation, container: name)
            if access(script, X_OK) != 0 {
                throw LXCError(operation: operation, container: name,
                               message: "the action script \(quoted(script)) is not an executable file", code: EACCES,
                               kind: .notFound)
            }
        }
        try requireMember(.migrate, \.migrate)

        var strings: [UnsafeMutablePointer<CChar>?] = []
        func copy(_ text: String?) -> UnsafeMutablePointer<CChar>? {
            guard let text else { return nil }
            let pointer = strdup(text)
            strings.append(pointer)
            return pointer
        }
        defer { for string in strings { free(string) } }
        var opts = migrate_opts()
        opts.directory = copy(options.directory)
        opts.verbose = options.verbose
        opts.stop = options.stop
        opts.predump_dir = copy(options.preDumpDirectory)
        opts.pageserver_address = copy(options.pageServerAddress)
        opts.pageserver_port = copy(options.pageServerPort.map { String($0) })
        opts.preserves_inodes = options.preservesInodes
        opts.action_script = copy(options.actionScript)
        opts.disable_skip_in_flight = options.disableSkipInFlight
        opts.ghost_limit = options.ghostLimit?.bytes ?? 0
        opts.features_to_check = options.featuresToCheck.rawValue

        let logPath = "\(options.directory)/\(command.criuAction).log"
        let logStart = command == .featureCheck ? 0 : (fileSize(logPath) ?? 0)
        // A restore starts the container: the same kind as a daemonized start.
        return try liblxc(.migrate, \.migrate, command == .restore ? .startsContainer : .plain) { migrate, pointer in
            migrate(pointer, command.rawValue, &opts, UInt32(MemoryLayout<migrate_opts>.size))
        } then: { result, call in
            if command == .featureCheck {
                return MigrationFeatures(rawValue: opts.features_to_check).intersection(options.featuresToCheck)
            }
            if result == 0 { return options.featuresToCheck }
            throw criuFailure(call, directory: options.directory, action: command.criuAction,
                              logStart: logStart, "the \(command) step failed")
        }
    }

    /// The error for a failed CRIU run: CRIU's own `Error` lines from its log in `directory`,
    /// liblxc's log lines, or that CRIU is missing.
    private func criuFailure(_ call: LiblxcCall, directory: String,
                             action: String, logStart: off_t, _ what: String) -> LXCError {
        var error = call.failure(what)
        var reasons = Self.criuErrors(inLog: "\(directory)/\(action).log", from: logStart)
        if reasons.isEmpty {
            // Errors before CRIU opened its log reach liblxc's log as "criu output: Error (…)".
            reasons = Self.criuErrors(in: error.log.joined(separator: "\n"))
        }
        if !reasons.isEmpty {
            // "exited, status=1" lines only say that a helper of CRIU failed; the others say why.
            let telling = reasons.filter { !$0.contains("exited, status=") }
            error.message = "\(what): CRIU failed: " + (telling.isEmpty ? reasons : telling).joined(separator: "; ")
            error.log = error.log.filter { !$0.contains("Error (") && $0 != "criu output: " }
        } else if Self.criuPath() == nil {
            error.kind = .unsupported
            error.message = "\(what): CRIU is not installed (criu is not on PATH)"
        } else if error.log.isEmpty {
            error.message = "\(what); CRIU left no log at \(quoted("\(directory)/\(action).log"))"
        }
        return error
    }

    /// CRIU's `Error (file:line): reason` lines written to `path` after `offset`, without
    /// the timestamps CRIU puts before them, at most the last eight.
    static func criuErrors(inLog path: String, from offset: off_t) -> [String] {
        guard let text = readFile(path, from: offset) else { return [] }
        return criuErrors(in: text)
    }

    static func criuErrors(in text: String) -> [String] {
        let lines = text.split(separator: "\n").compactMap { line -> String? in
            guard let range = line.firstRange(of: "Error (") else { return nil }
            return String(line[range.lowerBound...])
        }
        return Array(lines.suffix(8))
    }

    /// Where `criu` is on PATH, where liblxc looks for it (with `PATH` unset, nowhere).
    static func criuPath() -> String? {
        executableInPath("criu")
    }

    static func describe(_ features: MigrationFeatures) -> String {
        var names: [String] = []
        if features.contains(.memoryTracking) { names.append("dirty memory tracking (mem_dirty_track)") }
        if features.contains(.lazyPages) { names.append("lazy pages (uffd-noncoop)") }
        let other = features.subtracting([.memoryTracking, .lazyPages])
        if !other.isEmpty { names.append("features 0x\(String(other.rawValue, radix: 16))") }
        return names.joined(separator: " and ")
    }

    // MARK: C names

    @available(*, unavailable, renamed: "checkpoint(to:stop:verbose:)")
    public func checkpoint(_ directory: String, _ stop: Bool, _ verbose: Bool) throws {
        try checkpoint(to: directory, stop: stop, verbose: verbose)
    }

    @available(*, unavailable, renamed: "restore(from:verbose:)")
    public func restore(_ directory: String, _ verbose: Bool) throws { try restore(from: directory, verbose: verbose) }
}

extension Container {
    /// Asks CRIU which features it has without blocking the caller's thread; see
    /// ``supportedMigrationFeatures(_:)-47axk``. liblxc runs `criu check` once per feature.
    public func supportedMigrationFeatures(_ features: MigrationFeatures = [.memoryTracking, .lazyPages]) async throws
        -> MigrationFeatures
    {
        try await offload { try self.supportedMigrationFeatures(features) }
    }
}
