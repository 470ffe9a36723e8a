/// Options for ``Container/clone(as:in:options:backingStore:size:hookArguments:)-66xrh``.
///
/// The raw values are liblxc's `LXC_CLONE_*` flags.
///
/// ```swift
/// let web2 = try web.clone(as: "web2", options: [.snapshot], backingStore: .overlay)
/// ```
public struct CloneOptions: OptionSet, Sendable, Hashable {
    /// The `LXC_CLONE_*` bits liblxc's `c->clone` takes as its `flags`.
    public let rawValue: Int32

    /// Makes options from liblxc's `LXC_CLONE_*` flags.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// Keeps the original's host name: liblxc neither sets `lxc.uts.name` to the new name
    /// nor rewrites `/etc/hostname` in the clone's root filesystem. liblxc's `LXC_CLONE_KEEPNAME`.
    public static let keepName = CloneOptions(rawValue: 1 << 0)

    /// Keeps the MAC addresses of the network interfaces instead of making new ones.
    /// liblxc's `LXC_CLONE_KEEPMACADDR`.
    public static let keepMACAddress = CloneOptions(rawValue: 1 << 1)

    /// Makes the clone a copy-on-write snapshot of the original's root filesystem instead
    /// of a copy. A directory-backed original gets an overlay clone (unless another backing
    /// store is asked for); the original then cannot be destroyed while the clone exists.
    /// liblxc's `LXC_CLONE_SNAPSHOT`.
    public static let snapshot = CloneOptions(rawValue: 1 << 2)

    /// Keeps the original's backing store type. liblxc's `LXC_CLONE_KEEPBDEVTYPE`.
    public static let keepBackingStoreType = CloneOptions(rawValue: 1 << 3)

    /// Snapshots when the backing store can, copies otherwise (with ``keepBackingStoreType``,
    /// a directory is then copied). liblxc's `LXC_CLONE_MAYBE_SNAPSHOT`.
    public static let maybeSnapshot = CloneOptions(rawValue: 1 << 4)

    /// Lets the clone go ahead while the original runs: liblxc copies the root filesystem
    /// as it is at that moment, which may be inconsistent while programs write to it.
    /// Without it, a running original is refused (liblxc refuses it too). liblxc's
    /// `LXC_CLONE_ALLOW_RUNNING`.
    public static let allowRunning = CloneOptions(rawValue: 1 << 6)
}

extension CloneOptions {
    /// Makes the clone a throwaway container: liblxc destroys it (configuration, root
    /// filesystem, directory) when it stops, as `lxc-copy -e` does.
    ///
    /// liblxc's `c->clone` has no flag for this: the library sets `lxc.ephemeral = 1` in the
    /// clone's configuration and saves it before returning the clone (the bit is not passed to
    /// liblxc). The base is left as it was; an overlay clone's pin on it goes with the clone.
    ///
    /// ```swift
    /// let job = try base.clone(as: "job-1", options: [.snapshot, .ephemeral], backingStore: .overlay)
    /// try job.start()
    /// // … run the job …
    /// try job.stop()          // liblxc removes job-1
    /// ```
    public static let ephemeral = CloneOptions(rawValue: 1 << 16)

    /// The bits liblxc's `c->clone` takes: all but the library's own (``ephemeral``).
    var liblxcFlags: Int32 { rawValue & ~CloneOptions.ephemeral.rawValue }
}
