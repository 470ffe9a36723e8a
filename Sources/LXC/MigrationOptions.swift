import CLXC

/// What ``Container/migrate(_:options:)-4e6hl`` does; the `MIGRATE_*` commands of liblxc.
public enum MigrationCommand: Sendable, Hashable, CustomStringConvertible {
    /// Dump the container's memory while it keeps running, so that a later ``dump`` only
    /// writes what changed (`MIGRATE_PRE_DUMP`).
    case preDump
    /// Checkpoint the container into the options' directory (`MIGRATE_DUMP`).
    case dump
    /// Restore the container from the options' directory (`MIGRATE_RESTORE`).
    case restore
    /// Ask CRIU which of the options' ``MigrationOptions/featuresToCheck`` this host has
    /// (`MIGRATE_FEATURE_CHECK`); see ``Container/supportedMigrationFeatures(_:)``.
    case featureCheck

    var rawValue: UInt32 {
        switch self {
        case .preDump: return UInt32(MIGRATE_PRE_DUMP)
        case .dump: return UInt32(MIGRATE_DUMP)
        case .restore: return UInt32(MIGRATE_RESTORE)
        case .featureCheck: return UInt32(MIGRATE_FEATURE_CHECK)
        }
    }

    /// CRIU's name for the action, which is also the stem of its log file in the directory.
    var criuAction: String {
        switch self {
        case .preDump: return "pre-dump"
        case .dump: return "dump"
        case .restore: return "restore"
        case .featureCheck: return "check"
        }
    }

    /// CRIU's name for the action (`"pre-dump"`, `"dump"`, `"restore"`).
    public var description: String { criuAction }
}

/// CRIU features that ``Container/supportedMigrationFeatures(_:)`` can check for.
public struct MigrationFeatures: OptionSet, Sendable, Hashable {
    /// The `CRIU_FEATURE_*` bits of liblxc's `features_to_check`.
    public let rawValue: UInt64

    /// Features from their `CRIU_FEATURE_*` bits.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Dirty memory tracking, which ``MigrationCommand/preDump`` needs (`FEATURE_MEM_TRACK`,
    /// `criu check --feature mem_dirty_track`).
    public static let memoryTracking = MigrationFeatures(rawValue: 1 << 0)
    /// Lazy page restore through userfaultfd (`FEATURE_LAZY_PAGES`,
    /// `criu check --feature uffd-noncoop`).
    public static let lazyPages = MigrationFeatures(rawValue: 1 << 1)
}

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
