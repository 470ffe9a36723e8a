import CLXC

/// Options for ``Container/migrate(_:options:)-4e6hl``: the fields of liblxc's `struct migrate_opts`.
public struct MigrationOptions: Sendable, Hashable {
    /// Where CRIU writes (or reads) the images and its log (`directory`).
    public var directory: String
    /// CRIU logs verbosely (`verbose`).
    public var verbose: Bool = false
    /// Stop the container after a dump (`stop`).
    public var stop: Bool = false
    /// A pre-dump's directory, relative to ``directory``, that a dump builds on (`predump_dir`).
    public var preDumpDirectory: String?
    /// Send memory pages to a CRIU page server at this address (`pageserver_address`).
    public var pageServerAddress: String?
    /// The page server's port (`pageserver_port`).
    public var pageServerPort: UInt16?
    /// The root filesystem has the same inodes at restore as at dump (a zfs or btrfs send, an
    /// LVM snapshot; not an rsync) (`preserves_inodes`).
    public var preservesInodes: Bool = false
    /// An executable that CRIU runs as its action script (`action_script`).
    public var actionScript: String?
    /// Do not skip in-flight TCP connections, which CRIU 2.4 and later skips by default
    /// (`disable_skip_in_flight`).
    public var disableSkipInFlight: Bool = false
    /// The largest deleted-but-open file CRIU dumps; nil for CRIU's default of 1 MiB
    /// (`ghost_limit`).
    public var ghostLimit: ByteCount?
    /// The features ``MigrationCommand/featureCheck`` asks about (`features_to_check`).
    public var featuresToCheck: MigrationFeatures = []

    /// Options for images in `directory`.
    public init(directory: String, verbose: Bool = false, stop: Bool = false) {
        self.directory = directory
        self.verbose = verbose
        self.stop = stop
    }
}
