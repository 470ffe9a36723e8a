import Glibc

/// A container's config file as a handle was loaded from it: its bytes, and what `stat` said
/// of the file just before they were read.
///
/// Two looks at the file agree when they found the same bytes. Reading the bytes again is
/// skipped when `stat` finds the file as it was (device, inode, size, and modification and
/// change times to the nanosecond) and the file's last change lay at least `settleTime`
/// before that earlier look. File systems stamp times with a coarse clock (the kernel's tick),
/// so an edit made soon after the last one can keep all of these; an edit made later than a
/// look that came `settleTime` after the last change gets a later change time. This is the
/// rule git uses for its "racily clean" index entries. A change time that cannot be trusted
/// (in the future, say) only means the bytes are read each time. One `stat` costs less than
/// the open, read and close of a few KiB, and far less than parsing them
/// (`lxc_container_new`, about a hundred microseconds).
final class ConfigFileSnapshot: Sendable {
    /// What `stat` says of a file, as far as it shows a change.
    struct Status: Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modified: timespec
        var changed: timespec
        /// `CLOCK_REALTIME` just before the `stat`.
        var observedAt: timespec

        static func == (a: Status, b: Status) -> Bool {
            a.device == b.device && a.inode == b.inode && a.size == b.size
                && a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec
                && a.changed.tv_sec == b.changed.tv_sec && a.changed.tv_nsec == b.changed.tv_nsec
        }

        /// The file at `path` now, or nil when it cannot be looked at.
        init?(path: String) {
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            modified = info.st_mtim
            changed = info.st_ctim
            observedAt = now
        }

        /// Whether the file's last change lies `settleTime` or more before the look.
        func changedLongBeforeTheLook(settleTime: Duration) -> Bool {
            let age = Duration.seconds(observedAt.tv_sec - changed.tv_sec)
                + .nanoseconds(observedAt.tv_nsec - changed.tv_nsec)
            return age >= settleTime
        }
    }

    /// How long after its last change a file's times tell every later edit apart.
    static let settleTime = Duration.seconds(2)

    let status: Status
    let bytes: [UInt8]
    /// Whether a later `stat` that finds `status` unchanged proves the bytes unchanged.
    let settled: Bool

    private init(status: Status, bytes: [UInt8], settleTime: Duration) {
        self.status = status
        self.bytes = bytes
        self.settled = status.changedLongBeforeTheLook(settleTime: settleTime)
    }

    /// The file at `path` as it is now: `kept` itself when `stat` proves it unchanged,
    /// otherwise what the file holds now (read whole); nil when it cannot be read.
    static func current(at path: String, kept: ConfigFileSnapshot?,
                        settleTime: Duration = settleTime) -> ConfigFileSnapshot? {
        guard let status = Status(path: path) else { return nil }
        if let kept, kept.settled, kept.status == status { return kept }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard let bytes = readBytesToEnd(fd: fd, from: nil) else { return nil }
        return ConfigFileSnapshot(status: status, bytes: bytes, settleTime: settleTime)
    }

    /// Whether both found the same bytes in the file.
    func holdsTheSameBytes(as other: ConfigFileSnapshot) -> Bool {
        self === other || bytes == other.bytes
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
    /// The config file the spares were loaded from, as last seen.
    private(set) var file: ConfigFileSnapshot?

    /// A spare loaded from what `file` holds, if any, and the spares that are out of date
    /// (to be released by the caller, outside its lock).
    mutating func take(for file: ConfigFileSnapshot) -> (Handle?, discarded: [Handle]) {
        guard let kept = self.file, kept.holdsTheSameBytes(as: file) else { return (nil, removeAll()) }
        return (handles.popLast(), [])
    }

    /// Keeps `handle`, loaded from what `file` holds; returns what is not kept (to be
    /// released by the caller, outside its lock). `file` replaces the look kept so far, so
    /// that the next `stat` is compared with a recent one.
    mutating func keep(_ handle: Handle, from file: ConfigFileSnapshot) -> [Handle] {
        var discarded: [Handle] = []
        if self.file?.holdsTheSameBytes(as: file) != true { discarded = removeAll() }
        self.file = file
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
