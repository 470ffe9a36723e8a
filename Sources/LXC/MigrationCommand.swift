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
    /// (`MIGRATE_FEATURE_CHECK`); see ``Container/supportedMigrationFeatures(_:)-47axk``.
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
