import Glibc

// Small file helpers over Glibc, so that the library core does not need Foundation.

// Reading: one loop (`readBytesToEnd`); the other readers open a file or decode the bytes
// as text around it.

/// Reads a whole (small) file such as `/proc/self/cgroup`; nil when it cannot be opened.
func readWholeFile(_ path: String) -> String? {
    readFile(path, from: nil)
}

/// The text of the file at `path` from `offset` (or from its start) to its end; nil when it
/// cannot be opened or read.
func readFile(_ path: String, from offset: off_t?) -> String? {
    readWholeFileBytes(path, from: offset).map { String(decoding: $0, as: UTF8.self) }
}

/// Reads from `fd` to its end, starting at `offset` with `pread` when one is given.
func readToEnd(fd: Int32, from offset: off_t?) -> String? {
    readBytesToEnd(fd: fd, from: offset).map { String(decoding: $0, as: UTF8.self) }
}

/// The bytes from `fd`'s `offset` (with `pread`), or from where it is, to its end: the
/// library's one read loop.
func readBytesToEnd(fd: Int32, from offset: off_t?) -> [UInt8]? {
    var bytes: [UInt8] = []
    var position = offset ?? 0
    let chunk = 16_384
    while true {
        let count = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: chunk) { buffer -> Int in
            guard let base = buffer.baseAddress else { return -1 }
            let got = retryingOnInterrupt { offset == nil ? read(fd, base, chunk) : pread(fd, base, chunk, position) }
            if got > 0 { bytes.append(contentsOf: UnsafeBufferPointer(start: base, count: got)) }
            return got
        }
        if count < 0 { return nil }
        if count == 0 { break }
        position += off_t(count)
    }
    return bytes
}

/// Writes `text` to an existing file (a cgroup's `cgroup.procs`, say); false when it fails.
@discardableResult
func writeToExistingFile(_ path: String, _ text: String) -> Bool {
    let fd = open(path, O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var text = text
    return text.withUTF8 { bytes in
        retryingOnInterrupt { write(fd, bytes.baseAddress, bytes.count) } == bytes.count
    }
}

/// The size of the file at `path`, or nil when it cannot be read.
func fileSize(_ path: String) -> off_t? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return info.st_size
}

/// Whether something exists at `path`.
func fileExists(_ path: String) -> Bool {
    access(path, F_OK) == 0
}

/// The text of an errno value, as `strerror` gives it.
func errnoDescription(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "errno \(code)" }
    return String(cString: text)
}

/// `errnoDescription` for the middle of a sentence: "no space left on device".
func errnoPhrase(_ code: Int32) -> String {
    let text = errnoDescription(code)
    guard let first = text.first, first.isUppercase, text.dropFirst().first?.isLowercase ?? true else { return text }
    return first.lowercased() + text.dropFirst()
}

/// Writes all of `bytes` to `fd`, continuing after short writes; nil, or the errno of the
/// write that failed (`EIO` for one that wrote nothing without an error).
func writeAll(fd: Int32, _ bytes: [UInt8]) -> Int32? {
    bytes.withUnsafeBytes { buffer -> Int32? in
        guard let base = buffer.baseAddress else { return nil }
        var done = 0
        while done < buffer.count {
            let written = retryingOnInterrupt { write(fd, base + done, buffer.count - done) }
            if written < 0 { return errno }
            if written == 0 { return EIO }
            done += written
        }
        return nil
    }
}

/// Why ``replaceFileAtomically(named:in:with:newFileMode:)`` failed.
struct FileReplacementError: Error {
    /// The errno of the step that failed.
    var code: Int32
    /// What was being done, in words ("writing the temporary file …").
    var step: String
    /// Whether the file was already replaced: only a failed sync of the directory after the
    /// rename leaves it so. Otherwise the old file is untouched.
    var replaced = false
    /// Whether the thing at the path is no regular file, which is refused before any write.
    var notRegularFile = false
}

/// Replaces the regular file `name` in the directory open as `directory` with `bytes`, so
/// that a reader, a full disk or a crash finds the old file or the new one, whole.
///
/// The bytes go to a new file beside the old one (in the same directory, so that the rename
/// is atomic), written in full and fsynced, then the new file is renamed over the old one and
/// the directory is fsynced. The old file's mode, and its owner when the caller is root, are
/// kept; a new file gets `newFileMode` minus the umask. A symbolic link, directory, FIFO,
/// device or socket at `name` is refused before anything is written: nothing is followed out
/// of `directory`. On any failure the temporary file is removed.
func replaceFileAtomically(named name: String, in directory: Int32, with bytes: [UInt8],
                           newFileMode: mode_t) throws(FileReplacementError) {
    var old = stat()
    var keep: (mode: mode_t, owner: uid_t, group: gid_t)?
    if fstatat(directory, name, &old, AT_SYMLINK_NOFOLLOW) == 0 {
        let type = old.st_mode & S_IFMT
        guard type == S_IFREG else {
            let what = type == S_IFDIR ? "a directory" : type == S_IFLNK ? "a symbolic link" : "not a regular file"
            throw FileReplacementError(code: type == S_IFDIR ? EISDIR : EINVAL, step: "\(quoted(name)) is \(what)",
                                       notRegularFile: true)
        }
        keep = (old.st_mode & 0o7777, old.st_uid, old.st_gid)
    } else if errno != ENOENT {
        throw FileReplacementError(code: errno, step: "reading what is at \(quoted(name))")
    }

    var temporary = ""
    var fd: Int32 = -1
    for _ in 0..<16 {
        temporary = ".\(name).swift-lxc-\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
        fd = retryingOnInterrupt {
            openat(directory, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, newFileMode)
        }
        if fd >= 0 || errno != EEXIST { break }
    }
    guard fd >= 0 else {
        throw FileReplacementError(code: errno, step: "creating a temporary file beside \(quoted(name))")
    }
    var isOpen = true
    func fail(_ code: Int32, _ step: String) -> FileReplacementError {
        if isOpen { close(fd) }
        isOpen = false
        unlinkat(directory, temporary, 0)
        return FileReplacementError(code: code, step: step + " (the temporary file \(quoted(temporary)))")
    }
    if let keep {
        // Owner first: a chown clears the set-id bits that the chmod then restores.
        if keep.owner != geteuid() || keep.group != getegid() {
            if fchown(fd, keep.owner, keep.group) != 0 && geteuid() == 0 {
                throw fail(errno, "giving the new file the old one's owner")
            }
        }
        if fchmod(fd, keep.mode) != 0 { throw fail(errno, "giving the new file the old one's mode") }
    }
    if let code = writeAll(fd: fd, bytes) { throw fail(code, "writing the new file") }
    if retryingOnInterrupt({ fsync(fd) }) != 0 { throw fail(errno, "flushing the new file to disk") }
    isOpen = false
    // Linux closes the descriptor even when close reports EINTR.
    if close(fd) != 0 && errno != EINTR { throw fail(errno, "closing the new file") }
    if renameat(directory, temporary, directory, name) != 0 {
        throw fail(errno, "renaming the new file over \(quoted(name))")
    }
    // A file system that cannot sync a directory says EINVAL; the rename is then as durable
    // as it can make it.
    if retryingOnInterrupt({ fsync(directory) }) != 0 && errno != EINVAL {
        throw FileReplacementError(code: errno, step: "flushing the directory after the rename", replaced: true)
    }
}

/// The name in a directory entry that `readdir` returned, read up to its NUL. A record is
/// only as long as its name: copying the whole `d_name` array (`withUnsafeBytes(of:)`)
/// reads past it, and past the end of the mapping when the entry is the buffer's last (a
/// crash seen here).
func entryName(_ entry: UnsafeMutablePointer<dirent>) -> String {
    withUnsafePointer(to: &entry.pointee.d_name) { tuple in
        tuple.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: tuple.pointee)) {
            String(cString: $0)
        }
    }
}

/// The names in a directory other than `.` and `..`, with whether each is a directory
/// (`d_type`); empty when it cannot be read.
func directoryEntries(_ path: String, onlyDirectories: Bool = false) -> [String] {
    guard let directory = opendir(path) else { return [] }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
        if onlyDirectories && entry.pointee.d_type != UInt8(DT_DIR) { continue }
        let name = entryName(entry)
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

/// The bytes of a whole file, or from `offset` on; nil when it cannot be opened or read.
func readWholeFileBytes(_ path: String, from offset: off_t? = nil) -> [UInt8]? {
    let fd = retryingOnInterrupt { open(path, O_RDONLY | O_CLOEXEC) }
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    return readBytesToEnd(fd: fd, from: offset)
}
