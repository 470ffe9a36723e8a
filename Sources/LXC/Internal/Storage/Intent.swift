import CLXC
import Glibc

/// What an operation on a container's directory is about to do, written (atomically) to
/// `<lxcpath>/.swift-lxc/<name>.intent` before the operation changes anything and removed
/// once it has finished, whether it worked or failed cleanly.
///
/// A destroy (of a container or a snapshot) records no intent: it only marks the directory
/// it removes with `partial` (below), which is all its repair needs, and which takes no
/// space on a full disk, where a destroy is what frees some.
///
/// An intent that is still there when nobody holds the container's lock (``ContainerLocks``)
/// belongs to an operation whose process was killed: the container is then *incomplete*
/// (``ContainerState/incomplete``), `start` and the restores refuse it, and
/// ``Container/repairIncomplete(in:)-1e449`` uses the intent to finish the operation or undo it.
///
/// Each container directory that an operation is making or removing also holds liblxc's
/// marker `partial` meanwhile (liblxc makes it itself during `create`), so that liblxc, and
/// the `lxc-*` tools, refuse to start it too.
struct Intent: Equatable, Sendable {
    enum Operation: String, Sendable {
        /// `create` of the container; `savedConfig` says a configuration saved before it is
        /// kept beside the intent, to be put back.
        case create
        /// The container is being made as a copy of `source` (clone, restore of a snapshot
        /// as a new container, the copy step of rename and of an in-place restore).
        case copy
        /// A snapshot of the container is being taken; `snapshots` were there before.
        case snapshot
        /// The container is being renamed to `partner`: `phase` is `copying` (undone by
        /// removing the copy) or `removing` (finished by removing the container).
        case rename
        /// A snapshot is being restored over the container, which is kept meanwhile as the
        /// container `partner`: `phase` is `keeping`, `restoring` or `cleaning`.
        case restoreInPlace
    }

    var operation: Operation
    var phase: String?
    var partner: String?
    var source: String?
    var snapshots: [String] = []
    var savedConfig = false

    /// The text kept in the file: one `key=value` line a field.
    var text: String {
        var lines = ["operation=\(operation.rawValue)"]
        if let phase { lines.append("phase=\(phase)") }
        if let partner { lines.append("partner=\(partner)") }
        if let source { lines.append("source=\(source)") }
        if !snapshots.isEmpty { lines.append("snapshots=\(snapshots.joined(separator: ","))") }
        if savedConfig { lines.append("saved-config=1") }
        return lines.joined(separator: "\n") + "\n"
    }

    init(_ operation: Operation, phase: String? = nil, partner: String? = nil, source: String? = nil,
         snapshots: [String] = [], savedConfig: Bool = false) {
        self.operation = operation
        self.phase = phase
        self.partner = partner
        self.source = source
        self.snapshots = snapshots
        self.savedConfig = savedConfig
    }

    init?(text: String) {
        var fields: [Substring: Substring] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            fields[line[..<equals]] = line[line.index(after: equals)...]
        }
        guard let name = fields["operation"], let operation = Operation(rawValue: String(name)) else { return nil }
        self.operation = operation
        phase = fields["phase"].map(String.init)
        partner = fields["partner"].map(String.init)
        source = fields["source"].map(String.init)
        snapshots = fields["snapshots"].map { $0.split(separator: ",").map(String.init) } ?? []
        savedConfig = fields["saved-config"] == "1"
    }

    /// Snapshots are recorded apart (``LibraryFiles/Kind/snapshotIntent``): one being taken
    /// leaves the container itself whole.
    var kind: LibraryFiles.Kind {
        operation == .snapshot ? .snapshotIntent : .intent
    }

    /// The intent recorded for the container `name` in `lxcpath`, if any. An intent file
    /// that cannot be parsed reads as an interrupted `copy`: whatever it was, the container
    /// is not to be trusted.
    static func recorded(name: String, in lxcpath: String) -> Intent? {
        let path = LibraryFiles.existingPath(of: .intent, name: name, in: lxcpath)
        guard let text = readWholeFile(path) else { return nil }
        return Intent(text: text) ?? Intent(.copy)
    }

    /// The intent of a snapshot of `name` being taken or destroyed, if any.
    static func recordedForSnapshots(name: String, in lxcpath: String) -> Intent? {
        let path = LibraryFiles.existingPath(of: .snapshotIntent, name: name, in: lxcpath)
        return readWholeFile(path).flatMap(Intent.init(text:))
    }

    /// Whether an intent is recorded for the container: one `access` call.
    static func isRecorded(name: String, in lxcpath: String) -> Bool {
        fileExists(LibraryFiles.existingPath(of: .intent, name: name, in: lxcpath))
    }

    /// Records this intent for the container `name` in `lxcpath`.
    func record(name: String, in lxcpath: String, operation: String, container: String?) throws {
        guard let path = try LibraryFiles.path(of: kind, name: name, in: lxcpath, operation: operation, container: container) else {
            throw LXCError(operation: operation, container: container,
                           message: "the lxcpath \(quoted(lxcpath)) does not exist", code: ENOENT, kind: .notFound)
        }
        let code = replaceFileAtomically(path, with: Array(text.utf8), mode: 0o644)
        if code != 0 {
            throw LXCError(operation: operation, container: container,
                           message: "could not record the operation in \(quoted(path)) before starting it, so nothing was changed: \(errnoDescription(code))",
                           code: code, kind: .failed)
        }
    }

    /// Removes the intent of the container `name` (the operation finished).
    static func clear(name: String, in lxcpath: String) {
        removeFileDurably(LibraryFiles.existingPath(of: .intent, name: name, in: lxcpath))
    }

    /// Removes the intent of a snapshot of `name` (the snapshot operation finished).
    static func clearSnapshots(name: String, in lxcpath: String) {
        removeFileDurably(LibraryFiles.existingPath(of: .snapshotIntent, name: name, in: lxcpath))
    }
}

/// liblxc's marker of a container directory that is being made (`<dir>/partial`): while it
/// is there, liblxc refuses to start the container ("Ongoing container creation detected").
enum PartialMarker {
    static func path(_ directory: String) -> String { directory + "/partial" }

    /// Makes `directory` if it is missing, with mode 0770 whatever the umask (what liblxc's
    /// `do_create_container_dir` makes: an unprivileged container's directory is then handed
    /// to the container's root, and the user keeps writing to it through its group), and
    /// puts the marker in it.
    static func place(in directory: String, operation: String, container: String?) throws {
        if mkdir(directory, 0o770) == 0 {
            _ = chmod(directory, 0o770)
        } else if errno != EEXIST {
            let code = errno
            throw LXCError(operation: operation, container: container,
                           message: "could not make \(quoted(directory)): \(errnoDescription(code))", code: code,
                           kind: code == EACCES || code == EPERM ? .permissionDenied : .failed)
        }
        let fd = open(path(directory), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            let code = errno
            throw LXCError(operation: operation, container: container,
                           message: "could not mark \(quoted(directory)) as incomplete: \(errnoDescription(code))", code: code,
                           kind: .failed)
        }
        _ = fsync(fd)
        close(fd)
        syncDirectory(directory)
    }

    /// ``place(in:operation:container:)``, except that a disk too full for an empty file
    /// (`ENOSPC`, `EDQUOT`) lets the caller go on unmarked: used before a destroy, which is
    /// what frees space.
    static func placeUnlessDiskIsFull(in directory: String, operation: String, container: String?) throws {
        do {
            try place(in: directory, operation: operation, container: container)
        } catch let error as LXCError where error.code == ENOSPC || error.code == EDQUOT {
            return
        }
    }

    static func remove(from directory: String) {
        removeFileDurably(path(directory))
    }

    static func isPlaced(in directory: String) -> Bool {
        fileExists(path(directory))
    }

    /// Whether a create is under way in `directory` right now: liblxc's create holds an
    /// open-file-description lock on its `partial` file for as long as it runs (a create by
    /// another program, which this library's lock does not exclude). A marker nobody holds
    /// is one that an interrupted operation left.
    ///
    /// The lock is looked up in `/proc/locks` by the file's device and inode: liblxc makes
    /// the file with mode 0000, which an ordinary user cannot open to probe it.
    static func isHeldByOngoingCreate(in directory: String) -> Bool {
        var info = stat()
        guard lstat(path(directory), &info) == 0, let locks = readWholeFile("/proc/locks") else { return false }
        // `1: OFDLCK ADVISORY WRITE -1 08:01:1234 0 EOF`: the sixth field is
        // major:minor:inode, the device numbers in hexadecimal.
        let wanted = String(clxc_major(info.st_dev), radix: 16) + ":" + String(clxc_minor(info.st_dev), radix: 16)
            + ":" + String(info.st_ino)
        return locks.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 5 else { return false }
            // Blocked waiters are listed with "->" as a field of their own.
            let field = fields[1] == "->" ? (fields.count > 6 ? fields[6] : "") : fields[5]
            return Self.sameFile(field, wanted)
        }
    }

    /// Whether `/proc/locks`' `major:minor:inode` names the same file as `wanted`, with the
    /// device numbers compared as numbers (the kernel pads them to two digits).
    static func sameFile(_ field: Substring, _ wanted: String) -> Bool {
        let have = field.split(separator: ":"), want = wanted.split(separator: ":")
        guard have.count == 3, want.count == 3 else { return false }
        return UInt64(have[0], radix: 16) == UInt64(want[0], radix: 16)
            && UInt64(have[1], radix: 16) == UInt64(want[1], radix: 16)
            && have[2] == want[2]
    }
}
