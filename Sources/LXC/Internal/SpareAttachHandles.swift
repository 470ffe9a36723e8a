import Glibc

/// The bytes of a container's config file, as a handle was loaded from them.
///
/// Compared whole rather than by size and modification time: file systems stamp times with
/// the kernel's tick, so an edit that keeps the size within a few milliseconds of the
/// last look could pass for no edit. Reading a config file of a few KiB costs a few
/// microseconds; parsing it again (`lxc_container_new`) about a hundred.
struct ConfigFileContents: Equatable {
    private let bytes: [UInt8]

    /// The file at `path` as it is now, or nil when it cannot be read (it does not exist,
    /// say).
    init?(path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard let bytes = readBytesToEnd(fd: fd, from: nil) else { return nil }
        self.bytes = bytes
    }
}

/// The handles a `Container` keeps between attaches.
///
/// An attach needs a handle that no other thread uses (see `Container.withAttachHandle`).
/// Making one reads and parses the config file, about a tenth of the time of running
/// `/bin/true` inside; so a handle that has finished an attach is kept for the next one,
/// for as long as the config file holds what it was loaded from. All of them were loaded
/// from the same contents; other contents empty the set.
struct SpareAttachHandles {
    /// Spares kept at most: as many attaches as run at once, up to this, find one.
    static let limit = 4

    private var handles: [Handle] = []
    private var file: ConfigFileContents?

    /// A spare loaded from `file`, if any, and the spares that are out of date (to be
    /// released by the caller, outside its lock).
    mutating func take(for file: ConfigFileContents) -> (Handle?, discarded: [Handle]) {
        guard self.file == file else { return (nil, removeAll()) }
        return (handles.popLast(), [])
    }

    /// Keeps `handle`, loaded from `file`; returns what is not kept (to be released by the
    /// caller, outside its lock).
    mutating func keep(_ handle: Handle, from file: ConfigFileContents) -> [Handle] {
        var discarded: [Handle] = []
        if self.file != file {
            discarded = removeAll()
            self.file = file
        }
        if handles.count < Self.limit {
            handles.append(handle)
        } else {
            discarded.append(handle)
        }
        return discarded
    }

    /// Forgets every spare and returns them (to be released by the caller, outside its lock).
    mutating func removeAll() -> [Handle] {
        file = nil
        defer { handles = [] }
        return handles
    }
}
