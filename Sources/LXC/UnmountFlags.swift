/// Flags for ``Container/unmount(_:flags:)-83tru``: the `flags` of umount2(2).
public struct UnmountFlags: OptionSet, Sendable, Hashable {
    /// The `MS_*` bits of mount(2).
    public let rawValue: UInt

    /// Flags from their `MS_*` bits.
    public init(rawValue: UInt) { self.rawValue = rawValue }

    /// Unmount even when busy, for network file systems (`MNT_FORCE`).
    public static let force = UnmountFlags(rawValue: 1)
    /// Detach now and clean up once no longer busy (`MNT_DETACH`).
    public static let detach = UnmountFlags(rawValue: 2)
    /// Do not follow a symbolic link at the target (`UMOUNT_NOFOLLOW`).
    public static let noFollow = UnmountFlags(rawValue: 8)
}
