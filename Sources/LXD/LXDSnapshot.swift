import FoundationEssentials
import Glibc
import LXCCore
import NIOHTTP1

/// One snapshot of an LXD instance.
public struct LXDSnapshot: ContainerSnapshot {
    /// The snapshot's name (without the instance's name before it).
    public var name: String
    /// When LXD took the snapshot, in UTC (LXD's `created_at`).
    public var date: SnapshotDate?
    /// The comment given to ``LXDInstance/snapshot(comment:)``, kept in the snapshot's
    /// configuration as `user.swift-lxc.comment` (LXD 5.0 snapshots have no description).
    public var comment: String?

    /// A snapshot's description.
    public init(name: String, date: SnapshotDate?, comment: String?) {
        self.name = name
        self.date = date
        self.comment = comment
    }
}
