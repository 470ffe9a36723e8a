import CLXC
import Glibc

// Files in and out of a running container through a process inside it, for an ordinary user.
//
// Files that a container's root should own belong on the host to its mapped ids, and only a
// process with CAP_CHOWN in the host's user namespace may give them those (the user may not),
// or a process inside the container's user namespace, where they are its own ids. So for an
// ordinary user, a running container's files are written and read by a process that liblxc's
// attach puts inside the container (`clxc_file_job_run` in CLXC/files.h), as the container's
// root: paths resolve in the container's own root, as its programs see them, and the owner is
// given as the container's ids, with no shifting. Single files only; trees are copied by root.

enum FilesInside {
    /// For tests run as root: take this path although the caller is root.
    @TaskLocal static var forced = false
}

extension Container {
    /// The init's pid when files go through a process inside: an ordinary user's running
    /// container.
    func insideFileTransferPID() -> pid_t? {
        guard geteuid() != 0 || FilesInside.forced else { return nil }
        return initPID
    }

    /// Runs one file job inside the container and throws what it reported.
    func runFileJob(_ operation: String, path: String, leaf: String?, fd: Int32, into: Bool,
                    mode: mode_t, owner: FileOwner) throws {
        let process = try withOptionalCString(leaf) { leafPointer in
            try path.withCString { pathPointer in
                var job = clxc_file_job(path: pathPointer, leaf: leafPointer, fd: fd, into: into ? 1 : 0,
                                        mode: UInt32(mode), uid: owner.userID, gid: owner.groupID)
                return try withUnsafeMutablePointer(to: &job) { pointer in
                    try attachFunction(clxc_file_job_run, payload: UnsafeMutableRawPointer(pointer),
                                       options: AttachOptions(), operation: operation)
                }
            }
        }
        let status = try process.wait(operation: operation, diagnostics: nil)
        switch status {
        case .exited(0):
            return
        case .exited(let code):
            let what = into ? "cannot write \(quoted(path)) inside the container" : "cannot read \(quoted(path)) inside the container"
            throw LXCError(operation: operation, container: name, message: "\(what): \(errnoPhrase(code))",
                           code: code, kind: ContainerRoot.kind(of: code))
        case .signaled(let signal):
            throw LXCError(operation: operation, container: name,
                           message: "the process that moves \(quoted(path)) inside the container was killed by signal \(signal)",
                           kind: .failed)
        }
    }

    /// A memory file holding `bytes`, positioned at its start.
    func memoryFile(_ operation: String, holding bytes: [UInt8] = []) throws -> Int32 {
        let fd = clxc_memory_file()
        guard fd >= 0 else { throw hostError(operation, errno, "cannot make a memory file") }
        if let code = writeAll(fd: fd, bytes) {
            close(fd)
            throw hostError(operation, code, "cannot fill a memory file")
        }
        _ = lseek(fd, 0, SEEK_SET)
        return fd
    }

    /// Writes a file inside: from `source` (read to its end).
    func writeInside(_ operation: String, path: String, leaf: String? = nil, from source: Int32,
                     mode: mode_t, owner: FileOwner) throws {
        try runFileJob(operation, path: path, leaf: leaf, fd: source, into: true, mode: mode, owner: owner)
    }

    /// Reads a file inside: its mode and bytes.
    func readInside(_ operation: String, path: String) throws -> (mode: mode_t, bytes: [UInt8]) {
        let fd = try memoryFile(operation)
        defer { close(fd) }
        try runFileJob(operation, path: path, leaf: nil, fd: fd, into: false, mode: 0, owner: .root)
        _ = lseek(fd, 0, SEEK_SET)
        guard let all = readBytesToEnd(fd: fd, from: nil), all.count >= 4 else {
            throw hostError(operation, EIO, "cannot read back \(quoted(path)) from a memory file")
        }
        let mode = all.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        return (mode_t(mode), Array(all[4...]))
    }

    /// What an ordinary user cannot do through the process inside yet.
    func treeInsideUnsupported(_ operation: String, _ path: String) -> LXCError {
        LXCError(operation: operation, container: name,
                 message: "\(quoted(path)) is a directory: an ordinary user copies single files into and out of a running container (through a process inside it), not directory trees; copy the files one by one, or as root",
                 code: EOPNOTSUPP, kind: .unsupported)
    }
}
