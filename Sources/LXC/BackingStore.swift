import CLXC
import Glibc

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

    /// The store's name in messages: "directory", "overlay", "loop", "btrfs", …
    var displayName: String {
        switch self {
        case .directory: "directory"
        case .bestAvailable: "best available"
        default: rawValue
        }
    }

    /// The stores ``bestAvailable`` tries, in liblxc's order.
    static let bestAvailableOrder: [BackingStore] = [.btrfs, .zfs, .lvm, .directory]

    /// Whether this host can provide the backing store for containers in `lxcpath`
    /// (liblxc's global `lxc.lxcpath` when nil); see ``unavailableReason(in:)``.
    public func isAvailable(in lxcpath: String? = nil) -> Bool {
        unavailableReason(in: lxcpath) == nil
    }

    /// Why this host cannot provide the backing store for containers in `lxcpath`, or nil
    /// when it can as far as can be told without trying.
    ///
    /// The checks are those of liblxc's storage drivers: overlay needs the kernel's
    /// `overlay` filesystem (listed in `/proc/filesystems`, or a module to load); loop needs
    /// `/dev/loop-control` and `mkfs`; btrfs needs the lxcpath on a btrfs filesystem; zfs the
    /// `zfs` tool and `/dev/zfs`; lvm the `lvcreate` tool; rbd the `rbd` tool. A directory
    /// and ``bestAvailable`` (which falls back to a directory) are always available.
    public func unavailableReason(in lxcpath: String? = nil) -> String? {
        switch self {
        case .directory, .bestAvailable:
            return nil
        case .overlay:
            if HostStorage.kernelFilesystems().contains("overlay") { return nil }
            if let release = HostStorage.kernelRelease(), fileExists("/lib/modules/\(release)/kernel/fs/overlayfs") {
                return nil
            }
            return "the kernel has no overlay filesystem (\"overlay\" is not in /proc/filesystems and there is no overlay module to load; try modprobe overlay)"
        case .loop:
            if !fileExists("/dev/loop-control") {
                return "there is no /dev/loop-control: the kernel has no loop device support, or this system cannot reach its loop devices"
            }
            if HostStorage.executable("mkfs") == nil {
                return "there is no mkfs command to make the filesystem in the image (install util-linux)"
            }
            return nil
        case .btrfs:
            let path = lxcpath ?? LXC.defaultLXCPath
            guard let type = HostStorage.filesystemType(of: path) else {
                return "the filesystem of \(path) cannot be examined"
            }
            if type == HostStorage.btrfsMagic { return nil }
            return "\(path) is not on a btrfs filesystem (\(HostStorage.filesystemName(type))); liblxc makes btrfs containers as subvolumes of the lxcpath's filesystem"
        case .zfs:
            if HostStorage.executable("zfs") == nil { return "there is no zfs command (ZFS is not installed)" }
            if !fileExists("/dev/zfs") { return "there is no /dev/zfs (the zfs kernel module is not loaded)" }
            return nil
        case .lvm:
            if HostStorage.executable("lvcreate") == nil { return "there is no lvcreate command (LVM is not installed)" }
            return nil
        case .rbd:
            if HostStorage.executable("rbd") == nil { return "there is no rbd command (Ceph's rbd tool is not installed)" }
            return nil
        }
    }
}

/// What the host offers for backing stores.
enum HostStorage {
    static let btrfsMagic: Int = 0x9123_683E

    /// The filesystem types in `/proc/filesystems`.
    static func kernelFilesystems() -> Set<String> {
        guard let text = readWholeFile("/proc/filesystems") else { return [] }
        var result: Set<String> = []
        for line in text.split(separator: "\n") {
            if let last = line.split(whereSeparator: { $0 == "\t" || $0 == " " }).last {
                result.insert(String(last))
            }
        }
        return result
    }

    /// The running kernel's release (`uname -r`).
    static func kernelRelease() -> String? {
        var names = utsname()
        guard uname(&names) == 0 else { return nil }
        return withUnsafeBytes(of: &names.release) { bytes in
            String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }

    /// The path of an executable found in `PATH` (and the usual system directories).
    static func executable(_ name: String) -> String? {
        executableInPath(name, alsoIn: ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"])
    }

    /// The `statfs` type of the filesystem that holds `path`, or of its nearest existing
    /// parent.
    static func filesystemType(of path: String) -> Int? {
        var current = path
        while true {
            let type = clxc_filesystem_type(current)
            if type != -1 { return Int(type) }
            guard errno == ENOENT, let slash = current.lastIndex(of: "/"), current != "/" else { return nil }
            current = slash == current.startIndex ? "/" : String(current[..<slash])
        }
    }

    /// A name for a `statfs` type, for messages.
    static func filesystemName(_ type: Int) -> String {
        switch type {
        case 0xEF53: "ext2/3/4"
        case 0x0102_1994: "tmpfs"
        case 0x5846_5342: "xfs"
        case 0x794C_7630: "overlay"
        case btrfsMagic: "btrfs"
        case 0x2FC1_2FC1: "zfs"
        default: "type 0x" + String(type, radix: 16)
        }
    }
}

