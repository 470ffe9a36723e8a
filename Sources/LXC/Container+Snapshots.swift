import CLXC
import Glibc

extension Container {
    // MARK: snapshot

    /// Takes a snapshot of the stopped container and returns its name (`"snap0"`, `"snap1"`, …).
    ///
    /// liblxc clones the container into its snapshot directory (`<lxcpath>/<name>/snaps`):
    /// a copy for a directory-backed container, a copy-on-write snapshot for overlay, btrfs,
    /// zfs and lvm, and writes the time into the snapshot. The comment reaches liblxc as a
    /// memory file (`memfd_create`), which leaves nothing behind. The snapshot is taken under
    /// the container's lock, and a snapshot killed half-way is listed as incomplete
    /// (``Snapshot/isComplete``) until ``repairIncomplete(in:)-1e449`` removes it. The
    /// corresponding liblxc call is `c->snapshot`.
    ///
    /// ```swift
    /// let name = try container.snapshot(comment: "before the upgrade")
    /// ```
    ///
    /// - Parameter comment: text kept with the snapshot, read back as ``Snapshot/comment``.
    /// - Returns: the snapshot's name.
    /// - Throws: ``LXCError``: ``LXCError/Kind/notFound`` when the container is not defined;
    ///   ``LXCError/Kind/wrongState`` when it is running; ``LXCError/Kind/failed`` with
    ///   liblxc's log lines when the snapshot could not be made (no snapshot is left behind).
    public func snapshot(comment: String? = nil) throws -> String {
        try withDirectoryLock(operation: Operation.snapshot.name) { try takeSnapshot(comment: comment) }
    }

    /// ``snapshot(comment:)`` under the container's lock.
    func takeSnapshot(comment: String?) throws -> String {
        let operation = Operation.snapshot.name
        let handle = handle
        try requireMember(.snapshot, \.snapshot)
        try requireDefined(operation)
        try requireStopped(operation, "the container is running; liblxc snapshots only stopped containers, so stop it first")
        try requireComplete(operation)
        let (path, name) = (lxcpath, self.name)
        let snaps = path + "/" + name + "/snaps"
        let before = directoryEntries(snaps).filter { !$0.hasPrefix(".") }.sorted(by: strcmpOrder)

        // The comment goes through a memory file that liblxc reads by its /proc path: no
        // temporary file is left behind, even when this process is killed.
        let commentFile = try comment.map { try CommentFile(text: $0, operation: operation, container: name) }
        defer { commentFile?.close() }

        try Intent(.snapshot, snapshots: before).record(name: name, in: path, operation: operation, container: name)
        let number = try liblxc(.snapshot, \.snapshot, .inChildProcess, on: handle) { _, pointer in
            Isolated.snapshot(pointer, commentFile: commentFile?.path)
        } then: { outcome, call -> Int32 in
            if outcome.problem == nil && outcome.value >= 0 { return outcome.value }
            var error = call.failure("liblxc could not snapshot the container", outcome: outcome)
            if error.log.contains(where: { $0.contains("cannot be backed up") }) {
                error.kind = .unsupported
                error.message = "the container's backing store cannot be snapshotted by liblxc"
            }
            // liblxc may fail after the snapshot itself was made (writing its time or
            // comment): remove such a half-made snapshot.
            for made in directoryEntries(snaps) where !made.hasPrefix(".") && !before.contains(made) {
                try? Container.discardDirectory(name: made, in: snaps, operation: operation)
            }
            Intent.clearSnapshots(name: name, in: path)
            throw error
        }
        Intent.clearSnapshots(name: name, in: path)
        return "snap\(number)"
    }

    // MARK: list

    /// The container's snapshots, in the order liblxc numbered them (`snap2` before `snap10`).
    ///
    /// Each comes with its time (as liblxc's text and taken apart) and its comment, read from
    /// the snapshot's comment file. liblxc's array and each entry in it are freed once, with
    /// the entry's own `free` and then `free`. The corresponding liblxc call is
    /// `c->snapshot_list`.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/notFound`` when the container is not defined;
    ///   ``LXCError/Kind/failed`` when liblxc cannot read the snapshot directory.
    public func snapshots() throws -> [Snapshot] {
        let operation = Operation.snapshots.name
        return try liblxc(.snapshots, \.snapshot_list) { list, pointer in
            var array: UnsafeMutablePointer<lxc_snapshot>?
            let count = list(pointer, &array)
            return (count, array)
        } then: { (listed: (count: Int32, array: UnsafeMutablePointer<lxc_snapshot>?), call) in
            let (count, array) = listed
            defer {
                if let array {
                    for index in 0..<max(Int(count), 0) {
                        array[index].free?(array + index)
                    }
                    free(array)
                }
            }
            if count < 0 {
                if !isDefined { throw notDefinedError(operation) }
                throw call.failure("liblxc could not list the snapshots")
            }
            guard let array else { return [] }
            // Snapshots begun or being destroyed by an operation that was interrupted.
            let (path, ownName) = (lxcpath, self.name)
            let intent = Intent.recordedForSnapshots(name: ownName, in: path)
            var result: [Snapshot] = []
            result.reserveCapacity(Int(count))
            for index in 0..<Int(count) {
                let entry = array[index]
                guard let name = entry.name.map({ String(cString: $0) }) else { continue }
                let commentPath = entry.comment_pathname.map { String(cString: $0) }
                var snapshot = Snapshot(
                    name: name,
                    timestamp: entry.timestamp.map { String(cString: $0) } ?? "",
                    commentPath: commentPath,
                    comment: commentPath.flatMap(readWholeFile),
                    lxcpath: entry.lxcpath.map { String(cString: $0) } ?? "")
                let directory = snapshot.lxcpath + "/" + name
                snapshot.isComplete = !PartialMarker.isPlaced(in: directory) && fileExists(directory + "/ts")
                    && !(intent?.operation == .snapshot && !(intent?.snapshots.contains(name) ?? true))

                result.append(snapshot)
            }
            return result.sorted(by: Snapshot.listOrder)
        }
    }

    /// The snapshot called `name`, or a ``LXCError/Kind/notFound`` error that lists the
    /// ones there are.
    func requireSnapshot(_ name: String, operation: String) throws -> Snapshot {
        try Validate.name(name, operation: operation, what: "snapshot name")
        let all = try snapshots()
        if let found = all.first(where: { $0.name == name }) { return found }
        let known = all.isEmpty ? "it has no snapshots" : "it has " + all.map(\.name).joined(separator: ", ")
        throw LXCError(operation: operation, container: self.name,
                       message: "the container has no snapshot \(quoted(name)); \(known)", code: ENOENT, kind: .notFound)
    }

    // MARK: restore

    /// Makes a new container, `newName`, in this container's lxcpath from a snapshot.
    ///
    /// The new container is a copy of the snapshot (for overlay, btrfs, zfs and lvm a
    /// copy-on-write snapshot of it); this container and its snapshots are not changed.
    /// To put a snapshot back under this container's own name, use
    /// ``restoreSnapshotInPlace(_:)-3xcoo``: liblxc does that by destroying the container first,
    /// which this method refuses to do. The corresponding liblxc call is `c->snapshot_restore`.
    ///
    /// ```swift
    /// let old = try web.restoreSnapshot("snap0", as: "web-yesterday")
    /// try old.start()
    /// ```
    ///
    /// - Returns: the new container, with its configuration loaded.
    /// - Throws: ``LXCError``: ``LXCError/Kind/invalidArgument`` for a bad name or when
    ///   `newName` is this container's name; ``LXCError/Kind/notFound`` for an unknown
    ///   snapshot or an undefined container; ``LXCError/Kind/alreadyExists`` when a
    ///   container `newName` exists (it is left untouched); ``LXCError/Kind/wrongState``
    ///   when overlay clones or snapshots are built on this container's root filesystem
    ///   (liblxc refuses to restore from a container they pin; the message names them);
    ///   ``LXCError/Kind/failed`` with liblxc's log lines otherwise.
    public func restoreSnapshot(_ name: String, as newName: String) throws -> Container {
        let operation = Operation.restoreSnapshot.name
        try Validate.name(name, operation: operation, what: "snapshot name")
        try Validate.name(newName, operation: operation)
        let handle = handle
        try requireMember(.restoreSnapshot, \.snapshot_restore)
        if newName == self.name {
            throw LXCError.invalid(operation, self.name,
                                   "restoring a snapshot under the container's own name makes liblxc destroy the container first; call restoreSnapshotInPlace(_:) to replace the container (it keeps the container when the restore fails), or give another name")
        }
        let path = lxcpath
        try withDirectoryLock(also: [(newName, path)], operation: operation) {
            try requireDefined(operation)
            try requireComplete(operation)
            let snapshot = try requireSnapshot(name, operation: operation)
            try requireCompleteSnapshot(snapshot, operation: operation)
            try requireNoContainer(newName, in: path, operation: operation)
            try requireNotPinned(operation, verb: "restore a snapshot of it")

            // The new container is marked as being made until it is whole (see Intent).
            let directory = path + "/" + newName
            try Intent(.copy, source: "\(snapshot.lxcpath)/\(name)").record(name: newName, in: path, operation: operation, container: self.name)
            try PartialMarker.place(in: directory, operation: operation, container: self.name)
            try liblxc(.restoreSnapshot, \.snapshot_restore, .inChildProcess, on: handle) { _, pointer in
                Isolated.restoreSnapshot(pointer, name, as: newName)
            } then: { outcome, call in
                if outcome.succeeded {
                    Container.finishCopy(newName, in: path)
                    return
                }
                throw Container.removeHalfMadeCopy(newName, in: path, operation: operation, after: call.failure(
                    "liblxc could not restore snapshot \(quoted(name)) as \(quoted(newName))", outcome: outcome))
            }
        }
        return try Container(name: newName, lxcpath: path)
    }

    /// Replaces the container with one of its snapshots, keeping the container as it was
    /// if the restore fails.
    ///
    /// liblxc restores a snapshot under the container's own name by destroying the
    /// container first and then copying the snapshot; if the copy fails, the container is
    /// gone. This method first clones the container aside (a copy, under a name
    /// `<name>-pre-restore-<hex>` in the same lxcpath), then lets liblxc restore, and
    /// removes the copy once the restore worked. When the restore fails and liblxc had
    /// destroyed the container, the copy is cloned back under the container's name; only
    /// if that fails too is the copy left, and the error names it. An overlay container,
    /// which liblxc can clone only as a snapshot that would pin it, is kept as a new
    /// snapshot of its own instead, restored in its place on failure and destroyed on
    /// success. The container's snapshots
    /// are kept. This `Container` then refers to the restored container. The corresponding
    /// liblxc call is `c->snapshot_restore` with the container's own name.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/notFound`` for an unknown snapshot or an
    ///   undefined container; ``LXCError/Kind/wrongState`` when the container runs or overlay
    ///   clones are built on its root filesystem; ``LXCError/Kind/failed`` otherwise, the
    ///   message saying what became of the container.
    public func restoreSnapshotInPlace(_ name: String) throws {
        let operation = Operation.restoreSnapshotInPlace.name
        try Validate.name(name, operation: operation, what: "snapshot name")
        let handle = handle
        try requireMember(.restoreSnapshotInPlace, \.snapshot_restore)
        let ownName = self.name
        let path = lxcpath
        let backupName = Self.backupName(for: ownName)
        try withDirectoryLock(also: [(backupName, path)], operation: operation) {
            try requireDefined(operation)
            try requireStopped(operation, "the container is running; stop it before restoring a snapshot over it")
            try requireComplete(operation)
            try requireCompleteSnapshot(try requireSnapshot(name, operation: operation), operation: operation)
            try requireNotPinned(operation, verb: "restore a snapshot over it")
            try restoreInPlaceLocked(name, backupName: backupName, handle: handle, operation: operation)
        }
    }

    /// ``restoreSnapshotInPlace(_:)`` under the locks of the container and of its copy.
    private func restoreInPlaceLocked(_ name: String, backupName: String, handle: Handle, operation: String) throws {
        let ownName = self.name
        let path = lxcpath
        if currentBackingStore() == .overlay {
            // liblxc clones an overlay container only as a snapshot, which would pin it and
            // make liblxc refuse the restore: keep the container as a snapshot instead.
            try restoreOverlayInPlace(name, handle: handle, operation: operation)
            return
        }
        // Each step is recorded before it is taken (see Intent), so that a restore killed
        // half-way is undone from the copy by repairIncomplete.
        func record(_ phase: String) throws {
            try Intent(.restoreInPlace, phase: phase, partner: backupName).record(name: ownName, in: path, operation: operation, container: ownName)
        }
        try record("keeping")
        let backup: Container
        do {
            backup = try cloneStoppedContainer(handle, as: backupName, in: path,
                                               options: [.keepName, .keepMACAddress, .keepBackingStoreType],
                                               backingStore: nil, size: 0, hookArguments: [], operation: operation)
        } catch var error as LXCError {
            Intent.clear(name: ownName, in: path)
            error.message = "could not keep a copy of the container before restoring, so nothing was changed: " + error.message
            throw error
        }
        try record("restoring")
        func discardBackup() {
            try? Container.discardDirectory(name: backupName, in: path, operation: operation)
            Intent.clear(name: ownName, in: path)
        }

        let containerDirectory = "\(path)/\(ownName)"
        let fingerprint = Self.fingerprint(of: containerDirectory)
        let restoreError: LXCError? = try liblxc(.restoreSnapshotInPlace, \.snapshot_restore, .inChildProcess, on: handle) { _, pointer in
            Isolated.restoreSnapshot(pointer, name, as: ownName)
        } then: { outcome, call in
            outcome.succeeded ? nil
                : call.failure("liblxc could not restore snapshot \(quoted(name)) over the container", outcome: outcome)
        }
        guard var error = restoreError else {
            try record("cleaning")
            replaceHandle(try Container.newHandle(name: ownName, lxcpath: path, operation: operation), name: ownName)
            discardBackup()
            return
        }
        defer {
            if let fresh = try? Container.newHandle(name: ownName, lxcpath: path, operation: operation) {
                replaceHandle(fresh, name: ownName)
            }
        }
        if fingerprint != nil && Self.fingerprint(of: containerDirectory) == fingerprint {
            // liblxc failed before it touched the container.
            discardBackup()
            error.message += "; the container was not changed"
            throw error
        }
        // liblxc deleted the container (and may have left a half-made one, which logs nothing:
        // liblxc closes the log with the deleted configuration). Put the copy back.
        if let problem = Self.putBack(backup, as: ownName, in: path, operation: operation) {
            error.message += "; liblxc had deleted the container and it could not be put back (\(problem)): the container as it was is kept as \(quoted(backup.name)) in \(path)"
        } else {
            PartialMarker.remove(from: containerDirectory)
            discardBackup()
            error.message += "; liblxc had deleted the container, which was put back as it was"
        }
        throw error
    }

    /// ``restoreSnapshotInPlace(_:)`` for an overlay container: the container as it was is
    /// kept as a snapshot of its own (liblxc keeps the snapshot directory when it deletes
    /// the container), which is restored in its place if liblxc fails.
    private func restoreOverlayInPlace(_ name: String, handle: Handle, operation: String) throws {
        let ownName = self.name
        let path = lxcpath
        let kept: String
        do {
            kept = try takeSnapshot(comment: "swift-lxc: the container before snapshot \(name) was restored in its place")
        } catch var error as LXCError {
            error.message = "could not keep a snapshot of the container before restoring, so nothing was changed: " + error.message
            throw error
        }
        let containerDirectory = "\(path)/\(ownName)"
        let fingerprint = Self.fingerprint(of: containerDirectory)
        let restoreError: LXCError? = try liblxc(.restoreSnapshotInPlace, \.snapshot_restore, .inChildProcess, on: handle) { _, pointer in
            Isolated.restoreSnapshot(pointer, name, as: ownName)
        } then: { outcome, call in
            outcome.succeeded ? nil
                : call.failure("liblxc could not restore snapshot \(quoted(name)) over the container", outcome: outcome)
        }
        let fresh = try Container.newHandle(name: ownName, lxcpath: path, operation: operation)
        replaceHandle(fresh, name: ownName)
        func destroyKept(on handle: Handle) {
            _ = try? query(.restoreSnapshotInPlace, \.snapshot_destroy, .inChildProcess, on: handle) { _, pointer in
                Isolated.destroySnapshot(pointer, kept)
            }
        }
        guard var error = restoreError else {
            destroyKept(on: fresh)
            return
        }
        if fingerprint != nil && Self.fingerprint(of: containerDirectory) == fingerprint {
            destroyKept(on: fresh)
            error.message += "; the container was not changed"
            throw error
        }
        if queryIfPresent(\.is_defined, on: fresh, { isDefined, pointer in isDefined(pointer) }) ?? false,
           (try? query(.restoreSnapshotInPlace, \.snapshot_restore, .inChildProcess, on: fresh, { _, pointer in
               Isolated.restoreSnapshot(pointer, kept, as: ownName)
           }))?.succeeded ?? false {
            let again = try Container.newHandle(name: ownName, lxcpath: path, operation: operation)
            replaceHandle(again, name: ownName)
            destroyKept(on: again)
            error.message += "; liblxc had deleted the container, which was put back as it was"
        } else {
            error.message += "; liblxc had deleted the container: it is kept as snapshot \(quoted(kept)), which restoreSnapshotInPlace(\(quoted(kept))) or restoreSnapshot(\(quoted(kept)), as:) brings back"
        }
        throw error
    }

    /// The identity of a container's configuration file and root filesystem directory
    /// (device, inode, change time): a container that liblxc deleted and made again
    /// differs in them.
    static func fingerprint(of containerDirectory: String) -> [Int]? {
        var result: [Int] = []
        for path in ["\(containerDirectory)/config", "\(containerDirectory)/rootfs"] {
            var info = stat()
            guard lstat(path, &info) == 0 else { return nil }
            result += [Int(info.st_dev), Int(info.st_ino), Int(info.st_ctim.tv_sec), Int(info.st_ctim.tv_nsec)]
        }
        return result
    }

    /// Replaces whatever liblxc left under `name` with a clone of `backup`, keeping the
    /// snapshot directory; returns what went wrong, or nil.
    static func putBack(_ backup: Container, as name: String, in lxcpath: String, operation: String) -> String? {
        let directory = "\(lxcpath)/\(name)"
        let snaps = "\(directory)/snaps"
        let parked = "\(lxcpath)/.\(name).snaps-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        // The snapshots would stop liblxc from deleting a half-made container: park them.
        let hasSnaps = fileExists(snaps)
        if hasSnaps && Glibc.rename(snaps, parked) != 0 {
            return "the snapshot directory could not be moved aside: \(errnoDescription(errno))"
        }
        var problem: String?
        do {
            try discardDirectory(name: name, in: lxcpath, operation: operation)
        } catch {
            problem = "what liblxc left could not be deleted: \(error)"
        }
        if problem == nil {
            do {
                // The caller's own intent covers this copy (see restoreSnapshotInPlace).
                _ = try backup.cloneStoppedContainer(backup.handle, as: name, in: lxcpath,
                                                     options: [.keepName, .keepMACAddress, .keepBackingStoreType],
                                                     backingStore: nil, size: 0, hookArguments: [], operation: operation,
                                                     recordsIntent: false)
            } catch {
                problem = "the copy could not be cloned back: \(error)"
            }
        }
        if hasSnaps {
            if !fileExists(directory) { mkdir(directory, 0o755) }
            if Glibc.rename(parked, snaps) != 0 {
                let why = "the snapshots were left in \(parked): \(errnoDescription(errno))"
                problem = problem.map { $0 + "; " + why } ?? why
            }
        }
        return problem
    }

    /// A container name for the copy kept during ``restoreSnapshotInPlace(_:)``.
    static func backupName(for name: String) -> String {
        let suffix = "-pre-restore-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        if name.utf8.count + suffix.utf8.count <= Validate.maximumNameLength { return name + suffix }
        return "pre-restore" + suffix.dropFirst("-pre-restore".count)
    }

    // MARK: destroy

    /// Destroys one snapshot.
    ///
    /// The corresponding liblxc call is `c->snapshot_destroy`.
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/invalidArgument`` for a bad name;
    ///   ``LXCError/Kind/notFound`` for an unknown snapshot or an undefined container;
    ///   ``LXCError/Kind/wrongState`` when overlay clones are built on the snapshot (liblxc
    ///   keeps a snapshot they pin; the message names them); ``LXCError/Kind/failed``
    ///   with liblxc's log lines otherwise.
    public func destroySnapshot(_ name: String) throws {
        let operation = Operation.destroySnapshot.name
        let handle = handle
        try requireMember(.destroySnapshot, \.snapshot_destroy)
        try withDirectoryLock(operation: operation) {
            try requireDefined(operation)
            let snapshot = try requireSnapshot(name, operation: operation)
            let dependents = Self.overlayDependents(name: snapshot.name, lxcpath: snapshot.lxcpath)
            if !dependents.isEmpty {
                throw wrongStateError(operation, "snapshot \(quoted(name)) is the lower layer of \(Self.describe(dependents)); liblxc keeps it while they exist, so destroy them first")
            }
            try destroyingSnapshots([name], operation: operation) {
                try liblxc(.destroySnapshot, \.snapshot_destroy, .inChildProcess, on: handle) { _, pointer in
                    Isolated.destroySnapshot(pointer, name)
                } then: { outcome, call in
                    if outcome.succeeded { return }
                    throw call.failure("liblxc could not destroy snapshot \(quoted(name))", outcome: outcome)
                }
            }
        }
    }

    /// Destroys every snapshot of the container; with none, does nothing.
    ///
    /// The corresponding liblxc call is `c->snapshot_destroy_all` (which fails when the
    /// container never had a snapshot directory; this method does not call it then).
    ///
    /// - Throws: ``LXCError``: ``LXCError/Kind/notFound`` when the container is not defined;
    ///   ``LXCError/Kind/failed`` when some could not be destroyed (the message names those
    ///   left).
    public func destroyAllSnapshots() throws {
        let operation = Operation.destroyAllSnapshots.name
        let handle = handle
        try requireMember(.destroyAllSnapshots, \.snapshot_destroy_all)
        try withDirectoryLock(operation: operation) {
            try requireDefined(operation)
            let names = try snapshots().map(\.name)
            if names.isEmpty { return }
            try destroyingSnapshots(names, operation: operation) {
                try liblxc(.destroyAllSnapshots, \.snapshot_destroy_all, .inChildProcess, on: handle) { _, pointer in
                    Isolated.destroyAllSnapshots(pointer)
                } then: { outcome, call in
                    if outcome.succeeded { return }
                    let left = (try? snapshots().map(\.name)) ?? []
                    if left.isEmpty && outcome.problem == nil { return }
                    throw call.failure(
                                  "liblxc could not destroy every snapshot; left: \(left.joined(separator: ", "))", outcome: outcome)
                }
            }
        }
    }

    /// Runs `destroy` with the snapshots `names` marked as being destroyed (liblxc's
    /// `partial`, see Intent): killed half-way, they are listed as incomplete and
    /// repairIncomplete finishes them. When liblxc fails without touching a snapshot, its
    /// mark is taken back.
    private func destroyingSnapshots(_ names: [String], operation: String, _ destroy: () throws -> Void) throws {
        let snaps = lxcpath + "/" + name + "/snaps"
        let fingerprints = names.map { Self.fingerprint(of: snaps + "/" + $0) }
        for snapshot in names {
            try PartialMarker.placeUnlessDiskIsFull(in: snaps + "/" + snapshot, operation: operation, container: name)
        }
        do {
            try destroy()
        } catch {
            for (snapshot, fingerprint) in zip(names, fingerprints) where fileExists(snaps + "/" + snapshot) {
                if fingerprint != nil && Self.fingerprint(of: snaps + "/" + snapshot) == fingerprint {
                    PartialMarker.remove(from: snaps + "/" + snapshot)
                }
            }
            throw error
        }
    }

    /// Refuses a snapshot that an interrupted operation left incomplete.
    func requireCompleteSnapshot(_ snapshot: Snapshot, operation: String) throws {
        if !snapshot.isComplete {
            throw wrongStateError(operation, "snapshot \(quoted(snapshot.name)) is incomplete: the operation that made or destroyed it was interrupted; repairIncomplete() finishes or removes it")
        }
    }

    // MARK: overlay dependencies

    /// Refuses when overlay clones or snapshots pin this container's root filesystem.
    func requireNotPinned(_ operation: String, verb: String) throws {
        let dependents = Self.overlayDependents(name: name, lxcpath: lxcpath)
        if !dependents.isEmpty {
            throw wrongStateError(operation, "the container's root filesystem is the lower layer of \(Self.describe(dependents)); liblxc will not \(verb) while they exist, so destroy them first")
        }
    }

    /// The containers whose overlay root filesystem is built on the container `name`, from
    /// liblxc's `lxc_snapshots` file in its directory (pairs of lines: lxcpath, name).
    static func overlayDependents(name: String, lxcpath: String) -> [(name: String, lxcpath: String)] {
        guard let text = readWholeFile("\(lxcpath)/\(name)/lxc_snapshots") else { return [] }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        var result: [(name: String, lxcpath: String)] = []
        var index = 0
        while index + 1 < lines.count {
            result.append((name: lines[index + 1], lxcpath: lines[index]))
            index += 2
        }
        if result.isEmpty && !lines.isEmpty { result.append((name: "(unnamed)", lxcpath: lxcpath)) }
        return result
    }

    static func describe(_ dependents: [(name: String, lxcpath: String)]) -> String {
        let names = dependents.map { "\(quoted($0.name)) in \($0.lxcpath)" }
        return (dependents.count == 1 ? "the overlay container " : "the overlay containers ") + names.joined(separator: ", ")
    }
}

extension Container {
    // MARK: async forms

    /// Takes a snapshot without blocking the caller's thread; see ``snapshot(comment:)``.
    public func snapshot(comment: String? = nil) async throws -> String {
        try await offload { try self.snapshot(comment: comment) }
    }

    /// Lists the snapshots without blocking the caller's thread; see ``snapshots()``.
    public func snapshots() async throws -> [Snapshot] {
        try await offload { try self.snapshots() }
    }

    /// Restores a snapshot as a new container without blocking the caller's thread; see
    /// ``restoreSnapshot(_:as:)``.
    public func restoreSnapshot(_ name: String, as newName: String) async throws -> Container {
        try await offload { try self.restoreSnapshot(name, as: newName) }
    }

    /// Replaces the container with a snapshot without blocking the caller's thread; see
    /// ``restoreSnapshotInPlace(_:)``.
    public func restoreSnapshotInPlace(_ name: String) async throws {
        try await offload { try self.restoreSnapshotInPlace(name) }
    }

    /// Destroys a snapshot without blocking the caller's thread; see ``destroySnapshot(_:)``.
    public func destroySnapshot(_ name: String) async throws {
        try await offload { try self.destroySnapshot(name) }
    }

    /// Destroys every snapshot without blocking the caller's thread; see ``destroyAllSnapshots()``.
    public func destroyAllSnapshots() async throws {
        try await offload { try self.destroyAllSnapshots() }
    }
}

// MARK: liblxc's names

extension Container {
    @available(*, unavailable, renamed: "snapshots()")
    public func snapshot_list() throws -> [Snapshot] { try snapshots() }

    @available(*, unavailable, renamed: "restoreSnapshot(_:as:)")
    public func snapshot_restore(_ name: String, _ newName: String) throws -> Container {
        try restoreSnapshot(name, as: newName)
    }

    @available(*, unavailable, renamed: "destroySnapshot(_:)")
    public func snapshot_destroy(_ name: String) throws { try destroySnapshot(name) }

    @available(*, unavailable, renamed: "destroyAllSnapshots()")
    public func snapshot_destroy_all() throws { try destroyAllSnapshots() }
}
