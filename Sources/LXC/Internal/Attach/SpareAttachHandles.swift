import Glibc

/// The handles a `Container` keeps between attaches.
///
/// An attach needs a handle that no other thread uses (see `Container.withAttachHandle`).
/// Making one (`lxc_container_new`) reads and parses the config file and gives the handle a
/// log memory file: some 45 system calls. So a handle that has finished an attach is kept
/// for the next one, for as long as the config file holds the bytes it was loaded from (read
/// whole at every attach: four system calls and a comparison of a few KiB). All of them were
/// loaded from the same bytes; other bytes empty the set.
///
/// What it buys (2026-12-07, a build with the spares switched off against one with them,
/// `lxc-bench --rounds 3 --only attach_run --no-standalone`, twice each on a loaded machine):
/// `attach_run` read 1.11-1.12 of the C floor without them (single runs 1.09-1.15), 1.05-1.07
/// with them (1.07-1.08), in runs whose C-against-C noise was 0.96-1.02 (single runs
/// 0.98-1.00); `strace -c -f` counts 44 system calls more per attach without them. Trusting
/// the file's `stat` times instead of reading it (git's racy-clean rule) saved the four
/// system calls of the read and measured 1.03-1.08 against 1.05-1.07: not kept.
struct SpareAttachHandles {
    /// Spares kept at most: as many attaches as run at once, up to this, find one.
    static let limit = 4

    private var handles: [Handle] = []
    /// The config file's bytes the spares were loaded from.
    private var configBytes: [UInt8]?

    /// The whole config file at `path`, or nil when it cannot be read.
    static func configFile(at path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return readBytesToEnd(fd: fd, from: nil)
    }

    /// A spare loaded from `bytes`, if any, and the spares that are out of date (to be
    /// released by the caller, outside its lock).
    mutating func take(for bytes: [UInt8]) -> (Handle?, discarded: [Handle]) {
        guard configBytes == bytes else { return (nil, removeAll()) }
        return (handles.popLast(), [])
    }

    /// Keeps `handle`, loaded from `bytes`; returns what is not kept (to be released by the
    /// caller, outside its lock).
    mutating func keep(_ handle: Handle, from bytes: [UInt8]) -> [Handle] {
        var discarded: [Handle] = []
        if configBytes != bytes { discarded = removeAll() }
        configBytes = bytes
        if handles.count < Self.limit {
            handles.append(handle)
        } else {
            discarded.append(handle)
        }
        return discarded
    }

    /// Forgets every spare and returns them (to be released by the caller, outside its lock).
    mutating func removeAll() -> [Handle] {
        configBytes = nil
        defer { handles = [] }
        return handles
    }
}
