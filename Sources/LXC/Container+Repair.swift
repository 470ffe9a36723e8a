import CLXC
import Glibc

// Interrupted operations: what a SIGKILL in the middle of create, clone, snapshot, restore,
// rename or destroy leaves, and how it is finished or undone. Each of those operations
// records an `Intent` before it changes anything and marks a directory it is making or
// removing with liblxc's `partial`; see `Intent`.

extension Container {
    /// Finishes or undoes every operation on the containers of an lxcpath that was
    /// interrupted (its process killed) before it finished.
    ///
    /// For each container that is ``ContainerState/incomplete``:
    /// - an interrupted `create` is undone: what the create made is removed, and a
    ///   configuration saved before it is put back;
    /// - an interrupted copy (a clone, a restore of a snapshot as a new container, the
    ///   copy step of a rename) is undone by removing the copy; its source was never changed;
    /// - an interrupted snapshot is undone by removing the snapshots it had begun;
    /// - a rename interrupted while copying is undone; one interrupted while removing the
    ///   old name is finished;
    /// - an interrupted destroy, of a container or of a snapshot, is finished;
    /// - an interrupted in-place restore puts the container back from the copy it had kept
    ///   (or, when the restore had finished, only removes the copy).
    ///
    /// Each repair takes the container's lock (see the Concurrency article), so an
    /// operation still under way in another thread or process is waited for, not
    /// repaired. Nothing outside the containers' own directories is removed, and no
    /// symbolic link is followed out of them. What is removed goes through liblxc's
    /// `c->destroy` (or `c->destroy_with_snapshots`), given a configuration whose root
    /// filesystem lies inside the container's directory; a copy is put back with `c->clone`.
    ///
    /// - Parameter lxcpath: the lxcpath; liblxc's global `lxc.lxcpath` when nil.
    /// - Returns: what was done, one entry an operation; empty when nothing was incomplete.
    /// - Throws: ``LXCError`` when an operation could not be repaired (the others are
    ///   repaired first; the message names what is left).
    @discardableResult
    public static func repairIncomplete(in lxcpath: String? = nil) throws -> [RepairedOperation] {
        let operation = Operation.repairIncomplete.name
        let path = lxcpath ?? LXC.defaultLXCPath
        try Validate.lxcpath(path, operation: operation)
        var repaired: [RepairedOperation] = []
        var failures: [String] = []
        for name in incompleteNames(in: path) {
            do {
                // A container can have a snapshot's intent and its own: one repair each.
                for _ in 0..<2 {
                    guard let done = try repair(name: name, in: path) else { break }
                    repaired.append(done)
                }
            } catch {
                failures.append("\(quoted(name)): \(error)")
            }
        }
        if !failures.isEmpty {
            throw LXCError(operation: operation, container: nil,
                           message: "could not repair \(failures.joined(separator: "; "))", kind: .failed)
        }
        return repaired
    }

    /// Repairs what is incomplete of this container (see ``repairIncomplete(in:)-1e449``), and
    /// reloads its configuration.
    ///
    /// - Returns: what was done, or nil when nothing was incomplete.
    @discardableResult
    public func repairIncomplete() throws -> RepairedOperation? {
        let (name, path) = (self.name, lxcpath)
        let done = try Container.repair(name: name, in: path)
        if let fresh = try? Container.newHandle(name: name, lxcpath: path, operation: Operation.repairIncomplete.name) {
            replaceHandle(fresh, name: name)
        }
        return done
    }

    /// The names in an lxcpath that an interrupted operation left something incomplete of:
    /// the container itself (``ContainerState/incomplete``, which may have no configuration
    /// yet, so that ``names(_:in:)`` does not list it, as liblxc's listing does not) or one of
    /// its snapshots. ``repairIncomplete(in:)-1e449`` repairs them.
    ///
    /// - Throws: ``LXCError`` for a bad lxcpath.
    public static func incompleteNames(in lxcpath: String? = nil) throws -> [String] {
        let path = lxcpath ?? LXC.defaultLXCPath
        try Validate.lxcpath(path, operation: Operation.incompleteNames.name)
        return incompleteNames(in: path)
    }

    /// The names with an intent recorded or liblxc's `partial` marker in their directory.
    static func incompleteNames(in lxcpath: String) -> [String] {
        var names = Set<String>()
        for kind in [LibraryFiles.Kind.intent, .snapshotIntent] {
            let suffix = "." + kind.rawValue
            for entry in directoryEntries(lxcpath + "/" + LibraryFiles.directoryName) where entry.hasSuffix(suffix) {
                names.insert(String(entry.dropLast(suffix.count)))
            }
        }
        for entry in directoryEntries(lxcpath) where !entry.hasPrefix(".") {
            let directory = lxcpath + "/" + entry
            if PartialMarker.isPlaced(in: directory) { names.insert(entry) }
            if directoryEntries(directory + "/snaps").contains(where: { PartialMarker.isPlaced(in: directory + "/snaps/" + $0) }) {
                names.insert(entry)
            }
        }
        return names.sorted(by: strcmpOrder)
    }

    /// Repairs one container under its lock (and its partner's, for a rename or an
    /// in-place restore).
    static func repair(name: String, in lxcpath: String) throws -> RepairedOperation? {
        let operation = Operation.repairIncomplete.name
        let partner = Intent.recorded(name: name, in: lxcpath)?.partner
        let keys = [ContainerLocks.Key(lxcpath: lxcpath, name: name)]
            + (partner.map { [ContainerLocks.Key(lxcpath: lxcpath, name: $0)] } ?? [])
        return try ContainerLocks.withLocks(keys, operation: operation, container: name) {
            // Read again under the lock: the operation may have finished meanwhile.
            let directory = lxcpath + "/" + name
            if let intent = Intent.recordedForSnapshots(name: name, in: lxcpath) {
                return try repair(intent, name: name, in: lxcpath, operation: operation)
            }
            guard let intent = Intent.recorded(name: name, in: lxcpath) else {
                // Snapshots being destroyed when the process was killed: finish them.
                let snaps = directory + "/snaps"
                let marked = directoryEntries(snaps).filter { PartialMarker.isPlaced(in: snaps + "/" + $0) }.sorted(by: strcmpOrder)
                if !marked.isEmpty {
                    for snapshot in marked { try discardDirectory(name: snapshot, in: snaps, operation: operation) }
                    return RepairedOperation(container: name, lxcpath: lxcpath, operation: Operation.destroySnapshot.name, outcome: .finished,
                                             details: "removed the rest of snapshot \(marked.joined(separator: ", "))")
                }
                guard PartialMarker.isPlaced(in: directory) else { return nil }
                // A create by another program still running holds liblxc's marker: leave it.
                if PartialMarker.isHeldByOngoingCreate(in: directory) { return nil }
                // liblxc's marker without an intent: a destroy that was killed (this
                // library's), or a create by another program. Either way the directory goes.
                try discardDirectory(name: name, in: lxcpath, operation: operation)
                return RepairedOperation(container: name, lxcpath: lxcpath, operation: Operation.destroy.name, outcome: .finished,
                                         details: "removed the rest of the container, marked incomplete (an interrupted destroy, or a create by another program)")
            }
            let done = try repair(intent, name: name, in: lxcpath, operation: operation)
            return done
        }
    }

    private static func repair(_ intent: Intent, name: String, in lxcpath: String, operation: String) throws -> RepairedOperation {
        func report(_ outcome: RepairedOperation.Outcome, _ details: String) -> RepairedOperation {
            RepairedOperation(container: name, lxcpath: lxcpath, operation: intent.operation.rawValue,
                              outcome: outcome, details: details)
        }
        switch intent.operation {
        case .create:
            try discardDirectory(name: name, in: lxcpath, operation: operation)
            var details = "removed what the create had made"
            if intent.savedConfig {
                try putBackSavedConfig(name: name, in: lxcpath, operation: operation)
                details += " and put back the configuration saved before it"
            }
            Intent.clear(name: name, in: lxcpath)
            return report(.undone, details)
        case .copy:
            try discardDirectory(name: name, in: lxcpath, operation: operation)
            Intent.clear(name: name, in: lxcpath)
            return report(.undone, "removed the half-made copy" + (intent.source.map { " of \($0)" } ?? ""))
        case .snapshot:
            let begun = try discardSnapshots(of: name, in: lxcpath, except: intent.snapshots, operation: operation)
            Intent.clearSnapshots(name: name, in: lxcpath)
            return report(.undone, begun.isEmpty ? "no snapshot had been begun" : "removed the half-made snapshot \(begun.joined(separator: ", "))")
        case .rename:
            guard let partner = intent.partner else {
                try discardDirectory(name: name, in: lxcpath, operation: operation)
                Intent.clear(name: name, in: lxcpath)
                return report(.undone, "removed the half-made copy")
            }
            if intent.phase == "removing" {
                // The copy under the new name is complete: finish removing the old name.
                try discardDirectory(name: name, in: lxcpath, operation: operation)
                Intent.clear(name: partner, in: lxcpath)
                Intent.clear(name: name, in: lxcpath)
                return report(.finished, "removed the old name; the container is \(quoted(partner))")
            }
            if intent.phase == "copying" {
                // The old name is whole; the copy under the new one is undone.
                try discardDirectory(name: partner, in: lxcpath, operation: operation)
                Intent.clear(name: partner, in: lxcpath)
                Intent.clear(name: name, in: lxcpath)
                return report(.undone, "removed the half-made copy \(quoted(partner)); the container keeps its name")
            }
            // The new name's own record: the old name's record holds the phase (both are
            // locked already).
            if let source = Intent.recorded(name: partner, in: lxcpath), source.operation == .rename, source.partner == name {
                var done = try repair(source, name: partner, in: lxcpath, operation: operation)
                done.container = partner
                return done
            }
            try discardDirectory(name: name, in: lxcpath, operation: operation)
            Intent.clear(name: name, in: lxcpath)
            return report(.undone, "removed the half-made copy")
        case .restoreInPlace:
            return try repairRestoreInPlace(intent, name: name, in: lxcpath, operation: operation, report: report)
        }
    }

    private static func repairRestoreInPlace(
        _ intent: Intent, name: String, in lxcpath: String, operation: String,
        report: (RepairedOperation.Outcome, String) -> RepairedOperation
    ) throws -> RepairedOperation {
        guard let backupName = intent.partner else {
            Intent.clear(name: name, in: lxcpath)
            return report(.undone, "nothing had been changed")
        }
        switch intent.phase {
        case "keeping":
            // The container was not touched yet: the copy being made of it goes.
            try discardDirectory(name: backupName, in: lxcpath, operation: operation)
            Intent.clear(name: backupName, in: lxcpath)
            Intent.clear(name: name, in: lxcpath)
            return report(.undone, "removed the half-made copy; the container was not changed")
        case "cleaning":
            try discardDirectory(name: backupName, in: lxcpath, operation: operation)
            Intent.clear(name: backupName, in: lxcpath)
            Intent.clear(name: name, in: lxcpath)
            return report(.finished, "the snapshot was restored; removed the copy kept meanwhile")
        default:
            // The restore was under way: the container may be gone or half made. Put the
            // copy back under its name.
            let backup = try Container(name: backupName, lxcpath: lxcpath)
            if let problem = putBack(backup, as: name, in: lxcpath, operation: operation) {
                throw LXCError(operation: operation, container: name,
                               message: "the container could not be put back from the copy \(quoted(backupName)), which is kept: \(problem)",
                               kind: .failed)
            }
            PartialMarker.remove(from: lxcpath + "/" + name)
            try discardDirectory(name: backupName, in: lxcpath, operation: operation)
            Intent.clear(name: backupName, in: lxcpath)
            Intent.clear(name: name, in: lxcpath)
            return report(.undone, "put the container back as it was before the restore")
        }
    }

    /// Removes the snapshots of `name` other than `kept` (those begun by an interrupted
    /// snapshot) and returns their names.
    private static func discardSnapshots(of name: String, in lxcpath: String, except kept: [String],
                                         operation: String) throws -> [String] {
        let snaps = lxcpath + "/" + name + "/snaps"
        let begun = directoryEntries(snaps).filter { !$0.hasPrefix(".") && !kept.contains($0) }.sorted(by: strcmpOrder)
        for snapshot in begun {
            try discardDirectory(name: snapshot, in: snaps, operation: operation)
        }
        return begun
    }

    // MARK: removing a container directory

    /// A copy into `name` is whole: its mark and its intent go.
    static func finishCopy(_ name: String, in lxcpath: String) {
        PartialMarker.remove(from: lxcpath + "/" + name)
        Intent.clear(name: name, in: lxcpath)
    }

    /// After a copy into `name` failed: removes what liblxc left of it and its intent, and
    /// returns `error`, which says so when the removal failed too (the container then stays
    /// incomplete for ``repairIncomplete(in:)-1e449``).
    static func removeHalfMadeCopy(_ name: String, in lxcpath: String, operation: String, after error: LXCError) -> LXCError {
        var error = error
        do {
            try discardDirectory(name: name, in: lxcpath, operation: operation)
            Intent.clear(name: name, in: lxcpath)
        } catch let cleanup {
            error.message += "; the half-made container could not be removed (repairIncomplete removes it): \(cleanup)"
        }
        return error
    }

    /// Removes the container directory `<lxcpath>/<name>` and everything in it, through
    /// liblxc's `destroy` (which removes a root filesystem in the container's user namespace
    /// when it is unprivileged, does not follow symbolic links and does not cross mount
    /// points), after giving it a configuration it can load whose root filesystem lies
    /// inside the directory. Used to undo a half-made container and to finish an
    /// interrupted destroy. A symbolic link at the path is refused, never followed.
    static func discardDirectory(name: String, in lxcpath: String, operation: String) throws {
        let directory = lxcpath + "/" + name
        var info = stat()
        guard lstat(directory, &info) == 0 else { return }
        if info.st_mode & S_IFMT == S_IFLNK {
            throw LXCError(operation: operation, container: name,
                           message: "\(quoted(directory)) is a symbolic link; it is not followed and was left alone",
                           code: ELOOP, kind: .invalidArgument)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw LXCError(operation: operation, container: name,
                           message: "\(quoted(directory)) is not a directory; it was left alone", code: ENOTDIR, kind: .failed)
        }
        // Marked first, so that a removal killed half-way is seen and finished. A directory
        // this user cannot write to (one an unprivileged create had not yet handed back)
        // is removed unmarked: liblxc removes it in the container's user namespace.
        try? PartialMarker.place(in: directory, operation: operation, container: name)
        let remaining = directoryEntries(directory).filter { $0 != "partial" }
        if !remaining.isEmpty {
            try prepareConfigForDiscard(directory: directory, name: name, lxcpath: lxcpath, operation: operation)
            let handle = try newHandle(name: name, lxcpath: lxcpath, operation: operation)
            guard handle.hasConfiguration else {
                throw LXCError(operation: operation, container: name,
                               message: "liblxc cannot load the configuration written to remove \(quoted(directory))", kind: .failed)
            }
            let withSnapshots = !directoryEntries(directory + "/snaps").isEmpty
            let outcome = CallKind.userNamespaceHelpers.applyNoThrow(handle) {
                Isolated.destroy(handle.pointer, includingSnapshots: withSnapshots)
            }
            if !outcome.succeeded && !directoryEntries(directory).filter({ $0 != "partial" }).isEmpty {
                throw LXCError(operation: operation, container: name,
                               message: "liblxc could not remove \(quoted(directory))"
                                   + (outcome.problem.map { ": \($0)" } ?? (outcome.errorString.map { ": \($0)" } ?? "")),
                               code: outcome.errorNumber != 0 ? outcome.errorNumber : nil, kind: .failed)
            }
        }
        PartialMarker.remove(from: directory)
        if rmdir(directory) != 0 && errno != ENOENT {
            let code = errno
            throw LXCError(operation: operation, container: name,
                           message: "\(quoted(directory)) could not be removed: \(errnoDescription(code))", code: code, kind: .failed)
        }
        syncDirectory(lxcpath)
    }

    /// Makes `<directory>/config` one that liblxc loads and whose `lxc.rootfs.path` lies
    /// inside `directory` (or names no path: lvm, zfs, rbd): a half-written configuration is
    /// replaced by the default one, and a root filesystem outside is not liblxc's to remove
    /// here.
    private static func prepareConfigForDiscard(directory: String, name: String, lxcpath: String, operation: String) throws {
        let file = directory + "/config"
        let rootfsDirectory = directory + "/rootfs"
        let ownRootfs = fileExists(rootfsDirectory) ? "dir:" + rootfsDirectory : nil
        var text = readWholeFile(file)
        if text != nil {
            // A configuration liblxc cannot load (cut short by the kill) is set aside.
            let loads = (try? newHandle(name: name, lxcpath: lxcpath, operation: operation))
                .map(\.hasConfiguration) ?? false
            if !loads { text = nil }
        }
        var lines: [Substring]
        if let text {
            lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        } else {
            let defaults = lxc_get_global_config_item("lxc.default_config").map { String(cString: $0) }
            lines = (defaults.flatMap(readWholeFile) ?? "").split(separator: "\n", omittingEmptySubsequences: false)
        }
        // An unprivileged user's liblxc removes the files in the container's user namespace,
        // which needs id maps: a configuration saved without them gets the default ones.
        var idMaps: [Substring] = []
        if geteuid() != 0, let text, lastConfigValue("lxc.idmap", in: text) == nil {
            let defaults = lxc_get_global_config_item("lxc.default_config").map { String(cString: $0) }
            idMaps = (defaults.flatMap(readWholeFile) ?? "").split(separator: "\n").filter {
                $0.trimmingBlanks().hasPrefix("lxc.idmap")
            }
        }
        let rootfs = text.flatMap { lastConfigValue("lxc.rootfs.path", in: $0) } ?? ""
        if idMaps.isEmpty && text != nil && !rootfs.isEmpty && rootfsIsInside(rootfs, directory: directory) { return }
        if idMaps.isEmpty && text != nil && rootfs.isEmpty && ownRootfs == nil { return }
        lines.removeAll { line in
            let trimmed = line.trimmingBlanks()
            return trimmed.hasPrefix("lxc.rootfs.path") || trimmed.hasPrefix("lxc.rootfs =")
        }
        if !rootfs.isEmpty && rootfsIsInside(rootfs, directory: directory) {
            lines.append("lxc.rootfs.path = \(rootfs)")
        } else if let ownRootfs {
            lines.append("lxc.rootfs.path = \(ownRootfs)")
        }
        lines += idMaps
        var result = lines.joined(separator: "\n")
        if !result.isEmpty && !result.hasSuffix("\n") { result += "\n" }
        let code = replaceFileAtomically(file, with: Array(result.utf8), mode: 0o640)
        if code != 0 {
            throw LXCError(operation: operation, container: name,
                           message: "could not write a configuration to remove \(quoted(directory)): \(errnoDescription(code))",
                           code: code, kind: .failed)
        }
    }

    /// Whether the root filesystem `value` (`dir:/p`, `/p`, `overlay:lower:upper`,
    /// `loop:/p`, `btrfs:/p`) lies inside `directory`; true for stores that name no path.
    static func rootfsIsInside(_ value: String, directory: String) -> Bool {
        var path = value
        if let colon = value.firstIndex(of: ":"), !value.hasPrefix("/") {
            let type = value[..<colon]
            guard ["dir", "overlay", "overlayfs", "loop", "btrfs"].contains(type) else { return true }
            // An overlay's upper layer is its last part; it is what liblxc removes.
            path = String(value[value.index(after: colon)...].split(separator: ":").last ?? "")
        }
        return path.hasPrefix(directory + "/")
    }

    /// Puts back the configuration a create had found saved (kept beside its intent).
    static func putBackSavedConfig(name: String, in lxcpath: String, operation: String) throws {
        let saved = LibraryFiles.existingPath(of: .savedConfig, name: name, in: lxcpath)
        guard let bytes = readWholeFileBytes(saved) else { return }
        let directory = lxcpath + "/" + name
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            let code = errno
            throw LXCError(operation: operation, container: name,
                           message: "could not make \(quoted(directory)) to put the saved configuration back (it is kept in \(quoted(saved))): \(errnoDescription(code))",
                           code: code, kind: .failed)
        }
        let code = replaceFileAtomically(directory + "/config", with: bytes, mode: 0o640)
        if code != 0 {
            throw LXCError(operation: operation, container: name,
                           message: "could not put the saved configuration back (it is kept in \(quoted(saved))): \(errnoDescription(code))",
                           code: code, kind: .failed)
        }
        removeFileDurably(saved)
    }
}

extension Container {
    // MARK: async forms

    /// Repairs this container's interrupted operation without blocking the caller's thread;
    /// see ``repairIncomplete()-twdy``.
    @discardableResult
    public func repairIncomplete() async throws -> RepairedOperation? {
        try await offload { try self.repairIncomplete() }
    }

    /// Repairs the interrupted operations in `lxcpath` without blocking the caller's thread;
    /// see ``repairIncomplete(in:)-1e449``.
    @discardableResult
    public static func repairIncomplete(in lxcpath: String? = nil) async throws -> [RepairedOperation] {
        try await BlockingExecutor.shared.run(operation: "repairIncomplete", container: nil) {
            try Container.repairIncomplete(in: lxcpath)
        }
    }
}
