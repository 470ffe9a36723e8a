/// Where a container's root filesystem is kept.
///
/// liblxc names these with strings (`"dir"`, `"overlay"`, …): ``liblxcName`` is what
/// `c->create` and `c->clone` receive as their `bdevtype`.
public enum BackingStore: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// A plain directory, `<lxcpath>/<name>/rootfs`. liblxc's `dir`.
    case directory = "dir"
    /// An overlay filesystem over another container's root. liblxc's `overlay`.
    case overlay = "overlay"
    /// A filesystem image in a file, mounted through a loop device. liblxc's `loop`.
    case loop = "loop"
    /// A btrfs subvolume. liblxc's `btrfs`.
    case btrfs = "btrfs"
    /// A ZFS dataset. liblxc's `zfs`.
    case zfs = "zfs"
    /// An LVM logical volume. liblxc's `lvm`.
    case lvm = "lvm"
    /// A Ceph RADOS block device. liblxc's `rbd`.
    case rbd = "rbd"
    /// The best one this host offers, in liblxc's order: btrfs, zfs, lvm, directory.
    /// liblxc's `best`.
    case bestAvailable = "best"

    /// liblxc's name of the backing store.
    public var liblxcName: String { rawValue }

    /// Parses liblxc's name ("dir", "overlay", also "overlayfs").
    public init?(liblxcName: String) {
        if liblxcName == "overlayfs" { self = .overlay; return }
        self.init(rawValue: liblxcName)
    }

    /// liblxc's name of the backing store.
    public var description: String { rawValue }
}

/// Options for ``Container/create(template:backingStore:options:arguments:)``.
public struct CreateOptions: OptionSet, Sendable, Hashable {
    public let rawValue: Int32

    /// Makes options from liblxc's `LXC_CREATE_*` flags.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// Runs the template with standard input from `/dev/zero` and its output sent to
    /// `/dev/null`. liblxc's `LXC_CREATE_QUIET`.
    public static let quiet = CreateOptions(rawValue: 1 << 0)
}

/// Which containers ``Container/list(_:in:)`` and ``Container/names(_:in:)`` return.
public enum ListFilter: Sendable, Hashable, CaseIterable {
    /// Containers with a configuration file in the lxcpath (`list_defined_containers`).
    case defined
    /// Containers that are running (`list_active_containers`).
    case active
    /// Both (`list_all_containers`).
    case all
}
