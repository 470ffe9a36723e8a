/// CRIU features that ``Container/supportedMigrationFeatures(_:)-47axk`` can check for.
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
