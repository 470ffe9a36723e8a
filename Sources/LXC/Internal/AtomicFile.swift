import Glibc

/// Replaces the file at `path` with `bytes` so that, whatever happens (a full disk, a
/// SIGKILL, a power cut after the call returned), the path holds either the old bytes or
/// all of the new ones: they are written to a new file beside it, checked, flushed with
/// `fsync`, renamed over the path, and the directory is flushed too. On failure the old file
/// is untouched, the new one removed, and the errno of the failed step is returned; 0 on
/// success.
///
/// The new file gets `mode` (less the umask); when the path exists, its mode and, for root,
/// its owner are kept.
func replaceFileAtomically(_ path: String, with bytes: [UInt8], mode: mode_t = 0o644) -> Int32 {
    let directory = parentDirectory(of: path)
    let temporary = path + ".tmp-" + String(getpid()) + "-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
    var existing = stat()
    let exists = stat(path, &existing) == 0
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, exists ? existing.st_mode & 0o7777 : mode)
    guard fd >= 0 else { return errno }
    func fail(_ code: Int32) -> Int32 {
        close(fd)
        unlink(temporary)
        return code
    }
    if exists {
        if fchmod(fd, existing.st_mode & 0o7777) != 0 { return fail(errno) }
        if geteuid() == 0 && fchown(fd, existing.st_uid, existing.st_gid) != 0 { return fail(errno) }
    }
    let written = bytes.withUnsafeBytes { buffer -> Int32 in
        var offset = 0
        while offset < buffer.count {
            guard let base = buffer.baseAddress else { return 0 }
            let count = write(fd, base + offset, buffer.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if count == 0 { return ENOSPC }
            offset += count
        }
        return 0
    }
    if written != 0 { return fail(written) }
    if fsync(fd) != 0 { return fail(errno) }
    if close(fd) != 0 {
        let code = errno
        unlink(temporary)
        return code
    }
    if rename(temporary, path) != 0 {
        let code = errno
        unlink(temporary)
        return code
    }
    syncDirectory(directory)
    return 0
}

/// Removes the file at `path` and flushes its directory, so that the removal survives a
/// crash; true when the file is gone.
@discardableResult
func removeFileDurably(_ path: String) -> Bool {
    if unlink(path) != 0 { return errno == ENOENT }
    syncDirectory(parentDirectory(of: path))
    return true
}

/// Flushes a directory's entries to disk (after a rename or unlink in it).
func syncDirectory(_ directory: String) {
    let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { return }
    _ = fsync(fd)
    close(fd)
}

/// The directory part of an absolute path (`/` for a file at the root).
func parentDirectory(of path: String) -> String {
    guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "." }
    let parent = String(path[..<slash])
    return parent.isEmpty ? "/" : parent
}
