/// Flags for ``Container/mount(_:at:type:flags:data:)-6viq3``: the `mountflags` of mount(2).
public struct MountFlags: OptionSet, Sendable, Hashable {
    /// The `MS_*` bits of mount(2).
    public let rawValue: UInt

    /// Flags from their `MS_*` bits.
    public init(rawValue: UInt) { self.rawValue = rawValue }

    /// Mount read-only (`MS_RDONLY`).
    public static let readOnly = MountFlags(rawValue: 1)
    /// Ignore set-user-id and set-group-id bits (`MS_NOSUID`).
    public static let noSetID = MountFlags(rawValue: 2)
    /// Do not allow access to device files (`MS_NODEV`).
    public static let noDevices = MountFlags(rawValue: 4)
    /// Do not allow programs to be run (`MS_NOEXEC`).
    public static let noExecute = MountFlags(rawValue: 8)
    /// Write synchronously (`MS_SYNCHRONOUS`).
    public static let synchronous = MountFlags(rawValue: 16)
    /// Change the flags of an existing mount (`MS_REMOUNT`).
    public static let remount = MountFlags(rawValue: 32)
    /// Do not update access times (`MS_NOATIME`).
    public static let noAccessTime = MountFlags(rawValue: 1024)
    /// Make a bind mount of `source` (`MS_BIND`); the type is ignored.
    public static let bind = MountFlags(rawValue: 4096)
    /// Move an existing mount (`MS_MOVE`).
    public static let move = MountFlags(rawValue: 8192)
    /// With ``bind``: bind the mounts below `source` as well (`MS_REC`).
    public static let recursive = MountFlags(rawValue: 16384)
    /// Update access times relative to modification times (`MS_RELATIME`).
    public static let relativeAccessTime = MountFlags(rawValue: 1 << 21)
}

