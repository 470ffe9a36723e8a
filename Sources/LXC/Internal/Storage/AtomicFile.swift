import Glibc

/// ``replaceFileAtomically(named:in:with:newFileMode:)`` for a path: the path holds either
/// its old bytes or all of the new ones, whatever happens (a full disk, a SIGKILL, a crash
/// after the call returned). Returns 0, or the errno of the step that failed (the old file
/// is then untouched).
func replaceFileAtomically(_ path: String, with bytes: [UInt8], mode: mode_t = 0o644) -> Int32 {
    let directory = open(parentDirectory(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard directory >= 0 else { return errno }
    defer { close(directory) }
    let name = path.split(separator: "/").last.map(String.init) ?? path
    do {
        try replaceFileAtomically(named: name, in: directory, with: bytes, newFileMode: mode)
        return 0
    } catch {
        return error.replaced ? 0 : error.code
    }
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
