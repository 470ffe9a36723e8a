import Glibc

// Small file helpers over Glibc, so that the library core does not need Foundation.

/// Reads a whole (small) file such as `/proc/self/cgroup`; nil when it cannot be opened.
func readWholeFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    return readToEnd(fd: fd, from: nil)
}

/// Reads from `fd` to its end, starting at `offset` with `pread` when one is given.
func readToEnd(fd: Int32, from offset: off_t?) -> String? {
    readBytesToEnd(fd: fd, from: offset).map { String(decoding: $0, as: UTF8.self) }
}

/// The bytes from `fd`'s `offset` (with `pread`), or from where it is, to its end.
func readBytesToEnd(fd: Int32, from offset: off_t?) -> [UInt8]? {
    var bytes: [UInt8] = []
    var position = offset ?? 0
    let chunk = 16_384
    while true {
        let count = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: chunk) { buffer -> Int in
            guard let base = buffer.baseAddress else { return -1 }
            var got: Int
            repeat {
                got = offset == nil ? read(fd, base, chunk) : pread(fd, base, chunk, position)
            } while got < 0 && errno == EINTR
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
        var written: Int
        repeat {
            written = write(fd, bytes.baseAddress, bytes.count)
        } while written < 0 && errno == EINTR
        return written == bytes.count
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
