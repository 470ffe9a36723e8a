import CLXC
import Glibc

/// How ``Container/create(template:backingStore:specs:options:arguments:)-vs3`` makes the
/// backing store: its size and filesystem, and where it goes.
///
/// Each field applies to some backing stores only; liblxc ignores the others. A nil field
/// leaves liblxc's default (for the pools and groups, the global configuration's
/// `lxc.bdev.zfs.root`, `lxc.bdev.lvm.vg` and `lxc.bdev.lvm.thin_pool`). The fields are
/// those of liblxc's `struct bdev_specs`.
///
/// ```swift
/// try container.create(template: "busybox", backingStore: .loop,
///                      specs: BackingStoreSpecs(filesystemType: "ext4", size: 256 << 20))
/// ```
public struct BackingStoreSpecs: Sendable, Hashable {
    /// The filesystem to make on a block device (loop, lvm, rbd): `"ext4"`, `"xfs"`, …
    /// liblxc runs `mkfs -t` with it; its default is ext4. `fstype` in C.
    public var filesystemType: String?
    /// The size of a block device (loop, lvm, rbd) in bytes; liblxc's default is 1 GiB.
    /// `fssize` in C.
    public var size: UInt64?
    /// The ZFS dataset under which the container's dataset is made. `zfs.zfsroot` in C.
    public var zfsRoot: String?
    /// The LVM volume group. `lvm.vg` in C.
    public var lvmVolumeGroup: String?
    /// The LVM logical volume's name; liblxc's default is the container's name. `lvm.lv` in C.
    public var lvmLogicalVolume: String?
    /// The LVM thin pool to make the volume in, if any. `lvm.thinpool` in C.
    public var lvmThinPool: String?
    /// The directory to use as the root filesystem (directory backing store) instead of
    /// `<lxcpath>/<name>/rootfs`. `dir` in C.
    public var directory: String?
    /// The name of the RBD image; liblxc's default is the container's name. `rbd.rbdname` in C.
    public var rbdName: String?
    /// The Ceph pool of the RBD image. `rbd.rbdpool` in C.
    public var rbdPool: String?

    /// Makes specifications; every field left nil keeps liblxc's default.
    public init(
        filesystemType: String? = nil,
        size: UInt64? = nil,
        zfsRoot: String? = nil,
        lvmVolumeGroup: String? = nil,
        lvmLogicalVolume: String? = nil,
        lvmThinPool: String? = nil,
        directory: String? = nil,
        rbdName: String? = nil,
        rbdPool: String? = nil
    ) {
        self.filesystemType = filesystemType
        self.size = size
        self.zfsRoot = zfsRoot
        self.lvmVolumeGroup = lvmVolumeGroup
        self.lvmLogicalVolume = lvmLogicalVolume
        self.lvmThinPool = lvmThinPool
        self.directory = directory
        self.rbdName = rbdName
        self.rbdPool = rbdPool
    }

    /// The text fields with the names used in messages.
    var textFields: [(name: String, value: String?)] {
        [("filesystemType", filesystemType), ("zfsRoot", zfsRoot), ("lvmVolumeGroup", lvmVolumeGroup),
         ("lvmLogicalVolume", lvmLogicalVolume), ("lvmThinPool", lvmThinPool), ("directory", directory),
         ("rbdName", rbdName), ("rbdPool", rbdPool)]
    }

    /// Refuses fields that liblxc would write into the configuration as they are (the root
    /// filesystem path is made from them): empty ones, ones with a line break or NUL, a
    /// relative directory, and names with white space or `/` where liblxc expects a name.
    func validate(operation: String, container: String?) throws {
        for (field, value) in textFields {
            guard let value else { continue }
            if value.isEmpty {
                throw LXCError.invalid(operation, container, "backing store spec \(field) is empty; leave it nil for liblxc's default")
            }
            try Validate.noBreaks(value, what: "backing store spec \(field)", operation: operation, container: container)
            if value.unicodeScalars.contains(where: { $0 == " " || $0 == "\t" }) {
                throw LXCError.invalid(operation, container, "backing store spec \(field) \(quoted(value)) contains white space")
            }
        }
        if let directory, !directory.hasPrefix("/") {
            throw LXCError.invalid(operation, container, "backing store spec directory \(quoted(directory)) is not an absolute path")
        }
        let names: [(String, String?)] = [("filesystemType", filesystemType), ("lvmVolumeGroup", lvmVolumeGroup),
                                         ("lvmLogicalVolume", lvmLogicalVolume), ("lvmThinPool", lvmThinPool),
                                         ("rbdName", rbdName), ("rbdPool", rbdPool)]
        for (field, value) in names {
            if let value, value.utf8.contains(UInt8(ascii: "/")) {
                throw LXCError.invalid(operation, container, "backing store spec \(field) \(quoted(value)) contains \"/\"; it is a name, not a path")
            }
        }
        if let size, size == 0 {
            throw LXCError.invalid(operation, container, "backing store spec size is 0 bytes; leave it nil for liblxc's default")
        }
    }

    /// Calls `body` with a `struct bdev_specs` holding copies of the fields, which live
    /// until `body` returns and are then freed.
    func withCSpecs<R>(_ body: (UnsafeMutablePointer<bdev_specs>) throws -> R) rethrows -> R {
        var specs = bdev_specs()
        func copy(_ text: String?) -> UnsafeMutablePointer<CChar>? { text.flatMap { strdup($0) } }
        specs.fstype = copy(filesystemType)
        specs.fssize = size ?? 0
        specs.zfs.zfsroot = copy(zfsRoot)
        specs.lvm.vg = copy(lvmVolumeGroup)
        specs.lvm.lv = copy(lvmLogicalVolume)
        specs.lvm.thinpool = copy(lvmThinPool)
        specs.dir = copy(directory)
        specs.rbd.rbdname = copy(rbdName)
        specs.rbd.rbdpool = copy(rbdPool)
        defer {
            free(specs.fstype)
            free(specs.zfs.zfsroot)
            free(specs.lvm.vg)
            free(specs.lvm.lv)
            free(specs.lvm.thinpool)
            free(specs.dir)
            free(specs.rbd.rbdname)
            free(specs.rbd.rbdpool)
        }
        return try withUnsafeMutablePointer(to: &specs) { try body($0) }
    }
}
